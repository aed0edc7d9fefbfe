import { describe, expect, it } from 'vitest';
import { type PlanStep, type SinkObservation, targetId } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions, pruneAll } from '../../src/planner/options.js';
import {
  accessKey,
  dApp,
  desired,
  dGroup,
  dKey,
  dPolicy,
  dProject,
  lApp,
  lGroup,
  lKey,
  lPolicy,
  lProject,
  lRule,
  liveState,
  ORG,
  uuid,
} from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' } as const;
const DAY = 86_400_000;

function plan(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  o: Partial<PlanOptions> = {},
  sinks: Record<string, SinkObservation> = {},
  now = NOW,
) {
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map(Object.entries(sinks)) as Map<Address, SinkObservation>,
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', ...o }),
    now,
  });
}

const ids = (p: ReturnType<typeof plan>) => p.steps.map((s) => s.id);
/** A field some step variants have (the union does not let the others be read). */
const field = (s: PlanStep, name: string): unknown => (s as unknown as Record<string, unknown>)[name];
const codes = (p: ReturnType<typeof plan>) => p.diagnostics.map((d) => `${d.severity}:${d.code}`);

describe('buildPlan: creates and ordering', () => {
  it('creates everything on an empty org in dependency order with waves', () => {
    const p = plan(
      desired(
        dProject('web'),
        dApp('app'),
        dGroup('ops', { memberApplications: ['app'] }),
        dPolicy('ops-read', {
          principal: { type: 'group', name: 'ops' },
          rules: [
            {
              permissionSets: ['ObjectStorageReadOnly'],
              scope: { type: 'projects', projects: ['web'] },
              condition: '',
            },
          ],
        }),
        dKey('ci', { application: 'app', defaultProject: 'web' }),
      ),
      liveState(),
    );
    expect(p.diagnostics).toEqual([]);
    expect(ids(p)).toEqual([
      'create:Project/web',
      'create:Application/app',
      'create:Group/ops',
      'create:ApiKey/ci',
      'create:Policy/ops-read',
    ]);
    const byId = new Map(p.steps.map((s) => [s.id, s]));
    expect(byId.get('create:Group/ops')!.dependsOn).toEqual(['create:Application/app']);
    expect(byId.get('create:Group/ops')!.wave).toBe(1);
    expect(byId.get('create:Policy/ops-read')!.dependsOn).toEqual(['create:Group/ops', 'create:Project/web']);
    expect(byId.get('create:Policy/ops-read')!.wave).toBe(2);
    const key = byId.get('create:ApiKey/ci')!;
    expect(
      key.action === 'create' &&
        key.after.kind === 'ApiKey' && [key.after.application, key.after.defaultProject],
    ).toEqual([
      { address: 'Application/app', step: 'create:Application/app' },
      { address: 'Project/web', step: 'create:Project/web' },
    ]);
    expect(key.action === 'create' && key.after.kind === 'ApiKey' && key.after.sink).toEqual({
      sink: 'local',
      type: 'file',
      path: 'ci.env',
      target: 'file:/var/lib/scw-gitops/secrets/ci.env',
    });
    expect(p.summary).toEqual({ create: 5, update: 0, replace: 0, delete: 0, adopt: 0 });
  });

  it('is deterministic: same input, same JSON', () => {
    const d = desired(dApp('b'), dApp('a'), dKey('k', { application: 'a' }));
    const l = liveState({ applications: [lApp('zz')] });
    expect(JSON.stringify(plan(d, l))).toBe(JSON.stringify(plan(d, l)));
  });

  it('resolves the default project to the organization id', () => {
    const p = plan(desired(dApp('app'), dKey('k')), liveState({ applications: [lApp('app')] }));
    const key = p.steps[0]!;
    expect(
      key.action === 'create' &&
        key.after.kind === 'ApiKey' && [key.after.application, key.after.defaultProject],
    ).toEqual([
      { address: 'Application/app', id: uuid('app:app') },
      { address: 'Project/default', id: ORG },
    ]);
  });
});

