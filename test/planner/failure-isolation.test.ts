/**
 * Failure isolation (docs/concepts.md, "Failure isolation"; invariant I1): an error about one
 * object blocks that object and what depends on it, nothing else; a blocked key is still kept
 * alive (rotation, expiry and custody repairs, overlap ends) on the bearer of its live keys; only
 * a plan-wide error (the mass-delete guard) refuses the whole plan.
 */
import { describe, expect, it } from 'vitest';
import { hasErrors, isRefused, type PlanStep, targetId } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions, pruneAll } from '../../src/planner/options.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { renderPlanText } from '../../src/render/text.js';
import { dApp, desired, dGroup, dKey, dPolicy, lApp, lKey, liveState, uuid } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
const LOCAL = { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' } as const;
const at = (line: number) => ({ file: 'desired.yaml', line, col: 1 });

function plan(d: ReturnType<typeof desired>, l: ReturnType<typeof liveState>, o: Partial<PlanOptions> = {}) {
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map(),
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', ...o }),
    now: NOW,
  });
}

const steps = (p: ReturnType<typeof plan>) => p.steps.map((s) => `${s.action} ${s.address} [${s.reason}]`);
const appOf = (s: PlanStep) =>
  s.action === 'replace' && s.after.kind === 'ApiKey' ? s.after.application : undefined;

/** Two applications, each with a key due for rotation (90-day max age, created in January). */
const rotation = { maxAgeMs: 90 * DAY };
const DESIRED = desired(
  dApp('a', { source: at(1) }),
  dApp('b', { source: at(6) }),
  dKey('ka', { application: 'a', rotation, source: at(11) }),
  dKey('kb', { application: 'b', rotation, source: at(20) }),
  dGroup('ops', { memberApplications: ['a'], source: at(30) }),
  dPolicy('pa', { principal: { type: 'application', name: 'a' }, source: at(40) }),
);
const keys = [
  lKey('ka', { app: 'a', createdAt: '2026-01-01T00:00:00.000Z' }),
  lKey('kb', { app: 'b', createdAt: '2026-01-01T00:00:00.000Z' }),
];

