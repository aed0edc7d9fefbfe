/**
 * The inventory (src/planner/inventory.ts) is read from the plan's own decisions: each declared
 * object's state, the owned objects git no longer declares, and each declared key's live keys with
 * their roles and the end of each retiring key's overlap.
 */
import { describe, expect, it } from 'vitest';
import type { Inventory, ObjectStatus } from '../../src/model/inventory.js';
import type { SinkObservation, StepOutcome } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan, buildPlanWithInventory } from '../../src/planner/build-plan.js';
import { withOutcomes } from '../../src/planner/inventory.js';
import { defaultPlanOptions, type PlanOptions } from '../../src/planner/options.js';
import { dApp, desired, dGroup, dKey, dPolicy, dProject, lApp, lKey, liveState } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' } as const;

function inventoryOf(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  o: Partial<PlanOptions> = {},
  sinks: Record<string, SinkObservation> = {},
) {
  const input = {
    desired: d,
    live: l,
    sinkRecords: new Map(Object.entries(sinks)) as Map<Address, SinkObservation>,
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', ...o }),
    now: NOW,
  };
  const result = buildPlanWithInventory(input);
  // The plan is the one buildPlan makes: the inventory changes nothing in it.
  expect(result.plan).toEqual(buildPlan(input));
  return result;
}

const byAddress = (inv: Inventory) => new Map(inv.objects.map((o) => [o.address, o] as const));
const states = (inv: Inventory) => Object.fromEntries(inv.objects.map((o) => [o.address, o.state]));

describe('inventory: object states', () => {
  it('in sync, pending (with the planned action), adopted', () => {
    const { inventory } = inventoryOf(
      desired(dApp('app'), dApp('new-app'), dApp('taken', { adopt: true }), dKey('ci')),
      liveState({
        applications: [lApp('app'), lApp('taken')],
        apiKeys: [lKey('ci', { createdAt: '2026-05-01T00:00:00.000Z' })],
      }),
    );
    expect(states(inventory)).toEqual({
      'Application/app': 'in-sync',
      'Application/new-app': 'pending',
      'Application/taken': 'adopted',
      'ApiKey/ci': 'in-sync',
    });
    expect(byAddress(inventory).get('Application/new-app')).toMatchObject({
      declared: true,
      actions: [{ action: 'create', reason: 'missing' }],
      location: { file: 'desired.yaml' },
    });
  });

  it('a conflict is its own state, with the diagnostic and its file:line; dependents are blocked by it', () => {
    const { plan, inventory } = inventoryOf(
      desired(
        dApp('app'),
        dKey('ci'),
        dGroup('ops', { memberApplications: ['app'] }),
        dPolicy('p', { principal: { type: 'group', name: 'ops' } }),
        dProject('web'),
      ),
      // `app` exists without our marker: a console-created application with a declared name.
      liveState({ applications: [lApp('app', { instance: null })] }),
    );
    // Failure isolation: only what the conflict blocks is held back; the project is created.
    expect(plan.steps.map((s) => s.id)).toEqual(['create:Project/web']);
    const objects = byAddress(inventory);
    const app = objects.get('Application/app')!;
    expect(app.state).toBe('conflict');
    expect(app.diagnostics?.[0]).toMatchObject({
      severity: 'error',
      code: 'conflict',
      location: { file: 'desired.yaml', line: expect.any(Number) },
    });
    expect(objects.get('ApiKey/ci')).toMatchObject({ state: 'blocked', blockedBy: 'Application/app' });
    expect(objects.get('Group/ops')).toMatchObject({ state: 'blocked', blockedBy: 'Application/app' });
    expect(objects.get('Policy/p')).toMatchObject({ state: 'blocked', blockedBy: 'Application/app' });
    // Refused plan (no steps): what would change is still shown as pending.
    expect(objects.get('Project/web')).toMatchObject({ state: 'pending', actions: [{ action: 'create' }] });
  });

  it('an error that is not a conflict blocks the object', () => {
    const { inventory } = inventoryOf(desired(dKey('ci', { application: 'nowhere' })), liveState());
    expect(byAddress(inventory).get('ApiKey/ci')).toMatchObject({
      state: 'blocked',
      diagnostics: [{ severity: 'error', code: 'unresolved-reference' }],
    });
  });

  it('owned objects git no longer declares are listed with their deletion', () => {
    const { inventory } = inventoryOf(
      desired(dApp('app')),
      liveState({ applications: [lApp('app'), lApp('gone')] }),
      { prune: { Project: false, Application: true, Group: false, Policy: false, ApiKey: false } },
    );
    expect(byAddress(inventory).get('Application/gone')).toEqual({
      address: 'Application/gone',
      kind: 'Application',
      name: 'gone',
      state: 'pending',
      declared: false,
      actions: [{ action: 'delete', reason: 'pruned', detail: expect.any(String) }],
    } satisfies ObjectStatus);
  });
});

