/**
 * Wire (snake_case JSON) → live model (src/model/live.ts). Tolerant by design (docs/design/scaleway-api.md §11, item 16):
 * unknown fields are ignored; missing optional booleans default (`editable`/`deletable` true,
 * `managed` false, as in 2023 recordings that lack them); `tags:null` and missing tags are `[]`;
 * `description` missing/null is `""`; project `qualification` is not carried (null, missing and
 * `unknown_architecture_type` are all the same to us). One-of fields (API-key bearer, policy
 * principal, rule scope) are read from whichever member is present.
 *
 * A missing identity field (`id`, `access_key`, a bearer) is a `ScalewayDecodeError`: an object
 * we cannot address is not something to plan against.
 */
import type {
  ApiKey,
  ApiKeyBearer,
  Application,
  Group,
  PermissionSet,
  Policy,
  PolicyPrincipal,
  Project,
  Rule,
  RuleScope,
} from '../model/live.js';
import { Secret } from '../model/secret.js';
import { ScalewayDecodeError } from './errors.js';

export type WireObject = Record<string, unknown>;

// Decoded objects are written as one object literal each (no spread in the middle): V8 then
// keeps every field in the object itself, which matters for 10,000 of them.

function isObj(v: unknown): v is WireObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObj(what: string, v: unknown): WireObject {
  if (!isObj(v)) throw new ScalewayDecodeError(what, '(body)', `is not a JSON object`);
  return v;
}

function reqStr(what: string, o: WireObject, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0) {
    throw new ScalewayDecodeError(what, k, v === undefined ? 'is missing' : `is ${JSON.stringify(v)}`);
  }
  return v;
}

function optStr(o: WireObject, k: string): string {
  const v = o[k];
  return typeof v === 'string' ? v : '';
}

function optBool(o: WireObject, k: string, dflt: boolean): boolean {
  const v = o[k];
  return typeof v === 'boolean' ? v : dflt;
}

function optNum(o: WireObject, k: string): number {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * The strings of a list. JSON.parse's arrays are exact; the array returned is the parsed one
 * when it holds only strings (the usual case), never one built by pushing, which keeps spare
 * capacity (memory of a 10,000-object listing, docs/design/performance.md).
 */
function strList(o: WireObject, k: string): string[] {
  const v = o[k];
  if (!Array.isArray(v)) return [];
  return v.every((x) => typeof x === 'string')
    ? (v as string[])
    : v.filter((x) => typeof x === 'string').slice();
}

export function decodeProject(raw: unknown): Project {
  const o = asObj('project', raw);
  const id = reqStr('project', o, 'id');
  const organizationId = reqStr('project', o, 'organization_id');
  return {
    id,
    name: optStr(o, 'name'),
    organizationId,
    createdAt: optStr(o, 'created_at'),
    updatedAt: optStr(o, 'updated_at'),
    description: optStr(o, 'description'),
    isDefault: id === organizationId,
  };
}

export function decodeApplication(raw: unknown): Application {
  const o = asObj('application', raw);
  return {
    id: reqStr('application', o, 'id'),
    name: optStr(o, 'name'),
    description: optStr(o, 'description'),
    createdAt: optStr(o, 'created_at'),
    updatedAt: optStr(o, 'updated_at'),
    organizationId: optStr(o, 'organization_id'),
    editable: optBool(o, 'editable', true),
    deletable: optBool(o, 'deletable', true),
    managed: optBool(o, 'managed', false),
    nbApiKeys: optNum(o, 'nb_api_keys'),
    tags: strList(o, 'tags'),
  };
}

function decodeBearer(o: WireObject): ApiKeyBearer {
  const app = o['application_id'];
  if (typeof app === 'string' && app.length > 0) return { type: 'application', id: app };
  const user = o['user_id'];
  if (typeof user === 'string' && user.length > 0) return { type: 'user', id: user };
  throw new ScalewayDecodeError('api key', 'application_id|user_id', 'is missing (no bearer)');
}

/** Decodes an API key; a `secret_key` in the body is ignored here (see decodeCreatedApiKey). */
export function decodeApiKey(raw: unknown): ApiKey {
  const o = asObj('api key', raw);
  const expires = o['expires_at'];
  return {
    accessKey: reqStr('api key', o, 'access_key'),
    description: optStr(o, 'description'),
    createdAt: optStr(o, 'created_at'),
    updatedAt: optStr(o, 'updated_at'),
    expiresAt: typeof expires === 'string' && expires.length > 0 ? expires : null,
    defaultProjectId: optStr(o, 'default_project_id'),
    editable: optBool(o, 'editable', true),
    deletable: optBool(o, 'deletable', true),
    managed: optBool(o, 'managed', false),
    creationIp: optStr(o, 'creation_ip'),
    bearer: decodeBearer(o),
  };
}

/** The POST /api-keys response: the key plus its one-time secret, wrapped at once. */
export function decodeCreatedApiKey(raw: unknown): { apiKey: ApiKey; secretKey: Secret } {
  const apiKey = decodeApiKey(raw);
  const o = raw as WireObject;
  const secret = o['secret_key'];
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new ScalewayDecodeError(
      `api key ${apiKey.accessKey}`,
      'secret_key',
      'is missing from the create response',
    );
  }
  return { apiKey, secretKey: new Secret(secret) };
}

