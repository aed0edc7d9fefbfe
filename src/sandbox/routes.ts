/**
 * HTTP routes of the sandbox: Account v3 projects and IAM v1alpha1 (applications, API keys,
 * groups, policies, rules, permission sets, users). Each handler parses the request into the
 * store's typed inputs (validation errors as `invalid_arguments`), calls the store and
 * serialises the answer with the real envelope and key order.
 */
import { createHash } from 'node:crypto';
import { PERMISSION_SETS } from './catalogue.js';
import { invalidArgument, SandboxApiError } from './errors.js';
import type { FaultController } from './faults.js';
import { maybeShift } from './shift.js';
import { isUuid, type ParsedExpiry, parseExpiry } from './ids.js';
import type { ApiKeyRecord, Bearer, Principal, ProjectRecord, RuleScope } from './model.js';
import {
  apiKeyJson,
  applicationJson,
  groupJson,
  policyJson,
  projectJson,
  ruleJson,
  userJson,
  type Wire,
} from './serialize.js';
import { type Member, type RuleInput, requestOrder, type SandboxStore } from './store.js';
import {
  CONDITION_MAX,
  IAM_NAME_RE,
  type Json,
  PROJECT_NAME_RE,
  QueryReader,
  UUID_HELP,
  Validator,
} from './validation.js';

export interface RouteContext {
  store: SandboxStore;
  faults: FaultController;
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  clientIp: string;
  caller: ApiKeyRecord;
  pageSizes: { iam: number; projects: number; max: number };
}

export interface RouteResult {
  status: number;
  /** undefined → empty body (204). */
  body?: Wire;
}

type Handler = (ctx: RouteContext) => Promise<RouteResult> | RouteResult;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

const routes: Route[] = [];

