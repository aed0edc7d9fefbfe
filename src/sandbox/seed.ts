/**
 * Initial content of a fresh sandbox organization: the owner user, the default project
 * (`id == organization_id`, name `default`), the admin API key the sandbox hands out, and
 * managed resources like a real org has (Site-to-Site VPN gateway applications and policies,
 * `managed:true, editable:false, deletable:false`, `iam-managed-*` tags) so "never touch
 * managed resources" is exercised.
 */
import type { ProjectRecord } from './model.js';
import type { SandboxStore } from './store.js';

export interface SeedOptions {
  /** Number of managed VPN gateway application+policy pairs (default 2). */
  managedVpnGateways?: number;
}

export function seedOrganization(store: SandboxStore, now: () => string, opts: SeedOptions = {}): void {
  const owner = store.addUser({
    email: 'owner@sandbox.scw-gitops.invalid',
    type: 'owner',
    deletable: false,
    locale: 'en_US',
    two_factor_enabled: true,
    mfa: true,
    account_root_user_id: store.newId(),
  });
  store.ownerUserId = owner.id;

  const ts = now();
  const defaultProject: ProjectRecord = {
    id: store.organizationId,
    name: 'default',
    organization_id: store.organizationId,
    created_at: ts,
    updated_at: ts,
    description: '',
  };
  store.projects.set(defaultProject.id, defaultProject);

  const admin = store.createApiKey({
    bearer: { user_id: owner.id },
    description: 'scw-gitops sandbox admin key',
    creation_ip: '127.0.0.1',
  });
  store.adminAccessKey = admin.access_key;

  for (let i = 0; i < (opts.managedVpnGateways ?? 2); i++) seedVpnGateway(store);
}

/** One managed VPN gateway: an application and its policy, as the S2S VPN product creates them. */
export function seedVpnGateway(store: SandboxStore): void {
  const gatewayId = store.newId();
  const tags = [
    'iam-managed-product=s-2-s-vpn',
    'iam-managed-resource-name=vpn_gateway',
    `iam-managed-resource-id=${gatewayId}`,
  ];
  const app = store.createApplication(
    {
      name: `VPN Gateway ${gatewayId}`,
      description: `Managed application for connections of VPN Gateway ${gatewayId}`,
      tags,
    },
    { managed: true },
  );
  store.createPolicy(
    {
      name: `VPN Gateway ${gatewayId}`,
      description: `Managed policy for connections of VPN Gateway ${gatewayId}`,
      tags,
      principal: { application_id: app.id },
      rules: [
        {
          permission_set_names: ['IPAMReadOnly', 'VPCReadOnly', 'VPCGatewayReadOnly', 'S2SVPNFullAccess'],
          condition: '',
          scope: { project_ids: [store.organizationId] },
        },
      ],
    },
    { managed: true },
  );
}

/** Bulk hook for benchmarks: `n` ordinary applications (`<prefix>-00001`…), returns their ids. */
export function seedApplications(
  store: SandboxStore,
  n: number,
  opts: { prefix?: string; tags?: string[] } = {},
): string[] {
  const prefix = opts.prefix ?? 'bench-app';
  const width = Math.max(5, String(n).length);
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const a = store.createApplication({
      name: `${prefix}-${String(i).padStart(width, '0')}`,
      description: '',
      tags: opts.tags ?? [],
    });
    ids.push(a.id);
  }
  return ids;
}

export interface BulkSeed {
  applications?: number;
  /** API keys created for each of the new applications. */
  apiKeysPerApplication?: number;
  groups?: number;
  /** Policies with one organization-scoped rule, attached to the new applications round-robin (or no principal). */
  policies?: number;
  projects?: number;
  prefix?: string;
}

export interface BulkSeedResult {
  applicationIds: string[];
  accessKeys: string[];
  groupIds: string[];
  policyIds: string[];
  projectIds: string[];
}

/** Bulk content for benchmarks and large-listing tests (names `<prefix>-<kind>-00001`…). */
export function seedBulk(store: SandboxStore, spec: BulkSeed): BulkSeedResult {
  const prefix = spec.prefix ?? 'bulk';
  const pad = (i: number, n: number) => String(i).padStart(Math.max(5, String(n).length), '0');
  const out: BulkSeedResult = {
    applicationIds: [],
    accessKeys: [],
    groupIds: [],
    policyIds: [],
    projectIds: [],
  };
  const nProjects = spec.projects ?? 0;
  for (let i = 1; i <= nProjects; i++) {
    out.projectIds.push(store.createProject({ name: `${prefix}-project-${pad(i, nProjects)}` }).id);
  }
  out.applicationIds = seedApplications(store, spec.applications ?? 0, { prefix: `${prefix}-app` });
  for (const id of out.applicationIds) {
    for (let k = 0; k < (spec.apiKeysPerApplication ?? 0); k++) {
      out.accessKeys.push(
        store.createApiKey({
          bearer: { application_id: id },
          description: `${prefix} key`,
          creation_ip: '127.0.0.1',
        }).access_key,
      );
    }
  }
  const nGroups = spec.groups ?? 0;
  for (let i = 1; i <= nGroups; i++) {
    out.groupIds.push(store.createGroup({ name: `${prefix}-group-${pad(i, nGroups)}` }).id);
  }
  const nPolicies = spec.policies ?? 0;
  for (let i = 1; i <= nPolicies; i++) {
    const app = out.applicationIds[(i - 1) % Math.max(1, out.applicationIds.length)];
    out.policyIds.push(
      store.createPolicy({
        name: `${prefix}-policy-${pad(i, nPolicies)}`,
        principal: app ? { application_id: app } : { no_principal: true },
        rules: [
          {
            permission_set_names: ['AllProductsReadOnly'],
            condition: '',
            scope: { organization_id: store.organizationId },
          },
        ],
      }).id,
    );
  }
  return out;
}
