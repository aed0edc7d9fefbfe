import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import type { DesiredApiKey, DesiredGroup, DesiredPolicy, DesiredResource } from '../../src/model/desired.js';
import { fieldLocation } from '../../src/model/desired.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { header, NOW } from './helpers.js';

const repo = join(import.meta.dirname, '..', '..');
const opts = { instance: 'default', now: NOW };

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'scw-gitops-desired-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function put(rel: string, text: string): Promise<void> {
  await mkdir(join(tmp, rel, '..'), { recursive: true });
  await writeFile(join(tmp, rel), text);
}

describe('directory walk', () => {
  it('reads .yaml and .yml files recursively in sorted order, skipping hidden entries and other files', async () => {
    await put('b.yaml', header('Application', 'b'));
    await put('a.yml', header('Application', 'a'));
    await put('sub/deeper/c.YAML', header('Application', 'c'));
    await put('sub/README.md', 'not yaml: [');
    await put('.git/config.yaml', 'broken: [');
    await put('.hidden.yaml', 'broken: [');
    await put('notes.txt', 'broken: [');
    // Errors in every read file show which files were read, and in which order.
    await put('z.yaml', 'broken: [\n');
    await put('sub/a.yaml', 'broken: [\n');
    const r = await loadDesiredState(tmp, opts);
    expect(r.diagnostics.map((d) => d.location?.file)).toEqual(['sub/a.yaml', 'z.yaml']);
    await rm(join(tmp, 'z.yaml'));
    await rm(join(tmp, 'sub/a.yaml'));
    const ok = await loadDesiredState(tmp, opts);
    expect(ok.diagnostics).toEqual([]);
    expect(ok.state?.root).toBe(tmp);
    expect(ok.state?.resources.map((x) => [x.address, x.source.file])).toEqual([
      ['Application/a', 'a.yml'],
      ['Application/b', 'b.yaml'],
      ['Application/c', 'sub/deeper/c.YAML'],
    ]);
  });

  it('follows a symlinked root (git-sync) and symlinks inside the tree, without looping', async () => {
    await put('rev-1/apps/app.yaml', header('Application', 'app'));
    await put('rev-1/common/p.yaml', header('Project', 'p'));
    await symlink(join(tmp, 'rev-1', 'common'), join(tmp, 'rev-1', 'shared'));
    await symlink(join(tmp, 'rev-1'), join(tmp, 'rev-1', 'apps', 'loop'));
    await symlink(join(tmp, 'rev-1'), join(tmp, 'current'));
    const r = await loadDesiredState(join(tmp, 'current'), opts);
    expect(r.diagnostics).toEqual([]);
    expect(r.state?.resources.map((x) => [x.address, x.source.file])).toEqual([
      ['Project/p', 'common/p.yaml'],
      ['Application/app', 'apps/app.yaml'],
    ]);
  });

  it("follows git-sync's link above a sub-directory root (current/iam)", async () => {
    await put('.worktrees/abc123/iam/app.yaml', header('Application', 'app'));
    await put('.worktrees/abc123/iam/keys/k.yaml', header('Project', 'k'));
    await symlink(join(tmp, '.worktrees', 'abc123'), join(tmp, 'current'));
    const r = await loadDesiredState(join(tmp, 'current', 'iam'), opts);
    expect(r.diagnostics).toEqual([]);
    expect(r.state?.resources.map((x) => x.source.file)).toEqual(['keys/k.yaml', 'app.yaml']);
  });

  it('refuses symlinks that lead outside the desired-state directory, naming them', async () => {
    await put('desired/app.yaml', header('Application', 'app'));
    await put('elsewhere/p.yaml', header('Project', 'p'));
    await put('secrets/key.yaml', 'not: for you\n');
    await symlink(join(tmp, 'elsewhere'), join(tmp, 'desired', 'shared'));
    await symlink(join(tmp, 'secrets', 'key.yaml'), join(tmp, 'desired', 'leak.yaml'));
    await symlink(join(tmp, 'secrets', 'key.yaml'), join(tmp, 'desired', 'notes.txt')); // not YAML: not read anyway
    const r = await loadDesiredState(join(tmp, 'desired'), opts);
    expect(r.state).toBeUndefined();
    const real = await realpath(tmp);
    expect(r.diagnostics.map((d) => [d.code, d.location?.file, d.message])).toEqual([
      [
        'symlink-outside-source',
        'leak.yaml',
        `leak.yaml is a symbolic link to ${join(real, 'secrets', 'key.yaml')}, outside the desired-state directory ${join(real, 'desired')}; it is not followed`,
      ],
      [
        'symlink-outside-source',
        'shared',
        `shared is a symbolic link to ${join(real, 'elsewhere')}, outside the desired-state directory ${join(real, 'desired')}; it is not followed`,
      ],
    ]);
  });

  it('accepts a single file as root', async () => {
    await put('one.yaml', header('Project', 'p'));
    const r = await loadDesiredState(join(tmp, 'one.yaml'), opts);
    expect(r.diagnostics).toEqual([]);
    expect(r.state?.resources[0]?.source).toEqual({ file: 'one.yaml', line: 4, col: 9 });
  });

  it('reports a missing root as a diagnostic', async () => {
    const r = await loadDesiredState(join(tmp, 'nope'), opts);
    expect(r.state).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'root-not-found' });
    expect(r.diagnostics[0]?.message).toContain('ENOENT');
  });

  it('warns about an empty desired state (it would prune everything)', async () => {
    await put('empty.yaml', '# nothing yet\n');
    const r = await loadDesiredState(tmp, opts);
    expect(r.state?.resources).toEqual([]);
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'empty-state']]);
  });

  it('strips a UTF-8 byte order mark', async () => {
    await put('bom.yaml', `\uFEFF${header('Project', 'p')}`);
    const r = await loadDesiredState(tmp, opts);
    expect(r.diagnostics).toEqual([]);
  });
});