function route(method: string, path: string, handler: Handler): void {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    })}$`,
  );
  routes.push({ method, pattern, names, handler });
}

export type RouteMatch =
  | { handler: Handler; params: Record<string, string> }
  | { methodMismatch: true }
  | undefined;

export function matchRoute(method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.names.forEach((n, i) => {
      params[n] = safeDecode(m[i + 1] ?? '');
    });
    return { handler: r.handler, params };
  }
  return pathMatched ? { methodMismatch: true } : undefined;
}

// ------------------------------------------------------------------ helpers

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const ok = (body: Wire): RouteResult => ({ status: 200, body });
const noContent: RouteResult = { status: 204 };

/** Path ids are validated like body ids: malformed → 400 format (docs/design/scaleway-api.md §9, seen for project_id). */
function pathUuid(ctx: RouteContext, name: string): string {
  const v = ctx.params[name] ?? '';
  if (!isUuid(v)) throw invalidArgument(name, 'format', UUID_HELP);
  return v.toLowerCase();
}

interface Paging {
  page: number;
  pageSize: number;
}

function readPaging(q: QueryReader, defaultPageSize: number, maxPage: number, clampPageSize = 100): Paging {
  const page = q.integer('page', 1, maxPage) ?? 1;
  const pageSize = q.integer('page_size', 1, 100) ?? defaultPageSize;
  return { page, pageSize: Math.min(pageSize, clampPageSize) };
}

/** `unknown_*` enum zero values and an empty `organization_id=` mean "no filter" (docs/design/scaleway-api.md §3). */
function orgMatches(q: QueryReader, store: SandboxStore): boolean {
  const org = q.uuid('organization_id');
  return org === undefined || org === store.organizationId;
}

function nameMatches(store: SandboxStore, filter: string | undefined, name: string): boolean {
  if (filter === undefined) return true;
  return store.nameFilter === 'exact' ? name === filter : name.toLowerCase().includes(filter.toLowerCase());
}

type Cmp<T> = (a: T, b: T) => number;

const byString =
  <T>(get: (x: T) => string): Cmp<T> =>
  (a, b) => {
    const x = get(a);
    const y = get(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

/** Case-insensitive name order; equal names fall back to the exact string, then the tie-breaker. */
const byName =
  <T>(get: (x: T) => string): Cmp<T> =>
  (a, b) => {
    const x = get(a).toLowerCase();
    const y = get(b).toLowerCase();
    if (x !== y) return x < y ? -1 : 1;
    return byString(get)(a, b);
  };

function sortItems<T>(items: T[], cmp: Cmp<T>, desc: boolean, tieBreak: Cmp<T>): T[] {
  return items.sort((a, b) => {
    const c = cmp(a, b);
    if (c !== 0) return desc ? -c : c;
    return tieBreak(a, b);
  });
}

/**
 * Filtered and sorted list results, kept while the store has not changed, so that a client paging
 * through 10,000 objects does not make the emulator filter and sort them once per page. Keyed by
 * the query without `page`; API key lists also by the current time (the `expired` filter).
 */
const listCache = new WeakMap<SandboxStore, Map<string, { revision: number; items: unknown[] }>>();
const LIST_CACHE_ENTRIES = 32;

function cachedList<T>(ctx: RouteContext, resource: string, compute: () => T[]): T[] {
  const q = new URLSearchParams(ctx.query);
  q.delete('page');
  q.sort();
  const timeBound = resource === 'api_keys' ? `@${ctx.store.now().getTime()}` : '';
  const key = `${resource}?${q.toString()}${timeBound}`;
  let cache = listCache.get(ctx.store);
  if (!cache) {
    cache = new Map();
    listCache.set(ctx.store, cache);
  }
  const hit = cache.get(key);
  if (hit && hit.revision === ctx.store.revision) return hit.items as T[];
  const items = compute();
  cache.delete(key);
  cache.set(key, { revision: ctx.store.revision, items });
  while (cache.size > LIST_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return items;
}

async function listPage<T>(
  ctx: RouteContext,
  resource: string,
  paging: Paging,
  compute: () => T[],
  toJson: (item: T) => Wire,
  totalFirst = false,
): Promise<RouteResult> {
  const hook = ctx.faults.options.onListPage;
  if (hook) await hook({ resource, page: paging.page, pageSize: paging.pageSize, query: ctx.query });
  maybeShift(
    ctx.store,
    ctx.faults,
    resource,
    paging.page,
    paging.pageSize,
    ctx.query,
    () => cachedList(ctx, resource, compute),
    () => cachedList(ctx, resource, compute),
  );
  const all = cachedList(ctx, resource, compute);
  const start = (paging.page - 1) * paging.pageSize;
  const items = all.slice(start, start + paging.pageSize).map(toJson);
  return ok(
    totalFirst
      ? { total_count: all.length, [resource]: items }
      : { [resource]: items, total_count: all.length },
  );
}

function tagsMatch(tags: readonly string[], tag: string | undefined): boolean {
  return tag === undefined || tags.includes(tag);
}

function editableMatch(editable: boolean, filter: boolean | undefined): boolean {
  return filter === undefined || editable === filter;
}

// ----------------------------------------------------------------- projects

const PROJECT_ORDER = ['created_at_asc', 'created_at_desc', 'name_asc', 'name_desc'] as const;

route('POST', '/account/v3/projects', (ctx) => {
  const v = new Validator(ctx.body);
  const name = v.name('name', { required: true, pattern: PROJECT_NAME_RE });
  const organization_id = v.uuid('organization_id', { required: true });
  const description = v.description();
  v.check();
  const p = ctx.store.createProject({
    name: name!,
    ...(organization_id !== undefined && { organization_id }),
    ...(description !== undefined && { description }),
  });
  return ok(projectJson(p, 'write'));
});

route('GET', '/account/v3/projects', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const name = q.get('name');
  const ids = q.uuids('project_ids');
  const orderBy = q.enumValue('order_by', PROJECT_ORDER, 'created_at_asc');
  const paging = readPaging(q, ctx.pageSizes.projects, Number.MAX_SAFE_INTEGER, ctx.pageSizes.max);
  q.check();
  return listPage(
    ctx,
    'projects',
    paging,
    () => {
      const items = [...ctx.store.projects.values()].filter(
        (p) => orgOk && nameMatches(ctx.store, name, p.name) && (!ids || ids.includes(p.id)),
      );
      const cmp: Cmp<ProjectRecord> = orderBy.startsWith('name')
        ? byName((p) => p.name)
        : byString((p) => p.created_at);
      return sortItems(
        items,
        cmp,
        orderBy.endsWith('desc'),
        byString((p) => p.id),
      );
    },
    (p) => projectJson(p, 'read'),
    true,
  );
});

route('GET', '/account/v3/projects/{project_id}', (ctx) =>
  ok(projectJson(ctx.store.getProject(pathUuid(ctx, 'project_id')), 'read')),
);

route('PATCH', '/account/v3/projects/{project_id}', (ctx) => {
  const id = pathUuid(ctx, 'project_id');
  const v = new Validator(ctx.body);
  const name = v.name('name', { pattern: PROJECT_NAME_RE });
  const description = v.description();
  v.check();
  const p = ctx.store.updateProject(id, {
    ...(name !== undefined && { name }),
    ...(description !== undefined && { description }),
  });
  return ok(projectJson(p, 'write'));
});

const ARCHITECTURE_TYPES = [
  'unknown_architecture_type',
  'object_storage',
  'web_hosting',
  'instance',
  'elastic',
  'kubernetes',
  'serverless',
  'dedicated_server',
  'other_architecture_type',
];

route('POST', '/account/v3/projects/{project_id}/project-qualification', (ctx) => {
  const id = pathUuid(ctx, 'project_id');
  const q = ctx.body['qualification'];
  if (q === null || typeof q !== 'object' || Array.isArray(q)) {
    throw invalidArgument('qualification', 'required', 'value is required');
  }
  const arch = (q as Json)['architecture_type'] ?? 'unknown_architecture_type';
  if (typeof arch !== 'string' || !ARCHITECTURE_TYPES.includes(arch)) {
    throw invalidArgument(
      'qualification.architecture_type',
      'constraint',
      `value must be one of ${ARCHITECTURE_TYPES.join(', ')}`,
    );
  }
  const p = ctx.store.setProjectQualification(id, { ...(q as Json), architecture_type: arch });
  return ok({ project_id: p.id, qualification: structuredClone(p.qualification) });
});

route('DELETE', '/account/v3/projects/{project_id}', (ctx) => {
  const id = pathUuid(ctx, 'project_id');
  ctx.store.getProject(id);
  if (ctx.faults.chance(ctx.faults.options.projectDelete412Rate)) {
    ctx.faults.countInjected();
    throw new SandboxApiError(412, {
      help_message: `an unexpected error happened when checking if project "${id}" has resources, please retry later`,
      message: 'precondition is not respected',
      precondition: 'resource_not_usable',
      type: 'precondition_failed',
    });
  }
  ctx.store.deleteProject(id);
  return noContent;
});

// ------------------------------------------------------------- applications

const IAM_ORDER = [
  'created_at_asc',
  'created_at_desc',
  'updated_at_asc',
  'updated_at_desc',
  'name_asc',
  'name_desc',
] as const;

function iamCmp<T extends { name: string; created_at: string; updated_at: string }>(orderBy: string): Cmp<T> {
  if (orderBy.startsWith('name')) return byName((x: T) => x.name);
  if (orderBy.startsWith('updated_at')) return byString((x: T) => x.updated_at);
  return byString((x: T) => x.created_at);
}

route('POST', '/iam/v1alpha1/applications', (ctx) => {
  const v = new Validator(ctx.body);
  const name = v.name('name', { required: true, pattern: IAM_NAME_RE });
  const organization_id = v.uuid('organization_id', { required: true });
  const description = v.description();
  const tags = v.tags();
  v.check();
  const a = ctx.store.createApplication({
    name: name!,
    ...(organization_id !== undefined && { organization_id }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
  });
  return ok(applicationJson(a, 0));
});

route('GET', '/iam/v1alpha1/applications', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const name = q.get('name');
  const tag = q.get('tag');
  const editable = q.boolean('editable');
  const ids = q.uuids('application_ids');
  const orderBy = q.enumValue('order_by', IAM_ORDER, 'created_at_asc');
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  return listPage(
    ctx,
    'applications',
    paging,
    () => {
      const items = [...ctx.store.applications.values()].filter(
        (a) =>
          orgOk &&
          nameMatches(ctx.store, name, a.name) &&
          tagsMatch(a.tags, tag) &&
          editableMatch(a.editable, editable) &&
          (!ids || ids.includes(a.id)),
      );
      return sortItems(
        items,
        iamCmp(orderBy),
        orderBy.endsWith('desc'),
        byString((a) => a.id),
      );
    },
    (a) => applicationJson(a, ctx.store.nbApiKeys(a.id)),
  );
});

route('GET', '/iam/v1alpha1/applications/{application_id}', (ctx) => {
  const a = ctx.store.getApplication(pathUuid(ctx, 'application_id'));
  return ok(applicationJson(a, ctx.store.nbApiKeys(a.id)));
});

route('PATCH', '/iam/v1alpha1/applications/{application_id}', (ctx) => {
  const id = pathUuid(ctx, 'application_id');
  const v = new Validator(ctx.body);
  const name = v.name('name', { pattern: IAM_NAME_RE });
  const description = v.description();
  const tags = v.tags();
  v.check();
  const a = ctx.store.updateApplication(id, {
    ...(name !== undefined && { name }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
  });
  return ok(applicationJson(a, ctx.store.nbApiKeys(a.id)));
});

route('DELETE', '/iam/v1alpha1/applications/{application_id}', (ctx) => {
  ctx.store.deleteApplication(pathUuid(ctx, 'application_id'));
  return noContent;
});

// ----------------------------------------------------------------- api keys

const KEY_ORDER = [
  'created_at_asc',
  'created_at_desc',
  'updated_at_asc',
  'updated_at_desc',
  'expires_at_asc',
  'expires_at_desc',
  'access_key_asc',
  'access_key_desc',
] as const;

function readExpiry(v: Validator, body: Json): ParsedExpiry | null | undefined {
  if (!('expires_at' in body)) return undefined;
  const raw = body['expires_at'];
  if (raw === null) return null;
  if (typeof raw !== 'string') {
    v.add('expires_at', 'format', 'value must be an RFC 3339 date-time string');
    return undefined;
  }
  const parsed = parseExpiry(raw);
  if (!parsed) v.add('expires_at', 'format', 'value must be an RFC 3339 date-time string');
  return parsed;
}

function readBearer(v: Validator): Bearer | undefined {
  const app = v.uuid('application_id');
  const user = v.uuid('user_id');
  if (app !== undefined && user !== undefined) {
    v.add('application_id', 'constraint', 'only one of application_id and user_id can be set');
    return undefined;
  }
  if (app !== undefined) return { application_id: app };
  if (user !== undefined) return { user_id: user };
  if (v.details.length === 0)
    v.add('application_id', 'required', 'one of application_id and user_id is required');
  return undefined;
}

route('POST', '/iam/v1alpha1/api-keys', (ctx) => {
  const v = new Validator(ctx.body);
  const bearer = readBearer(v);
  const description = v.description();
  const default_project_id = v.uuid('default_project_id');
  const expires = readExpiry(v, ctx.body);
  v.check();
  const k = ctx.store.createApiKey({
    bearer: bearer!,
    creation_ip: ctx.clientIp,
    ...(description !== undefined && { description }),
    ...(default_project_id !== undefined && { default_project_id }),
    ...(expires !== undefined && { expires }),
  });
  return ok(apiKeyJson(k, true));
});

route('GET', '/iam/v1alpha1/api-keys', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const editable = q.boolean('editable');
  const expired = q.boolean('expired');
  const description = q.get('description');
  const bearerId = q.uuid('bearer_id');
  const bearerType = q.enumValue(
    'bearer_type',
    ['unknown_bearer_type', 'user', 'application'] as const,
    'unknown_bearer_type',
  );
  const appId = q.uuid('application_id');
  const userId = q.uuid('user_id');
  const accessKeys = [...q.all('access_keys'), ...q.all('access_key')];
  const orderBy = q.enumValue('order_by', KEY_ORDER, 'created_at_asc');
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  const store = ctx.store;
  return listPage(
    ctx,
    'api_keys',
    paging,
    () => {
      const items = [...store.apiKeys.values()].filter((k) => {
        const kApp = 'application_id' in k.bearer ? k.bearer.application_id : undefined;
        const kUser = 'user_id' in k.bearer ? k.bearer.user_id : undefined;
        if (!orgOk) return false;
        if (!editableMatch(k.editable, editable)) return false;
        if (expired !== undefined && store.isExpired(k) !== expired) return false;
        if (description !== undefined && k.description !== description) return false;
        if (bearerType === 'application' && kApp === undefined) return false;
        if (bearerType === 'user' && kUser === undefined) return false;
        if (bearerId !== undefined && kApp !== bearerId && kUser !== bearerId) return false;
        if (appId !== undefined && kApp !== appId) return false;
        if (userId !== undefined && kUser !== userId) return false;
        if (accessKeys.length > 0 && !accessKeys.includes(k.access_key)) return false;
        return true;
      });
      let cmp: Cmp<ApiKeyRecord>;
      if (orderBy.startsWith('updated_at')) cmp = byString((k) => k.updated_at);
      else if (orderBy.startsWith('access_key')) cmp = byString((k) => k.access_key);
      else if (orderBy.startsWith('expires_at')) {
        // Keys that never expire sort after every dated key.
        cmp = (a, b) =>
          (a.expires_us ?? Number.POSITIVE_INFINITY) - (b.expires_us ?? Number.POSITIVE_INFINITY) || 0;
      } else cmp = byString((k) => k.created_at);
      return sortItems(
        items,
        cmp,
        orderBy.endsWith('desc'),
        byString((k) => k.access_key),
      );
    },
    (k) => apiKeyJson(k),
  );
});

function pathAccessKey(ctx: RouteContext): string {
  return ctx.params['access_key'] ?? '';
}

route('GET', '/iam/v1alpha1/api-keys/{access_key}', (ctx) =>
  ok(apiKeyJson(ctx.store.getApiKey(pathAccessKey(ctx)))),
);

route('PATCH', '/iam/v1alpha1/api-keys/{access_key}', (ctx) => {
  const access = pathAccessKey(ctx);
  const v = new Validator(ctx.body);
  const description = v.description();
  const default_project_id = v.uuid('default_project_id');
  const expires = readExpiry(v, ctx.body);
  v.check();
  const k = ctx.store.updateApiKey(access, {
    ...(description !== undefined && { description }),
    ...(default_project_id !== undefined && { default_project_id }),
    ...(expires !== undefined && { expires }),
  });
  return ok(apiKeyJson(k));
});

route('DELETE', '/iam/v1alpha1/api-keys/{access_key}', (ctx) => {
  ctx.store.deleteApiKey(pathAccessKey(ctx));
  return noContent;
});

// ------------------------------------------------------------------- groups

route('POST', '/iam/v1alpha1/groups', (ctx) => {
  const v = new Validator(ctx.body);
  const name = v.name('name', { required: true, pattern: IAM_NAME_RE });
  const organization_id = v.uuid('organization_id', { required: true });
  const description = v.description();
  const tags = v.tags();
  v.check();
  const g = ctx.store.createGroup({
    name: name!,
    ...(organization_id !== undefined && { organization_id }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
  });
  return ok(groupJson(g));
});

route('GET', '/iam/v1alpha1/groups', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const name = q.get('name');
  const tag = q.get('tag');
  const appIds = q.uuids('application_ids');
  const userIds = q.uuids('user_ids');
  const groupIds = q.uuids('group_ids');
  const orderBy = q.enumValue('order_by', IAM_ORDER, 'created_at_asc');
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  return listPage(
    ctx,
    'groups',
    paging,
    () => {
      const items = [...ctx.store.groups.values()].filter(
        (g) =>
          orgOk &&
          nameMatches(ctx.store, name, g.name) &&
          tagsMatch(g.tags, tag) &&
          (!groupIds || groupIds.includes(g.id)) &&
          (!appIds || appIds.some((id) => g.application_ids.includes(id))) &&
          (!userIds || userIds.some((id) => g.user_ids.includes(id))),
      );
      return sortItems(
        items,
        iamCmp(orderBy),
        orderBy.endsWith('desc'),
        byString((g) => g.id),
      );
    },
    groupJson,
  );
});

route('GET', '/iam/v1alpha1/groups/{group_id}', (ctx) =>
  ok(groupJson(ctx.store.getGroup(pathUuid(ctx, 'group_id')))),
);

route('PATCH', '/iam/v1alpha1/groups/{group_id}', (ctx) => {
  const id = pathUuid(ctx, 'group_id');
  const v = new Validator(ctx.body);
  const name = v.name('name', { pattern: IAM_NAME_RE });
  const description = v.description();
  const tags = v.tags();
  v.check();
  const g = ctx.store.updateGroup(id, {
    ...(name !== undefined && { name }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
  });
  return ok(groupJson(g));
});

route('DELETE', '/iam/v1alpha1/groups/{group_id}', (ctx) => {
  ctx.store.deleteGroup(pathUuid(ctx, 'group_id'));
  return noContent;
});

route('PUT', '/iam/v1alpha1/groups/{group_id}/members', (ctx) => {
  const id = pathUuid(ctx, 'group_id');
  const v = new Validator(ctx.body);
  const users = v.uuidList('user_ids') ?? [];
  const apps = v.uuidList('application_ids') ?? [];
  v.check();
  const g = ctx.store.setGroupMembers(id, users, apps);
  // Recorded: the PUT answer lists members in request order; later reads list them by id.
  return ok({ ...groupJson(g), user_ids: requestOrder(users), application_ids: requestOrder(apps) });
});

function readSingleMember(v: Validator): Member | undefined {
  const user = v.uuid('user_id');
  const app = v.uuid('application_id');
  if (user !== undefined && app !== undefined) {
    v.add('user_id', 'constraint', 'only one of user_id and application_id can be set');
    return undefined;
  }
  if (user !== undefined) return { user_id: user };
  if (app !== undefined) return { application_id: app };
  if (v.details.length === 0) v.add('user_id', 'required', 'one of user_id and application_id is required');
  return undefined;
}

route('POST', '/iam/v1alpha1/groups/{group_id}/add-member', (ctx) => {
  const id = pathUuid(ctx, 'group_id');
  const v = new Validator(ctx.body);
  const member = readSingleMember(v);
  v.check();
  return ok(groupJson(ctx.store.addGroupMembers(id, [member!])));
});

route('POST', '/iam/v1alpha1/groups/{group_id}/add-members', (ctx) => {
  const id = pathUuid(ctx, 'group_id');
  const v = new Validator(ctx.body);
  const users = v.uuidList('user_ids') ?? [];
  const apps = v.uuidList('application_ids') ?? [];
  v.check();
  const members: Member[] = [
    ...users.map((user_id) => ({ user_id })),
    ...apps.map((application_id) => ({ application_id })),
  ];
  return ok(groupJson(ctx.store.addGroupMembers(id, members)));
});

route('POST', '/iam/v1alpha1/groups/{group_id}/remove-member', (ctx) => {
  const id = pathUuid(ctx, 'group_id');
  const v = new Validator(ctx.body);
  const member = readSingleMember(v);
  v.check();
  return ok(groupJson(ctx.store.removeGroupMember(id, member!)));
});

// ----------------------------------------------------------------- policies

const POLICY_ORDER = ['policy_name_asc', 'policy_name_desc', 'created_at_asc', 'created_at_desc'] as const;

/** One-of principal; `undefined` when the body names none. */
function readPrincipal(v: Validator, body: Json): Principal | undefined {
  const found: Principal[] = [];
  const user = v.uuid('user_id');
  const group = v.uuid('group_id');
  const app = v.uuid('application_id');
  if (user !== undefined) found.push({ user_id: user });
  if (group !== undefined) found.push({ group_id: group });
  if (app !== undefined) found.push({ application_id: app });
  const np = v.boolean('no_principal');
  if (np === true) found.push({ no_principal: true });
  if (found.length > 1) {
    v.add(
      'principal',
      'constraint',
      'only one of user_id, group_id, application_id and no_principal can be set',
    );
    return undefined;
  }
  void body;
  return found[0];
}

function readRules(v: Validator, raw: unknown, argument: string): RuleInput[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    v.add(argument, 'format', 'value must be an array');
    return [];
  }
  const out: RuleInput[] = [];
  raw.forEach((item, i) => {
    const arg = `${argument}.${i}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      v.add(arg, 'format', 'value must be an object');
      return;
    }
    const r = new Validator(item as Json);
    const names = (item as Json)['permission_set_names'];
    let setNames: string[] = [];
    if (!Array.isArray(names) || names.length === 0) {
      r.add('permission_set_names', 'required', 'at least one permission set name is required');
    } else if (names.some((n) => typeof n !== 'string')) {
      r.add('permission_set_names', 'format', 'value must be an array of strings');
    } else setNames = names as string[];
    const condition = r.string('condition') ?? '';
    if (condition.length > 2048) {
      r.add('condition', 'constraint', `value length must be less than or equal to ${CONDITION_MAX}`);
    }
    const projectIds = r.uuidList('project_ids');
    const org = r.uuid('organization_id');
    const root = r.uuid('account_root_user_id');
    const scopes: RuleScope[] = [];
    if (projectIds !== undefined) scopes.push({ project_ids: projectIds });
    if (org !== undefined) scopes.push({ organization_id: org });
    if (root !== undefined) scopes.push({ account_root_user_id: root });
    if (scopes.length === 0 && r.details.length === 0) {
      r.add(
        'project_ids',
        'required',
        'one of project_ids, organization_id and account_root_user_id is required',
      );
    } else if (scopes.length > 1) {
      r.add(
        'project_ids',
        'constraint',
        'only one of project_ids, organization_id and account_root_user_id can be set',
      );
    }
    for (const d of r.details) v.add(`${arg}.${d.argument_name}`, d.reason, d.help_message);
    if (r.details.length === 0 && scopes[0]) {
      out.push({ permission_set_names: setNames, condition, scope: scopes[0] });
    }
  });
  return out;
}

