/**
 * FakeScalewayClient: the ScalewayClient port (src/scaleway/port.ts) over an in-memory
 * organization, for unit tests of orchestration (executor, reconciler).
 *
 * - Behaves like the API where it matters to callers: project names unique, descriptions ≤ 200,
 *   ≤ 10 tags, 404 `not_found` for unknown ids, API keys' `secret_key` only in the create result,
 *   deleting an application deletes its keys, group members / policy principals must exist.
 * - Per-method interceptors (controller-runtime style) for fault injection: anything without an
 *   interceptor falls through to the store; an interceptor gets `next` to call the real behaviour.
 * - Every call is logged (`calls`) with its arguments (never a secret: no method takes one).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../src/errors.js';
import type {
  ApiKey,
  Application,
  Group,
  LiveState,
  PermissionSet,
  Policy,
  PolicyPrincipal,
  Project,
  Rule,
  RuleSpec,
} from '../../src/model/live.js';
import { Secret } from '../../src/model/secret.js';
import { AmbiguousWriteError, ScalewayApiError, type ScalewayErrorInfo } from '../../src/scaleway/errors.js';
import type { CallOptions, ListApiKeysFilter, ScalewayClient } from '../../src/scaleway/port.js';

/** Builds the client's real error type, as if the API had answered `status` with this body. */
export function apiError(
  status: number,
  info: ScalewayErrorInfo,
  message: string,
  route = '/fake',
  method = 'POST',
): ScalewayApiError {
  return new ScalewayApiError({ method, route, status, message, info, requestId: randomUUID() });
}

export function notFound(resource: string, id: string, method = 'GET', route = '/fake'): ScalewayApiError {
  return apiError(
    404,
    { type: 'not_found', resource, resourceId: id },
    'resource is not found',
    route,
    method,
  );
}

/** Route templates of the real API, for error messages shaped like the HTTP client's. */
const ROUTES: Readonly<Record<string, readonly [string, string]>> = {
  getProject: ['GET', '/account/v3/projects/{project_id}'],
  updateProject: ['PATCH', '/account/v3/projects/{project_id}'],
  deleteProject: ['DELETE', '/account/v3/projects/{project_id}'],
  getApplication: ['GET', '/iam/v1alpha1/applications/{application_id}'],
  updateApplication: ['PATCH', '/iam/v1alpha1/applications/{application_id}'],
  deleteApplication: ['DELETE', '/iam/v1alpha1/applications/{application_id}'],
  getApiKey: ['GET', '/iam/v1alpha1/api-keys/{access_key}'],
  updateApiKey: ['PATCH', '/iam/v1alpha1/api-keys/{access_key}'],
  deleteApiKey: ['DELETE', '/iam/v1alpha1/api-keys/{access_key}'],
  createApiKey: ['POST', '/iam/v1alpha1/api-keys'],
  getGroup: ['GET', '/iam/v1alpha1/groups/{group_id}'],
  updateGroup: ['PATCH', '/iam/v1alpha1/groups/{group_id}'],
  setGroupMembers: ['PUT', '/iam/v1alpha1/groups/{group_id}/members'],
  deleteGroup: ['DELETE', '/iam/v1alpha1/groups/{group_id}'],
  getPolicy: ['GET', '/iam/v1alpha1/policies/{policy_id}'],
  updatePolicy: ['PATCH', '/iam/v1alpha1/policies/{policy_id}'],
  deletePolicy: ['DELETE', '/iam/v1alpha1/policies/{policy_id}'],
  listRules: ['GET', '/iam/v1alpha1/rules'],
  setRules: ['PUT', '/iam/v1alpha1/rules'],
};

function missing(method: string, resource: string, id: string): ScalewayApiError {
  const [verb, route] = ROUTES[method] ?? ['GET', '/fake'];
  return notFound(resource, id, verb, route);
}

export function transientState(resource: string, id: string): ScalewayApiError {
  return apiError(
    409,
    { type: 'transient_state', resource, resourceId: id, currentState: 'updating' },
    'resource is in a transient state',
  );
}

