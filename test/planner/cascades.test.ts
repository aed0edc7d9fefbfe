/**
 * Issue #13 item 5, invariant I2 through cascades: deleting an application deletes its API keys
 * (docs/design/scaleway-api.md §5), so the planner never deletes an application while one of
 * those keys may still be held by a consumer: a key in its overlap, or a key git moved to another
 * application. The deletion is deferred, shown with the time it becomes possible.
 */
import { describe, expect, it } from 'vitest';
import type { Plan, SinkObservation } from '../../src/model/plan.js';
import { targetId } from '../../src/model/plan.js';
import { type PlanOptions, pruneAll } from '../../src/planner/options.js';
import { renderPlanText } from '../../src/render/text.js';
import { checkedPlan, NOW } from './checked-plan.js';
import { dApp, desired, dKey, lApp, lKey, liveState } from './builders.js';

const HOUR = 3_600_000;

function plan(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  o: Partial<PlanOptions> = {},
  sinks: Record<string, SinkObservation> = {},
  now = NOW,
): Plan {
  return checkedPlan(d, l, { prune: pruneAll(true), ...o }, sinks, now);
}

const steps = (p: Plan) => p.steps.map((s) => `${s.action} ${s.address} ${s.reason}`);

describe('cascades: an application is never deleted under a live key (I2)', () => {
  const oldApp = lApp('old', { nbApiKeys: 1 });
  const newApp = lApp('new');
  const renamedGit = desired(
    dApp('new'),
    dKey('ci', { application: 'new', rotation: { overlapMs: 2 * HOUR } }),
  );

  it('a rename without renamedFrom: the key moves, the old application waits for its overlap', () => {
    const key = lKey('ci', { app: 'old' });
    const p = plan(
      renamedGit,
      liveState({ applications: [oldApp], apiKeys: [key] }),
      {},
      {
        'ApiKey/ci': { accessKey: key.accessKey },
      },
    );
    expect(steps(p)).toEqual(['create Application/new missing', 'replace ApiKey/ci requires-replace']);
    expect(p.deferred).toEqual([
      expect.objectContaining({
        address: 'Application/old',
        id: oldApp.id,
        keys: [key.accessKey],
        notBefore: new Date(NOW.getTime() + 2 * HOUR).toISOString(),
      }),
    ]);
    expect(p.nextDueAt).toBe(new Date(NOW.getTime() + 2 * HOUR).toISOString());
    expect(renderPlanText(p, { color: false })).toMatch(/Deferred \(1\)[\s\S]*Application\/old/);
  });

  it("after the move: deferred until the moved key's overlap ends, then key and application go, key first", () => {
    const retiring = lKey('ci-old', {
      name: 'ci',
      app: 'old',
      state: 'retiring',
      updatedAt: '2026-06-01T00:00:01.000Z',
    });
    const current = lKey('ci-new', {
      name: 'ci',
      app: 'new',
      createdAt: '2026-05-31T23:59:00.000Z',
      updatedAt: '2026-06-01T00:00:00.000Z',
    });
    const live = liveState({ applications: [oldApp, newApp], apiKeys: [retiring, current] });
    const sinks = { 'ApiKey/ci': { accessKey: current.accessKey, deliveredAt: '2026-06-01T00:00:00.000Z' } };

    const during = plan(renamedGit, live, {}, sinks, new Date(NOW.getTime() + HOUR));
    expect(during.steps).toEqual([]);
    const until = new Date(NOW.getTime() + 2 * HOUR + 1000).toISOString();
    expect(during.deferred).toEqual([
      expect.objectContaining({ address: 'Application/old', notBefore: until }),
    ]);
    // A retiring key lives a full overlap after it was marked retiring (its updatedAt), at least.
    expect(during.nextDueAt).toBe(until);

    const after = plan(renamedGit, live, {}, sinks, new Date(NOW.getTime() + 3 * HOUR));
    expect(after.deferred).toBeUndefined();
    expect(steps(after)).toEqual(['delete ApiKey/ci overlap-elapsed', 'delete Application/old pruned']);
    const appDelete = after.steps.find((s) => s.kind === 'Application')!;
    expect(appDelete.dependsOn).toEqual([after.steps[0]!.id]);
  });

  it('a current key of a declared ApiKey that cannot move yet holds the deletion with no end time', () => {
    // The new application conflicts (unmarked, no adopt): the key is blocked and stays on "old".
    const key = lKey('ci', { app: 'old' });
    const foreign = lApp('new', { instance: null });
    const p = plan(
      renamedGit,
      liveState({ applications: [oldApp, foreign], apiKeys: [key] }),
      {},
      {
        'ApiKey/ci': { accessKey: key.accessKey },
      },
    );
    expect(p.steps.filter((s) => targetId(s) === oldApp.id)).toEqual([]);
    expect(p.deferred).toEqual([
      expect.objectContaining({ address: 'Application/old', keys: [key.accessKey] }),
    ]);
    expect(p.deferred![0]!.notBefore).toBeUndefined();
  });

  it('keys that are not held by anyone do not hold the deletion: pruned and undelivered keys', () => {
    const pruned = lKey('gone', { app: 'old' });
    const pending = lKey('pend', { name: 'ci', app: 'old', state: 'pending' });
    const p = plan(
      desired(dApp('keep')),
      liveState({ applications: [oldApp, lApp('keep')], apiKeys: [pruned, pending] }),
      { allowMassDelete: true },
    );
    expect(p.deferred).toBeUndefined();
    expect(steps(p)).toContain('delete Application/old pruned');
    // The step names the keys that go with the application.
    const detail = p.steps.find((s) => s.kind === 'Application')!.detail!;
    expect(detail).toContain(pruned.accessKey);
    expect(detail).toContain(pending.accessKey);
  });
});
