/**
 * The planner's side of secret moves and records of deleted keys (src/planner/secret-moves.ts,
 * docs/design/secret-moves.md): pure, from the key records found in the sinks.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedSink, PlanStep, SinkObservation } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, pruneAll } from '../../src/planner/options.js';
import { accessKey, dApp, desired, dKey, lApp, liveState, lKey } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const HOUR = 3_600_000;
const LOCAL = { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' } as const;
const OLD: PlannedSink = {
  sink: 'local',
  type: 'file',
  path: 'old/ci.env',
  target: 'file:/var/lib/scw-gitops/secrets/old/ci.env',
};

function plan(
  d: ReturnType<typeof desired>,
  apiKeys: ReturnType<typeof lKey>[],
  opts: {
    sinks?: Record<string, SinkObservation>;
    keyRecords?: Record<string, PlannedSink[]>;
    unsearched?: string[];
    now?: Date;
  } = {},
) {
  return buildPlan({
    desired: d,
    live: liveState({ applications: [lApp('app')], apiKeys }),
    sinkRecords: new Map(Object.entries(opts.sinks ?? {})) as Map<Address, SinkObservation>,
    keyRecords: new Map(Object.entries(opts.keyRecords ?? {})),
    unsearchedSinks: opts.unsearched ?? [],
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', prune: pruneAll(true) }),
    now: opts.now ?? NOW,
  });
}

const field = (s: PlanStep, name: string): unknown => (s as unknown as Record<string, unknown>)[name];

describe('secret moves', () => {
  const moved = desired(dApp('app'), dKey('ci', { sink: { path: 'new/ci.env' } }));

  it('the current key found at another place: sink-moved, retired, from where to where', () => {
    const key = lKey('ci');
    const p = plan(moved, [key], {
      sinks: { 'ApiKey/ci': { accessKey: null } },
      keyRecords: { [key.accessKey]: [OLD] },
    });
    expect(p.steps.map((s) => [s.action, s.reason, field(s, 'disposeBefore')])).toEqual([
      ['replace', 'sink-moved', 'retire'],
    ]);
    expect(p.steps[0]!.changes[0]).toEqual({
      field: 'sink',
      before: OLD.target,
      after: 'file:/var/lib/scw-gitops/secrets/new/ci.env',
    });
    expect(p.steps[0]!.detail).toContain(`stays at ${OLD.target}`);
  });

  it('the old key goes after its overlap, with its record; not before', () => {
    const old = lKey('ci', { state: 'retiring' });
    const current = lKey('ci2', { name: 'ci', updatedAt: '2026-06-01T00:00:00.000Z' });
    const inputs = {
      sinks: { 'ApiKey/ci': { accessKey: current.accessKey, deliveredAt: '2026-06-01T00:00:00.000Z' } },
      keyRecords: { [old.accessKey]: [OLD] },
    };
    const inside = plan(moved, [old, current], { ...inputs, now: new Date(NOW.getTime() + HOUR - 1) });
    expect(inside.steps).toEqual([]);
    expect(inside.nextDueAt).toBe(new Date(NOW.getTime() + HOUR).toISOString());
    const after = plan(moved, [old, current], { ...inputs, now: new Date(NOW.getTime() + HOUR) });
    expect(after.steps.map((s) => [s.action, s.reason, field(s, 'removeRecords')])).toEqual([
      ['delete', 'overlap-elapsed', [OLD]],
    ]);
  });

  it('an expired key whose secret also moved: deleted at once, with its record at the old place', () => {
    const key = lKey('ci', { expiresAt: '2026-05-31T00:00:00.000Z' });
    const p = plan(moved, [key], {
      sinks: { 'ApiKey/ci': { accessKey: null } },
      keyRecords: { [key.accessKey]: [OLD] },
    });
    // Deleted before its successor is created (the quota rule), its record with it.
    expect(p.steps.map((s) => [s.action, s.reason, field(s, 'removeRecords')])).toEqual([
      ['delete', 'expired', [OLD]],
      ['create', 'expired', undefined],
    ]);
  });

  it('no record anywhere: custody-lost, and the key is still retired (a consumer may hold it)', () => {
    const p = plan(moved, [lKey('ci')], { sinks: { 'ApiKey/ci': { accessKey: null } } });
    expect(p.steps.map((s) => [s.reason, field(s, 'disposeBefore')])).toEqual([['custody-lost', 'retire']]);
  });
});

describe('records of pruned keys', () => {
  it('a pruned key carries its records; without any found, none', () => {
    const gone = lKey('gone');
    const withRecord = plan(desired(dApp('app')), [gone], { keyRecords: { [accessKey('gone')]: [OLD] } });
    expect(withRecord.steps.map((s) => [s.action, s.reason, field(s, 'removeRecords')])).toEqual([
      ['delete', 'pruned', [OLD]],
    ]);
    const without = plan(desired(dApp('app')), [gone]);
    expect(without.steps.map((s) => field(s, 'removeRecords'))).toEqual([undefined]);
  });

  it('a sink that could not be searched: one warning when the plan deletes a key', () => {
    const unsearched = ['sink vault: permission denied'];
    const deleting = plan(desired(dApp('app')), [lKey('gone')], { unsearched });
    expect(deleting.diagnostics.map((d) => [d.severity, d.code])).toContainEqual([
      'warning',
      'sink-records-unsearched',
    ]);
    const quiet = plan(desired(dApp('app')), [], { unsearched });
    expect(quiet.diagnostics.map((d) => d.code)).not.toContain('sink-records-unsearched');
  });
});
