/**
 * The sandbox caches filtered and sorted list results between writes (paging through 10,000
 * objects must not re-sort them for every page). A cached result must never be stale: writes
 * through the API, direct store seeding and the passage of time (the `expired` filter) all show.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox } from './helpers.js';

let api: Api | undefined;
afterEach(async () => {
  await api?.h.close();
  api = undefined;
});

const names = async (a: Api, q = '') =>
  ((await a.get(`/iam/v1alpha1/applications?page_size=100${q}`)).json.applications as { name: string }[]).map(
    (x) => x.name,
  );

describe('sandbox list cache', () => {
  it('shows creates, patches and deletes made through the API at once', async () => {
    api = await openSandbox({ managedVpnGateways: 0 });
    const a = (await api.post('/iam/v1alpha1/applications', { name: 'one', organization_id: api.org })).json;
    expect(await names(api)).toContain('one');
    await api.post('/iam/v1alpha1/applications', { name: 'two', organization_id: api.org });
    expect(await names(api)).toEqual(expect.arrayContaining(['one', 'two']));
    await api.patch(`/iam/v1alpha1/applications/${a.id}`, { name: 'uno', tags: ['x'] });
    expect(await names(api)).toContain('uno');
    expect(await names(api, '&tag=x')).toEqual(['uno']);
    await api.del(`/iam/v1alpha1/applications/${a.id}`);
    expect(await names(api)).not.toContain('uno');
    expect(await names(api, '&tag=x')).toEqual([]);
  });

  it('shows objects seeded directly into the store', async () => {
    api = await openSandbox({ managedVpnGateways: 0 });
    const before = await names(api);
    api.h.seedApplications(3);
    expect((await names(api)).length).toBe(before.length + 3);
  });

  it('re-evaluates the expired filter as time passes', async () => {
    const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
    api = await openSandbox({ clock: clock.now, managedVpnGateways: 0 });
    const app = (await api.post('/iam/v1alpha1/applications', { name: 'exp', organization_id: api.org }))
      .json;
    const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
    await api.post('/iam/v1alpha1/api-keys', {
      application_id: app.id,
      expires_at: expiresAt,
      description: 'k',
    });
    const live = async () =>
      (await api!.get(`/iam/v1alpha1/api-keys?expired=false&bearer_id=${app.id}`)).json.total_count as number;
    expect(await live()).toBe(1);
    clock.advance(120_000);
    expect(await live()).toBe(0);
  });
});
