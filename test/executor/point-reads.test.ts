/**
 * Every write is checked by one point read just before it (docs/design/plan-contract.md §2): the
 * plan was made from a listing, and the organization may have changed since, or the listing may
 * have missed something. A refusal writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import { ownerTag } from '../../src/model/ownership.js';
import { desiredApp, desiredKey, liveObject, plan, step } from '../helpers/builders.js';
import { harness } from './harness.js';

const OURS = [ownerTag('default')];
const keyDescription = (name: string, state: string) => `k [scw-gitops:default:${name}:${state}]`;

/** The fake client's calls, as `method` names, in order. */
const calls = (h: ReturnType<typeof harness>) => h.client.calls.map((c) => c.method);

describe('point reads before writes', () => {
  it('reads the target once, then writes: one request per write', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'ci', description: 'old', tags: OURS }] });
    const update = step(desiredApp('ci', { description: 'new' }), {
      action: 'update',
      before: liveObject('Application', h.client.applications.get('a-1')!),
      changes: [{ field: 'description', before: 'old', after: 'new' }],
    });
    const summary = await executePlan(plan([update]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('updated');
    expect(calls(h)).toEqual(['getApplication', 'updateApplication']);
  });

  it('refuses an update of an object that lost our marker since the plan (nothing written)', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'ci', tags: OURS }] });
    const before = liveObject('Application', h.client.applications.get('a-1')!);
    h.client.applications.set('a-1', { ...h.client.applications.get('a-1')!, tags: ['team=other'] });
    const summary = await executePlan(
      plan([step(desiredApp('ci'), { action: 'update', before, changes: [{ field: 'tags' }] })]),
      h.deps(),
    );
    expect(summary.outcomes[0]).toMatchObject({ result: 'failed' });
    expect(summary.outcomes[0]!.error).toContain('does not carry the marker of instance "default"');
    expect(h.client.writes()).toEqual([]);
  });

  it('refuses to delete a key that is not ours (a user key swapped into the plan), nothing written', async () => {
    const h = harness({
      apiKeys: [
        { accessKey: 'SCWUSERUSERUSERUSERU', description: 'owner key', bearer: { type: 'user', id: 'u-1' } },
      ],
    });
    const before = liveObject('ApiKey', h.client.apiKeys.get('SCWUSERUSERUSERUSERU')!);
    const summary = await executePlan(
      plan([step(undefined, { action: 'delete', before, name: 'ci' })]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain('it is not owned by this instance');
    expect(h.client.callsTo('deleteApiKey')).toEqual([]);
    expect(h.client.apiKeys.has('SCWUSERUSERUSERUSERU')).toBe(true);
  });

  it('refuses to delete a key whose custody state changed since the plan (retiring → ready)', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: OURS }],
      apiKeys: [
        {
          accessKey: 'SCWOLDOLDOLDOLDOLDOL',
          description: keyDescription('ci', 'retiring'),
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const before = liveObject('ApiKey', h.client.apiKeys.get('SCWOLDOLDOLDOLDOLDOL')!);
    const key = h.client.apiKeys.get('SCWOLDOLDOLDOLDOLDOL')!;
    h.client.apiKeys.set(key.accessKey, { ...key, description: keyDescription('ci', 'ready') });
    const summary = await executePlan(plan([step(undefined, { action: 'delete', before })]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain('is now marked ready, not retiring');
    expect(h.client.apiKeys.has('SCWOLDOLDOLDOLDOLDOL')).toBe(true);
  });

  it('counts a delete whose target is already gone as done, without a DELETE', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'old', tags: OURS }] });
    const before = liveObject('Application', h.client.applications.get('a-1')!);
    h.client.applications.delete('a-1');
    const summary = await executePlan(plan([step(undefined, { action: 'delete', before })]), h.deps());
    expect(summary.outcomes[0]).toMatchObject({ result: 'deleted', note: 'already gone' });
    expect(calls(h)).toEqual(['getApplication']);
  });

  it('a create that finds our object of that name (the listing missed it) uses it; dependents follow', async () => {
    const h = harness({ applications: [{ id: 'a-7', name: 'ci', description: 'stale', tags: OURS }] });
    const app = step(desiredApp('ci', { description: 'fresh' }));
    const key = step(desiredKey('ci-key', 'ci'), { dependsOn: [app.id] });
    const summary = await executePlan(plan([app, key]), h.deps());
    expect(summary.outcomes.map((o) => o.result)).toEqual(['updated', 'created']);
    expect(summary.outcomes[0]!.note).toContain(
      'already exists (the listing missed it): used instead of creating',
    );
    expect(h.client.callsTo('createApplication')).toEqual([]);
    expect(h.client.applications.size).toBe(1);
    expect(h.client.applications.get('a-7')!.description).toBe('fresh');
    expect(h.keysOf('ci-key').map((k) => k.bearer)).toEqual([{ type: 'application', id: 'a-7' }]);
  });

  it('refuses a create when an object of that name appeared that is not ours', async () => {
    const h = harness({ applications: [{ id: 'a-9', name: 'ci', tags: ['team=other'] }] });
    const app = step(desiredApp('ci'));
    const key = step(desiredKey('ci-key', 'ci'), { dependsOn: [app.id] });
    const summary = await executePlan(plan([app, key]), h.deps());
    expect(summary.outcomes.map((o) => o.result)).toEqual(['failed', 'skipped']);
    expect(summary.outcomes[0]!.error).toContain(
      'a Application named "ci" exists that is not ours: a-9 (unmarked)',
    );
    expect(h.client.writes()).toEqual([]);
  });

  it('never creates a second current key: a key the listing missed skips the create', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: OURS }],
      apiKeys: [
        {
          accessKey: 'SCWMISSEDMISSEDMISSE',
          description: keyDescription('k', 'ready'),
          bearer: { type: 'application', id: 'a-1' },
        },
        {
          accessKey: 'SCWRETIRINGRETIRINGR',
          description: keyDescription('k', 'retiring'),
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const create = step(desiredKey('k', 'ci'), {
      refs: { 'Application/ci': { id: 'a-1' } },
      knownKeys: ['SCWRETIRINGRETIRINGR'],
    });
    const summary = await executePlan(plan([create]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('skipped');
    expect(summary.outcomes[0]!.error).toContain('SCWMISSEDMISSEDMISSE (ready) exists but the listing');
    expect(h.client.callsTo('createApiKey')).toEqual([]);
    expect(h.sink.ops.filter((o) => o.op === 'preflight' || o.op === 'write')).toEqual([]);
  });

  it('a known retiring key does not block a new one', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: OURS }],
      apiKeys: [
        {
          accessKey: 'SCWRETIRINGRETIRINGR',
          description: keyDescription('k', 'retiring'),
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const create = step(desiredKey('k', 'ci'), {
      refs: { 'Application/ci': { id: 'a-1' } },
      knownKeys: ['SCWRETIRINGRETIRINGR'],
    });
    const summary = await executePlan(plan([create]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('created');
  });

  it('never replaces a key twice: a replace whose key another pass already retired is skipped', async () => {
    const h = harness({
      applications: [{ id: 'a-1', name: 'ci', tags: OURS }],
      apiKeys: [
        {
          accessKey: 'SCWOLDOLDOLDOLDOLDOL',
          description: keyDescription('k', 'ready'),
          bearer: { type: 'application', id: 'a-1' },
        },
      ],
    });
    const before = liveObject('ApiKey', h.client.apiKeys.get('SCWOLDOLDOLDOLDOLDOL')!);
    const old = h.client.apiKeys.get('SCWOLDOLDOLDOLDOLDOL')!;
    h.client.apiKeys.set(old.accessKey, { ...old, description: keyDescription('k', 'retiring') });
    const replace = step(desiredKey('k', 'ci'), {
      action: 'replace',
      reason: 'rotation-due',
      before,
      refs: { 'Application/ci': { id: 'a-1' } },
    });
    const summary = await executePlan(plan([replace]), h.deps());
    expect(summary.outcomes[0]!.result).toBe('skipped');
    expect(summary.outcomes[0]!.error).toContain('is no longer ready; not replaced');
    expect(h.client.callsTo('createApiKey')).toEqual([]);
  });

  it('refuses an adoption of an object another instance marked since the plan', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'ci', tags: [] }] });
    const before = liveObject('Application', h.client.applications.get('a-1')!);
    h.client.applications.set('a-1', { ...h.client.applications.get('a-1')!, tags: [ownerTag('prod')] });
    const summary = await executePlan(
      plan([step(desiredApp('ci'), { action: 'adopt', reason: 'adopt-requested', before })]),
      h.deps(),
    );
    expect(summary.outcomes[0]!.result).toBe('failed');
    expect(summary.outcomes[0]!.error).toContain('now belongs to instance "prod"');
    expect(h.client.writes()).toEqual([]);
  });

  it('refuses to create a key whose plan says no sink is declared', async () => {
    const h = harness({ applications: [{ id: 'a-1', name: 'ci', tags: OURS }] });
    const create = step(desiredKey('k', 'ci'), {
      refs: { 'Application/ci': { id: 'a-1' } },
      after: { sink: { sink: '', type: 'none', target: 'nowhere' } },
    });
    const summary = await executePlan(plan([create]), h.deps());
    expect(summary.outcomes[0]!.error).toContain('no secret sink is declared');
    expect(h.client.calls).toEqual([]);
  });
});