describe('inventory: key timeline', () => {
  const app = lApp('app');

  it('one row per declared key: current key with its rotateAt, retiring key with the end of its overlap', () => {
    const old = lKey('old', {
      name: 'ci',
      state: 'retiring',
      createdAt: '2026-03-01T00:00:00.000Z',
      expiresAt: '2026-06-15T00:00:00.000Z',
    });
    const cur = lKey('cur', {
      name: 'ci',
      createdAt: '2026-05-31T22:00:00.000Z',
      updatedAt: '2026-05-31T23:30:00.000Z',
      expiresAt: '2026-08-29T22:00:00.000Z',
    });
    const { plan, inventory } = inventoryOf(
      desired(
        dApp('app'),
        dKey('ci', { rotation: { lifetimeMs: 90 * 86_400_000, overlapMs: 3_600_000 } }),
        dKey('fresh'),
      ),
      liveState({ applications: [app], apiKeys: [old, cur] }),
    );
    expect(inventory.keys.map((r) => r.address)).toEqual(['ApiKey/ci', 'ApiKey/fresh']);
    const [ci, fresh] = inventory.keys;
    expect(ci!.application).toBe('app');
    expect(ci!.keys).toEqual([
      {
        accessKey: cur.accessKey,
        role: 'current',
        state: 'ready',
        createdAt: cur.createdAt,
        expiresAt: cur.expiresAt,
        rotateAt: plan.keys.find((k) => k.accessKey === cur.accessKey)!.rotateAt,
      },
      {
        accessKey: old.accessKey,
        role: 'retiring',
        state: 'retiring',
        createdAt: old.createdAt,
        expiresAt: old.expiresAt,
        rotateAt: null,
        // its successor was delivered at 23:30, plus the 1h overlap
        retireAt: '2026-06-01T00:30:00.000Z',
      },
    ]);
    expect(ci!.keys[0]!.rotateAt).toBe('2026-07-30T22:00:00.000Z');
    // Declared, nothing live yet: a row without bars (its create is pending).
    expect(fresh!.keys).toEqual([]);
    expect(byAddress(inventory).get('ApiKey/fresh')?.state).toBe('pending');
  });

  it('keys the decisions do not reach (a blocked key) take their role from the marker', () => {
    const cur = lKey('cur', { name: 'ci', createdAt: '2026-05-01T00:00:00.000Z' });
    const pending = lKey('p', { name: 'ci', state: 'pending', createdAt: '2026-05-02T00:00:00.000Z' });
    const { inventory } = inventoryOf(
      desired(dKey('ci', { application: 'nowhere' })),
      liveState({ apiKeys: [cur, pending] }),
    );
    expect(inventory.keys[0]!.keys.map((k) => [k.accessKey, k.role])).toEqual([
      [cur.accessKey, 'current'],
      [pending.accessKey, 'pending'],
    ]);
  });
});

describe('withOutcomes', () => {
  const inventory: Inventory = {
    observedAt: NOW.toISOString(),
    keys: [],
    objects: [
      {
        address: 'Application/a',
        kind: 'Application',
        name: 'a',
        state: 'pending',
        declared: true,
        actions: [{ action: 'create', reason: 'missing' }],
      },
      {
        address: 'Application/b',
        kind: 'Application',
        name: 'b',
        state: 'pending',
        declared: true,
        actions: [{ action: 'adopt', reason: 'adopt-requested' }],
      },
      {
        address: 'ApiKey/k',
        kind: 'ApiKey',
        name: 'k',
        state: 'pending',
        declared: true,
        actions: [{ action: 'create', reason: 'missing' }],
      },
      {
        address: 'Group/old',
        kind: 'Group',
        name: 'old',
        state: 'pending',
        declared: false,
        actions: [{ action: 'delete', reason: 'pruned' }],
      },
    ],
  };
  const outcome = (address: Address, result: StepOutcome['result'], error?: string): StepOutcome => ({
    stepId: `x:${address}`,
    address,
    action: 'create',
    result,
    durationMs: 1,
    ...(error ? { error } : {}),
  });
  const outcomes = [
    outcome('Application/a', 'created'),
    outcome('Application/b', 'adopted'),
    outcome('ApiKey/k', 'failed', 'sink refused the write'),
    outcome('Group/old', 'deleted'),
  ];

  it('after the applied plan: succeeded steps settle, failed ones are failed, deleted objects leave', () => {
    expect(states(withOutcomes(inventory, outcomes, { settled: true }))).toEqual({
      'Application/a': 'in-sync',
      'Application/b': 'adopted',
      'ApiKey/k': 'failed',
    });
    expect(withOutcomes(inventory, outcomes, { settled: true }).objects[2]).toMatchObject({
      error: 'sink refused the write',
    });
  });

  it('on a post-apply inventory only the failures are added', () => {
    expect(states(withOutcomes(inventory, outcomes, { settled: false }))).toEqual({
      'Application/a': 'pending',
      'Application/b': 'pending',
      'ApiKey/k': 'failed',
      'Group/old': 'pending',
    });
  });
});
