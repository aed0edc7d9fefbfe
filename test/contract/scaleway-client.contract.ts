/**
 * Contract suite for a `ScalewayClient` talking to a Scaleway-compatible server (the sandbox
 * emulator, or the real API with a throwaway organization). The same behaviour the rest of the
 * application relies on: CRUD of every kind, complete pagination over >100 items, filters,
 * 404 typing, cascade delete of an application's keys, the secret only on create.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/model/live.js';
import { isSecret } from '../../src/model/secret.js';
import { isNotFound, ScalewayApiError } from '../../src/scaleway/errors.js';
import { observeLive } from '../../src/scaleway/observe.js';
import type { ScalewayClient } from '../../src/scaleway/port.js';

export interface ContractTarget {
  readonly client: ScalewayClient;
  /** Creates `n` applications out of band (bulk); falls back to the API when absent. */
  readonly seedApplications?: (n: number, prefix: string) => Promise<void> | void;
  readonly teardown: () => Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

let counter = 0;
const unique = (p: string) => `${p}-${process.pid}-${++counter}`;

async function expectNotFound(p: Promise<unknown>): Promise<ScalewayApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isNotFound(err)).toBe(true);
  expect(err).toBeInstanceOf(ScalewayApiError);
  expect((err as ScalewayApiError).info.type).toBe('not_found');
  return err as ScalewayApiError;
}

