import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox, UUID_V4 } from './helpers.js';

describe('sandbox: IAM policies, rules and the permission-set catalogue', () => {
  let api: Api;
  let appId: string;
  let groupId: string;
  let projectId: string;
  const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
  beforeAll(async () => {
    api = await openSandbox({ clock: clock.now });
    appId = (await api.post('/iam/v1alpha1/applications', { name: 'pol-app', organization_id: api.org })).json
      .id;
    groupId = (await api.post('/iam/v1alpha1/groups', { name: 'pol-group', organization_id: api.org })).json
      .id;
    projectId = (await api.post('/account/v3/projects', { name: 'pol-project', organization_id: api.org }))
      .json.id;
  });
  afterAll(async () => {
    await api.h.close();
  });

  const orgRule = (sets: string[], condition = '') => ({
    permission_set_names: sets,
    condition,
    organization_id: api.org,
  });

  it('POST answers zeroed counters; GET computes nb_rules / nb_scopes / nb_permission_sets', async () => {
    const created = await api.post('/iam/v1alpha1/policies', {
      name: 'counters',
      description: '',
      organization_id: api.org,
      rules: [
        orgRule(['AllProductsFullAccess']),
        orgRule(['IAMManager']),
        {
          permission_set_names: ['ObjectStorageReadOnly', 'VPCReadOnly'],
          condition: '',
          project_ids: [projectId],
        },
      ],
      tags: null,
      no_principal: true,
    });
    expect(created.status).toBe(200);
    expect(Object.keys(created.json)).toEqual([
      'id',
      'name',
      'description',
      'organization_id',
      'created_at',
      'updated_at',
      'editable',
      'deletable',
      'managed',
      'nb_rules',
      'nb_scopes',
      'nb_permission_sets',
      'tags',
      'no_principal',
    ]);
    expect(created.json).toMatchObject({ nb_rules: 0, nb_scopes: 0, nb_permission_sets: 0, tags: [] });
    const got = (await api.get(`/iam/v1alpha1/policies/${created.json.id}`)).json;
    expect(got).toMatchObject({ nb_rules: 3, nb_scopes: 2, nb_permission_sets: 4, no_principal: true });
  });

  it('PATCH replaces the principal and does not bump updated_at; PUT /rules does', async () => {
    const p = (
      await api.post('/iam/v1alpha1/policies', {
        name: 'principal',
        organization_id: api.org,
        rules: [orgRule(['IAMManager'])],
        no_principal: true,
      })
    ).json;
    clock.advance(1000);
    const toApp = (await api.patch(`/iam/v1alpha1/policies/${p.id}`, { application_id: appId, tags: ['x'] }))
      .json;
    expect(toApp.application_id).toBe(appId);
    expect('no_principal' in toApp).toBe(false);
    expect(toApp.updated_at).toBe(p.created_at);
    const toGroup = (await api.patch(`/iam/v1alpha1/policies/${p.id}`, { group_id: groupId })).json;
    expect(Object.keys(toGroup).at(-1)).toBe('group_id');
    expect('application_id' in toGroup).toBe(false);

    const rulesBefore = (await api.get(`/iam/v1alpha1/rules?policy_id=${p.id}`)).json;
    expect(Object.keys(rulesBefore)).toEqual(['rules', 'total_count']);
    clock.advance(1000);
    const put = await api.put('/iam/v1alpha1/rules', {
      policy_id: p.id,
      rules: [
        orgRule(['IAMManager']),
        { permission_set_names: ['ContainerRegistryReadOnly'], project_ids: [projectId] },
      ],
    });
    expect(put.status).toBe(200);
    expect(Object.keys(put.json)).toEqual(['rules']);
    expect(put.json.rules[0].id).toMatch(UUID_V4);
    expect(put.json.rules[0].id).not.toBe(rulesBefore.rules[0].id);
    expect(Object.keys(put.json.rules[1])).toEqual([
      'id',
      'permission_set_names',
      'permission_sets_scope_type',
      'condition',
      'project_ids',
    ]);
    const after = (await api.get(`/iam/v1alpha1/policies/${p.id}`)).json;
    expect(after.updated_at > p.updated_at).toBe(true);
    expect(after.nb_rules).toBe(2);
  });

  it('takes permission_sets_scope_type from the catalogue, not from the rule scope', async () => {
    const p = (
      await api.post('/iam/v1alpha1/policies', {
        name: 'scope-types',
        organization_id: api.org,
        rules: [
          orgRule(['AllProductsFullAccess', 'ContainerRegistryReadOnly']),
          orgRule(['IAMManager'], '1 == 1'),
        ],
        application_id: appId,
      })
    ).json;
    const rules = (await api.get(`/iam/v1alpha1/rules?policy_id=${p.id}`)).json.rules;
    expect(rules.map((r: { permission_sets_scope_type: string }) => r.permission_sets_scope_type)).toEqual([
      'projects',
      'organization',
    ]);
    expect(rules[1].condition).toBe('1 == 1');
    expect(rules[0].organization_id).toBe(api.org);
  });

  it('validates rules: unknown permission set, condition > 2048, scope one-of, principal one-of', async () => {
    const base = { name: 'bad', organization_id: api.org, no_principal: true };
    const unknown = await api.post('/iam/v1alpha1/policies', { ...base, rules: [orgRule(['NoSuchSet'])] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.details[0]).toMatchObject({
      argument_name: 'rules.0.permission_set_names.0',
      reason: 'constraint',
    });
    const longCond = await api.post('/iam/v1alpha1/policies', {
      ...base,
      rules: [orgRule(['IAMManager'], 'x'.repeat(2049))],
    });
    expect(longCond.json.details[0]).toMatchObject({
      argument_name: 'rules.0.condition',
      reason: 'constraint',
    });
    const okCond = await api.post('/iam/v1alpha1/policies', {
      ...base,
      name: 'cond-2048',
      rules: [orgRule(['IAMManager'], 'x'.repeat(2048))],
    });
    expect(okCond.status).toBe(200);
    const noScope = await api.post('/iam/v1alpha1/policies', {
      ...base,
      rules: [{ permission_set_names: ['IAMManager'] }],
    });
    expect(noScope.json.details[0]).toMatchObject({ reason: 'required' });
    const twoPrincipals = await api.post('/iam/v1alpha1/policies', {
      name: 'two',
      organization_id: api.org,
      application_id: appId,
      group_id: groupId,
    });
    expect(twoPrincipals.status).toBe(400);
    const orgSetOnProject = await api.post('/iam/v1alpha1/policies', {
      ...base,
      rules: [{ permission_set_names: ['IAMManager'], project_ids: [projectId] }],
    });
    expect(orgSetOnProject.status).toBe(400);
    expect((await api.get('/iam/v1alpha1/rules')).json.details[0]).toMatchObject({
      argument_name: 'policy_id',
      reason: 'required',
    });
  });

  it('lists with policy_name_asc by default (case-insensitive) and filters editable / principals / ids', async () => {
    const names = (await api.get('/iam/v1alpha1/policies')).json.policies.map(
      (p: { name: string }) => p.name,
    );
    expect(names).toEqual(
      [...names].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())),
    );
    const editable = (await api.get('/iam/v1alpha1/policies?editable=true')).json.policies;
    expect(editable.every((p: { editable: boolean }) => p.editable)).toBe(true);
    const managed = (await api.get('/iam/v1alpha1/policies?editable=false')).json.policies;
    expect(managed).toHaveLength(2);
    expect(managed[0]).toMatchObject({ managed: true, deletable: false, nb_rules: 1, nb_permission_sets: 4 });
    const byApp = (await api.get(`/iam/v1alpha1/policies?application_ids=${appId}`)).json;
    expect(byApp.policies.map((p: { name: string }) => p.name)).toEqual(['scope-types']);
    expect((await api.get('/iam/v1alpha1/policies?policy_name=scope-types')).json.total_count).toBe(1);
    expect((await api.patch(`/iam/v1alpha1/policies/${managed[0].id}`, { tags: [] })).status).toBe(403);
    expect((await api.put('/iam/v1alpha1/rules', { policy_id: managed[0].id, rules: [] })).status).toBe(403);
    expect((await api.del(`/iam/v1alpha1/policies/${managed[0].id}`)).status).toBe(403);
  });

  it('serves the permission-set catalogue', async () => {
    const r = (await api.get('/iam/v1alpha1/permission-sets?page_size=100&order_by=name_asc')).json;
    expect(Object.keys(r)).toEqual(['permission_sets', 'total_count']);
    const byName = new Map(r.permission_sets.map((p: { name: string }) => [p.name, p]));
    for (const [name, scope] of [
      ['IAMManager', 'organization'],
      ['OrganizationManager', 'organization'],
      ['ProjectManager', 'organization'],
      ['AllProductsFullAccess', 'projects'],
      ['ObjectStorageFullAccess', 'projects'],
      ['ObjectStorageReadOnly', 'projects'],
      ['ContainerRegistryReadOnly', 'projects'],
      ['IPAMReadOnly', 'projects'],
      ['VPCReadOnly', 'projects'],
      ['InstancesFullAccess', 'projects'],
    ] as const) {
      expect(byName.get(name), name).toMatchObject({ name, scope_type: scope });
    }
    const first = r.permission_sets[0];
    expect(Object.keys(first)).toEqual(['id', 'name', 'scope_type', 'description', 'categories']);
    expect(first.id).toMatch(UUID_V4);
  });

  it('404 names the resource "policy"', async () => {
    const id = '3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b';
    expect((await api.get(`/iam/v1alpha1/policies/${id}`)).json.resource).toBe('policy');
    expect((await api.get(`/iam/v1alpha1/rules?policy_id=${id}`)).status).toBe(404);
  });
});
