import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: lists, pagination, sorting, filters', () => {
  let api: Api;
  beforeAll(async () => {
    api = await openSandbox({ seed: false });
    api.h.seedApplications(45, { prefix: 'bulk', tags: ['bulk'] });
    for (const name of ['Zeta', 'alpha', 'Beta', 'beta', 'ALPHA']) {
      await api.post('/iam/v1alpha1/applications', { name, organization_id: api.org, tags: ['named', name] });
    }
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('IAM default page size is 20, total_count last, pages past the end are empty with the real total', async () => {
    const p1 = await api.get('/iam/v1alpha1/applications');
    expect(Object.keys(p1.json)).toEqual(['applications', 'total_count']);
    expect(p1.json.applications).toHaveLength(20);
    expect(p1.json.total_count).toBe(50);
    const p3 = (await api.get('/iam/v1alpha1/applications?page=3')).json;
    expect(p3.applications).toHaveLength(10);
    const p9 = (await api.get('/iam/v1alpha1/applications?page=9')).json;
    expect(p9).toEqual({ applications: [], total_count: 50 });
    const all = (await api.get('/iam/v1alpha1/applications?page_size=100')).json;
    expect(all.applications).toHaveLength(50);
    // created_at ascending by default, timestamps strictly increasing
    const created = all.applications.map((a: { created_at: string }) => a.created_at);
    expect([...created].sort()).toEqual(created);
  });

  it('page=0, page_size=0 and page_size>100 are 400 invalid_arguments', async () => {
    for (const q of ['page=0', 'page_size=0', 'page_size=101', 'page=-1', 'page=abc']) {
      const r = await api.get(`/iam/v1alpha1/applications?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.type).toBe('invalid_arguments');
      expect(r.json.details[0].argument_name).toBe(q.split('=')[0]);
    }
    expect((await api.get('/account/v3/projects?page_size=101')).status).toBe(400);
    expect((await api.get('/iam/v1alpha1/applications?order_by=size_asc')).status).toBe(400);
  });

  it('projects put total_count first and default to 50 per page', async () => {
    for (let i = 0; i < 55; i++) {
      await api.post('/account/v3/projects', {
        name: `proj-${i}`,
        organization_id: api.org,
        description: '',
      });
    }
    const r = await api.get('/account/v3/projects');
    expect(Object.keys(r.json)).toEqual(['total_count', 'projects']);
    expect(r.json.total_count).toBe(56);
    expect(r.json.projects).toHaveLength(50);
  });

  it('name sorts are case-insensitive with a stable tie-break', async () => {
    const names = async (order: string) =>
      (await api.get(`/iam/v1alpha1/applications?tag=named&order_by=${order}`)).json.applications.map(
        (a: { name: string }) => a.name,
      );
    expect(await names('name_asc')).toEqual(['ALPHA', 'alpha', 'Beta', 'beta', 'Zeta']);
    expect(await names('name_desc')).toEqual(['Zeta', 'beta', 'Beta', 'alpha', 'ALPHA']);
    expect(await names('created_at_desc')).toEqual(['ALPHA', 'beta', 'Beta', 'alpha', 'Zeta']);
  });

  it('tag is an element match, name is exact, *_ids are repeated keys, unknown_* and organization_id= mean no filter', async () => {
    expect((await api.get('/iam/v1alpha1/applications?tag=bul')).json.total_count).toBe(0);
    expect((await api.get('/iam/v1alpha1/applications?tag=bulk')).json.total_count).toBe(45);
    expect((await api.get('/iam/v1alpha1/applications?name=alpha')).json.total_count).toBe(1);
    expect((await api.get('/iam/v1alpha1/applications?organization_id=')).json.total_count).toBe(50);
    expect((await api.get(`/iam/v1alpha1/applications?organization_id=${api.org}`)).json.total_count).toBe(
      50,
    );
    const otherOrg = await api.get(
      '/iam/v1alpha1/applications?organization_id=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    );
    expect(otherOrg.json.total_count).toBe(0);
    const some = (await api.get('/iam/v1alpha1/applications?page_size=3')).json.applications.map(
      (a: { id: string }) => a.id,
    );
    const byIds = await api.get(
      `/iam/v1alpha1/applications?application_ids=${some[2]}&application_ids=${some[0]}`,
    );
    expect(byIds.json.applications.map((a: { id: string }) => a.id)).toEqual([some[0], some[2]]);
    expect((await api.get('/iam/v1alpha1/applications?application_ids=nope')).status).toBe(400);
    const users = await api.get('/iam/v1alpha1/users?type=unknown_type');
    expect(users.json.total_count).toBe(1);
    expect((await api.get('/iam/v1alpha1/api-keys?bearer_type=unknown_bearer_type')).json.total_count).toBe(
      1,
    );
  });

  it('can match names by substring when configured', async () => {
    const other = await openSandbox({ seed: false, nameFilter: 'contains' });
    try {
      other.h.seedApplications(3, { prefix: 'app' });
      expect((await other.get('/iam/v1alpha1/applications?name=APP-0000')).json.total_count).toBe(3);
    } finally {
      await other.h.close();
    }
  });
});

describe('sandbox: bulk seeding for benchmarks', () => {
  it('seeds applications, keys, groups, policies and projects in one batch', async () => {
    const api = await openSandbox({ seed: false });
    try {
      const r = api.h.seedBulk({
        applications: 150,
        apiKeysPerApplication: 2,
        groups: 25,
        policies: 30,
        projects: 3,
      });
      expect(r.applicationIds).toHaveLength(150);
      expect(r.accessKeys).toHaveLength(300);
      const apps = (await api.get('/iam/v1alpha1/applications?page=2&page_size=100')).json;
      expect(apps.total_count).toBe(150);
      expect(apps.applications[0]).toMatchObject({ name: 'bulk-app-00101', nb_api_keys: 2 });
      expect((await api.get('/iam/v1alpha1/api-keys?bearer_type=application')).json.total_count).toBe(300);
      expect((await api.get('/iam/v1alpha1/groups')).json.total_count).toBe(25);
      const pol = (await api.get('/iam/v1alpha1/policies?page_size=1')).json;
      expect(pol.total_count).toBe(30);
      expect(pol.policies[0]).toMatchObject({ name: 'bulk-policy-00001', nb_rules: 1 });
      expect((await api.get('/account/v3/projects')).json.total_count).toBe(4);
    } finally {
      await api.h.close();
    }
  });
});