describe('buildPlan: updates', () => {
  it('reports description and tag drift, ignoring our ownership tag', () => {
    const p = plan(
      desired(dApp('app', { description: 'new', tags: ['a', 'b'] })),
      liveState({ applications: [lApp('app', { description: 'old', tags: ['a'] })] }),
    );
    expect(p.steps).toHaveLength(1);
    expect(p.steps[0]!.action).toBe('update');
    expect(p.steps[0]!.changes).toEqual([
      { field: 'description', before: 'old', after: 'new' },
      { field: 'tags', before: ['a'], after: ['a', 'b'] },
    ]);
  });

  it('no changes when equal', () => {
    const p = plan(
      desired(dApp('app', { tags: ['x'] })),
      liveState({ applications: [lApp('app', { tags: ['x'] })] }),
    );
    expect(p.steps).toEqual([]);
  });

  it('group membership compared as a set, shown by name', () => {
    const same = plan(
      desired(dApp('a'), dApp('b'), dGroup('g', { memberApplications: ['b', 'a'] })),
      liveState({
        applications: [lApp('a'), lApp('b')],
        groups: [lGroup('g', { applicationIds: [uuid('app:a'), uuid('app:b')] })],
      }),
    );
    expect(same.steps).toEqual([]);
    const p = plan(
      desired(dApp('a'), dApp('b'), dGroup('g', { memberApplications: ['b', 'a'] })),
      liveState({
        applications: [lApp('a'), lApp('b')],
        groups: [lGroup('g', { applicationIds: [uuid('app:a')] })],
      }),
    );
    expect(p.steps.map((s) => s.changes)).toEqual([[{ field: 'members', before: ['a'], after: ['b', 'a'] }]]);
  });

  it('compares policy rules by content, not id or order', () => {
    const pol = lPolicy('p', { nbRules: 2 });
    const live = liveState({
      projects: [lProject('web'), ...liveState().projects],
      policies: [pol],
      rules: {
        [pol.id]: [
          lRule('1', {
            permissionSetNames: ['B', 'A'],
            scope: { type: 'projects', projectIds: [uuid('project:web')] },
          }),
          lRule('2', { permissionSetNames: ['IAMReadOnly'] }),
        ],
      },
    });
    const same = desired(
      dProject('web'),
      dPolicy('p', {
        rules: [
          { permissionSets: ['IAMReadOnly'], scope: { type: 'organization' }, condition: '' },
          { permissionSets: ['A', 'B'], scope: { type: 'projects', projects: ['web'] }, condition: '' },
        ],
      }),
    );
    expect(plan(same, live).steps).toEqual([]);
    const changed = desired(
      dProject('web'),
      dPolicy('p', {
        rules: [{ permissionSets: ['IAMReadOnly'], scope: { type: 'organization' }, condition: '' }],
      }),
    );
    const p = plan(changed, live);
    expect(p.steps[0]!.changes[0]!.field).toBe('rules');
    expect(p.steps[0]!.changes[0]!.before).toEqual(['A, B on projects [web]', 'IAMReadOnly on organization']);
  });

  it('principal change is an update with names', () => {
    const p = plan(
      desired(dApp('a'), dApp('b'), dPolicy('p', { principal: { type: 'application', name: 'b' } })),
      liveState({
        applications: [lApp('a'), lApp('b')],
        policies: [lPolicy('p', { principal: { type: 'application', id: uuid('app:a') } })],
      }),
    );
    expect(p.steps[0]!.changes).toEqual([
      { field: 'principal', before: 'application:a', after: 'application:b' },
    ]);
  });
});

describe('buildPlan: ownership', () => {
  it('conflict on an unmarked object with a desired name', () => {
    const p = plan(desired(dApp('app')), liveState({ applications: [lApp('app', { instance: null })] }));
    expect(codes(p)).toEqual(['error:conflict']);
    expect(p.diagnostics[0]!.message).toContain(uuid('app:app'));
    expect(p.diagnostics[0]!.hint).toContain('adopt');
    expect(p.steps).toEqual([]);
  });

  it('adopts when asked, folding field changes into the step', () => {
    const l = liveState({ applications: [lApp('app', { instance: null, tags: ['x'] })] });
    for (const p of [
      plan(desired(dApp('app', { adopt: true })), l),
      plan(desired(dApp('app')), l, { adoptAll: true }),
    ]) {
      expect(p.steps.map((s) => [s.id, s.changes])).toEqual([
        ['adopt:Application/app', [{ field: 'tags', before: ['x'], after: [] }]],
      ]);
    }
  });

  it('never touches protected objects and refuses desired collisions with them', () => {
    const managed = lApp('vpn', { instance: null, managed: true, editable: false, deletable: false });
    const p = plan(desired(dApp('vpn', { adopt: true })), liveState({ applications: [managed] }));
    expect(codes(p)).toEqual(['error:protected-conflict']);
    const q = plan(desired(), liveState({ applications: [managed] }), { prune: pruneAll(true) });
    expect(q.steps).toEqual([]);
  });

  it('objects of other instances are invisible except name conflicts', () => {
    const other = lApp('x', { instance: 'other' });
    expect(plan(desired(), liveState({ applications: [other] }), { prune: pruneAll(true) }).steps).toEqual(
      [],
    );
    expect(codes(plan(desired(dApp('x')), liveState({ applications: [other] })))).toEqual([
      'error:foreign-owner',
    ]);
  });
});

