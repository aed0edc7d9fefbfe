import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: IAM applications', () => {
  let api: Api;
  const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
  beforeAll(async () => {
    api = await openSandbox({ clock: clock.now });
  });
  afterAll(async () => {
    await api.h.close();
  });
  const create = (body: Record<string, unknown>) =>
    api.post('/iam/v1alpha1/applications', { organization_id: api.org, ...body });

  it('PATCH bumps updated_at; tags:[] clears; absent fields stay', async () => {
    const a = (await create({ name: 'patch-me', description: 'x', tags: ['a', 'b'] })).json;
    clock.advance(1000);
    const p = await api.patch(`/iam/v1alpha1/applications/${a.id}`, { tags: [] });
    expect(p.status).toBe(200);
    expect(p.json.tags).toEqual([]);
    expect(p.json.description).toBe('x');
    expect(p.json.created_at).toBe(a.created_at);
    expect(p.json.updated_at > a.updated_at).toBe(true);
  });

  it('accepts "tags":null as [] and defaults description to ""', async () => {
    const r = await api.post('/iam/v1alpha1/applications', {
      name: 'nulls',
      organization_id: api.org,
      tags: null,
    });
    expect(r.status).toBe(200);
    expect(r.json.tags).toEqual([]);
    expect(r.json.description).toBe('');
  });

  it('validates names, descriptions, tags and ids with invalid_arguments details', async () => {
    const missing = await api.post('/iam/v1alpha1/applications', { organization_id: api.org });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({
      details: [{ argument_name: 'name', help_message: 'value is required', reason: 'required' }],
      message: 'invalid argument(s)',
      type: 'invalid_arguments',
    });
    expect(Object.keys(missing.json)).toEqual(['details', 'message', 'type']);
    for (const bad of [' lead', 'trail ', 'a'.repeat(65), 'semi;colon', '', 'é']) {
      const r = await create({ name: bad });
      expect(r.status, bad).toBe(400);
      expect(r.json.details[0]).toMatchObject({ argument_name: 'name', reason: 'constraint' });
    }
    for (const good of ['a', 'Ansible community.scaleway', 'x(y)-z_1', 'two  spaces', 'a'.repeat(64)]) {
      expect((await create({ name: good })).status, good).toBe(200);
    }
    const desc = await create({ name: 'd', description: 'x'.repeat(201) });
    expect(desc.json.details[0]).toMatchObject({ argument_name: 'description', reason: 'constraint' });
    const tags = await create({ name: 't', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) });
    expect(tags.json.details[0]).toMatchObject({ argument_name: 'tags', reason: 'constraint' });
    const org = await api.post('/iam/v1alpha1/applications', { name: 'o', organization_id: 'nope' });
    expect(org.json.details).toEqual([
      { argument_name: 'organization_id', help_message: 'value must be a valid UUID', reason: 'format' },
    ]);
    const many = await api.post('/iam/v1alpha1/applications', { description: 'y'.repeat(300) });
    expect(many.json.details.map((d: { argument_name: string }) => d.argument_name)).toEqual([
      'name',
      'organization_id',
      'description',
    ]);
  });

  it('404 names the resource "application"; malformed path id → 400 format', async () => {
    const id = '6c0b5e23-1f7c-4f0e-9d55-5f0a3a4b9c11';
    const r = await api.get(`/iam/v1alpha1/applications/${id}`);
    expect(r.status).toBe(404);
    expect(r.text).toBe(
      `{"message":"resource is not found","resource":"application","resource_id":"${id}","type":"not_found"}`,
    );
    const bad = await api.get('/iam/v1alpha1/applications/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.json.details[0]).toEqual({
      argument_name: 'application_id',
      help_message: 'value must be a valid UUID',
      reason: 'format',
    });
  });

  it('DELETE → 204 empty JSON-typed body; second DELETE → 404', async () => {
    const a = (await create({ name: 'gone' })).json;
    const d = await api.del(`/iam/v1alpha1/applications/${a.id}`);
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expect(d.headers.get('content-type')).toBe('application/json');
    expect((await api.del(`/iam/v1alpha1/applications/${a.id}`)).status).toBe(404);
  });

  it('tracks nb_api_keys without bumping updated_at, and cascades keys and group membership on delete', async () => {
    const a = (await create({ name: 'with-keys' })).json;
    const k = (await api.post('/iam/v1alpha1/api-keys', { application_id: a.id, description: '' })).json;
    const g = (await api.post('/iam/v1alpha1/groups', { name: 'cascade-group', organization_id: api.org }))
      .json;
    await api.put(`/iam/v1alpha1/groups/${g.id}/members`, { application_ids: [a.id], user_ids: [] });
    const after = (await api.get(`/iam/v1alpha1/applications/${a.id}`)).json;
    expect(after.nb_api_keys).toBe(1);
    expect(after.updated_at).toBe(a.updated_at);
    expect((await api.del(`/iam/v1alpha1/applications/${a.id}`)).status).toBe(204);
    expect((await api.get(`/iam/v1alpha1/api-keys/${k.access_key}`)).status).toBe(404);
    expect((await api.get(`/iam/v1alpha1/groups/${g.id}`)).json.application_ids).toEqual([]);
  });

  it('seeds managed VPN gateway applications that refuse changes with 403', async () => {
    const list = await api.get('/iam/v1alpha1/applications?editable=false');
    expect(list.json.total_count).toBe(2);
    const m = list.json.applications[0];
    expect(m).toMatchObject({ editable: false, deletable: false, managed: true });
    expect(m.name).toMatch(/^VPN Gateway [0-9a-f-]{36}$/);
    expect(m.tags).toEqual([
      'iam-managed-product=s-2-s-vpn',
      'iam-managed-resource-name=vpn_gateway',
      expect.stringMatching(/^iam-managed-resource-id=/),
    ]);
    const patch = await api.patch(`/iam/v1alpha1/applications/${m.id}`, { name: 'mine' });
    expect(patch.status).toBe(403);
    expect(patch.json).toEqual({
      details: [{ action: 'write', resource: 'application' }],
      message: 'insufficient permissions',
      type: 'permissions_denied',
    });
    expect((await api.del(`/iam/v1alpha1/applications/${m.id}`)).status).toBe(403);
    expect((await api.post('/iam/v1alpha1/api-keys', { application_id: m.id })).status).toBe(403);
  });
});
