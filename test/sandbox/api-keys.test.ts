import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { ACCESS_KEY, type Api, openSandbox, TS_US, UUID_V4 } from './helpers.js';

const KEY_FIELDS = [
  'access_key',
  'secret_key',
  'description',
  'created_at',
  'updated_at',
  'expires_at',
  'default_project_id',
  'editable',
  'deletable',
  'managed',
  'creation_ip',
];

describe('sandbox: API keys and authentication', () => {
  let api: Api;
  let appId: string;
  const clock = new FakeClock({ start: Date.UTC(2026, 5, 10, 16, 12, 40) });
  beforeAll(async () => {
    api = await openSandbox({ clock: clock.now });
    appId = (await api.post('/iam/v1alpha1/applications', { name: 'keys-app', organization_id: api.org }))
      .json.id;
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('reveals secret_key only in the POST response; bearer goes last', async () => {
    const created = await api.post('/iam/v1alpha1/api-keys', {
      application_id: appId,
      expires_at: '2035-07-06T11:00:00+02:00',
      default_project_id: null,
      description: 'with "quotes"',
    });
    expect(created.status).toBe(200);
    const k = created.json;
    expect(Object.keys(k)).toEqual([...KEY_FIELDS, 'application_id']);
    expect(k.access_key).toMatch(ACCESS_KEY);
    expect(k.secret_key).toMatch(UUID_V4);
    expect(k.created_at).toMatch(TS_US);
    expect(k.updated_at).toBe(k.created_at);
    expect(k.expires_at).toBe('2035-07-06T09:00:00Z');
    expect(k.default_project_id).toBe(api.org);
    expect(k.description).toBe('with "quotes"');
    expect(k.creation_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const got = (await api.get(`/iam/v1alpha1/api-keys/${k.access_key}`)).json;
    expect(got.secret_key).toBeNull();
    const listed = (await api.get(`/iam/v1alpha1/api-keys?bearer_id=${appId}`)).json;
    expect(listed.api_keys.map((x: { secret_key: unknown }) => x.secret_key)).toEqual([null]);
    clock.advance(5);
    const patched = (await api.patch(`/iam/v1alpha1/api-keys/${k.access_key}`, { description: 'changed' }))
      .json;
    expect(patched.secret_key).toBeNull();
    expect(patched.updated_at > patched.created_at).toBe(true);
    expect(patched.expires_at).toBe('2035-07-06T09:00:00Z');
    const noExpiry = (await api.post('/iam/v1alpha1/api-keys', { application_id: appId })).json;
    expect(noExpiry.expires_at).toBeNull();
    expect(noExpiry.description).toBe('');
  });

  it('404 names access_key with the key as resource_id', async () => {
    const r = await api.get('/iam/v1alpha1/api-keys/SCW0000000000000000Z');
    expect(r.json).toEqual({
      message: 'resource is not found',
      resource: 'access_key',
      resource_id: 'SCW0000000000000000Z',
      type: 'not_found',
    });
  });

  it('rejects a key with both or neither bearer, and unknown bearers', async () => {
    expect((await api.post('/iam/v1alpha1/api-keys', { description: 'x' })).json.details[0].reason).toBe(
      'required',
    );
    const both = await api.post('/iam/v1alpha1/api-keys', {
      application_id: appId,
      user_id: api.h.ownerUserId,
    });
    expect(both.status).toBe(400);
    const ghost = await api.post('/iam/v1alpha1/api-keys', {
      application_id: '0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3',
    });
    expect(ghost.status).toBe(404);
    expect(ghost.json.resource).toBe('application');
    const badExpiry = await api.post('/iam/v1alpha1/api-keys', { application_id: appId, expires_at: 'soon' });
    expect(badExpiry.json.details[0]).toMatchObject({ argument_name: 'expires_at', reason: 'format' });
  });

  it('authenticates with X-Auth-Token: missing/unknown/deleted → 401 not_found, expired → 401 expired', async () => {
    const denied = {
      message: 'authentication is denied',
      method: 'api_key',
      reason: 'not_found',
      type: 'denied_authentication',
    };
    const none = await api.call('GET', '/iam/v1alpha1/applications', undefined, null);
    expect(none.status).toBe(401);
    expect(none.text).toBe(JSON.stringify(denied));
    const unknown = await api.call(
      'GET',
      '/iam/v1alpha1/applications',
      undefined,
      '7d0e2f3a-1b2c-4d5e-8f70-8192a3b4c5d6',
    );
    expect(unknown.json).toEqual(denied);
    // A user key created through the API is a valid token (owner bearer: full rights).
    const k = (
      await api.post('/iam/v1alpha1/api-keys', {
        user_id: api.h.ownerUserId,
        expires_at: new Date(clock.now().getTime() + 60_000).toISOString(),
      })
    ).json;
    expect((await api.call('GET', '/iam/v1alpha1/applications', undefined, k.secret_key)).status).toBe(200);
    clock.advance(61_000);
    const expired = await api.call('GET', '/iam/v1alpha1/applications', undefined, k.secret_key);
    expect(expired.json).toEqual({ ...denied, reason: 'expired' });
    const k2 = (await api.post('/iam/v1alpha1/api-keys', { user_id: api.h.ownerUserId })).json;
    await api.del(`/iam/v1alpha1/api-keys/${k2.access_key}`);
    expect((await api.call('GET', '/iam/v1alpha1/applications', undefined, k2.secret_key)).json).toEqual(
      denied,
    );
  });

  it('filters by bearer, description, editable, expired and access_keys', async () => {
    const other = (
      await api.post('/iam/v1alpha1/applications', { name: 'filter-app', organization_id: api.org })
    ).json;
    const now = clock.now().getTime();
    const soon = (
      await api.post('/iam/v1alpha1/api-keys', {
        application_id: other.id,
        description: 'soon',
        expires_at: new Date(now + 1000).toISOString(),
      })
    ).json;
    const later = (
      await api.post('/iam/v1alpha1/api-keys', {
        application_id: other.id,
        description: 'later',
        expires_at: new Date(now + 86_400_000).toISOString(),
      })
    ).json;
    const never = (
      await api.post('/iam/v1alpha1/api-keys', { application_id: other.id, description: 'never' })
    ).json;
    clock.advance(2000);
    const q = (s: string) =>
      api.get(`/iam/v1alpha1/api-keys?bearer_type=unknown_bearer_type&bearer_id=${other.id}&${s}`);
    const keysOf = (r: { json: { api_keys: Array<{ access_key: string }> } }) =>
      r.json.api_keys.map((k) => k.access_key);
    expect(keysOf(await q(''))).toEqual([soon.access_key, later.access_key, never.access_key]);
    expect(keysOf(await q('expired=false'))).toEqual([later.access_key, never.access_key]);
    expect(keysOf(await q('expired=true'))).toEqual([soon.access_key]);
    expect(keysOf(await q('description=later'))).toEqual([later.access_key]);
    expect(keysOf(await q('order_by=expires_at_desc'))).toEqual([
      never.access_key,
      later.access_key,
      soon.access_key,
    ]);
    expect(keysOf(await q(`access_keys=${never.access_key}&access_keys=${soon.access_key}`))).toEqual([
      soon.access_key,
      never.access_key,
    ]);
    const users = await api.get('/iam/v1alpha1/api-keys?bearer_type=user');
    expect(
      users.json.api_keys.every((k: Record<string, unknown>) => 'user_id' in k && !('application_id' in k)),
    ).toBe(true);
    const apps = await api.get(`/iam/v1alpha1/api-keys?bearer_type=application&bearer_id=${other.id}`);
    expect(apps.json.total_count).toBe(3);
    expect((await api.get('/iam/v1alpha1/api-keys?bearer_type=robot')).status).toBe(400);
  });
});
