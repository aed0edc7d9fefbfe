import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, type Api, openSandbox, TS_US, UUID_V4 } from './helpers.js';

describe('sandbox basics', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openSandbox();
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('hands out admin credentials that authenticate', async () => {
    expect(api.h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.h.adminAccessKey).toMatch(ACCESS_KEY);
    expect(api.h.adminSecretKey).toMatch(UUID_V4);
    expect(api.h.organizationId).toMatch(UUID_V4);
    const r = await api.get('/iam/v1alpha1/applications');
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['applications', 'total_count']);
  });

  it('creates an application with the real key order and formats', async () => {
    const r = await api.post('/iam/v1alpha1/applications', {
      name: 'basic-app',
      organization_id: api.org,
      description: 'd',
      tags: ['x'],
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual([
      'id',
      'name',
      'description',
      'created_at',
      'updated_at',
      'organization_id',
      'editable',
      'deletable',
      'managed',
      'nb_api_keys',
      'tags',
    ]);
    expect(r.json.id).toMatch(UUID_V4);
    expect(r.json.created_at).toMatch(TS_US);
    expect(r.json.updated_at).toBe(r.json.created_at);
    expect(r.json).toMatchObject({
      editable: true,
      deletable: true,
      managed: false,
      nb_api_keys: 0,
      tags: ['x'],
    });
  });
});
