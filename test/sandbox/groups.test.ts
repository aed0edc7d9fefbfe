import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: IAM groups', () => {
  let api: Api;
  const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
  const apps: string[] = [];
  let member: string;
  beforeAll(async () => {
    api = await openSandbox({ clock: clock.now, seed: false });
    for (const name of ['g-app-1', 'g-app-2', 'g-app-3']) {
      apps.push((await api.post('/iam/v1alpha1/applications', { name, organization_id: api.org })).json.id);
    }
    member = api.h.store.addUser({ email: 'member@example.invalid' }).id;
  });
  afterAll(async () => {
    await api.h.close();
  });

  it('creates with empty members and the real key order; names are unique (409 already_exists)', async () => {
    const g = await api.post('/iam/v1alpha1/groups', { name: 'uniq', organization_id: api.org, tags: ['t'] });
    expect(Object.keys(g.json)).toEqual([
      'id',
      'created_at',
      'updated_at',
      'organization_id',
      'name',
      'description',
      'user_ids',
      'application_ids',
      'tags',
      'editable',
      'deletable',
      'managed',
    ]);
    expect(g.json).toMatchObject({ user_ids: [], application_ids: [], tags: ['t'], description: '' });
    const dup = await api.post('/iam/v1alpha1/groups', { name: 'uniq', organization_id: api.org });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({
      help_message: 'a group named "uniq" already exists in this organization',
      message: 'resource already exists',
      resource: 'group',
      resource_id: g.json.id,
      type: 'already_exists',
    });
    const other = (await api.post('/iam/v1alpha1/groups', { name: 'uniq-2', organization_id: api.org })).json;
    expect((await api.patch(`/iam/v1alpha1/groups/${other.id}`, { name: 'uniq' })).status).toBe(409);
  });

  it('PUT /members overwrites, echoes request order, reads back ordered by id, and does not bump updated_at', async () => {
    const g = (await api.post('/iam/v1alpha1/groups', { name: 'members', organization_id: api.org })).json;
    clock.advance(1000);
    const order = [apps[2], apps[0], apps[1]] as string[];
    const put = await api.put(`/iam/v1alpha1/groups/${g.id}/members`, {
      user_ids: [member],
      application_ids: order,
    });
    expect(put.json.application_ids).toEqual(order);
    expect(put.json.updated_at).toBe(g.updated_at);
    const got = (await api.get(`/iam/v1alpha1/groups/${g.id}`)).json;
    expect(got.application_ids).toEqual([...order].sort());
    expect(got.user_ids).toEqual([member]);
    const overwrite = await api.put(`/iam/v1alpha1/groups/${g.id}/members`, { application_ids: [apps[1]] });
    expect(overwrite.json).toMatchObject({ user_ids: [], application_ids: [apps[1]] });
    clock.advance(1000);
    const patched = (await api.patch(`/iam/v1alpha1/groups/${g.id}`, { description: 'now' })).json;
    expect(patched.updated_at > g.updated_at).toBe(true);
  });

  it('add-member / add-members / remove-member, 404 with resource "" for a non-member', async () => {
    const g = (await api.post('/iam/v1alpha1/groups', { name: 'ops', organization_id: api.org })).json;
    const added = await api.post(`/iam/v1alpha1/groups/${g.id}/add-member`, { application_id: apps[0] });
    expect(added.json.application_ids).toEqual([apps[0]]);
    const many = await api.post(`/iam/v1alpha1/groups/${g.id}/add-members`, {
      application_ids: [apps[1], apps[0]],
      user_ids: [member],
    });
    expect(many.json.application_ids).toEqual([apps[0], apps[1]].sort());
    expect(many.json.user_ids).toEqual([member]);
    const removed = await api.post(`/iam/v1alpha1/groups/${g.id}/remove-member`, { application_id: apps[0] });
    expect(removed.json.application_ids).toEqual([apps[1]]);
    const notMember = await api.post(`/iam/v1alpha1/groups/${g.id}/remove-member`, {
      application_id: apps[2],
    });
    expect(notMember.status).toBe(404);
    expect(notMember.json).toEqual({
      message: 'resource is not found',
      resource: '',
      resource_id: apps[2],
      type: 'not_found',
    });
    const ghost = await api.post(`/iam/v1alpha1/groups/${g.id}/add-member`, {
      user_id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    });
    expect(ghost.json.resource).toBe('user');
    expect((await api.post(`/iam/v1alpha1/groups/${g.id}/add-member`, {})).status).toBe(400);
  });

  it('answers 409 transient_state to a membership change inside the configured window', async () => {
    const g = (await api.post('/iam/v1alpha1/groups', { name: 'busy', organization_id: api.org })).json;
    api.h.faults.adjust({ groupTransientWindowMs: 2000 });
    try {
      expect(
        (await api.post(`/iam/v1alpha1/groups/${g.id}/add-member`, { application_id: apps[0] })).status,
      ).toBe(200);
      const busy = await api.post(`/iam/v1alpha1/groups/${g.id}/remove-member`, { application_id: apps[0] });
      expect(busy.status).toBe(409);
      expect(busy.text).toBe(
        `{"current_state":"updating","message":"resource is in a transient state","resource":"group","resource_id":"${g.id}","type":"transient_state"}`,
      );
      clock.advance(2500);
      expect(
        (await api.post(`/iam/v1alpha1/groups/${g.id}/remove-member`, { application_id: apps[0] })).status,
      ).toBe(200);
    } finally {
      api.h.faults.adjust({ groupTransientWindowMs: undefined });
    }
  });

  it('404 names the resource "group"', async () => {
    const id = '2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901';
    expect((await api.get(`/iam/v1alpha1/groups/${id}`)).json).toEqual({
      message: 'resource is not found',
      resource: 'group',
      resource_id: id,
      type: 'not_found',
    });
  });
});