describe('buildPlan: prune and safety', () => {
  const live = liveState({
    applications: [lApp('a'), lApp('b'), lApp('c'), lApp('d')],
  });
  it('prune off: warnings only', () => {
    const p = plan(desired(dApp('a'), dApp('b'), dApp('c')), live);
    expect(p.steps).toEqual([]);
    expect(codes(p)).toEqual(['warning:not-pruned']);
  });
  it('prune on: delete owned absent objects', () => {
    const p = plan(desired(dApp('a'), dApp('b'), dApp('c')), live, { prune: pruneAll(true) });
    expect(ids(p)).toEqual([`delete:Application/d@${uuid('app:d')}`]);
  });
  it('refuses mass deletion unless allowed', () => {
    const p = plan(desired(dApp('a')), live, { prune: pruneAll(true) });
    expect(codes(p)).toEqual(['error:mass-delete']);
    expect(p.steps).toEqual([]);
    const ok = plan(desired(dApp('a')), live, { prune: pruneAll(true), allowMassDelete: true });
    expect(ok.summary.delete).toBe(3);
    const abs = plan(desired(dApp('a')), live, {
      prune: pruneAll(true),
      maxDeletes: 2,
      maxDeletePercent: 100,
    });
    expect(codes(abs)).toEqual(['error:mass-delete']);
  });
  it('the refusal lists what it would delete, by address and id, 50 at most then a count', () => {
    const p = plan(desired(dApp('a')), live, { prune: pruneAll(true) });
    expect(p.diagnostics[0]!.details).toEqual(
      ['b', 'c', 'd'].map((n) => `Application/${n} (${uuid(`app:${n}`)})`),
    );
    const names = Array.from({ length: 61 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const many = plan(desired(dApp('s00')), liveState({ applications: names.map((n) => lApp(n)) }), {
      prune: pruneAll(true),
    });
    const details = many.diagnostics[0]!.details!;
    expect(many.diagnostics[0]!.message).toMatch(/would delete 60 of 61 owned objects/);
    expect(details).toHaveLength(51);
    expect(details[0]).toBe(`Application/s01 (${uuid('app:s01')})`);
    expect(details[49]).toBe(`Application/s50 (${uuid('app:s50')})`);
    expect(details[50]).toBe('… and 10 more');
  });
  it('a listing missing referenced applications disables pruning', () => {
    const l = liveState({
      applications: [lApp('a'), lApp('gone')],
      apiKeys: [lKey('k', { app: 'missing' })],
    });
    const p = plan(desired(dApp('a')), l, { prune: pruneAll(true) });
    expect(p.steps.filter((s) => s.action === 'delete')).toEqual([]);
    expect(codes(p)).toContain('warning:suspect-listing');
  });
  it('a project listing without the default project disables pruning', () => {
    const l = liveState({ projects: [lProject('old')], applications: [lApp('a')] });
    const p = plan(desired(dApp('a')), l, { prune: pruneAll(true) });
    expect(p.steps).toEqual([]);
    expect(codes(p)).toEqual(['warning:not-pruned', 'warning:suspect-listing']);
  });
  it('deletes in reverse dependency order after dependents', () => {
    const l = liveState({
      projects: [...liveState().projects, lProject('old')],
      applications: [lApp('a')],
      apiKeys: [lKey('k', { app: 'a', defaultProjectId: uuid('project:old') })],
      policies: [lPolicy('unrelated')],
    });
    const p = plan(desired(), l, { prune: pruneAll(true), allowMassDelete: true });
    expect(p.steps.map((s) => [s.kind, s.wave, s.dependsOn.length])).toEqual([
      ['ApiKey', 0, 0],
      ['Policy', 0, 0],
      ['Application', 1, 1],
      ['Project', 1, 1],
    ]);
  });
});

describe('buildPlan: API keys', () => {
  const app = lApp('app');
  const base = { applications: [app] };
  const d = (o = {}) => desired(dApp('app'), dKey('ci', o));

  it('rotation due (lifetime - rotateBefore) → replace, retire old', () => {
    const key = lKey('ci', { createdAt: '2026-03-01T00:00:00.000Z', expiresAt: '2026-06-10T00:00:00.000Z' });
    const p = plan(
      d({ rotation: { lifetimeMs: 101 * DAY, rotateBeforeMs: 30 * DAY } }),
      liveState({ ...base, apiKeys: [key] }),
    );
    expect(p.steps.map((s) => [s.action, s.reason, field(s, 'disposeBefore')])).toEqual([
      ['replace', 'rotation-due', 'retire'],
    ]);
  });

  it('not yet due → nothing, listed as upcoming within the window', () => {
    const key = lKey('ci', { createdAt: '2026-05-01T00:00:00.000Z', expiresAt: '2026-08-01T00:00:00.000Z' });
    const p = plan(d({ rotation: { lifetimeMs: 92 * DAY } }), liveState({ ...base, apiKeys: [key] }), {
      withinMs: 60 * DAY,
    });
    expect(p.steps).toEqual([]);
    expect(p.keys[0]!.rotateAt).toBe(
      new Date(Date.parse('2026-08-01T00:00:00.000Z') - (92 * DAY) / 3).toISOString(),
    );
    expect(p.upcoming.map((k) => k.accessKey)).toEqual([key.accessKey]);
    expect(
      plan(d({ rotation: { lifetimeMs: 92 * DAY } }), liveState({ ...base, apiKeys: [key] }), {
        withinMs: DAY,
      }).upcoming,
    ).toEqual([]);
  });

  it('max age for keys without expiry', () => {
    const key = lKey('ci', { createdAt: '2026-01-01T00:00:00.000Z' });
    const p = plan(d({ rotation: { maxAgeMs: 90 * DAY } }), liveState({ ...base, apiKeys: [key] }));
    expect(p.steps.map((s) => s.reason)).toEqual(['rotation-due']);
  });

  it('expired → deleted now, then a successor created, with a warning (test/planner/quota.test.ts)', () => {
    const key = lKey('ci', { createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-05-01T00:00:00.000Z' });
    const p = plan(d({ rotation: { lifetimeMs: 120 * DAY } }), liveState({ ...base, apiKeys: [key] }));
    expect(p.steps.map((s) => [s.action, s.reason])).toEqual([
      ['delete', 'expired'],
      ['create', 'expired'],
    ]);
    expect(p.steps[1]!.warnings[0]).toMatch(/EXPIRED/);
    expect(codes(p)).toEqual(['warning:key-expired']);
  });

  it('custody lost when the sink holds nothing or another key', () => {
    const key = lKey('ci');
    for (const obs of [{ accessKey: null }, { accessKey: accessKey('other') }]) {
      const p = plan(d(), liveState({ ...base, apiKeys: [key] }), {}, { 'ApiKey/ci': obs });
      // A consumer may hold the key whose secret the sink lost: retired, never deleted at once (I2).
      expect(p.steps.map((s) => [s.reason, field(s, 'disposeBefore')])).toEqual([['custody-lost', 'retire']]);
    }
    expect(
      plan(d(), liveState({ ...base, apiKeys: [key] }), {}, { 'ApiKey/ci': { accessKey: key.accessKey } })
        .steps,
    ).toEqual([]);
    const unread = plan(
      d(),
      liveState({ ...base, apiKeys: [key] }),
      {},
      { 'ApiKey/ci': { accessKey: null, error: 'down' } },
    );
    expect(unread.steps).toEqual([]);
    expect(codes(unread)).toEqual(['warning:sink-unreadable']);
  });

  it('pending only → one replace of the newest pending, older pendings deleted', () => {
    const p1 = lKey('p1', { name: 'ci', state: 'pending', createdAt: '2026-05-01T00:00:00.000Z' });
    const p2 = lKey('p2', { name: 'ci', state: 'pending', createdAt: '2026-05-02T00:00:00.000Z' });
    const p = plan(d(), liveState({ ...base, apiKeys: [p1, p2] }));
    // Key deletions first: they free places in the API-key quota (runsAfter, quota.test.ts).
    expect(p.steps.map((s) => [s.action, s.reason, targetId(s) ?? ''])).toEqual([
      ['delete', 'custody-lost', p1.accessKey],
      ['replace', 'custody-lost', p2.accessKey],
    ]);
  });

  it('previous keys are deleted only once the overlap has elapsed since delivery', () => {
    const old = lKey('old', { name: 'ci', state: 'retiring', createdAt: '2026-01-01T00:00:00.000Z' });
    const cur = lKey('cur', {
      name: 'ci',
      createdAt: '2026-05-31T22:00:00.000Z',
      updatedAt: '2026-05-31T23:30:00.000Z',
    });
    const l = liveState({ ...base, apiKeys: [old, cur] });
    expect(plan(d({ rotation: { overlapMs: 3_600_000 } }), l).steps).toEqual([]);
    const later = plan(
      d({ rotation: { overlapMs: 3_600_000 } }),
      l,
      {},
      {},
      new Date('2026-06-01T00:30:00.000Z'),
    );
    expect(later.steps.map((s) => [s.action, s.reason, field(s, 'countsTowardMassDelete')])).toEqual([
      ['delete', 'overlap-elapsed', false],
    ]);
    // the sink's later deliveredAt wins
    const sink = { 'ApiKey/ci': { accessKey: cur.accessKey, deliveredAt: '2026-06-01T00:00:00.000Z' } };
    expect(
      plan(d({ rotation: { overlapMs: 3_600_000 } }), l, {}, sink, new Date('2026-06-01T00:30:00.000Z'))
        .steps,
    ).toEqual([]);
  });

  it('bearer or expiry change → replace (retire); description/project → update', () => {
    const key = lKey('ci');
    const l = liveState({
      applications: [app, lApp('other')],
      apiKeys: [key],
      projects: [...liveState().projects, lProject('web')],
    });
    const p = plan(desired(dApp('app'), dApp('other'), dKey('ci', { application: 'other' })), l);
    expect(p.steps.map((s) => [s.action, s.reason, field(s, 'disposeBefore')])).toEqual([
      ['replace', 'requires-replace', 'retire'],
    ]);
    const e = plan(desired(dApp('app'), dApp('other'), dKey('ci', { expiresAt: '2027-01-01T00:00:00Z' })), l);
    expect(e.steps[0]!.changes[0]).toMatchObject({ field: 'expiresAt', forcesReplacement: true });
    const u = plan(
      desired(
        dApp('app'),
        dApp('other'),
        dProject('web'),
        dKey('ci', { description: 'x', defaultProject: 'web' }),
      ),
      l,
    );
    expect(u.steps.map((s) => [s.action, s.changes.map((c) => c.field)])).toEqual([
      ['update', ['description', 'defaultProject']],
    ]);
  });
});

describe('buildPlan: permissions', () => {
  const rules = [{ permissionSets: ['IAMManager'], scope: { type: 'organization' as const }, condition: '' }];
  it('refuses dangerous grants to applications unless acknowledged', () => {
    const p = plan(
      desired(dApp('a'), dPolicy('p', { principal: { type: 'application', name: 'a' }, rules })),
      liveState(),
    );
    expect(codes(p)).toEqual(['error:dangerous-permission']);
    const g = plan(
      desired(
        dApp('a'),
        dGroup('g', { memberApplications: ['a'] }),
        dPolicy('p', { principal: { type: 'group', name: 'g' }, rules }),
      ),
      liveState(),
    );
    expect(codes(g)).toEqual(['error:dangerous-permission']);
    const ack = plan(
      desired(
        dApp('a'),
        dPolicy('p', {
          principal: { type: 'application', name: 'a' },
          rules,
          acknowledgeDangerousPermissions: true,
        }),
      ),
      liveState(),
    );
    expect(codes(ack)).toEqual(['warning:dangerous-permission-acknowledged']);
    expect(ack.steps.find((s) => s.kind === 'Policy')!.warnings[0]).toMatch(/DANGEROUS/);
  });
  it('unknown permission sets with did-you-mean', () => {
    const p = plan(
      desired(
        dPolicy('p', {
          rules: [
            { permissionSets: ['ObjectStorageReadOnl'], scope: { type: 'organization' }, condition: '' },
          ],
        }),
      ),
      liveState({
        permissionSets: [
          { id: '1', name: 'ObjectStorageReadOnly', scopeType: 'projects', description: '', categories: [] },
        ],
      }),
    );
    expect(codes(p)).toEqual(['error:unknown-permission-set']);
    expect(p.diagnostics[0]!.hint).toBe('did you mean "ObjectStorageReadOnly"?');
  });
});

describe('buildPlan: fingerprint', () => {
  it('ignores unrelated objects and counters, changes with owned ones', () => {
    const d = desired(dApp('a'));
    const l = liveState({ applications: [lApp('a')] });
    const f = plan(d, l).liveFingerprint;
    expect(
      plan(d, liveState({ applications: [lApp('a', { nbApiKeys: 3 }), lApp('x', { instance: null })] }))
        .liveFingerprint,
    ).toBe(f);
    expect(
      plan(d, liveState({ applications: [lApp('a', { description: 'changed' })] })).liveFingerprint,
    ).not.toBe(f);
  });
});

describe('buildPlan: rule scope types (with the permission-set catalogue)', () => {
  const catalogue = [
    { id: '1', name: 'IAMReadOnly', scopeType: 'organization', description: '', categories: [] },
    { id: '2', name: 'VPCReadOnly', scopeType: 'projects', description: '', categories: [] },
  ];
  it('refuses a rule mixing scope types, and organization sets on projects', () => {
    const mixed = plan(
      desired(
        dPolicy('p', {
          rules: [
            {
              permissionSets: ['IAMReadOnly', 'VPCReadOnly'],
              scope: { type: 'organization' },
              condition: '',
            },
          ],
        }),
      ),
      liveState({ permissionSets: catalogue }),
    );
    expect(codes(mixed)).toEqual(['error:mixed-scope-types']);
    const onProjects = plan(
      desired(
        dPolicy('p', {
          rules: [
            {
              permissionSets: ['IAMReadOnly'],
              scope: { type: 'projects', projects: ['default'] },
              condition: '',
            },
          ],
        }),
      ),
      liveState({ permissionSets: catalogue }),
    );
    expect(codes(onProjects)).toEqual(['error:organization-set-on-projects']);
  });
});

describe('buildPlan: fixed expiry and mass-delete accounting', () => {
  it('a fixed spec.expiresAt is never rotated automatically, but warned about', () => {
    const key = lKey('ci', { createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-06-10T00:00:00.000Z' });
    const p = plan(
      desired(dApp('app'), dKey('ci', { expiresAt: '2026-06-10T00:00:00Z' })),
      liveState({ applications: [lApp('app')], apiKeys: [key] }),
    );
    expect(p.steps).toEqual([]);
    expect(codes(p)).toEqual(['warning:expiry-approaching']);
  });

  it('retiring keys past their overlap do not count toward the mass-delete guard', () => {
    const keys = ['a', 'b', 'c'].flatMap((n) => [
      lKey(`${n}-old`, { name: n, state: 'retiring', createdAt: '2026-01-01T00:00:00.000Z' }),
      lKey(`${n}-new`, { name: n, createdAt: '2026-05-01T00:00:00.000Z' }),
    ]);
    const p = plan(
      desired(dApp('app'), dKey('a'), dKey('b'), dKey('c')),
      liveState({ applications: [lApp('app')], apiKeys: keys }),
      { maxDeletes: 1 },
    );
    expect(p.diagnostics).toEqual([]);
    expect(p.steps.map((s) => s.reason)).toEqual(['overlap-elapsed', 'overlap-elapsed', 'overlap-elapsed']);
  });
});

describe('buildPlan: adopting an existing API key', () => {
  const app = lApp('app');
  it('plans an adopt of the unmarked key, then treats it as external (no custody check)', () => {
    const unmarked = { ...lKey('ext'), description: 'made by hand' };
    const d = desired(
      dApp('app'),
      dKey('ci', { adopt: true, adoptAccessKey: unmarked.accessKey, description: 'made by hand' }),
    );
    const p = plan(
      d,
      liveState({ applications: [app], apiKeys: [unmarked] }),
      {},
      { 'ApiKey/ci': { accessKey: null } },
    );
    expect(p.steps.map((s) => [s.id, s.changes])).toEqual([[`adopt:ApiKey/ci@${unmarked.accessKey}`, []]]);

    const external = lKey('ext', { name: 'ci', state: 'external', userDescription: 'made by hand' });
    const after = plan(
      d,
      liveState({ applications: [app], apiKeys: [external] }),
      {},
      { 'ApiKey/ci': { accessKey: null } },
    );
    expect(after.steps).toEqual([]);
  });

  it('refuses unknown keys and keys of another application', () => {
    const d = (ak: string) => desired(dApp('app'), dKey('ci', { adopt: true, adoptAccessKey: ak }));
    expect(codes(plan(d('SCW00000000000000000'), liveState({ applications: [app] })))).toEqual([
      'error:adopt-key-not-found',
    ]);
    const other = { ...lKey('x', { app: 'other' }), description: '' };
    expect(codes(plan(d(other.accessKey), liveState({ applications: [app], apiKeys: [other] })))).toEqual([
      'error:adopt-key-bearer',
    ]);
  });
});
