/**
 * A suspect listing (one that cannot be complete) holds every step relying on an absence:
 * creates, new keys, re-pointed references; rotations of keys the listing did show go on. And
 * two keys resolving to one secret place are refused at plan time too.
 */
import { describe, expect, it } from 'vitest';
import type { Address } from '../../src/model/resources.js';
import type { SinkObservation } from '../../src/model/plan.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions, pruneAll } from '../../src/planner/options.js';
import {
  dApp,
  desired,
  dGroup,
  dKey,
  dPolicy,
  lApp,
  lGroup,
  liveState,
  lKey,
  lPolicy,
  uuid,
} from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/srv/secrets', format: 'dotenv' } as const;
const DAY = 86_400_000;

function plan(d: ReturnType<typeof desired>, l: ReturnType<typeof liveState>, o: Partial<PlanOptions> = {}) {
  const sinks = new Map<Address, SinkObservation>();
  for (const k of l.apiKeys) {
    const name = /:([\w-]+):\w+\]$/.exec(k.description)?.[1];
    if (name) sinks.set(`ApiKey/${name}`, { accessKey: k.accessKey });
  }
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: sinks,
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', prune: pruneAll(true), ...o }),
    now: NOW,
  });
}

const held = (p: ReturnType<typeof plan>) =>
  p.diagnostics.filter((d) => d.code === 'held-suspect-listing').map((d) => d.resource);

describe('a suspect listing', () => {
  // The listing lost application `runner` (its key is listed): the planner would otherwise
  // create a second `runner`, re-point the group and the policy to it, and replace the key.
  const state = desired(
    dApp('runner'),
    dApp('other'),
    dApp('fresh'),
    dGroup('runners', { memberApplications: ['runner', 'other'] }),
    dPolicy('runner-read', { principal: { type: 'application', name: 'runner' } }),
    dKey('runner', { application: 'runner', rotation: { lifetimeMs: 90 * DAY } }),
    dKey('other', { application: 'other', rotation: { lifetimeMs: 30 * DAY } }),
  );
  const runnerKey = lKey('runner', {
    app: 'runner',
    createdAt: '2026-05-20T00:00:00.000000Z',
    expiresAt: '2026-08-18T00:00:00.000000Z',
  });
  // `other`'s key is due for rotation (created 25 days ago, 30-day lifetime).
  const otherKey = lKey('other', {
    app: 'other',
    createdAt: '2026-05-07T00:00:00.000000Z',
    expiresAt: '2026-06-06T00:00:00.000000Z',
  });
  const live = liveState({
    applications: [lApp('other')],
    groups: [lGroup('runners', { applicationIds: [uuid('app:runner'), uuid('app:other')] })],
    policies: [lPolicy('runner-read', { principal: { type: 'application', id: uuid('app:runner') } })],
    apiKeys: [runnerKey, otherKey],
  });

  it('is reported, and holds every create, new key and re-pointed reference', () => {
    const p = plan(state, live);
    expect(p.diagnostics.filter((d) => d.code === 'suspect-listing').map((d) => d.message)).toEqual([
      expect.stringContaining(
        '1 application(s) bearing owned API keys are missing from the application listing',
      ),
    ]);
    expect(held(p).sort()).toEqual(
      [
        'Application/fresh',
        'Application/runner',
        'ApiKey/runner',
        'Group/runners',
        'Policy/runner-read',
      ].sort(),
    );
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // What the listing did show goes on: the due rotation of `other`'s key.
    expect(p.steps.map((s) => `${s.action} ${s.address}`)).toEqual(['replace ApiKey/other']);
  });

  it('names the held object with its file:line', () => {
    const p = plan(state, live);
    const diag = p.diagnostics.find(
      (d) => d.code === 'held-suspect-listing' && d.resource === 'Application/fresh',
    )!;
    expect(diag.location).toEqual({ file: 'desired.yaml', line: 1, col: 1 });
    expect(diag.message).toBe(
      'create held for this pass: it relies on the listing to show that no Application/fresh exists, and the listing looks incomplete',
    );
  });

  it('holds nothing once the listing is complete', () => {
    const p = plan(state, { ...live, applications: [lApp('other'), lApp('runner')] });
    expect(held(p)).toEqual([]);
    expect(p.diagnostics.some((d) => d.code === 'suspect-listing')).toBe(false);
    // The rotation keeps a key alive: it comes first (ordering.ts).
    expect(p.steps.map((s) => `${s.action} ${s.address}`)).toEqual([
      'replace ApiKey/other',
      'create Application/fresh',
    ]);
  });
});

describe('secret places at plan time', () => {
  it('refuses two keys resolving to one file, naming both', () => {
    const p = plan(
      desired(dApp('app'), dKey('alpha'), dKey('beta', { sink: { path: 'alpha.env' } })),
      liveState({ applications: [lApp('app')] }),
    );
    const collisions = p.diagnostics.filter((d) => d.code === 'sink-collision');
    expect(collisions.map((d) => [d.resource, d.field, d.related?.map((r) => r.resource)])).toEqual([
      ['ApiKey/alpha', 'metadata.name', ['ApiKey/beta']],
      ['ApiKey/beta', 'spec.sink.path', ['ApiKey/alpha']],
    ]);
    expect(collisions[0]!.message).toContain('file:/srv/secrets/alpha.env');
    expect(p.steps).toEqual([]);
  });

  it('plans keys with nowhere to go when no sink is declared, and says so once', () => {
    const p = plan(desired(dApp('app'), dKey('a'), dKey('b')), liveState({ applications: [lApp('app')] }), {
      sinks: [],
    });
    expect(p.diagnostics.map((d) => d.code)).toEqual(['no-sink-declared']);
    expect(
      p.steps.map((s) => (s.action === 'create' && s.after.kind === 'ApiKey' ? s.after.sink.type : '?')),
    ).toEqual(['none', 'none']);
  });

  it('refuses a key naming a sink the settings do not declare', () => {
    const p = plan(
      desired(dApp('app'), dKey('a', { sink: { sink: 'vault' } })),
      liveState({ applications: [lApp('app')] }),
    );
    expect(p.diagnostics.map((d) => [d.code, d.field, d.message])).toEqual([
      ['unknown-sink', 'spec.sink.name', 'no sink named vault (declared: local)'],
    ]);
  });
});
