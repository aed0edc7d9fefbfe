import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import type { ApiKey } from '../../src/model/live.js';
import { ownerTag } from '../../src/model/ownership.js';
import { ambiguous, invalidArgument, serverError } from '../fakes/fake-scaleway.js';
import type { DesiredApiKey } from '../../src/model/desired.js';
import { desiredKey, liveObject, plan, type StepInit, step } from '../helpers/builders.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { harness } from './harness.js';

const APP = { id: 'app-1', name: 'ci', tags: [ownerTag('default')] };

/** A key step of application `ci`, which already exists (APP). */
const keyStep = (desired: DesiredApiKey, init: StepInit = {}) =>
  step(desired, { refs: { 'Application/ci': { id: APP.id } }, ...init });

function seededOldKey(state: 'ready' | 'pending' = 'ready') {
  const h = harness({
    applications: [APP],
    apiKeys: [
      {
        accessKey: 'SCWOLDOLDOLDOLDOLDOL',
        description: `deploy [scw-gitops:default:k:${state}]`,
        bearer: { type: 'application', id: 'app-1' },
      },
    ],
  });
  return { h, old: h.client.apiKeys.get('SCWOLDOLDOLDOLDOLDOL')! as ApiKey };
}

describe('secret custody', () => {
  it('deletes the new key when the sink write keeps failing (compensation), secret never shown', async () => {
    const h = harness({ applications: [APP] });
    h.sink.failWrites = 3;
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    const o = summary.outcomes[0]!;
    expect(o.result).toBe('failed');
    expect(o.error).toMatch(/could not be delivered/);
    expect(o.error).toMatch(/was deleted \(compensation\)/);
    expect(o.accessKey).toMatch(/^SCW/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(1);
    expect(h.client.apiKeys.size).toBe(0);
    expect(h.sink.ops.filter((x) => x.op === 'write')).toHaveLength(3);
    expect(h.logs.lines.some((l) => l.msg === 'secret delivery failed')).toBe(true);
    h.assertClean(summary);
  });

  it('deletes the new key when verification fails (the sink stored something else)', async () => {
    const h = harness({ applications: [APP] });
    h.sink.corruptWrites = 3;
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/verification failed/);
    expect(h.client.apiKeys.size).toBe(0);
    h.assertClean(summary);
  });

  it('recovers from a transient sink failure by retrying the write', async () => {
    const h = harness({ applications: [APP] });
    h.sink.failWrites = 2;
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('created');
    expect(h.keysOf('k').map((k) => k.state)).toEqual(['ready']);
    expect(h.clock.sleeps).toEqual([10, 20]);
    h.assertClean(summary);
  });

  it('leaves the key pending and says so when even the compensation delete fails', async () => {
    const h = harness({ applications: [APP] });
    h.sink.failWrites = 3;
    h.client.failNext('deleteApiKey', () => invalidArgument('access_key', 'locked'), 10);
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    const o = summary.outcomes[0]!;
    expect(o.result).toBe('failed');
    expect(o.error).toMatch(/could NOT be deleted/);
    expect(o.error).toMatch(/stays marked pending and the next reconcile replaces it/);
    expect(h.keysOf('k').map((k) => k.state)).toEqual(['pending']);
    expect(h.logs.lines.some((l) => String(l.msg).startsWith('compensation failed'))).toBe(true);
    h.assertClean(summary);
  });

  it('creates no key when the sink preflight fails', async () => {
    const h = harness({ applications: [APP] });
    h.sink.failPreflight = 5;
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/is not ready, no key was created/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(0);
    expect(h.sink.ops.filter((x) => x.op === 'preflight')).toHaveLength(3);
  });

  it('fails a key whose sink does not exist without creating it', async () => {
    const h = harness({ applications: [APP] });
    const summary = await executePlan(
      plan([keyStep(desiredKey('k', 'ci', { sink: { sink: 'nowhere' } }))]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/no sink named nowhere/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(0);
  });

  it('an ambiguous create that did happen: the orphan (secret lost) is found and deleted, never re-created', async () => {
    const h = harness({ applications: [APP] });
    h.client.intercept('createApiKey', async (next, input, o) => {
      await next(input, o); // the server did it, the response was lost
      throw ambiguous('/iam/v1alpha1/api-keys');
    });
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    const o = summary.outcomes[0]!;
    expect(o.result).toBe('failed');
    expect(o.error).toMatch(/create outcome unknown/);
    expect(o.error).toMatch(/deleted/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(1);
    expect(h.client.apiKeys.size).toBe(0);
    expect(h.sink.ops.filter((x) => x.op === 'write')).toHaveLength(0);
  });

  it('an ambiguous create that did not happen: fails without a second create', async () => {
    const h = harness({ applications: [APP] });
    h.client.failNext('createApiKey', () => ambiguous('/iam/v1alpha1/api-keys'));
    const summary = await executePlan(plan([keyStep(desiredKey('k', 'ci'))]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/never create twice/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(1);
    expect(h.client.apiKeys.size).toBe(0);
  });

  it('an ambiguous create never touches a pending key that existed before the run', async () => {
    const { h, old } = seededOldKey('pending');
    h.client.failNext('createApiKey', () => ambiguous('/iam/v1alpha1/api-keys'));
    const summary = await executePlan(
      plan([
        keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
          action: 'replace',
          reason: 'custody-lost',
          disposeBefore: 'delete',
          before: liveObject('ApiKey', old),
        }),
      ]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(h.client.apiKeys.has(old.accessKey)).toBe(true);
    expect(h.client.callsTo('deleteApiKey')).toHaveLength(0);
  });

  it('an ambiguous create of an application uses the object it did create', async () => {
    const h = harness();
    h.client.intercept('createApplication', async (next, input, o) => {
      await next(input, o);
      throw ambiguous('/iam/v1alpha1/applications');
    });
    const { desiredApp } = await import('../helpers/builders.js');
    const app = step(desiredApp('ci'));
    const key = step(desiredKey('k', 'ci'), {
      dependsOn: [app.id],
      refs: { 'Application/ci': { step: app.id } },
    });
    const summary = await executePlan(plan([app, key]), h.deps());
    expect(summary.outcomes.map((x) => x.result)).toEqual(['created', 'created']);
    expect(h.client.applications.size).toBe(1);
    expect(h.client.callsTo('createApplication')).toHaveLength(1);
    h.assertClean(summary);
  });

  it('rotation: new key delivered and ready before the previous key is retired', async () => {
    const { h, old } = seededOldKey();
    const order: string[] = [];
    h.sink.onWrite = (_l, r) => {
      order.push(`write:${r.accessKey === old.accessKey ? 'old' : 'new'}`);
    };
    h.client.intercept('updateApiKey', (next, ak, patch, o) => {
      order.push(`${ak === old.accessKey ? 'old' : 'new'}:${/:(\w+)\]$/.exec(patch.description ?? '')?.[1]}`);
      return next(ak, patch, o);
    });
    const s = keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
      action: 'replace',
      reason: 'rotation-due',
      before: liveObject('ApiKey', old),
      disposeBefore: 'retire',
    });
    const summary = await executePlan(plan([s]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('replaced');
    expect(order).toEqual(['write:new', 'new:ready', 'old:retiring']);
    const keys = h.keysOf('k');
    expect(keys.map((k) => [k.accessKey === old.accessKey ? 'old' : 'new', k.state]).sort()).toEqual([
      ['new', 'ready'],
      ['old', 'retiring'],
    ]);
    const stored = h.sink.get({ sink: 'fake', path: 'k' })!;
    expect(stored.accessKey).toBe(summary.outcomes[0]!.accessKey);
    expect(stored.metadata.previousAccessKey).toBe(old.accessKey);
    h.assertClean(summary);
  });

  it('custody-lost replace deletes the previous key right after the new one is ready', async () => {
    const { h, old } = seededOldKey('pending');
    const s = keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
      action: 'replace',
      reason: 'custody-lost',
      disposeBefore: 'delete',
      before: liveObject('ApiKey', old),
    });
    const summary = await executePlan(plan([s]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('replaced');
    expect(h.client.apiKeys.has(old.accessKey)).toBe(false);
    expect(h.keysOf('k').map((k) => k.state)).toEqual(['ready']);
    const writes = h.client.writes().map((c) => c.method);
    expect(writes).toEqual(['createApiKey', 'updateApiKey', 'deleteApiKey']);
  });

  it('a failed rotation restores the sink record of the key still in use', async () => {
    const { h, old } = seededOldKey();
    const { Secret } = await import('../../src/model/secret.js');
    const oldSecret = new Secret('5f0c1a52-1111-4222-8333-944455556666');
    await h.sink.write(
      { sink: 'fake', path: 'k' },
      {
        accessKey: old.accessKey,
        secretKey: oldSecret,
        metadata: {
          keyName: 'k',
          accessKey: old.accessKey,
          expiresAt: null,
          deliveredAt: '2026-01-01T00:00:00Z',
        },
      },
    );
    h.sink.corruptWrites = 3; // the new secret lands garbled every time
    const summary = await executePlan(
      plan([
        keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
          action: 'replace',
          reason: 'rotation-due',
          before: liveObject('ApiKey', old),
          disposeBefore: 'retire',
        }),
      ]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/previous record \(SCWOLDOLDOLDOLDOLDOL\) was restored/);
    const stored = h.sink.get({ sink: 'fake', path: 'k' })!;
    expect(stored.accessKey).toBe(old.accessKey);
    expect(stored.secretKey.equals(oldSecret)).toBe(true);
    expect(h.keysOf('k').map((k) => [k.accessKey, k.state])).toEqual([[old.accessKey, 'ready']]);
    assertNoSecrets(h.logs.raw, [oldSecret.reveal()]);
    h.assertClean(summary);
  });

  it('does not compensate when only the ready marker fails: the secret is safe in the sink', async () => {
    const { h, old } = seededOldKey();
    h.client.intercept('updateApiKey', (next, ak, patch, o) =>
      patch.description?.endsWith(':ready]') ? Promise.reject(serverError()) : next(ak, patch, o),
    );
    const summary = await executePlan(
      plan([
        keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
          action: 'replace',
          reason: 'rotation-due',
          before: liveObject('ApiKey', old),
        }),
      ]),
      h.deps(),
    );
    const o = summary.outcomes[0]!;
    expect(o.result).toBe('failed');
    expect(o.error).toMatch(/delivered .* and verified, but marking the key ready failed/);
    expect(h.client.callsTo('deleteApiKey')).toHaveLength(0);
    const states = h
      .keysOf('k')
      .map((k) => [k.accessKey === old.accessKey ? 'old' : 'new', k.state])
      .sort();
    expect(states).toEqual([
      ['new', 'pending'],
      ['old', 'ready'],
    ]);
    expect(h.sink.get({ sink: 'fake', path: 'k' })!.accessKey).toBe(o.accessKey);
  });

  it('reports a failed disposal of the previous key without undoing the delivery', async () => {
    const { h, old } = seededOldKey();
    h.client.intercept('updateApiKey', (next, ak, patch, o) =>
      ak === old.accessKey ? Promise.reject(invalidArgument('description', 'nope')) : next(ak, patch, o),
    );
    const summary = await executePlan(
      plan([
        keyStep(desiredKey('k', 'ci', { description: 'deploy' }), {
          action: 'replace',
          reason: 'rotation-due',
          before: liveObject('ApiKey', old),
        }),
      ]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toMatch(/is delivered and ready, but retiring the previous key/);
    expect(h.keysOf('k').filter((k) => k.state === 'ready')).toHaveLength(2);
  });

  it('never mints a second key for an address whose delivery failed in the same run', async () => {
    const h = harness({ applications: [APP] });
    h.sink.failWrites = 3;
    h.client.failNext('deleteApiKey', () => invalidArgument('access_key', 'locked'), 10);
    const first = keyStep(desiredKey('k', 'ci'), { id: 'create:ApiKey/k#1' });
    const second = keyStep(desiredKey('k', 'ci'), { id: 'create:ApiKey/k#2' });
    const summary = await executePlan(plan([first, second]), h.deps(), { concurrency: 1 });
    expect(summary.outcomes.map((o) => o.result)).toEqual(['failed', 'failed']);
    expect(summary.outcomes[1]!.error).toMatch(/no second key is created/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(1);
  });

  it('never mints two keys for one address in a run, even when the steps run concurrently', async () => {
    const h = harness({ applications: [APP] });
    const first = keyStep(desiredKey('k', 'ci'), { id: 'create:ApiKey/k#1' });
    const second = keyStep(desiredKey('k', 'ci'), { id: 'create:ApiKey/k#2' });
    const summary = await executePlan(plan([first, second]), h.deps(), { concurrency: 2 });
    expect(summary.outcomes.map((o) => o.result)).toEqual(['created', 'failed']);
    expect(summary.outcomes[1]!.error).toMatch(/pending delivery in this run; no second key is created/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(1);
    expect(h.keysOf('k').map((k) => k.state)).toEqual(['ready']);
  });

  it('computes expires_at from the lifetime at apply time', async () => {
    const h = harness({ applications: [APP] });
    h.clock.set('2026-11-23T02:00:00.000Z');
    const summary = await executePlan(
      plan([keyStep(desiredKey('k', 'ci', { rotation: { lifetimeMs: 90 * 86_400_000 } }))]),
      h.deps(),
    );
    expect(summary.ok).toBe(true);
    const k = h.keysOf('k')[0]!;
    expect(Date.parse(k.expiresAt!)).toBe(Date.parse('2027-02-21T02:00:00.000Z'));
    expect(h.sink.get({ sink: 'fake', path: 'k' })!.metadata.expiresAt).toBe(k.expiresAt);
  });

  it('follows the plan’s expiry rule: a lifetime (here the settings default), or an absolute expiry as written', async () => {
    const h = harness({ applications: [APP] });
    const summary = await executePlan(
      plan([
        keyStep(desiredKey('a', 'ci'), { after: { expiry: { type: 'lifetime', lifetimeMs: 3_600_000 } } }),
        keyStep(desiredKey('b', 'ci', { expiresAt: '2027-01-01T00:00:00Z' })),
      ]),
      h.deps(),
    );
    expect(summary.ok).toBe(true);
    expect(h.keysOf('a')[0]!.expiresAt).toBe('2026-11-23T02:00:00.000Z');
    expect(h.keysOf('b')[0]!.expiresAt).toBe('2027-01-01T00:00:00Z');
  });

  it('refuses to create a key whose absolute expiry has passed', async () => {
    const h = harness({ applications: [APP] });
    const summary = await executePlan(
      plan([keyStep(desiredKey('k', 'ci', { expiresAt: '2020-01-01T00:00:00Z' }))]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.error).toMatch(/not in the future; no key was created/);
    expect(h.client.callsTo('createApiKey')).toHaveLength(0);
  });

  it('finishes a key delivery already past its create when the run is aborted', async () => {
    const h = harness({ applications: [APP] });
    const ac = new AbortController();
    h.client.intercept('createApiKey', async (next, input, o) => {
      const r = await next(input, o);
      ac.abort(new Error('SIGTERM'));
      return r;
    });
    const summary = await executePlan(
      plan([keyStep(desiredKey('k', 'ci')), keyStep(desiredKey('k2', 'ci'))]),
      h.deps(),
      {
        concurrency: 1,
        signal: ac.signal,
      },
    );
    expect(summary.outcomes.map((o) => o.result)).toEqual(['created', 'skipped']);
    expect(h.keysOf('k').map((k) => k.state)).toEqual(['ready']);
  });
});
