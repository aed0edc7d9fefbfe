/**
 * `--target`: a partial plan covers the targets and what they need, never prunes outside the
 * targets (also when a saved plan is edited), and `apply --target` narrows a saved plan.
 */
import { describe, expect, it } from 'vitest';
import { parseTargets, UsageError } from '../../src/cli/command.js';
import type { SinkObservation } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions, pruneAll } from '../../src/planner/options.js';
import { narrowPlan, TargetNotInPlanError } from '../../src/planner/targets.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { dApp, desired, dKey, dProject, lApp, liveState, lKey, lPolicy, uuid } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/srv/secrets', format: 'dotenv' } as const;

function plan(d: ReturnType<typeof desired>, l: ReturnType<typeof liveState>, o: Partial<PlanOptions> = {}) {
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map<Address, SinkObservation>(),
    options: defaultPlanOptions({
      sinks: [LOCAL],
      defaultSink: 'local',
      prune: pruneAll(true),
      allowMassDelete: true,
      ...o,
    }),
    now: NOW,
  });
}

const state = desired(
  dProject('data'),
  dApp('etl'),
  dApp('web'),
  dKey('etl', { application: 'etl', defaultProject: 'data' }),
  dKey('web', { application: 'web' }),
);

describe('--target', () => {
  it('plans the target and what it needs, and marks the plan partial', () => {
    const p = plan(state, liveState(), { targets: ['ApiKey/etl'] });
    expect(p.steps.map((s) => s.address).sort()).toEqual(['ApiKey/etl', 'Application/etl', 'Project/data']);
    expect(p.partial).toEqual({
      targets: ['ApiKey/etl'],
      scope: ['Project/data', 'Application/etl', 'ApiKey/etl'],
    });
    expect(p.diagnostics.map((d) => d.code)).toContain('partial-plan');
  });

  it('does not pull in what depends on the target', () => {
    const p = plan(state, liveState(), { targets: ['Application/web'] });
    expect(p.steps.map((s) => s.address)).toEqual(['Application/web']);
  });

  it('prunes nothing outside the targets, and names what it left', () => {
    const live = liveState({
      applications: [lApp('old'), lApp('gone')],
      policies: [lPolicy('old', { principal: { type: 'application', id: uuid('app:old') } })],
      apiKeys: [lKey('old', { app: 'old' })],
    });
    const p = plan(desired(), live, { targets: ['Application/old'] });
    // The targeted application goes, with its key (Scaleway deletes an application's keys).
    expect(p.steps.map((s) => `${s.action} ${s.address}`).sort()).toEqual([
      'delete ApiKey/old',
      'delete Application/old',
    ]);
    const left = p.diagnostics.find((d) => d.code === 'not-pruned-outside-target');
    expect(left?.details).toEqual(['Application/gone', 'Policy/old']);
  });

  it('warns about a target that names nothing', () => {
    const p = plan(state, liveState(), { targets: ['Application/etll'] });
    expect(p.steps).toEqual([]);
    expect(p.diagnostics.find((d) => d.code === 'unknown-target')?.resource).toBe('Application/etll');
  });

  it('counts the mass-delete guard on the targeted deletions only', () => {
    const live = liveState({ applications: [lApp('a'), lApp('b'), lApp('c'), lApp('d')] });
    const guarded = { allowMassDelete: false, maxDeletes: 1, maxDeletePercent: 100 };
    expect(plan(desired(), live, guarded).diagnostics.map((d) => d.code)).toContain('mass-delete');
    const p = plan(desired(), live, { ...guarded, targets: ['Application/a'] });
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(p.steps.map((s) => s.address)).toEqual(['Application/a']);
  });
});

describe('a saved partial plan', () => {
  const live = liveState({ applications: [lApp('old'), lApp('gone')] });

  it('reads back as it was written', () => {
    const p = plan(desired(), live, { targets: ['Application/old'] });
    expect(parsePlanJson(renderPlanJson(p)).partial).toEqual(p.partial);
  });

  it('is refused when edited to prune outside its targets', () => {
    const full = plan(desired(), live);
    const doc = JSON.parse(renderPlanJson(full)) as Record<string, unknown>;
    doc.partial = { targets: ['Application/old'], scope: ['Application/gone', 'Application/old'] };
    expect(() => parsePlanJson(JSON.stringify(doc))).toThrow(
      /prunes Application\/gone, which is not a target/,
    );
  });

  it('is refused when a step is outside its scope', () => {
    const full = plan(desired(), live);
    const doc = JSON.parse(renderPlanJson(full)) as Record<string, unknown>;
    doc.partial = { targets: ['Application/old'], scope: ['Application/old'] };
    expect(() => parsePlanJson(JSON.stringify(doc))).toThrow(/outside the partial plan's scope/);
  });
});

describe('apply --target on a saved plan', () => {
  it('keeps the steps of the targets and those they depend on', () => {
    const full = plan(state, liveState());
    const narrowed = narrowPlan(full, ['ApiKey/etl']);
    expect(narrowed.steps.map((s) => s.address).sort()).toEqual([
      'ApiKey/etl',
      'Application/etl',
      'Project/data',
    ]);
    expect(narrowed.summary.create).toBe(3);
    expect(narrowed.partial?.targets).toEqual(['ApiKey/etl']);
    // The narrowed plan is itself a valid saved plan.
    expect(parsePlanJson(renderPlanJson(narrowed)).steps).toHaveLength(3);
  });

  it('refuses a target the plan has no step for', () => {
    expect(() => narrowPlan(plan(state, liveState()), ['Project/nope'])).toThrow(TargetNotInPlanError);
  });
});

describe('parsing --target', () => {
  it('reads Kind/name, kind case-insensitively', () => {
    expect(parseTargets(['apikey/etl', 'Policy/read all'])).toEqual(['ApiKey/etl', 'Policy/read all']);
    expect(parseTargets([])).toBeUndefined();
  });

  it('refuses what is not Kind/name', () => {
    expect(() => parseTargets(['etl'])).toThrow(UsageError);
    expect(() => parseTargets(['Widget/etl'])).toThrow(/unknown kind "Widget"/);
    expect(() => parseTargets(['Application/'])).toThrow(UsageError);
  });
});
