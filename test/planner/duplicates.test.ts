/**
 * Issue #13 item 6, invariant I3: one declared ApiKey has one current key, plus retiring ones in
 * their overlap. More current keys (concurrent applies, a listing that missed one) are reported;
 * the newest key whose secret the sink holds stays current, and with prune.ApiKey the others are
 * marked retiring, then deleted a full overlap later.
 */
import { describe, expect, it } from 'vitest';
import type { Plan, SinkObservation } from '../../src/model/plan.js';
import { targetId } from '../../src/model/plan.js';
import { pruneAll } from '../../src/planner/options.js';
import { checkedPlan, NOW } from './checked-plan.js';
import { dApp, desired, dKey, lApp, lKey, liveState } from './builders.js';

const HOUR = 3_600_000;

function plan(
  l: ReturnType<typeof liveState>,
  sinks: Record<string, SinkObservation>,
  prune: boolean,
  now = NOW,
): Plan {
  const d = desired(dApp('app'), dKey('ci', { rotation: { overlapMs: 2 * HOUR } }));
  return checkedPlan(d, l, { prune: pruneAll(prune) }, sinks, now);
}

const older = lKey('a', {
  name: 'ci',
  createdAt: '2026-05-01T00:00:00.000Z',
  updatedAt: '2026-05-01T00:00:00.000Z',
});
const newer = lKey('b', {
  name: 'ci',
  createdAt: '2026-05-02T00:00:00.000Z',
  updatedAt: '2026-05-02T00:00:00.000Z',
});
const live = liveState({ applications: [lApp('app')], apiKeys: [older, newer] });
const steps = (p: Plan) => p.steps.map((s) => `${s.action} ${s.reason} ${targetId(s) ?? ''}`);

describe('duplicate current keys (I3)', () => {
  it('the key the sink holds stays current, even if older; the other is retired (prune.ApiKey)', () => {
    const p = plan(live, { 'ApiKey/ci': { accessKey: older.accessKey } }, true);
    expect(steps(p)).toEqual([`update duplicate ${newer.accessKey}`]);
    const step = p.steps[0]!;
    expect(step.action === 'update' && step.after.kind === 'ApiKey' && step.after.marker.state).toBe(
      'retiring',
    );
    const warning = p.diagnostics.find((d) => d.code === 'duplicate-current-keys')!;
    expect(warning.severity).toBe('warning');
    expect(warning.message).toContain(older.accessKey);
    expect(warning.message).toContain(newer.accessKey);
  });

  it('an older current-state key was superseded: no duplicate, deleted after the overlap since its successor', () => {
    const sink = { 'ApiKey/ci': { accessKey: newer.accessKey, deliveredAt: '2026-05-31T23:00:00.000Z' } };
    const p = plan(live, sink, true);
    expect(p.diagnostics).toEqual([]);
    expect(p.steps).toEqual([]);
    expect(steps(plan(live, sink, true, new Date(NOW.getTime() + 2 * HOUR)))).toEqual([
      `delete overlap-elapsed ${older.accessKey}`,
    ]);
  });

  it('without prune.ApiKey: reported, nothing changed', () => {
    const p = plan(live, { 'ApiKey/ci': { accessKey: older.accessKey } }, false);
    expect(p.steps).toEqual([]);
    expect(p.diagnostics.map((d) => d.code)).toEqual(['duplicate-current-keys']);
    expect(p.diagnostics[0]!.message).toMatch(/prune\.ApiKey is off/);
  });

  it('a retired duplicate is deleted a full overlap after it was marked, not before', () => {
    const retired = {
      ...newer,
      description: lKey('b', { name: 'ci', state: 'retiring' }).description,
      updatedAt: '2026-06-01T00:00:00.000Z',
    };
    const l = liveState({ applications: [lApp('app')], apiKeys: [older, retired] });
    const sink = { 'ApiKey/ci': { accessKey: older.accessKey, deliveredAt: '2026-05-01T00:00:00.000Z' } };
    const during = plan(l, sink, true, new Date(NOW.getTime() + HOUR));
    expect(during.steps).toEqual([]);
    expect(during.diagnostics).toEqual([]);
    expect(during.nextDueAt).toBe(new Date(NOW.getTime() + 2 * HOUR).toISOString());
    const after = plan(l, sink, true, new Date(NOW.getTime() + 2 * HOUR));
    expect(steps(after)).toEqual([`delete overlap-elapsed ${newer.accessKey}`]);
  });
});
