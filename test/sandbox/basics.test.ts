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

describe('sandbox control API and JSON layout', () => {
  it('lets the admin key read and change faults at runtime over HTTP', async () => {
    const api = await openSandbox({ faults: { latencyMs: 0 } });
    try {
      const got = await api.get('/_sandbox/faults');
      expect(got.json).toEqual({ latencyMs: 0 });
      const set = await api.patch('/_sandbox/faults', { rate429: 1, latencyMs: null });
      expect(set.json).toEqual({ rate429: 1 });
      expect((await api.get('/iam/v1alpha1/users')).status).toBe(429);
      // the control API itself is never faulted
      expect((await api.patch('/_sandbox/faults', { rate429: null })).status).toBe(200);
      expect((await api.get('/iam/v1alpha1/users')).status).toBe(200);
      expect((await api.patch('/_sandbox/faults', { rate429: 7 })).status).toBe(400);
      expect((await api.get('/_sandbox/stats')).json).toMatchObject({ injected_faults: 1 });
      const app = (await api.post('/iam/v1alpha1/applications', { name: 'x', organization_id: api.org }))
        .json;
      const key = (await api.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
      expect((await api.call('GET', '/_sandbox/faults', undefined, key.secret_key)).status).toBe(403);
      expect((await api.call('GET', '/_sandbox/faults', undefined, null)).status).toBe(401);
    } finally {
      await api.h.close();
    }
  });

  it('can answer with ", "-separated JSON like some real recordings', async () => {
    const api = await openSandbox({ jsonStyle: 'spaced', seed: false });
    try {
      const r = await api.get('/iam/v1alpha1/users');
      expect(r.text).toMatch(/^\{"users":\[\{"id":"[0-9a-f-]{36}", "email":/);
      expect(r.json.total_count).toBe(1);
      expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.text));
    } finally {
      await api.h.close();
    }
  });
});

describe('sandbox request hygiene', () => {
  it('answers 400 to malformed JSON, 404 to unknown routes, 405 to wrong methods', async () => {
    const api = await openSandbox({ seed: false });
    try {
      const bad = await api.call('POST', '/iam/v1alpha1/applications', '{"name":');
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({ message: 'request body is not valid JSON', type: 'invalid_request_error' });
      expect((await api.call('POST', '/iam/v1alpha1/applications', '[1]')).status).toBe(400);
      expect((await api.get('/iam/v1alpha1/ssh-keys')).status).toBe(404);
      expect((await api.call('PUT', '/iam/v1alpha1/applications', {})).status).toBe(405);
      expect((await api.get('/iam/v1alpha1/applications/%E0%A4%A')).status).toBe(400);
      // trailing slash and unknown query parameters are tolerated
      expect((await api.get('/iam/v1alpha1/applications/?foo=bar')).status).toBe(200);
    } finally {
      await api.h.close();
    }
  });
});
