/**
 * The pure import generator on hand-made live states: what is imported, what is skipped and why,
 * key names and lifetimes, stable output that passes the validator.
 */
import { describe, expect, it } from 'vitest';
import { loadDesiredFromTexts } from '../../src/desired/load.js';
import { generateImport, type ImportOptions, keyNameBase } from '../../src/importer/generate.js';
import type { ApiKey, Application, Group, LiveState, Policy, Project, Rule } from '../../src/model/live.js';

const ORG = '00000000-0000-4000-8000-000000000000';
const T = '2026-01-01T00:00:00.000000Z';
const NOW = new Date('2026-06-01T00:00:00Z');
const flags = { managed: false, editable: true, deletable: true };

const project = (id: string, name: string, description = ''): Project => ({
  id,
  name,
  organizationId: ORG,
  createdAt: T,
  updatedAt: T,
  description,
  isDefault: id === ORG,
});
const app = (
  id: string,
  name: string,
  tags: string[] = [],
  extra: Partial<Application> = {},
): Application => ({
  ...flags,
  id,
  name,
  description: '',
  createdAt: T,
  updatedAt: T,
  organizationId: ORG,
  nbApiKeys: 0,
  tags,
  ...extra,
});
const key = (accessKey: string, appId: string, extra: Partial<ApiKey> = {}): ApiKey => ({
  ...flags,
  accessKey,
  description: '',
  createdAt: T,
  updatedAt: T,
  expiresAt: null,
  defaultProjectId: ORG,
  creationIp: '127.0.0.1',
  bearer: { type: 'application', id: appId },
  ...extra,
});
const group = (id: string, name: string, applicationIds: string[], userIds: string[] = []): Group => ({
  ...flags,
  id,
  name,
  description: '',
  createdAt: T,
  updatedAt: T,
  organizationId: ORG,
  userIds,
  applicationIds,
  tags: [],
});
const policy = (id: string, name: string, principal: Policy['principal']): Policy => ({
  ...flags,
  id,
  name,
  description: '',
  organizationId: ORG,
  createdAt: T,
  updatedAt: T,
  nbRules: 1,
  nbScopes: 1,
  nbPermissionSets: 1,
  tags: [],
  principal,
});
const rule = (scope: Rule['scope'], sets = ['ProjectReadOnly']): Rule => ({
  id: `r-${Math.random()}`,
  permissionSetNames: sets,
  permissionSetsScopeType: 'organization',
  condition: '',
  scope,
});

function live(parts: Partial<LiveState>): LiveState {
  return {
    organizationId: ORG,
    projects: [project(ORG, 'default')],
    applications: [],
    apiKeys: [],
    groups: [],
    policies: [],
    rules: new Map(),
    observedAt: '2026-06-01T00:00:00.000Z',
    ...parts,
  };
}

const opts: ImportOptions = {
  instance: 'default',
  now: NOW,
  includeKeys: true,
  sinkNames: ['local'],
  defaultSink: 'local',
};

function reasons(r: ReturnType<typeof generateImport>): Record<string, string> {
  return Object.fromEntries(
    r.skipped.map((s) => [`${s.kind}/${s.name}@${s.id}`, `${s.severity}: ${s.reason}`]),
  );
}

