/**
 * Records → wire objects with the real key order (proto field order, docs/design/scaleway-api.md §4–§8). One-of
 * members are emitted only when set (bearer, principal, rule scope go last).
 */
import type {
  ApiKeyRecord,
  ApplicationRecord,
  GroupRecord,
  PolicyRecord,
  ProjectRecord,
  RuleRecord,
  UserRecord,
} from './model.js';

export type Wire = Record<string, unknown>;

/** Projects: POST/PATCH answer `qualification: null`, GET/list answer the object (docs/design/scaleway-api.md §4). */
export function projectJson(p: ProjectRecord, mode: 'write' | 'read'): Wire {
  return {
    id: p.id,
    name: p.name,
    organization_id: p.organization_id,
    created_at: p.created_at,
    updated_at: p.updated_at,
    description: p.description,
    qualification:
      mode === 'write'
        ? null
        : (structuredClone(p.qualification) ?? { architecture_type: 'unknown_architecture_type' }),
  };
}

export function applicationJson(a: ApplicationRecord, nbApiKeys: number): Wire {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    created_at: a.created_at,
    updated_at: a.updated_at,
    organization_id: a.organization_id,
    editable: a.editable,
    deletable: a.deletable,
    managed: a.managed,
    nb_api_keys: nbApiKeys,
    tags: [...a.tags],
  };
}

/** `secret_key` is only revealed in the POST response (docs/design/scaleway-api.md §6). */
export function apiKeyJson(k: ApiKeyRecord, revealSecret = false): Wire {
  return {
    access_key: k.access_key,
    secret_key: revealSecret ? k.secret_key : null,
    description: k.description,
    created_at: k.created_at,
    updated_at: k.updated_at,
    expires_at: k.expires_at,
    default_project_id: k.default_project_id,
    editable: k.editable,
    deletable: k.deletable,
    managed: k.managed,
    creation_ip: k.creation_ip,
    ...k.bearer,
  };
}

export function groupJson(g: GroupRecord): Wire {
  return {
    id: g.id,
    created_at: g.created_at,
    updated_at: g.updated_at,
    organization_id: g.organization_id,
    name: g.name,
    description: g.description,
    user_ids: [...g.user_ids],
    application_ids: [...g.application_ids],
    tags: [...g.tags],
    editable: g.editable,
    deletable: g.deletable,
    managed: g.managed,
  };
}

export function policyCounters(p: PolicyRecord): {
  nb_rules: number;
  nb_scopes: number;
  nb_permission_sets: number;
} {
  const scopes = new Set<string>();
  let sets = 0;
  for (const r of p.rules) {
    sets += r.permission_set_names.length;
    if ('project_ids' in r.scope) for (const id of r.scope.project_ids) scopes.add(`project:${id}`);
    else if ('organization_id' in r.scope) scopes.add(`organization:${r.scope.organization_id}`);
    else scopes.add(`root:${r.scope.account_root_user_id}`);
  }
  return { nb_rules: p.rules.length, nb_scopes: scopes.size, nb_permission_sets: sets };
}

/** The POST response shows zeroed counters; GET/list/PATCH show the computed ones (docs/design/scaleway-api.md §8). */
export function policyJson(p: PolicyRecord, zeroCounters = false): Wire {
  const c = zeroCounters ? { nb_rules: 0, nb_scopes: 0, nb_permission_sets: 0 } : policyCounters(p);
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    organization_id: p.organization_id,
    created_at: p.created_at,
    updated_at: p.updated_at,
    editable: p.editable,
    deletable: p.deletable,
    managed: p.managed,
    nb_rules: c.nb_rules,
    nb_scopes: c.nb_scopes,
    nb_permission_sets: c.nb_permission_sets,
    tags: [...p.tags],
    ...p.principal,
  };
}

export function ruleJson(r: RuleRecord): Wire {
  const scope = 'project_ids' in r.scope ? { project_ids: [...r.scope.project_ids] } : { ...r.scope };
  return {
    id: r.id,
    permission_set_names: [...r.permission_set_names],
    permission_sets_scope_type: r.permission_sets_scope_type,
    condition: r.condition,
    ...scope,
  };
}

export function userJson(u: UserRecord): Wire {
  return {
    id: u.id,
    email: u.email,
    username: u.username,
    first_name: u.first_name,
    last_name: u.last_name,
    phone_number: u.phone_number,
    locale: u.locale,
    created_at: u.created_at,
    updated_at: u.updated_at,
    organization_id: u.organization_id,
    deletable: u.deletable,
    last_login_at: u.last_login_at,
    type: u.type,
    two_factor_enabled: u.two_factor_enabled,
    status: u.status,
    mfa: u.mfa,
    account_root_user_id: u.account_root_user_id,
    tags: [...u.tags],
    locked: u.locked,
  };
}
