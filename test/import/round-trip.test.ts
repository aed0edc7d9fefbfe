/**
 * import → plan → apply → plan against the sandbox emulator over HTTP, through the CLI (`main`):
 * an organization built without scw-gitops (projects, applications with tags, keys, a group
 * with members, policies on projects and on the organization, plus the sandbox's managed
 * objects) is imported; the plan right after has adoptions only; applying it and planning again
 * gives no changes. Objects that cannot be imported are reported, never silently dropped.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadDesiredState } from '../../src/desired/load.js';
import type { Plan } from '../../src/model/plan.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { captureIO, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

let sandbox: SandboxHandle;
let dir: string;
let settings: string;
const ids: Record<string, string> = {};
const accessKeys: Record<string, string> = {};

function cli() {
  const t = captureIO({ env: sandboxEnv(sandbox), cwd: dir });
  return { run: (...argv: string[]) => main(argv, t.io), out: t.out, err: t.err };
}

beforeAll(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 41 });
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-import-'));
  settings = join(dir, 'settings.yaml');
  await writeFile(settings, sandboxSettingsYaml(sandbox, { sourceDir: './iam' }));
  const c = createScalewayClient({
    apiUrl: sandbox.url,
    secretKey: new Secret(sandbox.adminSecretKey),
    organizationId: sandbox.organizationId,
  });
  const org = sandbox.organizationId;
  const project = async (name: string, description: string) =>
    (ids[name] = (await c.createProject({ name, description })).id);
  const app = async (name: string, description: string, tags: string[]) =>
    (ids[name] = (await c.createApplication({ name, description, tags })).id);
  await project('web platform', 'Public web stack');
  await project('data-lake', '');
  await app('billing-api', 'Billing backend', ['team=billing', 'env=prod']);
  await app('CI Runner', '', []);
  await app('etl worker', 'Nightly ETL', ['team=data']);
  await app('grafana', '', ['monitoring']);
  await app('other-team-app', '', ['scw-gitops=other']); // another instance's
  await app('tag-hoarder', '', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']); // no room for our tag
  const key = async (
    label: string,
    app: string,
    input: { description?: string; project?: string; expiresAt?: string },
  ) => {
    const { apiKey } = await c.createApiKey({
      applicationId: ids[app]!,
      description: input.description ?? '',
      ...(input.project !== undefined ? { defaultProjectId: ids[input.project]! } : {}),
      ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    });
    accessKeys[label] = apiKey.accessKey;
  };
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
  await key('billing-1', 'billing-api', {
    description: 'prod deploys',
    project: 'web platform',
    expiresAt: inAYear,
  });
  await key('billing-2', 'billing-api', { project: 'data-lake' });
  await key('ci', 'CI Runner', { description: 'GitHub Actions' });
  await key('etl', 'etl worker', { expiresAt: inAYear });
  await key('hoarder', 'tag-hoarder', {});
  const group = await c.createGroup({
    name: 'developers',
    description: 'People and bots',
    tags: ['team=dev'],
  });
  ids['developers'] = group.id;
  await c.setGroupMembers(group.id, {
    applicationIds: [ids['CI Runner']!, ids['etl worker']!],
    userIds: [sandbox.ownerUserId],
  });
  const policy = async (
    name: string,
    principal: Parameters<typeof c.createPolicy>[0]['principal'],
    rules: Parameters<typeof c.createPolicy>[0]['rules'],
  ) => (ids[name] = (await c.createPolicy({ name, description: '', tags: [], principal, rules })).id);
  await policy('billing storage', { type: 'application', id: ids['billing-api']! }, [
    {
      permissionSetNames: ['ObjectStorageReadOnly', 'ObjectStorageObjectsWrite'],
      scope: { type: 'projects', projectIds: [ids['web platform']!, org] },
    },
  ]);
  await policy('developers', { type: 'group', id: group.id }, [
    {
      permissionSetNames: ['InstancesFullAccess'],
      scope: { type: 'projects', projectIds: [ids['data-lake']!] },
    },
    { permissionSetNames: ['IAMReadOnly'], scope: { type: 'organization', organizationId: org } },
  ]);
  await policy('ci admin', { type: 'application', id: ids['CI Runner']! }, [
    { permissionSetNames: ['IAMManager'], scope: { type: 'organization', organizationId: org } },
  ]);
  await policy('parked', { type: 'none' }, [
    { permissionSetNames: ['ProjectReadOnly'], scope: { type: 'organization', organizationId: org } },
  ]);
  await policy('owner extras', { type: 'user', id: sandbox.ownerUserId }, [
    { permissionSetNames: ['BillingReadOnly'], scope: { type: 'organization', organizationId: org } },
  ]);
});

afterAll(async () => {
  await sandbox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('import → reconcile round trip', () => {
  let report = '';

  it('writes one file per kind that loads without errors', async () => {
    const c = cli();
    const code = await c.run('import', '--out', 'iam', '--config', settings, '--include-keys');
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    report = c.out();
    expect((await readdir(join(dir, 'iam'))).sort()).toEqual([
      'api-keys.yaml',
      'applications.yaml',
      'groups.yaml',
      'policies.yaml',
      'projects.yaml',
    ]);
    const loaded = await loadDesiredState(join(dir, 'iam'), {
      instance: 'default',
      now: new Date(),
      sinkNames: ['local'],
      defaultSink: 'local',
    });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const names = loaded.state!.resources.map((r) => r.address);
    expect(names).toEqual([
      'Project/data-lake',
      'Project/web platform',
      'Application/CI Runner',
      'Application/billing-api',
      'Application/etl worker',
      'Application/grafana',
      'Group/developers',
      'Policy/billing storage',
      'Policy/ci admin',
      'Policy/developers',
      'Policy/parked',
      'ApiKey/billing-api',
      'ApiKey/billing-api-2',
      'ApiKey/ci-runner',
      'ApiKey/etl-worker',
    ]);
    expect(loaded.state!.resources.every((r) => r.adopt)).toBe(true);
    const keys = Object.fromEntries(
      loaded.state!.resources.filter((r) => r.kind === 'ApiKey').map((r) => [r.name, r]),
    );
    expect(keys['billing-api']).toMatchObject({
      application: 'billing-api',
      defaultProject: 'web platform',
      description: 'prod deploys',
      adoptAccessKey: accessKeys['billing-1'],
    });
    expect(keys['billing-api-2']).toMatchObject({
      defaultProject: 'data-lake',
      adoptAccessKey: accessKeys['billing-2'],
    });
    const byAddress = Object.fromEntries(loaded.state!.resources.map((r) => [r.address, r]));
    expect(byAddress['Group/developers']).toMatchObject({
      memberApplications: ['CI Runner', 'etl worker'],
      tags: ['team=dev'],
    });
    expect(byAddress['Policy/developers']).toMatchObject({
      principal: { type: 'group', name: 'developers' },
      rules: [
        { permissionSets: ['InstancesFullAccess'], scope: { type: 'projects', projects: ['data-lake'] } },
        { permissionSets: ['IAMReadOnly'], scope: { type: 'organization' } },
      ],
    });
    expect(byAddress['Policy/billing storage']).toMatchObject({
      rules: [{ scope: { type: 'projects', projects: ['web platform', 'default'] } }],
    });
    expect(byAddress['Policy/ci admin']).toMatchObject({ acknowledgeDangerousPermissions: true });
    expect(byAddress['Policy/parked']).toMatchObject({ principal: { type: 'none' } });

    // Live ids in comments.
    const apps = await readFile(join(dir, 'iam', 'applications.yaml'), 'utf8');
    expect(apps).toContain(`# application ${ids['billing-api']}`);
    expect(await readFile(join(dir, 'iam', 'groups.yaml'), 'utf8')).toContain('1 user member');
  });

  it('reports every object it did not import, with the reason', () => {
    const line = (s: string) => report.split('\n').find((l) => l.includes(s)) ?? '';
    expect(line('Application/other-team-app')).toContain('owned by scw-gitops instance "other"');
    expect(line('Application/tag-hoarder')).toContain('[too-many-items]');
    expect(line(`(${accessKeys['hoarder']})`)).toContain('depends on an object that is not imported');
    expect(line('Policy/owner extras')).toContain('principal is the user');
    expect(line(`(${sandbox.adminAccessKey})`)).toContain('belongs to a user');
    expect(report).toMatch(/Application\/[^\n]*managed by Scaleway/);
    expect(report).toContain('Policy/ci admin: grants IAM/organization management rights');
  });

  it('refuses to overwrite a non-empty directory without --force', async () => {
    const c = cli();
    expect(await c.run('import', '--out', 'iam', '--config', settings)).toBe(1);
    expect(c.err()).toContain('iam is not empty');
  });

  it('plans adoptions only, applies them, then plans no changes', async () => {
    const p = cli();
    const code = await p.run('plan', 'iam', '--config', settings, '--output', 'json', '--out', 'plan.json');
    expect(p.err()).not.toContain('error');
    expect(code).toBe(2);
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')) as Plan;
    expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(plan.steps.map((s) => s.action).filter((a) => a !== 'adopt')).toEqual([]);
    expect(plan.steps).toHaveLength(15);
    // Imported policies are read rule by rule before adoption: taking them over rewrites nothing.
    const policyAdopts = plan.steps.filter((s) => s.kind === 'Policy');
    expect(policyAdopts.length).toBeGreaterThan(0);
    for (const s of policyAdopts) expect(s.changes.filter((c) => c.field.startsWith('rules'))).toEqual([]);

    const r = cli();
    expect(await r.run('reconcile', 'iam', '--config', settings)).toBe(0);
    expect(r.out()).toContain('15 adopted');

    const again = cli();
    expect(await again.run('plan', 'iam', '--config', settings)).toBe(0);
    expect(again.out()).toContain('No changes');

    // The adopted keys are the same keys, marked `external`; no secret was created or written.
    for (const [label, name] of [
      ['billing-1', 'billing-api'],
      ['billing-2', 'billing-api-2'],
      ['ci', 'ci-runner'],
      ['etl', 'etl-worker'],
    ] as const) {
      const k = sandbox.store.apiKeys.get(accessKeys[label]!);
      expect(parseKeyDescription(k!.description).marker).toEqual({
        instance: 'default',
        name,
        state: 'external',
      });
    }
    expect(await readdir(join(dir, 'secrets')).catch(() => [])).toEqual([]);
  });
});