describe('examples', () => {
  it('examples/basic loads with no diagnostic at all', async () => {
    const r = await loadDesiredState(join(repo, 'examples', 'basic'), { ...opts, sinkNames: ['local'] });
    expect(r.diagnostics).toEqual([]);
    const count = (kind: string) => r.state?.resources.filter((x) => x.kind === kind).length;
    expect([
      count('Project'),
      count('Application'),
      count('ApiKey'),
      count('Policy'),
      count('Group'),
    ]).toEqual([3, 5, 6, 5, 1]);
  });

  it('examples/invalid reports every mistake at once, sorted, and no state', async () => {
    const r = await loadDesiredState(join(repo, 'examples', 'invalid'), { ...opts, sinkNames: ['local'] });
    expect(r.state).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "mistakes.yaml:11:9: error [reserved-name] Project/default metadata.name: the project `default` is the organization's default project and belongs to Scaleway; it cannot be declared (refer to it as `default` from ApiKey.spec.defaultProject or Policy rules without declaring it)",
      'mistakes.yaml:13:3: error [unknown-field] Project/default spec.descripton: unknown field `descripton` in `spec` (did you mean `description`?)',
      'mistakes.yaml:16:7: error [unknown-kind] kind: unknown kind "Aplication"; expected one of Project, Application, Group, Policy, ApiKey (did you mean `Application`?)',
      'mistakes.yaml:23:9: error [invalid-name] Application/web app  metadata.name: "web app " is not valid: letters, digits, `_`, `(`, `)`, `.`, `-`, words separated by spaces',
      'mistakes.yaml:25:20: error [invalid-tag] Application/web app  spec.tags[1]: "scw-gitops=prod" is not valid: tags starting with `scw-gitops=` are reserved for scw-gitops ownership',
      'mistakes.yaml:30:9: error [invalid-name] ApiKey/Deploy_Key metadata.name: "Deploy_Key" is not valid: lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit; used as file, Vault path and Kubernetes Secret name',
      'mistakes.yaml:32:16: error [dangling-reference] ApiKey/Deploy_Key spec.application: refers to Application "deployer", which is not declared',
      'mistakes.yaml:34:3: error [conflicting-fields] ApiKey/Deploy_Key spec.lifetime: `expiresAt` and `lifetime` cannot be used together; use only one of `expiresAt`, `lifetime`',
      'mistakes.yaml:36:19: error [invalid-duration] ApiKey/Deploy_Key spec.rotation.rotateBefore: "3 days" is not valid: a duration such as `90d`, `12h`, `30m`, `45s`, `1w` or `1d12h`',
      'mistakes.yaml:38:11: error [unknown-sink] ApiKey/Deploy_Key spec.sink.name: sink "vault" is not declared in the settings (sinks: local)',
      'mistakes.yaml:46:18: error [dangling-reference] Policy/deployer spec.principal.application: refers to Application "deployer", which is not declared',
      'mistakes.yaml:47:5: error [conflicting-fields] Policy/deployer spec.principal.group: `application` and `group` cannot be used together; use only one of `application`, `group`, `none`',
      'mistakes.yaml:47:12: error [dangling-reference] Policy/deployer spec.principal.group: refers to Group "admins", which is not declared',
      'mistakes.yaml:49:24: error [dangerous-permissions] Policy/deployer spec.rules[0].permissionSets[0]: IAMManager lets its holder manage IAM or the organization (including granting itself more rights) (set `spec.acknowledgeDangerousPermissions: true` if this is intended)',
    ]);
  });
});