route('POST', '/iam/v1alpha1/policies', (ctx) => {
  const v = new Validator(ctx.body);
  const name = v.name('name', { required: true, pattern: IAM_NAME_RE });
  const organization_id = v.uuid('organization_id', { required: true });
  const description = v.description();
  const tags = v.tags();
  const principal = readPrincipal(v, ctx.body) ?? { no_principal: true };
  const rules = readRules(v, ctx.body['rules'], 'rules');
  v.check();
  const p = ctx.store.createPolicy({
    name: name!,
    principal,
    rules,
    ...(organization_id !== undefined && { organization_id }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
  });
  return ok(policyJson(p, true));
});

route('GET', '/iam/v1alpha1/policies', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const name = q.get('policy_name');
  const tag = q.get('tag');
  const editable = q.boolean('editable');
  const noPrincipal = q.boolean('no_principal');
  const userIds = q.uuids('user_ids');
  const groupIds = q.uuids('group_ids');
  const appIds = q.uuids('application_ids');
  const policyIds = q.uuids('policy_ids');
  const orderBy = q.enumValue('order_by', POLICY_ORDER, 'policy_name_asc');
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  return listPage(
    ctx,
    'policies',
    paging,
    () => {
      const items = [...ctx.store.policies.values()].filter((p) => {
        const pr = p.principal as Record<string, unknown>;
        if (!orgOk || !nameMatches(ctx.store, name, p.name) || !tagsMatch(p.tags, tag)) return false;
        if (!editableMatch(p.editable, editable)) return false;
        if (noPrincipal !== undefined && 'no_principal' in pr !== noPrincipal) return false;
        if (policyIds && !policyIds.includes(p.id)) return false;
        // Principal-id filters combine as alternatives: a policy matches any listed principal.
        const principalFilters = [userIds, groupIds, appIds].some((f) => f !== undefined);
        if (principalFilters) {
          const hit =
            (userIds?.includes(pr['user_id'] as string) ?? false) ||
            (groupIds?.includes(pr['group_id'] as string) ?? false) ||
            (appIds?.includes(pr['application_id'] as string) ?? false);
          if (!hit) return false;
        }
        return true;
      });
      const cmp = orderBy.startsWith('policy_name')
        ? byName((p: { name: string }) => p.name)
        : byString((p: { created_at: string }) => p.created_at);
      return sortItems(
        items,
        cmp,
        orderBy.endsWith('desc'),
        byString((p) => p.id),
      );
    },
    (p) => policyJson(p),
  );
});