export function permissionsDenied(resource: string, action: string): ScalewayApiError {
  return apiError(
    403,
    { type: 'permissions_denied', details: [{ resource, action }] },
    'insufficient permissions',
  );
}

export function invalidArgument(argument: string, help: string): ScalewayApiError {
  return apiError(
    400,
    {
      type: 'invalid_arguments',
      details: [{ argumentName: argument, reason: 'constraint', helpMessage: help }],
    },
    'invalid argument(s)',
  );
}

export function serverError(): ScalewayApiError {
  return apiError(503, { type: 'unknown' }, 'Service Unavailable');
}

/** The client's ambiguous-write error (a POST whose outcome is unknown). */
export function ambiguous(route: string): AmbiguousWriteError {
  return new AmbiguousWriteError('POST', route, new Error('socket hang up'));
}

type Method = Exclude<keyof ScalewayClient, 'organizationId'>;
type Fn<M extends Method> = ScalewayClient[M] extends (...args: infer A) => infer R
  ? (...args: A) => R
  : never;
export type Interceptor<M extends Method> = (next: Fn<M>, ...args: Parameters<Fn<M>>) => ReturnType<Fn<M>>;

export interface FakeCall {
  readonly method: Method;
  readonly args: readonly unknown[];
  /** 'ok' or the error code/message it threw. */
  outcome?: string;
}

export interface FakeSeed {
  projects?: Partial<Project>[];
  applications?: Partial<Application>[];
  apiKeys?: Partial<ApiKey>[];
  groups?: Partial<Group>[];
  policies?: (Partial<Policy> & { rules?: RuleSpec[] })[];
}

export const DEFAULT_ORG = '6867048b-fe12-4e96-835e-41c79a39604b';

