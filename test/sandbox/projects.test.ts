import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox, TS_US } from './helpers.js';

describe('sandbox: Account v3 projects', () => {
  let api: Api;
  const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
  beforeAll(async () => {
    api = await openSandbox({ clock: clock.now });
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('has a default project with id == organization id, name "default"', async () => {
    const r = await api.get(`/account/v3/projects/${api.org}`);
    expect(r.json).toMatchObject({ id: api.org, name: 'default', organization_id: api.org });
    const byName = (await api.get(`/account/v3/projects?name=default&organization_id=${api.org}`)).json;
    expect(byName.total_count).toBe(1);
    expect((await api.patch(`/account/v3/projects/${api.org}`, { name: 'renamed' })).status).toBe(403);
    expect((await api.patch(`/account/v3/projects/${api.org}`, { description: 'ok' })).status).toBe(200);
    expect((await api.del(`/account/v3/projects/${api.org}`)).status).toBe(403);
  });

  it('answers qualification null on POST/PATCH and an object on GET/list', async () => {
    const created = await api.post('/account/v3/projects', {
      name: 'tf-tests-project',
      organization_id: api.org,
      description: 'a description',
    });
    expect(Object.keys(created.json)).toEqual([
      'id',
      'name',
      'organization_id',
      'created_at',
      'updated_at',
      'description',
      'qualification',
    ]);
    expect(created.json.qualification).toBeNull();
    expect(created.json.created_at).toMatch(TS_US);
    const got = (await api.get(`/account/v3/projects/${created.json.id}`)).json;
    expect(got.qualification).toEqual({ architecture_type: 'unknown_architecture_type' });
    clock.advance(10);
    const patched = (await api.patch(`/account/v3/projects/${created.json.id}`, { name: 'renamed project' }))
      .json;
    expect(patched.qualification).toBeNull();
    expect(patched.updated_at > patched.created_at).toBe(true);
    const listed = (await api.get('/account/v3/projects?name=renamed project')).json.projects[0];
    expect(listed.qualification).toEqual({ architecture_type: 'unknown_architecture_type' });
  });

  it('validates the project name pattern and the 404 uses resource "project_id"', async () => {
    const bad = await api.post('/account/v3/projects', { name: 'no/slash', organization_id: api.org });
    expect(bad.json.details[0]).toMatchObject({ argument_name: 'name', reason: 'constraint' });
    const id = '4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c';
    expect((await api.get(`/account/v3/projects/${id}`)).text).toBe(
      `{"message":"resource is not found","resource":"project_id","resource_id":"${id}","type":"not_found"}`,
    );
    expect((await api.get('/account/v3/projects/xyz')).json.details[0]).toEqual({
      argument_name: 'project_id',
      help_message: 'value must be a valid UUID',
      reason: 'format',
    });
  });

  it('refuses DELETE with 412 resource_still_in_use while keys or rules reference the project', async () => {
    const p = (await api.post('/account/v3/projects', { name: 'in-use', organization_id: api.org })).json;
    const app = (
      await api.post('/iam/v1alpha1/applications', { name: 'in-use-app', organization_id: api.org })
    ).json;
    const key = (
      await api.post('/iam/v1alpha1/api-keys', { application_id: app.id, default_project_id: p.id })
    ).json;
    const pol = (
      await api.post('/iam/v1alpha1/policies', {
        name: 'in-use-pol',
        organization_id: api.org,
        application_id: app.id,
        rules: [{ permission_set_names: ['AllProductsFullAccess'], project_ids: [p.id] }],
      })
    ).json;
    const refused = await api.del(`/account/v3/projects/${p.id}`);
    expect(refused.status).toBe(412);
    expect(refused.json).toMatchObject({
      precondition: 'resource_still_in_use',
      type: 'precondition_failed',
    });
    expect(Object.keys(refused.json)).toEqual(['help_message', 'message', 'precondition', 'type']);
    await api.del(`/iam/v1alpha1/api-keys/${key.access_key}`);
    expect((await api.del(`/account/v3/projects/${p.id}`)).status).toBe(412);
    await api.del(`/iam/v1alpha1/policies/${pol.id}`);
    expect((await api.del(`/account/v3/projects/${p.id}`)).status).toBe(204);
    expect((await api.del(`/account/v3/projects/${p.id}`)).status).toBe(404);
  });

  it('filters by repeated project_ids and sorts by name', async () => {
    const a = (await api.post('/account/v3/projects', { name: 'b-proj', organization_id: api.org })).json;
    const b = (await api.post('/account/v3/projects', { name: 'A-proj', organization_id: api.org })).json;
    const r = (
      await api.get(`/account/v3/projects?project_ids=${a.id}&project_ids=${b.id}&order_by=name_asc`)
    ).json;
    expect(r.projects.map((p: { name: string }) => p.name)).toEqual(['A-proj', 'b-proj']);
  });
});

describe('sandbox: project qualification and policy clone', () => {
  it('stores a qualification that GET then shows (POST/PATCH still answer null)', async () => {
    const api = await openSandbox({ seed: false });
    try {
      const p = (await api.post('/account/v3/projects', { name: 'qualified', organization_id: api.org }))
        .json;
      const q = await api.post(`/account/v3/projects/${p.id}/project-qualification`, {
        qualification: { architecture_type: 'kubernetes' },
      });
      expect(q.json).toEqual({ project_id: p.id, qualification: { architecture_type: 'kubernetes' } });
      expect((await api.get(`/account/v3/projects/${p.id}`)).json.qualification).toEqual({
        architecture_type: 'kubernetes',
      });
      expect(
        (await api.patch(`/account/v3/projects/${p.id}`, { description: 'x' })).json.qualification,
      ).toBeNull();
      const bad = await api.post(`/account/v3/projects/${p.id}/project-qualification`, {
        qualification: { architecture_type: 'mainframe' },
      });
      expect(bad.status).toBe(400);
    } finally {
      await api.h.close();
    }
  });

  it('clones a policy with new rule ids', async () => {
    const api = await openSandbox({ seed: false });
    try {
      const p = (
        await api.post('/iam/v1alpha1/policies', {
          name: 'orig',
          organization_id: api.org,
          no_principal: true,
          rules: [{ permission_set_names: ['IAMReadOnly'], organization_id: api.org }],
        })
      ).json;
      const c = (await api.post(`/iam/v1alpha1/policies/${p.id}/clone`, {})).json;
      expect(c.id).not.toBe(p.id);
      expect(c).toMatchObject({ nb_rules: 1, editable: true, no_principal: true });
      const r1 = (await api.get(`/iam/v1alpha1/rules?policy_id=${p.id}`)).json.rules[0];
      const r2 = (await api.get(`/iam/v1alpha1/rules?policy_id=${c.id}`)).json.rules[0];
      expect(r2.id).not.toBe(r1.id);
      expect(r2.permission_set_names).toEqual(['IAMReadOnly']);
    } finally {
      await api.h.close();
    }
  });
});
