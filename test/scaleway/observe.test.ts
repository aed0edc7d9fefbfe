/** observeLive: parallel listing, rules of owned policies only, tolerant permission-set read. */
import { describe, expect, it } from 'vitest';
import { observeLive } from '../../src/scaleway/observe.js';
import { FakeScalewayClient, notFound, permissionsDenied, serverError } from '../fakes/fake-scaleway.js';

const now = () => new Date('2026-03-01T12:00:00Z');

async function seeded() {
  const client = new FakeScalewayClient({ now });
  const app = await client.createApplication({ name: 'ci', description: '', tags: ['scw-gitops=prod'] });
  await client.createApiKey({ applicationId: app.id, description: 'k' });
  await client.createGroup({ name: 'ops', description: '', tags: [] });
  const org = { type: 'organization' as const, organizationId: client.organizationId };
  const mine = await client.createPolicy({
    name: 'mine',
    description: '',
    tags: ['scw-gitops=prod'],
    principal: { type: 'application', id: app.id },
    rules: [{ permissionSetNames: ['IAMReadOnly'], scope: org }],
  });
  const theirs = await client.createPolicy({
    name: 'theirs',
    description: '',
    tags: ['scw-gitops=staging'],
    principal: { type: 'none' },
    rules: [{ permissionSetNames: ['IAMReadOnly'], scope: org }],
  });
  return { client, mine, theirs };
}

describe('observeLive', () => {
  it('lists every kind and reads the rules of owned policies only', async () => {
    const { client, mine, theirs } = await seeded();
    const live = await observeLive(client, { instance: 'prod', now });
    expect(live.organizationId).toBe(client.organizationId);
    expect(live.applications).toHaveLength(1);
    expect(live.apiKeys).toHaveLength(1);
    expect(live.groups).toHaveLength(1);
    expect(live.policies.map((p) => p.name).sort()).toEqual(['mine', 'theirs']);
    expect([...live.rules.keys()]).toEqual([mine.id]);
    expect(live.rules.get(mine.id)?.[0]?.permissionSetNames).toEqual(['IAMReadOnly']);
    expect(live.permissionSets?.length).toBeGreaterThan(0);
    expect(live.observedAt).toBe('2026-03-01T12:00:00.000Z');
    expect(client.callsTo('listRules').map((c) => c.args[0])).toEqual([mine.id]);
    const all = await observeLive(client, { instance: 'prod', now, readRules: 'all' });
    expect([...all.rules.keys()].sort()).toEqual([mine.id, theirs.id].sort());
  });

  it('leaves permissionSets undefined on 403 or 404', async () => {
    for (const err of [permissionsDenied('permission_set', 'read'), notFound('permission_set', '')]) {
      const { client } = await seeded();
      client.failNext('listPermissionSets', err);
      const live = await observeLive(client, { instance: 'prod', now });
      expect(live.permissionSets).toBeUndefined();
      expect(live.applications).toHaveLength(1);
    }
  });

  it('fails on any other error, including one from the permission-set read', async () => {
    const { client } = await seeded();
    client.failNext('listGroups', serverError());
    await expect(observeLive(client, { instance: 'prod', now })).rejects.toMatchObject({ status: 503 });
    client.failNext('listPermissionSets', serverError());
    await expect(observeLive(client, { instance: 'prod', now })).rejects.toMatchObject({ status: 503 });
  });

  it('rejects with the caller abort reason', async () => {
    const { client } = await seeded();
    const reason = new Error('shutdown');
    await expect(
      observeLive(client, { instance: 'prod', now, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });
});
