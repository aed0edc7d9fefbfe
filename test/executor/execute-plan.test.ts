import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import { markProjectDescription, ownerTag } from '../../src/model/ownership.js';
import type { StepOutcome } from '../../src/model/plan.js';
import { invalidArgument, notFound, permissionsDenied, transientState } from '../fakes/fake-scaleway.js';
import {
  desiredApp,
  desiredGroup,
  desiredKey,
  desiredPolicy,
  desiredProject,
  liveObject,
  plan,
  step,
} from '../helpers/builders.js';
import { waitFor } from '../helpers/wait-for.js';
import { harness } from './harness.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('executePlan', () => {
  it('creates an application, its key (secret delivered) and a policy naming the new app', async () => {
    const h = harness();
    const app = step(desiredApp('ci'));
    const key = step(desiredKey('ci-deployer', 'ci'), {
      dependsOn: [app.id],
      refs: { 'Application/ci': { step: app.id } },
    });
    // No refs: the principal is resolved from the objects created earlier in this run.
    const pol = step(desiredPolicy('ci-read', { principal: { type: 'application', name: 'ci' } }), {
      dependsOn: [app.id],
    });
    const seen: StepOutcome[] = [];
    const summary = await executePlan(plan([app, key, pol]), h.deps(), { onOutcome: (o) => seen.push(o) });

    expect(summary.ok).toBe(true);
    expect(summary.counts).toMatchObject({ created: 3, failed: 0, skipped: 0 });
    expect(summary.outcomes.map((o) => o.stepId)).toEqual([app.id, key.id, pol.id]);
    expect(seen).toHaveLength(3);

    const live = [...h.client.applications.values()];
    expect(live).toHaveLength(1);
    expect(live[0]!.tags).toEqual(['team=platform', ownerTag('default')]);
    const policy = [...h.client.policies.values()][0]!;
    expect(policy.principal).toEqual({ type: 'application', id: live[0]!.id });
    expect(policy.tags).toContain(ownerTag('default'));

    const keys = h.keysOf('ci-deployer');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.state).toBe('ready');
    expect(keys[0]!.bearer).toEqual({ type: 'application', id: live[0]!.id });
    expect(keys[0]!.description).toBe('ci-deployer key [scw-gitops:default:ci-deployer:ready]');
    const outcome = summary.outcomes[1]!;
    expect(outcome.accessKey).toBe(keys[0]!.accessKey);

    const stored = h.sink.get({ sink: 'fake', path: 'ci-deployer' });
    expect(stored?.accessKey).toBe(keys[0]!.accessKey);
    expect(stored?.secretKey.equals(h.client.issuedSecrets.get(keys[0]!.accessKey)!)).toBe(true);
    expect(stored?.metadata).toMatchObject({
      keyName: 'ci-deployer',
      accessKey: keys[0]!.accessKey,
      expiresAt: null,
      revision: 'abc123',
      instance: 'default',
      organizationId: h.client.organizationId,
    });
    h.assertClean(summary);
  });

  it('runs the custody sequence in order: preflight, create pending, write, verify, mark ready', async () => {
    const h = harness({ applications: [{ id: 'app-1', name: 'ci', tags: [ownerTag('default')] }] });
    const events: string[] = [];
    h.client.intercept('createApiKey', (next, input, o) => {
      events.push(`create:${input.description}`);
      return next(input, o);
    });
    h.client.intercept('updateApiKey', (next, ak, patch, o) => {
      events.push(`update:${patch.description}`);
      return next(ak, patch, o);
    });
    h.sink.onWrite = () => {
      events.push('sink:write');
    };
    const original = h.sink.preflight.bind(h.sink);
    h.sink.preflight = async (loc) => {
      events.push('sink:preflight');
      return original(loc);
    };
    const originalVerify = h.sink.verify.bind(h.sink);
    h.sink.verify = async (loc, rec) => {
      events.push('sink:verify');
      return originalVerify(loc, rec);
    };
    const summary = await executePlan(
      plan([
        step(desiredKey('k', 'ci', { description: '' }), { refs: { 'Application/ci': { id: 'app-1' } } }),
      ]),
      h.deps(),
    );
    expect(summary.ok).toBe(true);
    expect(events).toEqual([
      'sink:preflight',
      'create:[scw-gitops:default:k:pending]',
      'sink:write',
      'sink:verify',
      'update:[scw-gitops:default:k:ready]',
    ]);
    h.assertClean(summary);
  });

  it('never runs more than `concurrency` steps at once', async () => {
    const h = harness();
    let inFlight = 0;
    let max = 0;
    const gates: (() => void)[] = [];
    h.client.intercept('createApplication', async (next, input, o) => {
      inFlight++;
      max = Math.max(max, inFlight);
      const d = deferred();
      gates.push(d.resolve);
      await d.promise;
      inFlight--;
      return next(input, o);
    });
    const steps = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => step(desiredApp(n)));
    const run = executePlan(plan(steps), h.deps(), { concurrency: 2 });
    // Release the gates one by one as they appear.
    let released = 0;
    while (released < steps.length) {
      await new Promise((r) => setImmediate(r));
      while (gates.length > 0) {
        gates.shift()!();
        released++;
      }
    }
    const summary = await run;
    expect(summary.counts.created).toBe(6);
    expect(max).toBe(2);
  });

  it('skips the dependents of a failed step (transitively) and continues independent branches', async () => {
    const h = harness();
    h.client.intercept('createApplication', (next, input, o) =>
      input.name === 'broken' ? Promise.reject(invalidArgument('name', 'bad name')) : next(input, o),
    );
    const a = step(desiredApp('broken'));
    const aKey = step(desiredKey('broken-key', 'broken'), { dependsOn: [a.id] });
    const aGroup = step(desiredGroup('g', ['broken']), { dependsOn: [a.id] });
    const aPol = step(desiredPolicy('p', { principal: { type: 'group', name: 'g' } }), {
      dependsOn: [aGroup.id],
    });
    const b = step(desiredApp('fine'));
    const bKey = step(desiredKey('fine-key', 'fine'), { dependsOn: [b.id] });
    const summary = await executePlan(plan([a, b, aKey, aGroup, bKey, aPol]), h.deps());

    const by = new Map(summary.outcomes.map((o) => [o.stepId, o]));
    expect(by.get(a.id)!.result).toBe('failed');
    expect(by.get(a.id)!.error).toContain('invalid_arguments');
    expect(by.get(aKey.id)!.result).toBe('skipped');
    expect(by.get(aKey.id)!.error).toContain('Application/broken');
    expect(by.get(aGroup.id)!.result).toBe('skipped');
    expect(by.get(aPol.id)!.result).toBe('skipped');
    expect(by.get(b.id)!.result).toBe('created');
    expect(by.get(bKey.id)!.result).toBe('created');
    expect(summary.ok).toBe(false);
    expect(summary.counts).toMatchObject({ created: 2, failed: 1, skipped: 3 });
    expect(h.client.callsTo('createGroup')).toHaveLength(0);
    expect(h.client.callsTo('createPolicy')).toHaveLength(0);
    expect(h.keysOf('broken-key')).toHaveLength(0);
  });

  it('skips steps depending on a step that is not in the plan, and cycles', async () => {
    const h = harness();
    const orphan = step(desiredApp('x'), { dependsOn: ['create:Application/ghost'] });
    const c1 = step(desiredApp('c1'), { dependsOn: ['create:Application/c2'] });
    const c2 = step(desiredApp('c2'), { dependsOn: ['create:Application/c1'] });
    const summary = await executePlan(plan([orphan, c1, c2]), h.deps());
    expect(summary.outcomes.map((o) => o.result)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(h.client.writes()).toHaveLength(0);
  });

  it('starts nothing new once aborted', async () => {
    const h = harness();
    const ac = new AbortController();
    const steps = ['a', 'b', 'c'].map((n) => step(desiredApp(n)));
    const summary = await executePlan(plan(steps), h.deps(), {
      concurrency: 1,
      signal: ac.signal,
      onOutcome: () => ac.abort(new Error('stop')),
    });
    expect(summary.outcomes.map((o) => o.result)).toEqual(['created', 'skipped', 'skipped']);
    expect(summary.outcomes[1]!.error).toBe('apply aborted');
  });

  it('retries a transient_state conflict on group membership', async () => {
    const h = harness({ applications: [{ id: 'app-1', name: 'ci', tags: [ownerTag('default')] }] });
    h.client.failNext('setGroupMembers', () => transientState('group', 'g'), 2);
    const summary = await executePlan(
      plan([step(desiredGroup('devs', ['ci']), { refs: { 'Application/ci': { id: 'app-1' } } })]),
      h.deps(),
    );
    expect(summary.ok).toBe(true);
    expect(h.client.callsTo('setGroupMembers')).toHaveLength(3);
    expect([...h.client.groups.values()][0]!.applicationIds).toEqual(['app-1']);
    expect(h.clock.sleeps).toEqual([10, 20]);
  });

  it('gives up on transient_state after the bounded number of attempts', async () => {
    const h = harness({ applications: [{ id: 'app-1', name: 'ci', tags: [ownerTag('default')] }] });
    h.client.failNext('setGroupMembers', () => transientState('group', 'g'), 100);
    const summary = await executePlan(
      plan([step(desiredGroup('devs', ['ci']), { refs: { 'Application/ci': { id: 'app-1' } } })]),
      h.deps({ retry: { attempts: 3, baseDelayMs: 1 } }),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain('setting members failed');
    expect(h.client.callsTo('setGroupMembers')).toHaveLength(3);
  });

  it('retries a 403 right after a policy change (IAM propagation), not otherwise', async () => {
    const h = harness({ applications: [{ id: 'app-1', name: 'ci', tags: [ownerTag('default')] }] });
    const pol = step(desiredPolicy('p', { principal: { type: 'application', name: 'ci' } }), {
      refs: { 'Application/ci': { id: 'app-1' } },
    });
    const app2 = step(desiredApp('second'), { dependsOn: [pol.id] });
    h.client.failNext('createApplication', () => permissionsDenied('application', 'write'), 2);
    const summary = await executePlan(plan([pol, app2]), h.deps());
    expect(summary.ok).toBe(true);
    expect(h.client.callsTo('createApplication')).toHaveLength(3);

    const h2 = harness();
    h2.client.failNext('createApplication', () => permissionsDenied('application', 'write'), 1);
    const s2 = await executePlan(plan([step(desiredApp('solo'))]), h2.deps());
    expect(s2.outcomes[0]!.result).toBe('failed');
    expect(h2.client.callsTo('createApplication')).toHaveLength(1);
  });

  it('updates, adopts and deletes every kind with our markers', async () => {
    const h = harness({
      projects: [
        { id: 'p-1', name: 'web', description: 'old [scw-gitops:default]' },
        { id: 'p-2', name: 'legacy', description: 'theirs' },
      ],
      applications: [
        { id: 'a-1', name: 'ci', description: 'old', tags: ['x', ownerTag('default')] },
        { id: 'a-2', name: 'gone', tags: [ownerTag('default')] },
      ],
      groups: [{ id: 'g-1', name: 'devs', tags: [ownerTag('default')], userIds: ['u-1'] }],
      policies: [
        {
          id: 'pol-1',
          name: 'read',
          tags: [ownerTag('default')],
          rules: [
            { permissionSetNames: ['IAMReadOnly'], scope: { type: 'organization', organizationId: 'o' } },
          ],
        },
      ],
    });
    const c = h.client;
    const steps = [
      step(desiredProject('web', { description: 'new' }), {
        action: 'update',
        before: liveObject('Project', c.projects.get('p-1')!),
        changes: [{ field: 'description', before: 'old', after: 'new' }],
      }),
      step(desiredProject('legacy', { description: 'theirs' }), {
        action: 'adopt',
        reason: 'adopt-requested',
        before: liveObject('Project', c.projects.get('p-2')!),
      }),
      step(desiredApp('ci', { description: 'new', tags: ['y'] }), {
        action: 'update',
        before: liveObject('Application', c.applications.get('a-1')!),
        changes: [{ field: 'tags' }, { field: 'description' }],
      }),
      step(desiredGroup('devs', ['ci']), {
        action: 'update',
        refs: { 'Application/ci': { id: 'a-1' } },
        before: liveObject('Group', c.groups.get('g-1')!),
        changes: [{ field: 'members', before: [], after: ['ci'] }],
      }),
      step(
        desiredPolicy('read', {
          rules: [
            {
              permissionSets: ['ObjectStorageFullAccess'],
              scope: { type: 'projects', projects: ['web'] },
              condition: '',
            },
          ],
        }),
        {
          action: 'update',
          refs: { 'Project/web': { id: 'p-1' } },
          before: liveObject('Policy', c.policies.get('pol-1')!),
          changes: [{ field: 'rules[0].permissionSets' }],
        },
      ),
      step(undefined, { action: 'delete', before: liveObject('Application', c.applications.get('a-2')!) }),
    ];
    const summary = await executePlan(plan(steps), h.deps());
    expect(summary.outcomes.map((o) => o.result)).toEqual([
      'updated',
      'adopted',
      'updated',
      'updated',
      'updated',
      'deleted',
    ]);
    expect(c.projects.get('p-1')!.description).toBe(markProjectDescription('new', 'default'));
    expect(c.projects.get('p-2')!.description).toBe('theirs [scw-gitops:default]');
    expect(c.applications.get('a-1')).toMatchObject({ description: 'new', tags: ['y', ownerTag('default')] });
    expect(c.groups.get('g-1')).toMatchObject({ applicationIds: ['a-1'], userIds: ['u-1'] });
    expect(c.callsTo('updateGroup')).toHaveLength(0);
    expect(c.rules.get('pol-1')!.map((r) => r.permissionSetNames)).toEqual([['ObjectStorageFullAccess']]);
    expect(c.rules.get('pol-1')![0]!.scope).toEqual({ type: 'projects', projectIds: ['p-1'] });
    expect(c.callsTo('updatePolicy')).toHaveLength(0);
    expect(c.applications.has('a-2')).toBe(false);
  });

  it('counts deleting something already gone as deleted', async () => {
    const h = harness({ groups: [{ id: 'g-1', name: 'devs', tags: [ownerTag('default')] }] });
    const before = liveObject('Group', h.client.groups.get('g-1')!);
    h.client.failNext('deleteGroup', () => notFound('group', 'g-1'));
    const summary = await executePlan(plan([step(undefined, { action: 'delete', before })]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('deleted');
  });

  it('runsAfter: a key create waits for the key deletions to finish, and runs even when one failed (quota, I1)', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: [ownerTag('default')] }],
      apiKeys: [
        {
          accessKey: 'SCWEEEEEEEEEEEEEEEEE',
          description: '[scw-gitops:default:k:ready]',
          bearer: { type: 'application', id: 'a-1' },
          expiresAt: '2020-01-01T00:00:00.000Z',
        },
      ],
    });
    const gate = deferred();
    h.client.intercept('deleteApiKey', async () => {
      await gate.promise;
      throw permissionsDenied('api_key', 'delete');
    });
    const del = step(undefined, {
      action: 'delete',
      reason: 'expired',
      before: liveObject('ApiKey', h.client.apiKeys.get('SCWEEEEEEEEEEEEEEEEE')!),
    });
    const create = step(desiredKey('k', 'ci'), {
      reason: 'expired',
      runsAfter: [del.id],
      refs: { 'Application/ci': { id: 'a-1' } },
      knownKeys: ['SCWEEEEEEEEEEEEEEEEE'],
    });
    const run = executePlan(plan([del, create]), h.deps());
    await waitFor(() => h.client.callsTo('deleteApiKey').length === 1, { what: 'the delete to start' });
    expect(h.client.callsTo('createApiKey')).toHaveLength(0);
    gate.resolve();
    const summary = await run;
    expect(summary.outcomes.map((o) => o.result)).toEqual(['failed', 'created']);
  });

  it('updates a key in place keeping its custody state', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: [ownerTag('default')] }],
      apiKeys: [
        {
          accessKey: 'SCWAAAAAAAAAAAAAAAAA',
          description: 'old [scw-gitops:default:k:retiring]',
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const before = liveObject('ApiKey', h.client.apiKeys.get('SCWAAAAAAAAAAAAAAAAA')!);
    const summary = await executePlan(
      plan([
        step(desiredKey('k', 'ci', { description: 'new' }), {
          action: 'update',
          before,
          changes: [{ field: 'description' }],
          // The planner keeps the key's custody state on an update.
          after: { marker: { instance: 'default', name: 'k', state: 'retiring' } },
        }),
      ]),
      h.deps(),
    );
    expect(summary.outcomes[0]).toMatchObject({ result: 'updated', accessKey: 'SCWAAAAAAAAAAAAAAAAA' });
    expect(h.client.apiKeys.get('SCWAAAAAAAAAAAAAAAAA')!.description).toBe(
      'new [scw-gitops:default:k:retiring]',
    );
    expect(h.client.callsTo('createApiKey')).toHaveLength(0);
  });

  it('adopts a key as external (its secret never passed through scw-gitops), and refuses one another instance marked since', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: [ownerTag('default')] }],
      apiKeys: [
        {
          accessKey: 'SCWAAAAAAAAAAAAAAAAA',
          description: 'mine',
          bearer: { type: 'application', id: 'a-1' },
        },
        {
          accessKey: 'SCWBBBBBBBBBBBBBBBBB',
          description: 'other',
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const adopt = (name: string, accessKey: string) =>
      step(desiredKey(name, 'ci', { description: name === 'held' ? 'mine' : 'other' }), {
        action: 'adopt',
        id: `adopt:ApiKey/${name}@${accessKey}`,
        refs: { 'Application/ci': { id: 'a-1' } },
        before: liveObject('ApiKey', h.client.apiKeys.get(accessKey)!),
        after: { marker: { instance: 'default', name, state: 'external' } },
      });
    const steps = [adopt('held', 'SCWAAAAAAAAAAAAAAAAA'), adopt('other', 'SCWBBBBBBBBBBBBBBBBB')];
    // Another instance takes the second key between planning and applying.
    h.client.apiKeys.set('SCWBBBBBBBBBBBBBBBBB', {
      ...h.client.apiKeys.get('SCWBBBBBBBBBBBBBBBBB')!,
      description: 'other [scw-gitops:prod:other:ready]',
    });
    const summary = await executePlan(plan(steps), h.deps());
    expect(summary.outcomes.map((o) => o.result)).toEqual(['adopted', 'failed']);
    expect(summary.outcomes[1]!.error).toContain('now marked as prod:other');
    expect(h.client.apiKeys.get('SCWAAAAAAAAAAAAAAAAA')!.description).toBe(
      'mine [scw-gitops:default:held:external]',
    );
    expect(h.client.apiKeys.get('SCWBBBBBBBBBBBBBBBBB')!.description).toBe(
      'other [scw-gitops:prod:other:ready]',
    );
  });

  it('fails a step whose reference was to come from a create step that produced no id, without calling the API', async () => {
    const h = harness();
    const summary = await executePlan(
      plan([step(desiredPolicy('p', { principal: { type: 'application', name: 'nope' } }))]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain(
      'Application/nope was to be created by step create:Application/nope',
    );
    expect(h.client.writes()).toHaveLength(0);
  });

  it('resolves refs given by the plan (ids and earlier steps)', async () => {
    const h = harness({ projects: [{ id: 'p-9', name: 'web' }] });
    const app = step(desiredApp('ci'));
    const pol = step(
      desiredPolicy('p', {
        principal: { type: 'application', name: 'ci' },
        rules: [
          {
            permissionSets: ['AllProductsFullAccess'],
            scope: { type: 'projects', projects: ['web', 'default'] },
            condition: '',
          },
        ],
      }),
      {
        dependsOn: [app.id],
        refs: {
          'Application/ci': { step: app.id },
          'Project/web': { id: 'p-9' },
          'Project/default': { id: h.client.organizationId },
        },
      },
    );
    const summary = await executePlan(plan([app, pol]), h.deps());
    expect(summary.ok).toBe(true);
    const p = [...h.client.policies.values()][0]!;
    const appId = [...h.client.applications.values()][0]!.id;
    expect(p.principal).toEqual({ type: 'application', id: appId });
    expect(h.client.rules.get(p.id)![0]!.scope).toEqual({
      type: 'projects',
      projectIds: ['p-9', h.client.organizationId],
    });
  });
});
