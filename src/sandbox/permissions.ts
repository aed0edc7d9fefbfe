/**
 * A small model of IAM authorisation, enough for the sandbox to answer 403
 * `permissions_denied` like the real API when a key lacks rights (docs/design/scaleway-api.md §9, §11 item 14):
 * - keys of the organization owner may do everything;
 * - any other bearer (application or member user) gets the permission sets of the policies
 *   attached to it directly or through its groups; only organization-scoped rules grant the
 *   organization-level sets checked here (IAM and project management).
 * Conditions are not evaluated.
 */
import type { ApiKeyRecord } from './model.js';
import type { SandboxStore } from './store.js';

export type Action = 'read' | 'write';

const IAM_READ = ['IAMManager', 'IAMReadOnly', 'OrganizationManager'];
const IAM_WRITE = ['IAMManager', 'OrganizationManager'];
const PROJECT_READ = [
  'ProjectManager',
  'ProjectReadOnly',
  'OrganizationManager',
  'OrganizationReadOnly',
  'IAMManager',
];
const PROJECT_WRITE = ['ProjectManager', 'OrganizationManager'];

const RESOURCE_NAMES: Readonly<Record<string, string>> = {
  applications: 'application',
  'api-keys': 'api_key',
  groups: 'group',
  policies: 'policy',
  rules: 'rule',
  'permission-sets': 'permission_set',
  users: 'user',
  projects: 'project',
};

/** `resource` value for permissions_denied details, from the request path. */
export function resourceOfPath(path: string): string {
  const seg = path.split('/')[3] ?? '';
  return RESOURCE_NAMES[seg] ?? seg;
}

/** Organization-level permission set names granted to the key's bearer. */
export function grantedSets(store: SandboxStore, key: ApiKeyRecord): Set<string> {
  const out = new Set<string>();
  const principals = new Set<string>();
  if ('application_id' in key.bearer) {
    principals.add(`application_id:${key.bearer.application_id}`);
    for (const g of store.groups.values()) {
      if (g.application_ids.includes(key.bearer.application_id)) principals.add(`group_id:${g.id}`);
    }
  } else {
    principals.add(`user_id:${key.bearer.user_id}`);
    for (const g of store.groups.values()) {
      if (g.user_ids.includes(key.bearer.user_id)) principals.add(`group_id:${g.id}`);
    }
  }
  for (const p of store.policies.values()) {
    const [k, v] = Object.entries(p.principal)[0] as [string, unknown];
    if (!principals.has(`${k}:${String(v)}`)) continue;
    for (const r of p.rules) {
      if (!('organization_id' in r.scope)) continue;
      for (const name of r.permission_set_names) out.add(name);
    }
  }
  return out;
}

export function isOwnerKey(store: SandboxStore, key: ApiKeyRecord): boolean {
  if (!('user_id' in key.bearer)) return false;
  return store.users.get(key.bearer.user_id)?.type === 'owner';
}

/** True when the key may perform `action` on the API at `path`. */
export function isAllowed(store: SandboxStore, key: ApiKeyRecord, path: string, action: Action): boolean {
  if (isOwnerKey(store, key)) return true;
  const sets = grantedSets(store, key);
  const needed = path.startsWith('/account/')
    ? action === 'read'
      ? PROJECT_READ
      : PROJECT_WRITE
    : action === 'read'
      ? IAM_READ
      : IAM_WRITE;
  return needed.some((n) => sets.has(n));
}