route('GET', '/iam/v1alpha1/policies/{policy_id}', (ctx) =>
  ok(policyJson(ctx.store.getPolicy(pathUuid(ctx, 'policy_id')))),
);

route('PATCH', '/iam/v1alpha1/policies/{policy_id}', (ctx) => {
  const id = pathUuid(ctx, 'policy_id');
  const v = new Validator(ctx.body);
  const name = v.name('name', { pattern: IAM_NAME_RE });
  const description = v.description();
  const tags = v.tags();
  const principal = readPrincipal(v, ctx.body);
  v.check();
  const p = ctx.store.updatePolicy(id, {
    ...(name !== undefined && { name }),
    ...(description !== undefined && { description }),
    ...(tags !== undefined && { tags }),
    ...(principal !== undefined && { principal }),
  });
  return ok(policyJson(p));
});

route('DELETE', '/iam/v1alpha1/policies/{policy_id}', (ctx) => {
  ctx.store.deletePolicy(pathUuid(ctx, 'policy_id'));
  return noContent;
});

route('POST', '/iam/v1alpha1/policies/{policy_id}/clone', (ctx) =>
  ok(policyJson(ctx.store.clonePolicy(pathUuid(ctx, 'policy_id')))),
);

// -------------------------------------------------------------------- rules