export function describeScalewayClientContract(label: string, setup: () => Promise<ContractTarget>): void {
  describe(`ScalewayClient contract: ${label}`, () => {
    const withTarget = (fn: (t: ContractTarget) => Promise<void>) => async () => {
      const t = await setup();
      try {
        await fn(t);
      } finally {
        await t.teardown();
      }
    };

    it(
      'projects: create, get, list by name, update, delete, 404',
      withTarget(async ({ client }) => {
        const name = unique('proj');
        const p = await client.createProject({ name, description: 'first' });
        expect(p.id).toMatch(UUID);
        expect(p.createdAt).toMatch(TS);
        expect(p.isDefault).toBe(false);
        expect(await client.getProject(p.id)).toMatchObject({ name, description: 'first' });
        expect((await client.listProjects({ name })).map((x) => x.id)).toEqual([p.id]);
        const all = await client.listProjects();
        expect(all.some((x) => x.isDefault && x.id === client.organizationId)).toBe(true);
        const u = await client.updateProject(p.id, { description: 'second' });
        expect(u).toMatchObject({ name, description: 'second' });
        await client.deleteProject(p.id);
        const err = await expectNotFound(client.getProject(p.id));
        expect(err.message).toContain('GET /account/v3/projects/{project_id}');
        await expectNotFound(client.deleteProject(p.id));
      }),
    );

    it(
      'applications: CRUD with tags, filters by exact name and tag',
      withTarget(async ({ client }) => {
        const name = unique('app');
        const a = await client.createApplication({
          name,
          description: 'd',
          tags: ['team=x', 'scw-gitops=ct'],
        });
        expect(a).toMatchObject({
          name,
          description: 'd',
          editable: true,
          deletable: true,
          managed: false,
          nbApiKeys: 0,
        });
        expect(a.tags).toEqual(['team=x', 'scw-gitops=ct']);
        const other = await client.createApplication({ name: `${name}-other`, description: '', tags: [] });
        expect((await client.listApplications({ name })).map((x) => x.id)).toEqual([a.id]);
        expect((await client.listApplications({ tag: 'scw-gitops=ct' })).map((x) => x.id)).toContain(a.id);
        expect((await client.listApplications({ tag: 'scw-gitops=ct' })).map((x) => x.id)).not.toContain(
          other.id,
        );
        const renamed = await client.updateApplication(a.id, { name: `${name}-2`, tags: [] });
        expect(renamed.name).toBe(`${name}-2`);
        expect(renamed.tags).toEqual([]);
        expect((await client.getApplication(a.id)).description).toBe('d');
        await client.deleteApplication(a.id);
        await client.deleteApplication(other.id);
        await expectNotFound(client.getApplication(a.id));
      }),
    );

    it(
      'lists more than 100 applications completely, without duplicates',
      withTarget(async ({ client, seedApplications }) => {
        const prefix = unique('many');
        const before = await client.listApplications();
        if (seedApplications) await seedApplications(230, prefix);
        else {
          for (let i = 0; i < 230; i += 10) {
            await Promise.all(
              Array.from({ length: 10 }, (_, j) =>
                client.createApplication({ name: `${prefix}-${i + j}`, description: '', tags: [] }),
              ),
            );
          }
        }
        const after = await client.listApplications();
        expect(after.length).toBe(before.length + 230);
        expect(new Set(after.map((a: Application) => a.id)).size).toBe(after.length);
        expect(after.filter((a) => a.name.startsWith(prefix))).toHaveLength(230);
      }),
    );

    it(
      'API keys: secret only on create, get/list/update without it, filters by bearer',
      withTarget(async ({ client }) => {
        const app = await client.createApplication({ name: unique('keyapp'), description: '', tags: [] });
        const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
        const { apiKey, secretKey } = await client.createApiKey({
          applicationId: app.id,
          description: 'ci key',
          expiresAt,
        });
        expect(isSecret(secretKey)).toBe(true);
        expect(secretKey.reveal()).toMatch(UUID);
        expect(apiKey.accessKey).toMatch(/^SCW[0-9A-HJKMNP-TV-Z]{17}$/);
        expect(apiKey.bearer).toEqual({ type: 'application', id: app.id });
        expect(apiKey.expiresAt).not.toBeNull();
        expect(Date.parse(apiKey.expiresAt!)).toBe(Date.parse(expiresAt));
        expect(apiKey.defaultProjectId).toMatch(UUID);
        const got = await client.getApiKey(apiKey.accessKey);
        expect(JSON.stringify(got)).not.toContain(secretKey.reveal());
        expect(got.description).toBe('ci key');
        const listed = await client.listApiKeys({ bearerId: app.id, bearerType: 'application' });
        expect(listed.map((k) => k.accessKey)).toEqual([apiKey.accessKey]);
        expect(JSON.stringify(listed)).not.toContain(secretKey.reveal());
        const upd = await client.updateApiKey(apiKey.accessKey, { description: 'ci key [x]' });
        expect(upd.description).toBe('ci key [x]');
        expect((await client.getApplication(app.id)).nbApiKeys).toBe(1);
        const never = await client.createApiKey({ applicationId: app.id, description: '', expiresAt: null });
        expect(never.apiKey.expiresAt).toBeNull();
        await client.deleteApiKey(never.apiKey.accessKey);
        await expectNotFound(client.getApiKey(never.apiKey.accessKey));
        await client.deleteApplication(app.id);
      }),
    );

    it(
      'deleting an application deletes its API keys',
      withTarget(async ({ client }) => {
        const app = await client.createApplication({ name: unique('cascade'), description: '', tags: [] });
        const k1 = await client.createApiKey({ applicationId: app.id, description: 'a' });
        const k2 = await client.createApiKey({ applicationId: app.id, description: 'b' });
        await client.deleteApplication(app.id);
        await expectNotFound(client.getApiKey(k1.apiKey.accessKey));
        await expectNotFound(client.getApiKey(k2.apiKey.accessKey));
        expect(await client.listApiKeys({ bearerId: app.id })).toEqual([]);
      }),
    );

    it(
      'groups: CRUD, PUT members keeps the given order',
      withTarget(async ({ client }) => {
        const apps = await Promise.all(
          [1, 2, 3].map((i) =>
            client.createApplication({ name: unique(`member${i}`), description: '', tags: [] }),
          ),
        );
        const name = unique('group');
        const g = await client.createGroup({ name, description: 'g', tags: ['scw-gitops=ct'] });
        expect(g.applicationIds).toEqual([]);
        const order = [apps[2]!.id, apps[0]!.id, apps[1]!.id];
        const m = await client.setGroupMembers(g.id, { applicationIds: order, userIds: [] });
        expect(m.applicationIds).toEqual(order);
        const m2 = await client.setGroupMembers(g.id, { applicationIds: [apps[1]!.id], userIds: [] });
        expect(m2.applicationIds).toEqual([apps[1]!.id]);
        expect((await client.listGroups({ name })).map((x) => x.id)).toEqual([g.id]);
        expect((await client.updateGroup(g.id, { description: 'h', tags: [] })).tags).toEqual([]);
        expect((await client.getGroup(g.id)).description).toBe('h');
        await client.deleteGroup(g.id);
        await expectNotFound(client.getGroup(g.id));
        await Promise.all(apps.map((a) => client.deleteApplication(a.id)));
      }),
    );

    it(
      'policies and rules: create with rules, change principal, replace rules, delete',
      withTarget(async ({ client }) => {
        const app = await client.createApplication({ name: unique('polapp'), description: '', tags: [] });
        const project = await client.createProject({ name: unique('polproj'), description: '' });
        const sets = await client.listPermissionSets();
        expect(sets.length).toBeGreaterThan(0);
        const orgSet = sets.find((s) => s.scopeType === 'organization')!.name;
        const projSet = sets.find((s) => s.scopeType === 'projects')!.name;
        const name = unique('policy');
        const p = await client.createPolicy({
          name,
          description: '',
          tags: ['scw-gitops=ct'],
          principal: { type: 'application', id: app.id },
          rules: [
            {
              permissionSetNames: [orgSet],
              scope: { type: 'organization', organizationId: client.organizationId },
            },
          ],
        });
        expect(p.principal).toEqual({ type: 'application', id: app.id });
        const rules = await client.listRules(p.id);
        expect(rules).toHaveLength(1);
        expect(rules[0]!.scope).toEqual({ type: 'organization', organizationId: client.organizationId });
        expect(rules[0]!.permissionSetsScopeType).toBe('organization');
        const replaced = await client.setRules(p.id, [
          {
            permissionSetNames: [projSet],
            condition: '1 == 1',
            scope: { type: 'projects', projectIds: [project.id] },
          },
        ]);
        expect(replaced).toHaveLength(1);
        expect(replaced[0]!.id).not.toBe(rules[0]!.id);
        expect(replaced[0]!.condition).toBe('1 == 1');
        expect((await client.listRules(p.id)).map((r) => r.id)).toEqual([replaced[0]!.id]);
        const got = await client.getPolicy(p.id);
        expect(got.nbRules).toBe(1);
        const none = await client.updatePolicy(p.id, { principal: { type: 'none' } });
        expect(none.principal).toEqual({ type: 'none' });
        expect((await client.listPolicies({ policyName: name })).map((x) => x.id)).toEqual([p.id]);
        await client.deletePolicy(p.id);
        await expectNotFound(client.getPolicy(p.id));
        await client.deleteApplication(app.id);
        await client.deleteProject(project.id);
      }),
    );

    it(
      'observeLive reads every kind and the rules of owned policies',
      withTarget(async ({ client }) => {
        const owned = await client.createPolicy({
          name: unique('owned'),
          description: '',
          tags: ['scw-gitops=ct'],
          principal: { type: 'none' },
          rules: [
            {
              permissionSetNames: ['IAMReadOnly'],
              scope: { type: 'organization', organizationId: client.organizationId },
            },
          ],
        });
        const foreign = await client.createPolicy({
          name: unique('foreign'),
          description: '',
          tags: [],
          principal: { type: 'none' },
          rules: [
            {
              permissionSetNames: ['IAMReadOnly'],
              scope: { type: 'organization', organizationId: client.organizationId },
            },
          ],
        });
        const live = await observeLive(client, {
          instance: 'ct',
          now: () => new Date('2026-01-01T00:00:00Z'),
        });
        expect(live.organizationId).toBe(client.organizationId);
        expect(live.projects.some((p) => p.isDefault)).toBe(true);
        expect(live.policies.map((p) => p.id)).toEqual(expect.arrayContaining([owned.id, foreign.id]));
        expect(live.rules.has(owned.id)).toBe(true);
        expect(live.rules.has(foreign.id)).toBe(false);
        expect(live.rules.get(owned.id)).toHaveLength(1);
        expect(live.permissionSets?.length ?? 0).toBeGreaterThan(0);
        expect(live.observedAt).toBe('2026-01-01T00:00:00.000Z');
        const all = await observeLive(client, { instance: 'ct', now: () => new Date(), readRules: 'all' });
        expect(all.rules.has(foreign.id)).toBe(true);
        await client.deletePolicy(owned.id);
        await client.deletePolicy(foreign.id);
      }),
    );
  });
}