function ts(d: Date): string {
  // Scaleway timestamps: microsecond precision, Z.
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function checkAbort(opts?: CallOptions): void {
  if (opts?.signal?.aborted) throw opts.signal.reason;
}

export class FakeScalewayClient implements ScalewayClient {
  readonly organizationId: string;
  readonly calls: FakeCall[] = [];
  readonly projects = new Map<string, Project>();
  readonly applications = new Map<string, Application>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly groups = new Map<string, Group>();
  readonly policies = new Map<string, Policy>();
  readonly rules = new Map<string, Rule[]>();
  readonly permissionSets: PermissionSet[] = [
    {
      id: randomUUID(),
      name: 'IAMReadOnly',
      scopeType: 'organization',
      description: '',
      categories: ['IAM'],
    },
    {
      id: randomUUID(),
      name: 'ObjectStorageFullAccess',
      scopeType: 'projects',
      description: '',
      categories: [],
    },
    {
      id: randomUUID(),
      name: 'AllProductsFullAccess',
      scopeType: 'projects',
      description: '',
      categories: [],
    },
  ];
  /** Secrets handed out by createApiKey, by access key (tests compare sink contents to them). */
  readonly issuedSecrets = new Map<string, Secret>();
  #interceptors: Partial<Record<Method, unknown>> = {};
  #now: () => Date;
  #seq = 0;

  constructor(opts: { organizationId?: string; now?: () => Date; seed?: FakeSeed } = {}) {
    this.organizationId = opts.organizationId ?? DEFAULT_ORG;
    this.#now = opts.now ?? (() => new Date());
    const t = ts(this.#now());
    this.projects.set(this.organizationId, {
      id: this.organizationId,
      name: 'default',
      organizationId: this.organizationId,
      createdAt: t,
      updatedAt: t,
      description: '',
      isDefault: true,
    });
    if (opts.seed) this.seed(opts.seed);
  }

  /** Install (or with `undefined`, remove) an interceptor for one method. */
  intercept<M extends Method>(method: M, fn: Interceptor<M> | undefined): this {
    if (fn === undefined) delete this.#interceptors[method];
    else this.#interceptors[method] = fn;
    return this;
  }

  /** Fail the next `times` calls of `method` with `error` (then fall through). */
  failNext<M extends Method>(method: M, error: unknown | (() => unknown), times = 1): this {
    let left = times;
    return this.intercept(method, ((next: (...a: unknown[]) => unknown, ...args: unknown[]) => {
      if (left > 0) {
        left--;
        return Promise.reject(typeof error === 'function' ? (error as () => unknown)() : error);
      }
      return next(...args);
    }) as unknown as Interceptor<M>);
  }

  /** Calls of one method (in order). */
  callsTo(method: Method): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Methods that change state, in call order (list/get excluded). */
  writes(): FakeCall[] {
    return this.calls.filter((c) => !/^(list|get)/.test(c.method));
  }

  #id(): string {
    this.#seq++;
    const hex = this.#seq.toString(16).padStart(12, '0');
    return `${randomUUID().slice(0, 24)}${hex}`;
  }

  #accessKey(): string {
    // Crockford base32, as real access keys.
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    let s = 'SCW';
    for (let i = 0; i < 17; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    return this.apiKeys.has(s) ? this.#accessKey() : s;
  }

  #t(): string {
    return ts(this.#now());
  }

  async #call<M extends Method, R>(method: M, args: unknown[], impl: () => R | Promise<R>): Promise<R> {
    const call: FakeCall = { method, args: structuredClone(args.filter((a) => !isCallOptions(a))) };
    this.calls.push(call);
    const real = ((..._a: unknown[]) => Promise.resolve().then(impl)) as (...a: unknown[]) => Promise<R>;
    const interceptor = this.#interceptors[method] as
      | ((next: (...a: unknown[]) => Promise<R>, ...a: unknown[]) => Promise<R>)
      | undefined;
    try {
      const r = interceptor ? await interceptor(real, ...args) : await real(...args);
      call.outcome = 'ok';
      return r;
    } catch (err) {
      call.outcome = err instanceof AppError ? err.code : err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  seed(s: FakeSeed): void {
    const t = this.#t();
    for (const p of s.projects ?? []) {
      const id = p.id ?? this.#id();
      this.projects.set(id, {
        id,
        name: p.name ?? `project-${id.slice(-4)}`,
        organizationId: this.organizationId,
        createdAt: t,
        updatedAt: t,
        description: p.description ?? '',
        isDefault: id === this.organizationId,
      });
    }
    for (const a of s.applications ?? []) {
      const id = a.id ?? this.#id();
      this.applications.set(id, {
        id,
        name: a.name ?? `app-${id.slice(-4)}`,
        description: a.description ?? '',
        createdAt: t,
        updatedAt: t,
        organizationId: this.organizationId,
        nbApiKeys: 0,
        tags: a.tags ?? [],
        editable: a.editable ?? true,
        deletable: a.deletable ?? true,
        managed: a.managed ?? false,
      });
    }
    for (const k of s.apiKeys ?? []) {
      const accessKey = k.accessKey ?? this.#accessKey();
      this.apiKeys.set(accessKey, {
        accessKey,
        description: k.description ?? '',
        createdAt: k.createdAt ?? t,
        updatedAt: k.updatedAt ?? t,
        expiresAt: k.expiresAt ?? null,
        defaultProjectId: k.defaultProjectId ?? this.organizationId,
        creationIp: '127.0.0.1',
        bearer: k.bearer ?? { type: 'user', id: randomUUID() },
        editable: k.editable ?? true,
        deletable: k.deletable ?? true,
        managed: k.managed ?? false,
      });
    }
    for (const g of s.groups ?? []) {
      const id = g.id ?? this.#id();
      this.groups.set(id, {
        id,
        name: g.name ?? `group-${id.slice(-4)}`,
        description: g.description ?? '',
        createdAt: t,
        updatedAt: t,
        organizationId: this.organizationId,
        userIds: g.userIds ?? [],
        applicationIds: g.applicationIds ?? [],
        tags: g.tags ?? [],
        editable: g.editable ?? true,
        deletable: g.deletable ?? true,
        managed: g.managed ?? false,
      });
    }
    for (const p of s.policies ?? []) {
      const id = p.id ?? this.#id();
      const rules = (p.rules ?? []).map((r) => this.#rule(r));
      this.rules.set(id, rules);
      this.policies.set(
        id,
        this.#policyCounts({
          id,
          name: p.name ?? `policy-${id.slice(-4)}`,
          description: p.description ?? '',
          organizationId: this.organizationId,
          createdAt: t,
          updatedAt: t,
          nbRules: 0,
          nbScopes: 0,
          nbPermissionSets: 0,
          tags: p.tags ?? [],
          principal: p.principal ?? { type: 'none' },
          editable: p.editable ?? true,
          deletable: p.deletable ?? true,
          managed: p.managed ?? false,
        }),
      );
    }
    this.#recountKeys();
  }

  /** The whole organization as a LiveState (what observeLive would return). */
  liveState(): LiveState {
    return {
      organizationId: this.organizationId,
      projects: [...this.projects.values()],
      applications: [...this.applications.values()],
      apiKeys: [...this.apiKeys.values()],
      groups: [...this.groups.values()],
      policies: [...this.policies.values()],
      rules: new Map([...this.rules].map(([k, v]) => [k, [...v]])),
      permissionSets: [...this.permissionSets],
      observedAt: this.#t(),
    };
  }

  #rule(r: RuleSpec): Rule {
    const scope =
      r.scope.type === 'projects'
        ? { type: 'projects' as const, projectIds: [...r.scope.projectIds] }
        : { type: 'organization' as const, organizationId: r.scope.organizationId };
    return {
      id: this.#id(),
      permissionSetNames: [...r.permissionSetNames],
      permissionSetsScopeType: r.scope.type === 'projects' ? 'projects' : 'organization',
      condition: r.condition ?? '',
      scope,
    };
  }

  #policyCounts(p: Policy): Policy {
    const rules = this.rules.get(p.id) ?? [];
    return {
      ...p,
      nbRules: rules.length,
      nbPermissionSets: rules.reduce((n, r) => n + r.permissionSetNames.length, 0),
      nbScopes: rules.reduce((n, r) => n + (r.scope.type === 'projects' ? r.scope.projectIds.length : 1), 0),
    };
  }

  #recountKeys(): void {
    for (const [id, a] of this.applications) {
      const n = [...this.apiKeys.values()].filter(
        (k) => k.bearer.type === 'application' && k.bearer.id === id,
      ).length;
      if (n !== a.nbApiKeys) this.applications.set(id, { ...a, nbApiKeys: n });
    }
  }

  #checkDescription(d: string | undefined): void {
    if (d !== undefined && d.length > 200) throw invalidArgument('description', 'length must be at most 200');
  }

  #checkTags(tags: readonly string[] | undefined): void {
    if (tags !== undefined && tags.length > 10) throw invalidArgument('tags', 'at most 10 tags');
  }

  #checkEditable(o: { editable: boolean; managed: boolean }, resource: string, id: string): void {
    if (!o.editable || o.managed) {
      throw apiError(
        403,
        { type: 'permissions_denied', details: [{ resource, action: 'write' }] },
        `${resource} ${id} is not editable`,
      );
    }
  }

  #checkDeletable(o: { deletable: boolean; managed: boolean }, resource: string, id: string): void {
    if (!o.deletable || o.managed) {
      throw apiError(
        403,
        { type: 'permissions_denied', details: [{ resource, action: 'delete' }] },
        `${resource} ${id} is not deletable`,
      );
    }
  }

  #checkPrincipal(p: PolicyPrincipal): void {
    if (p.type === 'application' && !this.applications.has(p.id)) throw notFound('application', p.id);
    if (p.type === 'group' && !this.groups.has(p.id)) throw notFound('group', p.id);
  }

  #checkRules(rules: readonly RuleSpec[]): void {
    for (const r of rules) {
      for (const ps of r.permissionSetNames) {
        if (!this.permissionSets.some((x) => x.name === ps))
          throw invalidArgument('permission_set_names', ps);
      }
      if (r.scope.type === 'projects') {
        for (const id of r.scope.projectIds) if (!this.projects.has(id)) throw notFound('project_id', id);
      }
    }
  }

  // ---- projects
  listProjects(filter: { name?: string } = {}, opts?: CallOptions): Promise<Project[]> {
    return this.#call('listProjects', [filter, opts], () => {
      checkAbort(opts);
      return [...this.projects.values()].filter((p) => filter.name === undefined || p.name === filter.name);
    });
  }
  getProject(id: string, opts?: CallOptions): Promise<Project> {
    return this.#call('getProject', [id, opts], () => {
      checkAbort(opts);
      const p = this.projects.get(id);
      if (!p) throw missing('getProject', 'project', id);
      return p;
    });
  }
  createProject(input: { name: string; description: string }, opts?: CallOptions): Promise<Project> {
    return this.#call('createProject', [input, opts], () => {
      checkAbort(opts);
      this.#checkDescription(input.description);
      if ([...this.projects.values()].some((p) => p.name === input.name)) {
        throw apiError(
          409,
          { type: 'already_exists', resource: 'project', resourceId: input.name, helpMessage: '' },
          'resource already exists',
        );
      }
      const id = this.#id();
      const t = this.#t();
      const p: Project = {
        id,
        name: input.name,
        organizationId: this.organizationId,
        createdAt: t,
        updatedAt: t,
        description: input.description,
        isDefault: false,
      };
      this.projects.set(id, p);
      return p;
    });
  }
  updateProject(
    id: string,
    patch: { name?: string; description?: string },
    opts?: CallOptions,
  ): Promise<Project> {
    return this.#call('updateProject', [id, patch, opts], () => {
      checkAbort(opts);
      const p = this.projects.get(id);
      if (!p) throw missing('updateProject', 'project', id);
      this.#checkDescription(patch.description);
      const next: Project = {
        ...p,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        updatedAt: this.#t(),
      };
      this.projects.set(id, next);
      return next;
    });
  }
  deleteProject(id: string, opts?: CallOptions): Promise<void> {
    return this.#call('deleteProject', [id, opts], () => {
      checkAbort(opts);
      const p = this.projects.get(id);
      if (!p) throw missing('deleteProject', 'project', id);
      if (p.isDefault) {
        throw apiError(
          412,
          { type: 'precondition_failed', precondition: 'resource_still_in_use', helpMessage: '' },
          'default project cannot be deleted',
        );
      }
      this.projects.delete(id);
    });
  }

  // ---- applications
  listApplications(
    filter: { name?: string; tag?: string; editable?: boolean } = {},
    opts?: CallOptions,
  ): Promise<Application[]> {
    return this.#call('listApplications', [filter, opts], () => {
      checkAbort(opts);
      return [...this.applications.values()].filter(
        (a) =>
          (filter.name === undefined || a.name === filter.name) &&
          (filter.tag === undefined || a.tags.includes(filter.tag)) &&
          (filter.editable === undefined || a.editable === filter.editable),
      );
    });
  }
  getApplication(id: string, opts?: CallOptions): Promise<Application> {
    return this.#call('getApplication', [id, opts], () => {
      checkAbort(opts);
      const a = this.applications.get(id);
      if (!a) throw missing('getApplication', 'application', id);
      return a;
    });
  }
  createApplication(
    input: { name: string; description: string; tags: readonly string[] },
    opts?: CallOptions,
  ): Promise<Application> {
    return this.#call('createApplication', [input, opts], () => {
      checkAbort(opts);
      this.#checkDescription(input.description);
      this.#checkTags(input.tags);
      const id = this.#id();
      const t = this.#t();
      const a: Application = {
        id,
        name: input.name,
        description: input.description,
        createdAt: t,
        updatedAt: t,
        organizationId: this.organizationId,
        nbApiKeys: 0,
        tags: [...input.tags],
        editable: true,
        deletable: true,
        managed: false,
      };
      this.applications.set(id, a);
      return a;
    });
  }
  updateApplication(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[] },
    opts?: CallOptions,
  ): Promise<Application> {
    return this.#call('updateApplication', [id, patch, opts], () => {
      checkAbort(opts);
      const a = this.applications.get(id);
      if (!a) throw missing('updateApplication', 'application', id);
      this.#checkEditable(a, 'application', id);
      this.#checkDescription(patch.description);
      this.#checkTags(patch.tags);
      const next: Application = {
        ...a,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: [...patch.tags] } : {}),
        updatedAt: this.#t(),
      };
      this.applications.set(id, next);
      return next;
    });
  }
  deleteApplication(id: string, opts?: CallOptions): Promise<void> {
    return this.#call('deleteApplication', [id, opts], () => {
      checkAbort(opts);
      const a = this.applications.get(id);
      if (!a) throw missing('deleteApplication', 'application', id);
      this.#checkDeletable(a, 'application', id);
      this.applications.delete(id);
      for (const [ak, k] of this.apiKeys) {
        if (k.bearer.type === 'application' && k.bearer.id === id) this.apiKeys.delete(ak);
      }
      for (const [gid, g] of this.groups) {
        if (g.applicationIds.includes(id)) {
          this.groups.set(gid, { ...g, applicationIds: g.applicationIds.filter((x) => x !== id) });
        }
      }
    });
  }

  // ---- api keys
  listApiKeys(filter: ListApiKeysFilter = {}, opts?: CallOptions): Promise<ApiKey[]> {
    return this.#call('listApiKeys', [filter, opts], () => {
      checkAbort(opts);
      const now = this.#now().getTime();
      return [...this.apiKeys.values()].filter(
        (k) =>
          (filter.bearerId === undefined || k.bearer.id === filter.bearerId) &&
          (filter.bearerType === undefined || k.bearer.type === filter.bearerType) &&
          (filter.editable === undefined || k.editable === filter.editable) &&
          (filter.description === undefined || k.description.includes(filter.description)) &&
          (filter.expired === undefined ||
            (k.expiresAt !== null && Date.parse(k.expiresAt) <= now) === filter.expired),
      );
    });
  }
  getApiKey(accessKey: string, opts?: CallOptions): Promise<ApiKey> {
    return this.#call('getApiKey', [accessKey, opts], () => {
      checkAbort(opts);
      const k = this.apiKeys.get(accessKey);
      if (!k) throw missing('getApiKey', 'access_key', accessKey);
      return k;
    });
  }
  createApiKey(
    input: {
      applicationId: string;
      description: string;
      defaultProjectId?: string;
      expiresAt?: string | null;
    },
    opts?: CallOptions,
  ): Promise<{ apiKey: ApiKey; secretKey: Secret }> {
    return this.#call('createApiKey', [input, opts], () => {
      checkAbort(opts);
      this.#checkDescription(input.description);
      if (!this.applications.has(input.applicationId))
        throw missing('createApiKey', 'application', input.applicationId);
      if (input.defaultProjectId !== undefined && !this.projects.has(input.defaultProjectId)) {
        throw missing('createApiKey', 'project_id', input.defaultProjectId);
      }
      if (input.expiresAt && Date.parse(input.expiresAt) <= this.#now().getTime()) {
        throw invalidArgument('expires_at', 'must be in the future');
      }
      const t = this.#t();
      const accessKey = this.#accessKey();
      const apiKey: ApiKey = {
        accessKey,
        description: input.description,
        createdAt: t,
        updatedAt: t,
        expiresAt: input.expiresAt ?? null,
        defaultProjectId: input.defaultProjectId ?? this.organizationId,
        creationIp: '127.0.0.1',
        bearer: { type: 'application', id: input.applicationId },
        editable: true,
        deletable: true,
        managed: false,
      };
      this.apiKeys.set(accessKey, apiKey);
      this.#recountKeys();
      const secretKey = new Secret(randomUUID());
      // The test's own copy: the executor releases the one it gets once the delivery is settled.
      this.issuedSecrets.set(accessKey, new Secret(secretKey.reveal()));
      return { apiKey, secretKey };
    });
  }
  updateApiKey(
    accessKey: string,
    patch: { description?: string; defaultProjectId?: string; expiresAt?: string | null },
    opts?: CallOptions,
  ): Promise<ApiKey> {
    return this.#call('updateApiKey', [accessKey, patch, opts], () => {
      checkAbort(opts);
      const k = this.apiKeys.get(accessKey);
      if (!k) throw missing('updateApiKey', 'access_key', accessKey);
      this.#checkEditable(k, 'api_key', accessKey);
      this.#checkDescription(patch.description);
      if (patch.defaultProjectId !== undefined && !this.projects.has(patch.defaultProjectId)) {
        throw missing('updateApiKey', 'project_id', patch.defaultProjectId);
      }
      const next: ApiKey = {
        ...k,
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.defaultProjectId !== undefined ? { defaultProjectId: patch.defaultProjectId } : {}),
        ...(patch.expiresAt !== undefined ? { expiresAt: patch.expiresAt } : {}),
        updatedAt: this.#t(),
      };
      this.apiKeys.set(accessKey, next);
      return next;
    });
  }
  deleteApiKey(accessKey: string, opts?: CallOptions): Promise<void> {
    return this.#call('deleteApiKey', [accessKey, opts], () => {
      checkAbort(opts);
      const k = this.apiKeys.get(accessKey);
      if (!k) throw missing('deleteApiKey', 'access_key', accessKey);
      this.#checkDeletable(k, 'api_key', accessKey);
      this.apiKeys.delete(accessKey);
      this.#recountKeys();
    });
  }

  // ---- groups
  listGroups(filter: { name?: string; tag?: string } = {}, opts?: CallOptions): Promise<Group[]> {
    return this.#call('listGroups', [filter, opts], () => {
      checkAbort(opts);
      return [...this.groups.values()].filter(
        (g) =>
          (filter.name === undefined || g.name === filter.name) &&
          (filter.tag === undefined || g.tags.includes(filter.tag)),
      );
    });
  }
  getGroup(id: string, opts?: CallOptions): Promise<Group> {
    return this.#call('getGroup', [id, opts], () => {
      checkAbort(opts);
      const g = this.groups.get(id);
      if (!g) throw missing('getGroup', 'group', id);
      return g;
    });
  }
  createGroup(
    input: { name: string; description: string; tags: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group> {
    return this.#call('createGroup', [input, opts], () => {
      checkAbort(opts);
      this.#checkDescription(input.description);
      this.#checkTags(input.tags);
      const id = this.#id();
      const t = this.#t();
      const g: Group = {
        id,
        name: input.name,
        description: input.description,
        createdAt: t,
        updatedAt: t,
        organizationId: this.organizationId,
        userIds: [],
        applicationIds: [],
        tags: [...input.tags],
        editable: true,
        deletable: true,
        managed: false,
      };
      this.groups.set(id, g);
      return g;
    });
  }
  updateGroup(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group> {
    return this.#call('updateGroup', [id, patch, opts], () => {
      checkAbort(opts);
      const g = this.groups.get(id);
      if (!g) throw missing('updateGroup', 'group', id);
      this.#checkEditable(g, 'group', id);
      this.#checkDescription(patch.description);
      this.#checkTags(patch.tags);
      const next: Group = {
        ...g,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: [...patch.tags] } : {}),
        updatedAt: this.#t(),
      };
      this.groups.set(id, next);
      return next;
    });
  }
  setGroupMembers(
    id: string,
    members: { applicationIds: readonly string[]; userIds: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group> {
    return this.#call('setGroupMembers', [id, members, opts], () => {
      checkAbort(opts);
      const g = this.groups.get(id);
      if (!g) throw missing('setGroupMembers', 'group', id);
      for (const a of members.applicationIds)
        if (!this.applications.has(a)) throw missing('setGroupMembers', 'application', a);
      const next: Group = {
        ...g,
        applicationIds: [...members.applicationIds],
        userIds: [...members.userIds],
        updatedAt: this.#t(),
      };
      this.groups.set(id, next);
      return next;
    });
  }
  deleteGroup(id: string, opts?: CallOptions): Promise<void> {
    return this.#call('deleteGroup', [id, opts], () => {
      checkAbort(opts);
      const g = this.groups.get(id);
      if (!g) throw missing('deleteGroup', 'group', id);
      this.#checkDeletable(g, 'group', id);
      this.groups.delete(id);
    });
  }

  // ---- policies
  listPolicies(
    filter: { policyName?: string; tag?: string; editable?: boolean } = {},
    opts?: CallOptions,
  ): Promise<Policy[]> {
    return this.#call('listPolicies', [filter, opts], () => {
      checkAbort(opts);
      return [...this.policies.values()].filter(
        (p) =>
          (filter.policyName === undefined || p.name === filter.policyName) &&
          (filter.tag === undefined || p.tags.includes(filter.tag)) &&
          (filter.editable === undefined || p.editable === filter.editable),
      );
    });
  }
  getPolicy(id: string, opts?: CallOptions): Promise<Policy> {
    return this.#call('getPolicy', [id, opts], () => {
      checkAbort(opts);
      const p = this.policies.get(id);
      if (!p) throw missing('getPolicy', 'policy', id);
      return p;
    });
  }
  createPolicy(
    input: {
      name: string;
      description: string;
      tags: readonly string[];
      principal: PolicyPrincipal;
      rules: readonly RuleSpec[];
    },
    opts?: CallOptions,
  ): Promise<Policy> {
    return this.#call('createPolicy', [input, opts], () => {
      checkAbort(opts);
      this.#checkDescription(input.description);
      this.#checkTags(input.tags);
      this.#checkPrincipal(input.principal);
      this.#checkRules(input.rules);
      const id = this.#id();
      const t = this.#t();
      this.rules.set(
        id,
        input.rules.map((r) => this.#rule(r)),
      );
      const p = this.#policyCounts({
        id,
        name: input.name,
        description: input.description,
        organizationId: this.organizationId,
        createdAt: t,
        updatedAt: t,
        nbRules: 0,
        nbScopes: 0,
        nbPermissionSets: 0,
        tags: [...input.tags],
        principal: input.principal,
        editable: true,
        deletable: true,
        managed: false,
      });
      this.policies.set(id, p);
      return p;
    });
  }
  updatePolicy(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[]; principal?: PolicyPrincipal },
    opts?: CallOptions,
  ): Promise<Policy> {
    return this.#call('updatePolicy', [id, patch, opts], () => {
      checkAbort(opts);
      const p = this.policies.get(id);
      if (!p) throw missing('updatePolicy', 'policy', id);
      this.#checkEditable(p, 'policy', id);
      this.#checkDescription(patch.description);
      this.#checkTags(patch.tags);
      if (patch.principal) this.#checkPrincipal(patch.principal);
      const next: Policy = {
        ...p,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: [...patch.tags] } : {}),
        ...(patch.principal !== undefined ? { principal: patch.principal } : {}),
        updatedAt: this.#t(),
      };
      this.policies.set(id, next);
      return next;
    });
  }
  deletePolicy(id: string, opts?: CallOptions): Promise<void> {
    return this.#call('deletePolicy', [id, opts], () => {
      checkAbort(opts);
      const p = this.policies.get(id);
      if (!p) throw missing('deletePolicy', 'policy', id);
      this.#checkDeletable(p, 'policy', id);
      this.policies.delete(id);
      this.rules.delete(id);
    });
  }
  listRules(policyId: string, opts?: CallOptions): Promise<Rule[]> {
    return this.#call('listRules', [policyId, opts], () => {
      checkAbort(opts);
      if (!this.policies.has(policyId)) throw missing('listRules', 'policy', policyId);
      return [...(this.rules.get(policyId) ?? [])];
    });
  }
  setRules(policyId: string, rules: readonly RuleSpec[], opts?: CallOptions): Promise<Rule[]> {
    return this.#call('setRules', [policyId, rules, opts], () => {
      checkAbort(opts);
      const p = this.policies.get(policyId);
      if (!p) throw missing('setRules', 'policy', policyId);
      this.#checkEditable(p, 'policy', policyId);
      this.#checkRules(rules);
      const next = rules.map((r) => this.#rule(r));
      this.rules.set(policyId, next);
      this.policies.set(policyId, this.#policyCounts({ ...p, updatedAt: this.#t() }));
      return [...next];
    });
  }
  listPermissionSets(opts?: CallOptions): Promise<PermissionSet[]> {
    return this.#call('listPermissionSets', [opts], () => {
      checkAbort(opts);
      return [...this.permissionSets];
    });
  }
}

function isCallOptions(a: unknown): boolean {
  return typeof a === 'object' && a !== null && 'signal' in a && Object.keys(a).length === 1;
}
