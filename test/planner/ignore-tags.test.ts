/**
 * ignoreTags: tags other tools add are never added, removed or counted as drift, also when the
 * executor writes the object (it keeps them from the point read); they count toward the 10 tags.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { executePlan } from '../../src/executor/execute-plan.js';
import { ignoredTagMatcher } from '../../src/model/ignore-tags.js';
import type { SinkObservation } from '../../src/model/plan.js';
import { ownerTag } from '../../src/model/ownership.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions } from '../../src/planner/options.js';
import { desiredApp, liveObject, plan as planOf, step } from '../helpers/builders.js';
import { harness } from '../executor/harness.js';
import { dApp, desired, dGroup, lApp, lGroup, liveState } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const OURS = ownerTag('default');

function plan(d: ReturnType<typeof desired>, l: ReturnType<typeof liveState>, o: Partial<PlanOptions> = {}) {
  return buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map<Address, SinkObservation>(),
    options: defaultPlanOptions(o),
    now: NOW,
  });
}

describe('tag patterns', () => {
  it('match exactly, or with * for any run of characters', () => {
    const m = ignoredTagMatcher(['cost-center=*', 'console-note', '*=auto']);
    expect(['cost-center=42', 'console-note', 'x=auto'].every(m)).toBe(true);
    expect(['console-note2', 'team=api', 'cost-centre=1'].some(m)).toBe(false);
  });
});

describe('the planner', () => {
  it('sees no drift in ignored live tags (own patterns and the settings defaults)', () => {
    const live = liveState({
      applications: [lApp('api', { tags: ['team=api', 'cost-center=1', 'note'] })],
      groups: [lGroup('ops', { tags: ['cost-center=2'] })],
    });
    const p = plan(desired(dApp('api', { tags: ['team=api'], ignoreTags: ['note'] }), dGroup('ops')), live, {
      ignoreTags: ['cost-center=*'],
    });
    expect(p.steps).toEqual([]);
  });

  it('puts back a drifted tag, carrying the patterns for the executor', () => {
    const live = liveState({ applications: [lApp('api', { tags: ['team=web', 'cost-center=1'] })] });
    const p = plan(desired(dApp('api', { tags: ['team=api'], ignoreTags: ['cost-center=*'] })), live);
    expect(p.steps[0]?.changes).toEqual([{ field: 'tags', before: ['team=web'], after: ['team=api'] }]);
    expect(p.steps[0]?.action === 'update' && p.steps[0].after).toMatchObject({
      ignoreTags: ['cost-center=*'],
    });
  });

  it('refuses an object whose declared and ignored live tags exceed the limit of 10', () => {
    const declared = Array.from({ length: 6 }, (_, i) => `t${i}`);
    const extra = Array.from({ length: 4 }, (_, i) => `cost-center=${i}`);
    const live = liveState({ applications: [lApp('api', { tags: [...declared, ...extra.slice(0, 3)] })] });
    const p = plan(desired(dApp('api', { tags: declared, ignoreTags: ['cost-center=*'] })), live);
    expect(p.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const full = liveState({ applications: [lApp('api', { tags: [...declared, ...extra] })] });
    const refused = plan(desired(dApp('api', { tags: declared, ignoreTags: ['cost-center=*'] })), full);
    const error = refused.diagnostics.find((d) => d.code === 'too-many-tags');
    expect(error?.resource).toBe('Application/api');
    expect(error?.message).toContain('cost-center=0, cost-center=1, cost-center=2, cost-center=3');
  });
});

describe('the executor', () => {
  it('keeps the ignored tags the object has when it writes (read just before)', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'ci', tags: ['team=old', OURS] }] });
    const before = liveObject('Application', h.client.applications.get('a-1')!);
    // Another tool tags the object after the plan was made.
    h.client.applications.set('a-1', {
      ...h.client.applications.get('a-1')!,
      tags: ['team=old', 'cost-center=9', OURS],
    });
    const update = step(desiredApp('ci', { tags: ['team=new'] }), {
      action: 'update',
      before,
      after: { ignoreTags: ['cost-center=*'] },
      changes: [{ field: 'tags', before: ['team=old'], after: ['team=new'] }],
    });
    const summary = await executePlan(planOf([update]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('updated');
    expect(h.client.applications.get('a-1')!.tags).toEqual(['team=new', 'cost-center=9', OURS]);
  });
});

describe('validation and settings', () => {
  it('refuses a declared tag that its own ignoreTags would leave to other tools', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ignore-tags-'));
    try {
      await writeFile(
        join(dir, 'a.yaml'),
        'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ci\nspec:\n  tags: [cost-center=1]\n  ignoreTags: ["cost-center=*"]\n',
      );
      const loaded = await loadDesiredState(dir, { instance: 'default', now: NOW });
      expect(loaded.diagnostics.map((d) => `${d.code} ${d.field}`)).toEqual([
        'ignored-tag-declared spec.tags[0]',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads defaults.ignoreTags', () => {
    const text =
      'apiVersion: scw-gitops/v1alpha1\nkind: Settings\ndefaults:\n  ignoreTags: ["cost-center=*", console]\n';
    const { settings, diagnostics } = parseSettings(text, { file: 'settings.yaml', baseDir: '/etc/scw' });
    expect(diagnostics).toEqual([]);
    expect(settings?.defaults.ignoreTags).toEqual(['cost-center=*', 'console']);
    const bad = parseSettings(text.replace('["cost-center=*", console]', 'cost'), {
      file: 's.yaml',
      baseDir: '/',
    });
    expect(bad.diagnostics.map((d) => d.field)).toEqual(['defaults.ignoreTags']);
  });
});