describe('generateImport', () => {
  it('writes valid, stable, sorted YAML with adopt: true and the live ids in comments', () => {
    const state = live({
      projects: [project(ORG, 'default'), project('p-2', 'zeta'), project('p-1', 'alpha', 'first')],
      applications: [app('a-1', 'web', ['team=web'])],
    });
    const a = generateImport(state, opts);
    const b = generateImport(state, opts);
    expect([...a.files]).toEqual([...b.files]);
    expect([...a.files.keys()]).toEqual(['applications.yaml', 'projects.yaml']);
    const projects = a.files.get('projects.yaml')!;
    expect(projects.indexOf('name: alpha')).toBeLessThan(projects.indexOf('name: zeta'));
    expect(projects).toContain('# project p-1, created');
    const loaded = loadDesiredFromTexts(
      'x',
      [...a.files].map(([file, text]) => ({ file, text })),
      opts,
    );
    expect(loaded.state!.resources.map((r) => [r.address, r.adopt])).toEqual([
      ['Project/alpha', true],
      ['Project/zeta', true],
      ['Application/web', true],
    ]);
    expect(a.imported.map((o) => `${o.kind}/${o.name}:${o.id}:${o.file}`)).toEqual([
      'Project/alpha:p-1:projects.yaml',
      'Project/zeta:p-2:projects.yaml',
      'Application/web:a-1:applications.yaml',
    ]);
  });

  it('keeps metadata.lifecycle.preventDestroy that owned objects record, and not as a tag', () => {
    const state = live({
      projects: [
        project(ORG, 'default'),
        project('p-1', 'data', 'Lake [scw-gitops:default:prevent-destroy]'),
      ],
      applications: [
        app('a-1', 'web', ['team=web', 'scw-gitops-prevent-destroy=default', 'scw-gitops=default']),
        app('a-2', 'api', ['scw-gitops=default']),
      ],
      apiKeys: [
        key('SCWAAAAAAAAAAAAAAAAA', 'a-1', {
          description: 'CI [scw-gitops:default:web:ready:prevent-destroy]',
        }),
      ],
    });
    const r = generateImport(state, opts);
    const loaded = loadDesiredFromTexts(
      'x',
      [...r.files].map(([file, text]) => ({ file, text })),
      opts,
    );
    const guarded = loaded.state!.resources.filter((x) => x.preventDestroy === true).map((x) => x.address);
    expect(guarded).toEqual(['Project/data', 'Application/web', 'ApiKey/web']);
    const web = loaded.state!.resources.find((x) => x.address === 'Application/web');
    expect(web?.kind === 'Application' && web.tags).toEqual(['team=web']);
  });

  it('skips managed objects, other instances, shared names and what the model cannot express', () => {
    const r = generateImport(
      live({
        projects: [project(ORG, 'default'), project('p-x', 'theirs', 'x [scw-gitops:other]')],
        applications: [
          app('a-m', 'vpn', [], { managed: true, editable: false, deletable: false }),
          app('a-o', 'other', ['scw-gitops=other']),
          app('a-d1', 'twin'),
          app('a-d2', 'twin'),
          app('a-ok', 'ok'),
          app('a-ours', 'mine', ['scw-gitops=default', 'keep']),
        ],
        policies: [
          policy('pol-u', 'for a user', { type: 'user', id: 'u-1' }),
          policy('pol-r', 'root scope', { type: 'application', id: 'a-ok' }),
          policy('pol-e', 'empty', { type: 'none' }),
        ],
        rules: new Map([
          ['pol-u', [rule({ type: 'organization', organizationId: ORG })]],
          ['pol-r', [rule({ type: 'account_root_user', accountRootUserId: 'x' })]],
          ['pol-e', []],
        ]),
      }),
      opts,
    );
    expect(reasons(r)).toMatchObject({
      [`Project/default@${ORG}`]: expect.stringContaining('info: the organization'),
      'Project/theirs@p-x': 'info: owned by scw-gitops instance "other"',
      'Application/vpn@a-m': 'info: managed by Scaleway, not editable, not deletable',
      'Application/other@a-o': 'info: owned by scw-gitops instance "other"',
      'Application/twin@a-d1': expect.stringContaining('warning: 2 live applications are named "twin"'),
      'Application/twin@a-d2': expect.stringContaining('warning: 2 live applications are named "twin"'),
      'Policy/for a user@pol-u': expect.stringContaining('principal is the user u-1'),
      'Policy/root scope@pol-r': expect.stringContaining('account root user'),
      'Policy/empty@pol-e': expect.stringContaining('no rules'),
    });
    expect(r.imported.map((o) => `${o.kind}/${o.name}`)).toEqual(['Application/mine', 'Application/ok']);
    expect(r.files.get('applications.yaml')).toContain('tags:\n    - keep\n');
  });

  it('drops what the validator refuses and, in turn, whatever refers to it', () => {
    const r = generateImport(
      live({
        applications: [
          app('a-1', 'bad/name'),
          app('a-2', 'good', [], { description: 'x'.repeat(200) }),
          app('a-3', 'fine'),
        ],
        groups: [group('g-1', 'team', ['a-1', 'a-3'], ['u-1'])],
        apiKeys: [key('SCW00000000000000001', 'a-1'), key('SCW00000000000000003', 'a-3')],
      }),
      opts,
    );
    const why = reasons(r);
    expect(why['Application/bad/name@a-1']).toMatch(
      /^warning: refused by the validator: metadata.name: .*\[invalid-name\]$/,
    );
    expect(why['Group/team@g-1']).toMatch(/^warning: depends on an object that is not imported: .*bad\/name/);
    expect(why['ApiKey/bad-name@SCW00000000000000001']).toMatch(/depends on an object that is not imported/);
    expect(r.imported.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'Application/fine',
      'Application/good',
      'ApiKey/fine',
    ]);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('names keys after their application and adopts them by access key; users and expired keys are skipped', () => {
    const r = generateImport(
      live({
        projects: [project(ORG, 'default'), project('p-1', 'web')],
        applications: [app('a-1', 'CI Runner (prod)')],
        apiKeys: [
          key('SCW00000000000000002', 'a-1', {
            createdAt: '2026-02-01T00:00:00.000000Z',
            defaultProjectId: 'p-1',
          }),
          key('SCW00000000000000001', 'a-1', {
            description: 'deploys',
            expiresAt: '2026-12-31T00:00:30.000000Z',
          }),
          key('SCW00000000000000003', 'a-1', { expiresAt: '2026-03-01T00:00:00.000000Z' }),
          key('SCW00000000000000004', 'u-1', { bearer: { type: 'user', id: 'u-1' } }),
        ],
      }),
      opts,
    );
    const loaded = loadDesiredFromTexts(
      'x',
      [...r.files].map(([file, text]) => ({ file, text })),
      opts,
    );
    const keys = loaded.state!.resources.filter((x) => x.kind === 'ApiKey');
    expect(keys).toMatchObject([
      {
        name: 'ci-runner-prod',
        application: 'CI Runner (prod)',
        description: 'deploys',
        defaultProject: 'default',
        adoptAccessKey: 'SCW00000000000000001',
        // A date someone chose: kept as that date, not turned into a rotating lifetime.
        expiresAt: '2026-12-31T00:00:30.000000Z',
        rotation: {},
      },
      { name: 'ci-runner-prod-2', defaultProject: 'web', adoptAccessKey: 'SCW00000000000000002' },
    ]);
    const why = reasons(r);
    expect(why['ApiKey/CI Runner (prod)@SCW00000000000000003']).toBe(
      'warning: expired at 2026-03-01T00:00:00.000000Z',
    );
    expect(why['ApiKey/user u-1@SCW00000000000000004']).toContain('belongs to a user');
  });

  it('imports keys only with includeKeys', () => {
    const r = generateImport(
      live({ applications: [app('a-1', 'ci')], apiKeys: [key('SCW00000000000000001', 'a-1')] }),
      { ...opts, includeKeys: false },
    );
    expect(r.files.has('api-keys.yaml')).toBe(false);
    expect(reasons(r)['ApiKey/ci@SCW00000000000000001']).toBe(
      'info: API keys are imported with --include-keys',
    );
  });

  it('acknowledges dangerous grants it imports, and says so', () => {
    const r = generateImport(
      live({
        applications: [app('a-1', 'admin')],
        policies: [policy('pol-1', 'admin', { type: 'application', id: 'a-1' })],
        rules: new Map([['pol-1', [rule({ type: 'organization', organizationId: ORG }, ['IAMManager'])]]]),
      }),
      opts,
    );
    expect(r.files.get('policies.yaml')).toContain('acknowledgeDangerousPermissions: true');
    expect(r.notes).toEqual([
      expect.stringContaining('Policy/admin: grants IAM/organization management rights'),
    ]);
  });
});

describe('key names and lifetimes', () => {
  it.each([
    ['CI Runner', 'ci-runner'],
    ['etl_worker (nightly)', 'etl-worker-nightly'],
    ['...', 'key'],
    ['A'.repeat(80), 'a'.repeat(56)],
  ])('%s → %s', (input, name) => {
    expect(keyNameBase(input)).toBe(name);
  });
});

describe('spec.adoptAccessKey validation', () => {
  const doc = (name: string, ak: string, adopt = true) => `---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: ${name}
${adopt ? '  adopt: true\n' : ''}spec:
  application: ci
  adoptAccessKey: ${ak}
`;
  const app = `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci
`;
  const codes = (text: string) =>
    loadDesiredFromTexts('x', [{ file: 'k.yaml', text: app + text }], opts)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => `${d.resource} ${d.field} ${d.code}`);

  it('accepts an access key with metadata.adopt', () => {
    expect(codes(doc('ci', 'SCW0123456789ABCDEFG'))).toEqual([]);
  });
  it('needs metadata.adopt: true', () => {
    expect(codes(doc('ci', 'SCW0123456789ABCDEFG', false))).toEqual([
      'ApiKey/ci spec.adoptAccessKey adopt-required',
    ]);
  });
  it('must look like an access key', () => {
    expect(codes(doc('ci', 'scw-not-a-key'))).toEqual(['ApiKey/ci spec.adoptAccessKey invalid-access-key']);
  });
  it('adopts one live key once', () => {
    expect(codes(doc('a', 'SCW0123456789ABCDEFG') + doc('b', 'SCW0123456789ABCDEFG'))).toEqual([
      'ApiKey/a spec.adoptAccessKey duplicate-adopt',
      'ApiKey/b spec.adoptAccessKey duplicate-adopt',
    ]);
  });
});

