/**
 * verifySavedPlan: a saved plan's steps must agree with a fresh listing and with what this
 * instance owns (docs/design/plan-contract.md §3). Pure; the end-to-end refusal with zero writes
 * is test/reconciler/tampered-plan.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { LiveState } from '../../src/model/live.js';
import type { Plan, PlanStep } from '../../src/model/plan.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, pruneAll } from '../../src/planner/options.js';
import { verifySavedPlan } from '../../src/planner/verify-plan.js';
import { dApp, desired, dKey, dPolicy, lApp, liveState, lKey, uuid } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/srv/secrets', format: 'dotenv' } as const;

const live = liveState({
  applications: [
    lApp('app'),
    lApp('gone'),
    lApp('theirs', { instance: null }),
    lApp('shared', { instance: null, description: 'read only' }),
  ],
  apiKeys: [lKey('gone-key', { app: 'gone' })],
});

/** Adopt `theirs`, delete `gone` and its key, create a policy naming the unowned `shared`. */
function makePlan(state: LiveState = live): Plan {
  return buildPlan({
    desired: desired(
      dApp('app'),
      { ...dApp('theirs'), adopt: true },
      dPolicy('p', { principal: { type: 'application', name: 'shared' } }),
    ),
    live: state,
    sinkRecords: new Map(),
    options: defaultPlanOptions({
      sinks: [LOCAL],
      defaultSink: 'local',
      prune: pruneAll(true),
      allowMassDelete: true,
    }),
    now: NOW,
  });
}

function edit(plan: Plan, id: string, change: (step: PlanStep) => PlanStep): Plan {
  return { ...plan, steps: plan.steps.map((s) => (s.id.startsWith(id) ? change(s) : s)) };
}

describe('verifySavedPlan', () => {
  it('accepts the plan as made', () => {
    const plan = makePlan();
    expect(plan.steps.map((s) => s.id.split('@')[0])).toEqual([
      'adopt:Application/theirs',
      'create:Policy/p',
      'delete:ApiKey/gone-key',
      'delete:Application/gone',
    ]);
    expect(verifySavedPlan(plan, live)).toEqual([]);
  });

  it('refuses a delete aimed at an object this instance does not own', () => {
    const theirs = live.applications.find((a) => a.name === 'theirs')!;
    const plan = edit(makePlan(), 'delete:Application/gone', (s) =>
      s.action === 'delete' ? { ...s, before: { kind: 'Application', object: theirs } } : s,
    );
    expect(verifySavedPlan(plan, live)).toEqual([
      expect.stringMatching(
        /Application .* does not carry the marker of instance "default": it is not owned by this instance$/,
      ),
    ]);
  });

  it('refuses a delete aimed at a key of another name, or at a user key', () => {
    const user = { ...lKey('owner'), description: 'owner', bearer: { type: 'user' as const, id: 'u-1' } };
    const withUser: LiveState = { ...live, apiKeys: [...live.apiKeys, user, lKey('app-key')] };
    const toUser = edit(makePlan(withUser), 'delete:ApiKey/gone-key', (s) =>
      s.action === 'delete' ? { ...s, before: { kind: 'ApiKey', object: user } } : s,
    );
    expect(verifySavedPlan(toUser, withUser)).toEqual([
      expect.stringContaining('it is not owned by this instance'),
    ]);
    const toOther = edit(makePlan(withUser), 'delete:ApiKey/gone-key', (s) =>
      s.action === 'delete' ? { ...s, before: { kind: 'ApiKey', object: lKey('app-key') } } : s,
    );
    expect(verifySavedPlan(toOther, withUser)).toEqual([
      expect.stringContaining('is marked as ApiKey/app-key, not ApiKey/gone-key'),
    ]);
  });

  it('refuses a target that no longer exists or whose snapshot differs', () => {
    const plan = makePlan();
    const without: LiveState = { ...live, applications: live.applications.filter((a) => a.name !== 'gone') };
    expect(verifySavedPlan(plan, without)).toEqual([
      expect.stringMatching(/delete:Application\/gone.* does not exist/),
    ]);
    const edited = edit(plan, 'delete:Application/gone', (s) =>
      s.action === 'delete' && s.before.kind === 'Application'
        ? { ...s, before: { kind: 'Application', object: { ...s.before.object, description: 'edited' } } }
        : s,
    );
    expect(verifySavedPlan(edited, live)).toEqual([
      expect.stringContaining("the plan's snapshot of it differs"),
    ]);
  });

  it('refuses an adoption of something another instance marks, or the plan did not look at', () => {
    const plan = makePlan();
    const marked: LiveState = {
      ...live,
      applications: live.applications.map((a) =>
        a.name === 'theirs' ? lApp('theirs', { instance: 'prod' }) : a,
      ),
    };
    expect(verifySavedPlan(plan, marked)).toEqual(
      expect.arrayContaining([expect.stringContaining('belongs to instance "prod"; it cannot be adopted')]),
    );
    const unscoped = { ...plan, fingerprintScope: {} };
    expect(verifySavedPlan(unscoped, live)).toEqual(
      expect.arrayContaining([expect.stringContaining('is not among the objects the plan fingerprinted')]),
    );
  });

  it('refuses a reference to an id that does not exist or was not fingerprinted', () => {
    const swap = (id: string) =>
      edit(makePlan(), 'create:Policy/p', (s) =>
        s.action === 'create' && s.after.kind === 'Policy'
          ? {
              ...s,
              after: {
                ...s.after,
                principal: { type: 'application', ref: { address: 'Application/shared', id } },
              },
            }
          : s,
      );
    expect(verifySavedPlan(swap('00000000-0000-4000-8000-000000000000'), live)).toEqual([
      expect.stringContaining('which does not exist in the organization'),
    ]);
    const other: LiveState = {
      ...live,
      applications: [...live.applications, lApp('unseen', { instance: null })],
    };
    expect(verifySavedPlan(swap(uuid('app:unseen')), other)).toEqual([
      expect.stringContaining('which the plan did not fingerprint'),
    ]);
  });

  it('checks key creates too', () => {
    const plan = buildPlan({
      desired: desired(dApp('app'), dKey('k')),
      live,
      sinkRecords: new Map(),
      options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local' }),
      now: NOW,
    });
    expect(verifySavedPlan(plan, live)).toEqual([]);
    const moved = edit(plan, 'create:ApiKey/k', (s) =>
      s.action === 'create' && s.after.kind === 'ApiKey'
        ? { ...s, after: { ...s.after, application: { address: 'Application/app', id: uuid('app:theirs') } } }
        : s,
    );
    expect(verifySavedPlan(moved, live)).toEqual([
      expect.stringContaining('which the plan did not fingerprint'),
    ]);
  });
});