route('GET', '/iam/v1alpha1/rules', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const policyId = q.uuid('policy_id');
  if (q.get('policy_id') === undefined) {
    q.details.push({ argument_name: 'policy_id', reason: 'required', help_message: 'value is required' });
  }
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  const policy = ctx.store.getPolicy(policyId!);
  return listPage(ctx, 'rules', paging, () => [...policy.rules], ruleJson);
});

route('PUT', '/iam/v1alpha1/rules', (ctx) => {
  const v = new Validator(ctx.body);
  const policyId = v.uuid('policy_id', { required: true });
  const rules = readRules(v, ctx.body['rules'], 'rules');
  v.check();
  // Recorded: `{"rules":[…]}` without total_count, every rule with a new id.
  return ok({ rules: ctx.store.setRules(policyId!, rules).map(ruleJson) });
});

// ---------------------------------------------------------- permission sets

function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = ((Number.parseInt(h[16] ?? '0', 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

route('GET', '/iam/v1alpha1/permission-sets', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const orderBy = q.enumValue(
    'order_by',
    ['created_at_asc', 'created_at_desc', 'name_asc', 'name_desc'] as const,
    'created_at_asc',
  );
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  const all = PERMISSION_SETS.map((p, i) => ({ ...p, index: i }));
  return listPage(
    ctx,
    'permission_sets',
    paging,
    () => {
      if (!orgOk) return [];
      const cmp: Cmp<(typeof all)[number]> = orderBy.startsWith('name')
        ? byName((p) => p.name)
        : (a, b) => a.index - b.index;
      return sortItems(
        [...all],
        cmp,
        orderBy.endsWith('desc'),
        byString((p) => p.name),
      );
    },
    (p) => ({
      id: stableUuid(`permission-set:${p.name}`),
      name: p.name,
      scope_type: p.scope_type,
      description: p.description,
      categories: [...p.categories],
    }),
  );
});

// -------------------------------------------------------------------- users

route('GET', '/iam/v1alpha1/users', async (ctx) => {
  const q = new QueryReader(ctx.query);
  const orgOk = orgMatches(q, ctx.store);
  const ids = q.uuids('user_ids');
  const type = q.enumValue('type', ['unknown_type', 'owner', 'member', 'guest'] as const, 'unknown_type');
  const mfa = q.boolean('mfa');
  const tag = q.get('tag');
  const orderBy = q.enumValue(
    'order_by',
    [
      'created_at_asc',
      'created_at_desc',
      'last_login_asc',
      'last_login_desc',
      'username_asc',
      'username_desc',
      'email_asc',
      'email_desc',
    ] as const,
    'created_at_asc',
  );
  const paging = readPaging(q, ctx.pageSizes.iam, 10_000, ctx.pageSizes.max);
  q.check();
  return listPage(
    ctx,
    'users',
    paging,
    () => {
      const items = [...ctx.store.users.values()].filter(
        (u) =>
          orgOk &&
          (!ids || ids.includes(u.id)) &&
          (type === 'unknown_type' || u.type === type) &&
          (mfa === undefined || u.mfa === mfa) &&
          tagsMatch(u.tags, tag),
      );
      let cmp: Cmp<(typeof items)[number]>;
      if (orderBy.startsWith('username')) cmp = byName((u) => u.username);
      else if (orderBy.startsWith('email')) cmp = byName((u) => u.email);
      else if (orderBy.startsWith('last_login')) cmp = byString((u) => u.last_login_at ?? '');
      else cmp = byString((u) => u.created_at);
      return sortItems(
        items,
        cmp,
        orderBy.endsWith('desc'),
        byString((u) => u.id),
      );
    },
    userJson,
  );
});

route('GET', '/iam/v1alpha1/users/{user_id}', (ctx) =>
  ok(userJson(ctx.store.getUser(pathUuid(ctx, 'user_id')))),
);

/** Exposed for tests that want to check the whole table. */
export function routeTable(): ReadonlyArray<{ method: string; pattern: string }> {
  return routes.map((r) => ({ method: r.method, pattern: r.pattern.source }));
}