export function decodeGroup(raw: unknown): Group {
  const o = asObj('group', raw);
  return {
    id: reqStr('group', o, 'id'),
    createdAt: optStr(o, 'created_at'),
    updatedAt: optStr(o, 'updated_at'),
    organizationId: optStr(o, 'organization_id'),
    name: optStr(o, 'name'),
    description: optStr(o, 'description'),
    userIds: strList(o, 'user_ids'),
    applicationIds: strList(o, 'application_ids'),
    tags: strList(o, 'tags'),
    editable: optBool(o, 'editable', true),
    deletable: optBool(o, 'deletable', true),
    managed: optBool(o, 'managed', false),
  };
}

function decodePrincipal(o: WireObject): PolicyPrincipal {
  for (const [key, type] of [
    ['user_id', 'user'],
    ['group_id', 'group'],
    ['application_id', 'application'],
  ] as const) {
    const v = o[key];
    if (typeof v === 'string' && v.length > 0) return { type, id: v };
  }
  return { type: 'none' };
}

export function decodePolicy(raw: unknown): Policy {
  const o = asObj('policy', raw);
  return {
    id: reqStr('policy', o, 'id'),
    name: optStr(o, 'name'),
    description: optStr(o, 'description'),
    organizationId: optStr(o, 'organization_id'),
    createdAt: optStr(o, 'created_at'),
    updatedAt: optStr(o, 'updated_at'),
    editable: optBool(o, 'editable', true),
    deletable: optBool(o, 'deletable', true),
    managed: optBool(o, 'managed', false),
    nbRules: optNum(o, 'nb_rules'),
    nbScopes: optNum(o, 'nb_scopes'),
    nbPermissionSets: optNum(o, 'nb_permission_sets'),
    tags: strList(o, 'tags'),
    principal: decodePrincipal(o),
  };
}

function decodeScope(o: WireObject): RuleScope {
  if (Array.isArray(o['project_ids'])) return { type: 'projects', projectIds: strList(o, 'project_ids') };
  const org = o['organization_id'];
  if (typeof org === 'string' && org.length > 0) return { type: 'organization', organizationId: org };
  const root = o['account_root_user_id'];
  if (typeof root === 'string' && root.length > 0) {
    return { type: 'account_root_user', accountRootUserId: root };
  }
  throw new ScalewayDecodeError('rule', 'project_ids|organization_id|account_root_user_id', 'is missing');
}

export function decodeRule(raw: unknown): Rule {
  const o = asObj('rule', raw);
  return {
    id: reqStr('rule', o, 'id'),
    permissionSetNames: strList(o, 'permission_set_names'),
    permissionSetsScopeType: optStr(o, 'permission_sets_scope_type'),
    condition: optStr(o, 'condition'),
    scope: decodeScope(o),
  };
}

export function decodePermissionSet(raw: unknown): PermissionSet {
  const o = asObj('permission set', raw);
  return {
    id: reqStr('permission set', o, 'id'),
    name: optStr(o, 'name'),
    scopeType: optStr(o, 'scope_type'),
    description: optStr(o, 'description'),
    categories: strList(o, 'categories'),
  };
}

/** A list page: the items under `key` and `total_count` (absent for PUT /rules → undefined). */
export interface WirePage {
  readonly items: readonly unknown[];
  readonly totalCount: number | undefined;
}

export function decodePage(what: string, key: string, raw: unknown): WirePage {
  const o = asObj(what, raw);
  const items = o[key];
  if (items !== undefined && items !== null && !Array.isArray(items)) {
    throw new ScalewayDecodeError(what, key, 'is not an array');
  }
  const total = o['total_count'];
  return {
    items: Array.isArray(items) ? items : [],
    totalCount: typeof total === 'number' && Number.isFinite(total) ? total : undefined,
  };
}
