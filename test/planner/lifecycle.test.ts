/**
 * metadata.lifecycle.preventDestroy: recorded on the live object, refused by the planner, by the
 * saved-plan schema and by the point read before a delete; rotations go on.
 */
import { describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import { executePlan } from '../../src/executor/execute-plan.js';
import type { SinkObservation } from '../../src/model/plan.js';
import {
  markKeyDescription,
  ownerTag,
  parseKeyDescription,
  parseProjectDescription,
  preventDestroyTag,
  withOwnerTag,
} from '../../src/model/ownership.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, pruneAll } from '../../src/planner/options.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { liveObject, plan as planOf, step } from '../helpers/builders.js';
import { harness } from '../executor/harness.js';
import { dApp, desired, dKey, lApp, liveState, lKey, lProject } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/srv/secrets', format: 'dotenv' } as const;
const GUARD = preventDestroyTag('default');

function plan(d: ReturnType<typeof desired>, l: ReturnType<typeof liveState>) {
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map<Address, SinkObservation>(),
    options: defaultPlanOptions({
      sinks: [LOCAL],
      defaultSink: 'local',
      prune: pruneAll(true),
      allowMassDelete: true,
    }),
    now: NOW,
  });
}

describe('the guard on the live object', () => {
  it('is a tag before the ownership tag, never a user tag', () => {
    expect(withOwnerTag(['team=a', GUARD], 'default', true)).toEqual(['team=a', GUARD, ownerTag('default')]);
    expect(withOwnerTag(['team=a', GUARD], 'default')).toEqual(['team=a', ownerTag('default')]);
  });

  it('is part of the project and key markers', () => {
    expect(parseProjectDescription('Data [scw-gitops:default:prevent-destroy]')).toEqual({
      description: 'Data',
      instance: 'default',
      preventDestroy: true,
    });
    const key = markKeyDescription('CI', 'default', 'ci', 'ready', true);
    expect(key).toBe('CI [scw-gitops:default:ci:ready:prevent-destroy]');
    expect(parseKeyDescription(key).marker).toEqual({
      instance: 'default',
      name: 'ci',
      state: 'ready',
      preventDestroy: true,
    });
  });
});

describe('the planner', () => {
  it('records the guard of a declared object, and clears it when it is turned off', () => {
    const on = plan(desired(dApp('ci', { preventDestroy: true })), liveState({ applications: [lApp('ci')] }));
    expect(on.steps.map((s) => s.changes)).toEqual([
      [{ field: 'metadata.lifecycle.preventDestroy', before: false, after: true }],
    ]);
    const off = plan(desired(dApp('ci')), liveState({ applications: [lApp('ci', { tags: [GUARD] })] }));
    expect(off.steps[0]?.changes).toEqual([
      { field: 'metadata.lifecycle.preventDestroy', before: true, after: false },
    ]);
  });

  it('refuses to prune an object, a project or a key that records the guard', () => {
    const live = liveState({
      applications: [lApp('old', { tags: [GUARD] }), lApp('other')],
      projects: [...liveState().projects, lProject('data', { description: '', instance: null })].map((p) =>
        p.name === 'data' ? { ...p, description: '[scw-gitops:default:prevent-destroy]' } : p,
      ),
      apiKeys: [
        lKey('gone', { app: 'other', description: markKeyDescription('', 'default', 'gone', 'ready', true) }),
      ],
    });
    const p = plan(desired(), live);
    expect(p.steps).toEqual([]);
    expect(
      p.diagnostics
        .filter((d) => d.code === 'prevent-destroy')
        .map((d) => `${d.severity} ${d.resource}`)
        .sort(),
    ).toEqual(['error ApiKey/gone', 'error Application/old', 'error Project/data']);
  });

  it('rotates a guarded key (a rotation is not a destroy of the declared key)', () => {
    const key = lKey('ci', {
      app: 'ci',
      description: markKeyDescription('', 'default', 'ci', 'ready', true),
      createdAt: '2025-01-01T00:00:00.000000Z',
    });
    const p = plan(
      desired(
        dApp('ci'),
        dKey('ci', { application: 'ci', preventDestroy: true, rotation: { maxAgeMs: 86_400_000 } }),
      ),
      liveState({ applications: [lApp('ci')], apiKeys: [key] }),
    );
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(p.steps.map((s) => `${s.action} ${s.address} ${s.reason}`)).toEqual([
      'replace ApiKey/ci rotation-due',
    ]);
  });
});

describe('a saved plan', () => {
  it('is refused when it destroys an object recorded as guarded (an edited plan)', () => {
    const p = plan(desired(), liveState({ applications: [lApp('old')] }));
    const doc = JSON.parse(renderPlanJson(p)) as { steps: { before: { object: { tags: string[] } } }[] };
    doc.steps[0]!.before.object.tags.unshift(GUARD);
    expect(() => parsePlanJson(JSON.stringify(doc))).toThrow(
      /protected by metadata\.lifecycle\.preventDestroy/,
    );
  });
});

describe('the point read before a delete', () => {
  it('refuses to delete an object that got the guard after the plan was made (nothing written)', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'old', tags: [ownerTag('default')] }] });
    const before = liveObject('Application', h.client.applications.get('a-1')!);
    h.client.applications.set('a-1', {
      ...h.client.applications.get('a-1')!,
      tags: [GUARD, ownerTag('default')],
    });
    const summary = await executePlan(
      planOf([step(undefined, { action: 'delete', before, name: 'old', reason: 'pruned' })]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain('preventDestroy');
    expect(h.client.writes()).toEqual([]);
  });
});

describe('validation', () => {
  it('reads metadata.lifecycle.preventDestroy and counts the guard tag', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'lifecycle-'));
    try {
      const tags = Array.from({ length: 9 }, (_, i) => `t${i}`);
      await writeFile(
        join(dir, 'a.yaml'),
        `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ci\n  lifecycle:\n    preventDestroy: true\nspec:\n  tags: [${tags.join(', ')}]\n`,
      );
      const full = await loadDesiredState(dir, { instance: 'default', now: NOW });
      expect(full.diagnostics.map((d) => d.code)).toContain('too-many-tags');
      await writeFile(
        join(dir, 'a.yaml'),
        `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ci\n  lifecycle:\n    preventDestroy: true\n`,
      );
      const ok = await loadDesiredState(dir, { instance: 'default', now: NOW });
      expect(ok.state?.resources[0]?.preventDestroy).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
