/**
 * Issue #13 item 7, the API-key quota: a key past its expiry authenticates nothing, so it is
 * deleted before its successor is created (and the plan says so); keys whose overlap is over are
 * deleted before any key is created. "Before" is `runsAfter`: the create waits for the deletion to
 * finish, whatever its outcome, so a deletion that fails never stops a rotation (I1).
 */
import { describe, expect, it } from 'vitest';
import type { Plan, PlanStep, SinkObservation } from '../../src/model/plan.js';
import { checkedPlan } from './checked-plan.js';
import { dApp, desired, dKey, lApp, lKey, liveState } from './builders.js';

const DAY = 86_400_000;

function plan(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  sinks: Record<string, SinkObservation> = {},
): Plan {
  return checkedPlan(d, l, {}, sinks);
}

const line = (s: PlanStep) => `${s.action} ${s.address} ${s.reason}`;

describe('quota: free places before taking new ones', () => {
  it('an expired key is deleted first, then its successor is created; the plan says why', () => {
    const key = lKey('ci', { createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-05-01T00:00:00.000Z' });
    const p = plan(
      desired(dApp('app'), dKey('ci', { rotation: { lifetimeMs: 120 * DAY } })),
      liveState({ applications: [lApp('app')], apiKeys: [key] }),
    );
    expect(p.steps.map(line)).toEqual(['delete ApiKey/ci expired', 'create ApiKey/ci expired']);
    const [del, create] = p.steps as [PlanStep, PlanStep];
    expect(create.runsAfter).toEqual([del.id]);
    expect(create.dependsOn).toEqual([]);
    expect(del.detail).toMatch(/expired .*authenticates nothing.*deleted before its successor is created/);
    expect(create.detail).toMatch(new RegExp(`replaces ${key.accessKey}`));
    expect(create.warnings[0]).toMatch(/EXPIRED/);
    expect(p.diagnostics.map((d) => d.code)).toEqual(['key-expired']);
  });

  it('keys whose overlap is over are deleted before any key is created or rotated', () => {
    const retiring = lKey('old', { name: 'a', state: 'retiring', createdAt: '2026-01-01T00:00:00.000Z' });
    const a = lKey('a', { createdAt: '2026-05-01T00:00:00.000Z', updatedAt: '2026-05-01T00:00:00.000Z' });
    const due = lKey('b', { createdAt: '2026-01-01T00:00:00.000Z' });
    const p = plan(
      desired(dApp('app'), dKey('a'), dKey('b', { rotation: { maxAgeMs: 30 * DAY } }), dKey('c')),
      liveState({ applications: [lApp('app')], apiKeys: [retiring, a, due] }),
      { 'ApiKey/a': { accessKey: a.accessKey }, 'ApiKey/b': { accessKey: due.accessKey } },
    );
    expect(p.steps.map(line)).toEqual([
      'delete ApiKey/a overlap-elapsed',
      'replace ApiKey/b rotation-due',
      'create ApiKey/c missing',
    ]);
    const cleanup = p.steps[0]!.id;
    for (const s of p.steps.slice(1)) expect(s.runsAfter).toEqual([cleanup]);
    expect(p.steps[0]!.runsAfter).toBeUndefined();
  });
});