describe('failure isolation', () => {
  it('a conflict on application A blocks A and its dependents; B rotates, and A’s key is kept alive', () => {
    // The marker tag of A was removed by hand (a console edit): A is a conflict now.
    const p = plan(
      DESIRED,
      liveState({ applications: [lApp('a', { instance: null }), lApp('b')], apiKeys: keys }),
    );
    expect(isRefused(p)).toBe(false);
    expect(hasErrors(p)).toBe(true);
    expect(steps(p)).toEqual(['replace ApiKey/ka [rotation-due]', 'replace ApiKey/kb [rotation-due]']);
    // A's key is rotated on the live application it is on (a known id), not on anything git says.
    expect(appOf(p.steps[0]!)).toEqual({ address: 'Application/a', id: uuid('app:a') });
    expect(appOf(p.steps[1]!)).toEqual({ address: 'Application/b', id: uuid('app:b') });

    expect(p.blocked).toEqual([
      {
        address: 'Application/a',
        code: 'conflict',
        message: expect.stringContaining('a live application named "a" already exists'),
        location: at(1),
      },
      {
        address: 'Group/ops',
        code: 'conflict',
        message: 'depends on Application/a, which is blocked (conflict)',
        location: at(30),
        blockedBy: 'Application/a',
      },
      {
        address: 'Policy/pa',
        code: 'conflict',
        message: 'depends on Application/a, which is blocked (conflict)',
        location: at(40),
        blockedBy: 'Application/a',
      },
      {
        address: 'ApiKey/ka',
        code: 'conflict',
        message: 'depends on Application/a, which is blocked (conflict)',
        location: at(11),
        blockedBy: 'Application/a',
        keepAlive: true,
      },
    ]);
    const conflict = p.diagnostics.find((d) => d.code === 'conflict')!;
    expect(conflict.scope).toEqual({
      type: 'objects',
      addresses: ['Application/a', 'Group/ops', 'Policy/pa', 'ApiKey/ka'],
    });

    // The saved form keeps all of it, and the text rendering lists the blocked objects.
    expect(renderPlanJson(parsePlanJson(renderPlanJson(p)))).toBe(renderPlanJson(p));
    const text = renderPlanText(p);
    expect(text).toContain('Blocked (4): not changed until the errors are fixed');
    expect(text).toContain(
      'desired.yaml:11:1: ApiKey/ka: depends on Application/a, which is blocked (conflict); kept alive: rotations, custody repairs and overlap ends go on',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'Plan: 0 to create, 0 to update, 2 to replace, 0 to delete, 0 to adopt. 4 objects blocked by 1 error: fix the errors to plan them.',
    );
  });

  it('a blocked key gets only what keeps it alive: no change from git, no key without a live one', () => {
    const live = liveState({
      applications: [lApp('a', { instance: null }), lApp('b')],
      apiKeys: [lKey('ka', { app: 'a', createdAt: '2026-05-30T00:00:00.000Z' })],
    });
    // Not due, with a description changed in git: nothing for ka; kb has no live key: it is created.
    const changed = desired(
      ...DESIRED.resources.map((r) => (r.address === 'ApiKey/ka' ? { ...r, description: 'edited' } : r)),
    );
    const p = plan(changed, live);
    expect(steps(p)).toEqual(['create ApiKey/kb [missing]']);
    // Without any live key, a blocked key is not created (no bearer to trust).
    const none = plan(DESIRED, liveState({ applications: [lApp('a', { instance: null }), lApp('b')] }));
    expect(steps(none)).toEqual(['create ApiKey/kb [missing]']);
    expect(none.blocked.find((b) => b.address === 'ApiKey/ka')?.keepAlive).toBe(true);
  });

  it('ends the overlap of a blocked key’s previous key, and never prunes what is blocked', () => {
    const retiring = lKey('ka-old', {
      name: 'ka',
      app: 'a',
      state: 'retiring',
      createdAt: '2026-05-01T00:00:00.000Z',
      userDescription: '',
    });
    const current = lKey('ka', { app: 'a', createdAt: '2026-05-30T00:00:00.000Z' });
    const p = plan(
      DESIRED,
      liveState({ applications: [lApp('a', { instance: null }), lApp('b')], apiKeys: [retiring, current] }),
      { prune: pruneAll(true) },
    );
    const forKa = p.steps.filter((s) => s.address === 'ApiKey/ka');
    expect(forKa.map((s) => [s.action, s.reason, targetId(s)])).toEqual([
      ['delete', 'overlap-elapsed', retiring.accessKey],
    ]);
    expect(p.steps.some((s) => s.action === 'delete' && targetId(s) === current.accessKey)).toBe(false);
  });

  it('an error on a policy blocks only that policy', () => {
    // A dangerous grant to an application, not acknowledged: an error about the policy.
    const p = plan(
      desired(
        dApp('b'),
        dPolicy('typo', {
          principal: { type: 'application', name: 'b' },
          rules: [
            {
              permissionSets: ['AllProductsFullAccess'],
              scope: { type: 'organization' },
              condition: '',
            },
          ],
        }),
      ),
      liveState(),
    );
    expect(steps(p)).toEqual(['create Application/b [missing]']);
    expect(p.blocked.map((b) => [b.address, b.code])).toEqual([['Policy/typo', 'dangerous-permission']]);
  });

  it('the mass-delete guard is plan-wide: it refuses every step', () => {
    const owned = Array.from({ length: 12 }, (_, i) => lApp(`gone-${i}`));
    const p = plan(
      desired(dApp('b'), dKey('kb', { application: 'b', rotation })),
      liveState({ applications: [lApp('b'), ...owned], apiKeys: [keys[1]!] }),
      { prune: pruneAll(true) },
    );
    expect(isRefused(p)).toBe(true);
    expect(p.steps).toEqual([]);
    expect(p.blocked).toEqual([]);
    expect(p.diagnostics.find((d) => d.code === 'mass-delete')?.scope).toEqual({ type: 'plan' });
  });

  it('a saved plan cannot carry a step of a blocked object other than keeping a key alive', () => {
    const p = plan(
      DESIRED,
      liveState({ applications: [lApp('a', { instance: null }), lApp('b')], apiKeys: keys }),
    );
    const doc = JSON.parse(renderPlanJson(p)) as { blocked: { address: Address; keepAlive?: boolean }[] };
    doc.blocked.push({ address: 'ApiKey/kb', code: 'conflict', message: 'x' } as never);
    doc.blocked.sort((x, y) => x.address.localeCompare(y.address));
    expect(() => parsePlanJson(JSON.stringify(doc), 'p.json')).toThrow(
      /ApiKey\/kb is blocked \(conflict\); only steps keeping a key alive may remain/,
    );
  });
});
