/**
 * The API-key quota (docs/design/scaleway-api.md §9, "Quotas"): with `apiKeyQuota`, a create
 * beyond it is refused 403 `quotas_exceeded` with `details[] {current, quota, resource}`, the
 * shape the SDKs parse; deleting a key (an expired one included: it still counts) frees a place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: API-key quota', () => {
  let api: Api;
  let appId: string;
  beforeAll(async () => {
    api = await openSandbox({ apiKeyQuota: 3 });
    appId = (await api.post('/iam/v1alpha1/applications', { name: 'quota-app', organization_id: api.org }))
      .json.id;
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('counts every key of the organization, expired ones too, and refuses the one over', async () => {
    const before = api.h.store.apiKeys.size; // the admin's key
    const made: string[] = [];
    for (let i = before; i < 3; i++) {
      const r = await api.post('/iam/v1alpha1/api-keys', {
        application_id: appId,
        expires_at: '2001-01-01T00:00:00Z',
      });
      expect(r.status).toBe(200);
      made.push(r.json.access_key);
    }
    const refused = await api.post('/iam/v1alpha1/api-keys', { application_id: appId });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      details: [{ current: 3, quota: 3, resource: 'api_keys' }],
      message: 'quota(s) exceeded for this resource',
      type: 'quotas_exceeded',
    });
    expect(Object.keys(refused.json)).toEqual(['details', 'message', 'type']);
    expect((await api.del(`/iam/v1alpha1/api-keys/${made[0]}`)).status).toBe(204);
    expect((await api.post('/iam/v1alpha1/api-keys', { application_id: appId })).status).toBe(200);
  });
});