describe('conversion to the desired model', () => {
  const byAddress = (resources: readonly DesiredResource[], a: string) =>
    resources.find((x) => x.address === a);

  it('maps every field, with defaults, sources and field sources', async () => {
    await put(
      'all.yaml',
      `${header('Project', 'web')}  adopt: true
---
${header('Application', 'app')}spec:
  description: the app
  tags: [a, b]
---
${header('Group', 'g')}spec:
  members:
    applications: [app]
---
${header('Policy', 'p')}spec:
  principal: { group: g }
  rules:
    - permissionSets: [ObjectStorageReadOnly]
      projects: [web, default]
      condition: "1 == 1"
    - permissionSets: [IAMReadOnly]
      organization: true
---
${header('ApiKey', 'k1')}spec:
  application: app
  lifetime: 30d
  rotation: { rotateBefore: 10d, overlap: 1h }
  sink: { name: local, path: k/one.env, namespace: ns, secretName: k-one }
---
${header('ApiKey', 'k2')}spec:
  application: app
  defaultProject: web
  description: fixed
  expiresAt: "2030-01-01T00:00:00+02:00"
`,
    );
    const r = await loadDesiredState(tmp, opts);
    expect(r.diagnostics).toEqual([]);
    const res = r.state!.resources;
    expect(res.map((x) => x.address)).toEqual([
      'Project/web',
      'Application/app',
      'Group/g',
      'Policy/p',
      'ApiKey/k1',
      'ApiKey/k2',
    ]);
    expect(byAddress(res, 'Project/web')).toMatchObject({ kind: 'Project', adopt: true, description: '' });
    expect(byAddress(res, 'Application/app')).toMatchObject({
      adopt: false,
      description: 'the app',
      tags: ['a', 'b'],
      source: { file: 'all.yaml', line: 10, col: 9 },
    });
    const app = byAddress(res, 'Application/app')!;
    expect(
      Object.fromEntries(
        ['metadata.name', 'spec.description', 'spec.tags', 'spec.tags[1]', 'spec.nothing'].map((f) => [
          f,
          fieldLocation(app, f),
        ]),
      ),
    ).toEqual({
      'metadata.name': { file: 'all.yaml', line: 10, col: 3 },
      'spec.description': { file: 'all.yaml', line: 12, col: 3 },
      'spec.tags': { file: 'all.yaml', line: 13, col: 3 },
      'spec.tags[1]': { file: 'all.yaml', line: 13, col: 13 },
      'spec.nothing': undefined,
    });
    // one string, not an object per field (a large state's memory)
    expect(typeof app.fieldLocations).toBe('string');
    expect((byAddress(res, 'Group/g') as DesiredGroup).memberApplications).toEqual(['app']);
    const p = byAddress(res, 'Policy/p') as DesiredPolicy;
    expect(p.principal).toEqual({ type: 'group', name: 'g' });
    expect(p.acknowledgeDangerousPermissions).toBe(false);
    expect(p.rules).toEqual([
      {
        permissionSets: ['ObjectStorageReadOnly'],
        scope: { type: 'projects', projects: ['web', 'default'] },
        condition: '1 == 1',
      },
      { permissionSets: ['IAMReadOnly'], scope: { type: 'organization' }, condition: '' },
    ]);
    const k1 = byAddress(res, 'ApiKey/k1') as DesiredApiKey;
    expect(k1).toMatchObject({
      application: 'app',
      defaultProject: 'default',
      description: '',
      rotation: { lifetimeMs: 30 * 86_400_000, rotateBeforeMs: 10 * 86_400_000, overlapMs: 3_600_000 },
      sink: { sink: 'local', path: 'k/one.env', namespace: 'ns', secretName: 'k-one' },
    });
    expect(k1.expiresAt).toBeUndefined();
    const k2 = byAddress(res, 'ApiKey/k2') as DesiredApiKey;
    expect(k2).toMatchObject({
      defaultProject: 'web',
      description: 'fixed',
      expiresAt: '2030-01-01T00:00:00+02:00',
      rotation: {},
      sink: {},
    });
  });
});