describe('objects this instance owns, and what the sinks record', () => {
  const D = 86_400_000;
  const created = '2026-05-01T09:17:23.456Z';
  const plus = (ms: number) => new Date(Date.parse(created) + ms).toISOString();
  const ours = (name: string, state: string, description = '') =>
    `${description}${description ? ' ' : ''}[scw-gitops:default:${name}:${state}]`;
  const sinks = [
    { name: 'local', type: 'file', format: 'dotenv' as const },
    { name: 'cluster', type: 'kubernetes', namespace: 'apps' },
  ];
  const record = (
    sink: string,
    location: Record<string, string>,
    accessKey: string,
    metadata: Record<string, string> = {},
  ) => ({ location: { sink, ...location }, accessKey, metadata: { accessKey, ...metadata } });
  const ownedOpts: ImportOptions = {
    ...opts,
    includeKeys: false,
    sinkNames: ['local', 'cluster'],
    sinks,
  };

  function keysOf(r: ReturnType<typeof generateImport>) {
    const loaded = loadDesiredFromTexts(
      'x',
      [...r.files].map(([file, text]) => ({ file, text })),
      ownedOpts,
    );
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return Object.fromEntries(
      loaded.state!.resources.filter((x) => x.kind === 'ApiKey').map((k) => [k.name, k]),
    );
  }

  it('writes owned objects without adopt, and unmarked ones with it', () => {
    const r = generateImport(
      live({
        projects: [
          project(ORG, 'default'),
          project('p-1', 'mine', 'ours [scw-gitops:default]'),
          project('p-2', 'new'),
        ],
        applications: [app('a-1', 'api', ['team=a', 'scw-gitops=default']), app('a-2', 'web')],
      }),
      ownedOpts,
    );
    const loaded = loadDesiredFromTexts(
      'x',
      [...r.files].map(([file, text]) => ({ file, text })),
      ownedOpts,
    );
    expect(loaded.state!.resources.map((x) => [x.address, x.adopt])).toEqual([
      ['Project/mine', false],
      ['Project/new', true],
      ['Application/api', false],
      ['Application/web', true],
    ]);
    expect(r.files.get('projects.yaml')).toContain(
      '# project p-1, created 2026-01-01T00:00:00.000000Z, already owned by this instance',
    );
    expect(r.imported.map((o) => `${o.kind}/${o.name}:${o.adopt}`)).toEqual([
      'Project/mine:false',
      'Project/new:true',
      'Application/api:false',
      'Application/web:true',
    ]);
  });

  it('restores expiry, rotation and location from the record that holds the access key', () => {
    const r = generateImport(
      live({
        applications: [app('a-1', 'api', ['scw-gitops=default'])],
        apiKeys: [
          key('SCW00000000000000001', 'a-1', {
            description: ours('api-prod', 'ready', 'prod'),
            createdAt: created,
            expiresAt: plus(30 * D + 1_234),
          }),
          key('SCW00000000000000002', 'a-1', {
            description: ours('ci', 'ready'),
            createdAt: created,
            expiresAt: '2030-01-31T00:00:00Z',
          }),
          key('SCW00000000000000003', 'a-1', { description: ours('agent', 'ready'), createdAt: created }),
        ],
      }),
      {
        ...ownedOpts,
        records: [
          record('local', { path: 'prod/api.env' }, 'SCW00000000000000001', {
            keyName: 'api-prod',
            rotation: 'lifetime=30d rotateBefore=10d overlap=1h',
          }),
          record('cluster', { namespace: 'ci', secretName: 'ci' }, 'SCW00000000000000002', {
            keyName: 'ci',
            rotation: 'expiresAt=fixed',
          }),
          record('cluster', { namespace: 'apps', secretName: 'agent' }, 'SCW00000000000000003', {
            keyName: 'agent',
            rotation: 'maxAge=180d overlap=2h',
          }),
        ],
      },
    );
    const keys = keysOf(r);
    expect(keys['api-prod']).toMatchObject({
      adopt: false,
      description: 'prod',
      rotation: { lifetimeMs: 30 * D, rotateBeforeMs: 10 * D, overlapMs: 3_600_000 },
      sink: { sink: 'local', path: 'prod/api.env' },
    });
    expect(keys['api-prod']).not.toHaveProperty('adoptAccessKey');
    expect(keys['ci']).toMatchObject({
      expiresAt: '2030-01-31T00:00:00Z',
      sink: { sink: 'cluster', namespace: 'ci' },
    });
    expect(keys['ci']!.rotation).toEqual({});
    // Default namespace and Secret name: only the sink's name is written.
    expect(keys['agent']).toMatchObject({ sink: { sink: 'cluster' }, rotation: { maxAgeMs: 180 * D } });
    expect(keys['agent']).not.toHaveProperty('sink.secretName');
    expect(r.notes).toEqual([]);
  });

  it('without a usable record: a date for keys it did not create, whole days or hours as a lifetime for its own', () => {
    const r = generateImport(
      live({
        applications: [app('a-1', 'api', ['scw-gitops=default'])],
        apiKeys: [
          key('SCW00000000000000001', 'a-1', {
            description: ours('monthly', 'ready'),
            createdAt: created,
            expiresAt: plus(30 * D + 40_000),
          }),
          key('SCW00000000000000002', 'a-1', {
            description: ours('fixed', 'ready'),
            createdAt: created,
            expiresAt: '2030-01-31T00:00:00Z',
          }),
          key('SCW00000000000000003', 'a-1', {
            description: ours('adopted', 'external'),
            createdAt: created,
            expiresAt: plus(90 * D),
          }),
          key('SCW00000000000000004', 'a-1', {
            description: ours('default-lifetime', 'ready'),
            createdAt: created,
            expiresAt: plus(90 * D),
          }),
        ],
      }),
      {
        ...ownedOpts,
        defaultLifetimeMs: 90 * D,
        // An old record: no `rotation` field.
        records: [record('local', { path: 'monthly.env' }, 'SCW00000000000000001', { keyName: 'monthly' })],
      },
    );
    const keys = keysOf(r);
    expect(keys['monthly']).toMatchObject({ rotation: { lifetimeMs: 30 * D }, sink: { sink: 'local' } });
    expect(keys['fixed']).toMatchObject({ expiresAt: '2030-01-31T00:00:00Z' });
    // Adopted, as it was declared: adopt + adoptAccessKey, and the date it was given.
    expect(keys['adopted']).toMatchObject({
      adopt: true,
      adoptAccessKey: 'SCW00000000000000003',
      expiresAt: plus(90 * D),
    });
    expect(keys['default-lifetime']).not.toHaveProperty('expiresAt');
    expect(keys['default-lifetime']!.rotation).toEqual({});
    expect(r.files.get('api-keys.yaml')).toContain(
      'replace it by spec.lifetime (90d: its current lifetime) to have scw-gitops rotate it',
    );
    expect(r.notes).toEqual([
      'ApiKey/default-lifetime: its expiry was not recorded; imported as a 90d lifetime (rotated before it expires), review',
      'ApiKey/default-lifetime: no record in the configured sinks holds SCW00000000000000004; unless spec.sink names where its secret is, the plan replaces the key (custody-lost)',
      'ApiKey/fixed: its expiry was not recorded; imported as the fixed expiresAt 2030-01-31T00:00:00Z (not rotated automatically), review',
      'ApiKey/fixed: no record in the configured sinks holds SCW00000000000000002; unless spec.sink names where its secret is, the plan replaces the key (custody-lost)',
      'ApiKey/monthly: its expiry was not recorded; imported as a 30d lifetime (rotated before it expires), review',
    ]);
  });

  it('chooses among several records, and falls back to a record written for the name', () => {
    const r = generateImport(
      live({
        applications: [app('a-1', 'api', ['scw-gitops=default'])],
        apiKeys: [
          key('SCW00000000000000001', 'a-1', { description: ours('copied', 'ready') }),
          key('SCW00000000000000002', 'a-1', { description: ours('moved', 'ready') }),
          key('SCW00000000000000003', 'a-1', { description: ours('lost', 'ready') }),
        ],
      }),
      {
        ...ownedOpts,
        records: [
          record('local', { path: 'backup/copied.env' }, 'SCW00000000000000001', { keyName: 'copied' }),
          record('local', { path: 'copied.env' }, 'SCW00000000000000001', { keyName: 'copied' }),
          record('local', { path: 'team/moved.env' }, 'SCW0000000000000000X', {
            keyName: 'moved',
            instance: 'default',
          }),
          record('local', { path: 'other.env' }, 'SCW0000000000000000Y', {
            keyName: 'moved',
            instance: 'other',
          }),
        ],
      },
    );
    const keys = keysOf(r);
    expect(keys['copied']!.sink).toEqual({ sink: 'local' });
    expect(keys['moved']!.sink).toEqual({ sink: 'local', path: 'team/moved.env' });
    expect(keys['lost']!.sink).toEqual({});
    expect(r.notes).toEqual([
      'ApiKey/copied: SCW00000000000000001 is in several records; spec.sink names local: copied.env, not local: backup/copied.env',
      'ApiKey/lost: no record in the configured sinks holds SCW00000000000000003; unless spec.sink names where its secret is, the plan replaces the key (custody-lost)',
      'ApiKey/moved: the record in local: team/moved.env holds SCW0000000000000000X, not SCW00000000000000002; the plan replaces the key there (custody-lost)',
    ]);
  });
});
