import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: authorisation of non-owner keys', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openSandbox();
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('an application key needs a policy: 403 permissions_denied, then IAMManager grants IAM', async () => {
    const app = (await api.post('/iam/v1alpha1/applications', { name: 'robot', organization_id: api.org }))
      .json;
    const key = (await api.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
    const as = (method: string, path: string, body?: unknown) => api.call(method, path, body, key.secret_key);
    const denied = await as('GET', `/iam/v1alpha1/api-keys/${key.access_key}`);
    expect(denied.status).toBe(403);
    expect(denied.text).toBe(
      '{"details":[{"action":"read","resource":"api_key"}],"message":"insufficient permissions","type":"permissions_denied"}',
    );
    const group = (await api.post('/iam/v1alpha1/groups', { name: 'readers', organization_id: api.org }))
      .json;
    await api.put(`/iam/v1alpha1/groups/${group.id}/members`, { application_ids: [app.id] });
    await api.post('/iam/v1alpha1/policies', {
      name: 'readers-iam',
      organization_id: api.org,
      group_id: group.id,
      rules: [{ permission_set_names: ['IAMReadOnly'], organization_id: api.org }],
    });
    expect((await as('GET', '/iam/v1alpha1/applications')).status).toBe(200);
    const write = await as('POST', '/iam/v1alpha1/applications', { name: 'nope', organization_id: api.org });
    expect(write.json.details).toEqual([{ action: 'write', resource: 'application' }]);
    expect((await as('GET', '/account/v3/projects')).status).toBe(403);
    await api.post('/iam/v1alpha1/policies', {
      name: 'robot-admin',
      organization_id: api.org,
      application_id: app.id,
      rules: [{ permission_set_names: ['IAMManager', 'ProjectManager'], organization_id: api.org }],
    });
    expect(
      (await as('POST', '/iam/v1alpha1/applications', { name: 'yes', organization_id: api.org })).status,
    ).toBe(200);
    expect((await as('GET', '/account/v3/projects')).status).toBe(200);
  });

  it('project-scoped rules do not grant organization-level rights', async () => {
    const app = (await api.post('/iam/v1alpha1/applications', { name: 'scoped', organization_id: api.org }))
      .json;
    const key = (await api.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
    await api.post('/iam/v1alpha1/policies', {
      name: 'scoped-all',
      organization_id: api.org,
      application_id: app.id,
      rules: [{ permission_set_names: ['AllProductsFullAccess'], project_ids: [api.org] }],
    });
    expect((await api.call('GET', '/iam/v1alpha1/users', undefined, key.secret_key)).status).toBe(403);
  });

  it('can be switched off', async () => {
    const open = await openSandbox({ enforcePermissions: false });
    try {
      const app = (await open.post('/iam/v1alpha1/applications', { name: 'free', organization_id: open.org }))
        .json;
      const key = (await open.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
      expect((await open.call('GET', '/iam/v1alpha1/groups', undefined, key.secret_key)).status).toBe(200);
    } finally {
      await open.h.close();
    }
  });
});
