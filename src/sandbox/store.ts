/**
 * In-memory model of one Scaleway organization: projects, IAM applications, API keys, groups,
 * policies (with rules) and users. No HTTP here: routes parse requests into the typed inputs
 * below, the store applies the domain rules of the real API (existence, uniqueness, managed
 * resources, cascades, counters, timestamps) and throws `SandboxApiError` exactly as the server
 * answers. Serialisation lives in serialize.ts.
 */
import { findPermissionSet, type ScopeType } from './catalogue.js';
import {
  alreadyExists,
  invalidArgument,
  notFound,
  permissionsDenied,
  preconditionFailed,
  quotasExceeded,
  transientState,
} from './errors.js';
import { accessKey, type MicroClock, type ParsedExpiry, uuidV4 } from './ids.js';
import type {
  ApiKeyRecord,
  ApplicationRecord,
  Bearer,
  GroupRecord,
  PolicyRecord,
  Principal,
  ProjectRecord,
  RuleRecord,
  RuleScope,
  SandboxState,
  UserRecord,
} from './model.js';
import type { Rng } from './prng.js';

export interface StoreOptions {
  organizationId: string;
  clock: MicroClock;
  now: () => Date;
  rng: Rng;
  /** Name filters (`name=`, `policy_name=`): exact (as recorded) or substring. Default exact. */
  nameFilter?: 'exact' | 'contains';
  /** Refuse project DELETE while keys or rules still reference it (412 resource_still_in_use). Default true. */
  refuseDeleteOfUsedProject?: boolean;
  /** What happens to policies whose principal (application or group) is deleted. Default 'keep'. */
  orphanPolicies?: 'keep' | 'delete' | 'detach';
  /**
   * Organization quota of API keys (every key counts, expired ones too): a create beyond it gets
   * 403 quotas_exceeded, resource `api_keys` (docs/design/scaleway-api.md §9). Default: none.
   */
  apiKeyQuota?: number;
  /** Window (ms) during which a second group membership change gets 409 transient_state. */
  membershipWindowMs?: () => number;
  /** Called after every successful write (persistence, transient-403 fault). */
  onWrite?: (kind: WriteKind) => void;
}

export type WriteKind = 'project' | 'application' | 'api_key' | 'group' | 'policy' | 'user';

export interface ApplicationInput {
  name: string;
  description?: string;
  tags?: string[];
  organization_id?: string;
}
export interface ApplicationPatch {
  name?: string;
  description?: string;
  tags?: string[];
}
export interface ApiKeyInput {
  bearer: Bearer;
  description?: string;
  expires?: ParsedExpiry | null;
  default_project_id?: string;
  creation_ip: string;
}
export interface ApiKeyPatch {
  description?: string;
  default_project_id?: string;
  expires?: ParsedExpiry | null;
}
export interface GroupInput {
  name: string;
  organization_id?: string;
  description?: string;
  tags?: string[];
}
export type GroupPatch = ApplicationPatch;
export interface RuleInput {
  permission_set_names: string[];
  condition: string;
  scope: RuleScope;
}
export interface PolicyInput {
  name: string;
  description?: string;
  organization_id?: string;
  tags?: string[];
  principal: Principal;
  rules: RuleInput[];
}
export interface PolicyPatch {
  name?: string;
  description?: string;
  tags?: string[];
  principal?: Principal;
}
export interface ProjectInput {
  name: string;
  organization_id?: string;
  description?: string;
}
export interface ProjectPatch {
  name?: string;
  description?: string;
}
export type Member = { user_id: string } | { application_id: string };

/** Group members as given in a request, without duplicates (the PUT /members echo). */
export function requestOrder(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A Map that reports every insertion, deletion and clear. */
class TrackedMap<K, V> extends Map<K, V> {
  readonly #onChange: () => void;
  constructor(onChange: () => void) {
    super();
    this.#onChange = onChange;
  }
  override set(key: K, value: V): this {
    this.#onChange();
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    this.#onChange();
    return super.delete(key);
  }
  override clear(): void {
    this.#onChange();
    super.clear();
  }
}

export class SandboxStore {
  readonly organizationId: string;
  ownerUserId = '';
  adminAccessKey = '';
  #revision = 0;
  readonly #bump = () => {
    this.#revision++;
  };
  // Tracked so that direct seeding (tests, seed.ts) also invalidates cached list results.
  readonly users = new TrackedMap<string, UserRecord>(this.#bump);
  readonly projects = new TrackedMap<string, ProjectRecord>(this.#bump);
  readonly applications = new TrackedMap<string, ApplicationRecord>(this.#bump);
  readonly apiKeys = new TrackedMap<string, ApiKeyRecord>(this.#bump);
  readonly groups = new TrackedMap<string, GroupRecord>(this.#bump);
  readonly policies = new TrackedMap<string, PolicyRecord>(this.#bump);
  private readonly lastMembershipChange = new Map<string, number>();
  private policyChangeAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: StoreOptions) {
    this.organizationId = opts.organizationId;
  }

  get nameFilter(): 'exact' | 'contains' {
    return this.opts.nameFilter ?? 'exact';
  }

  /** Time (ms) of the last policy/rule change; the transient-403 fault keys off it. */
  get lastPolicyChangeMs(): number {
    return this.policyChangeAt;
  }

  /** Forget the last policy change (after seeding, so the transient-403 window does not start at boot). */
  resetPolicyChangeClock(): void {
    this.policyChangeAt = Number.NEGATIVE_INFINITY;
  }

  newId(): string {
    return uuidV4(this.opts.rng);
  }

  private batching = 0;
  private batchedKinds = new Set<WriteKind>();

  /** The emulator's clock. */
  now(): Date {
    return this.opts.now();
  }

  /** Bumped by every write and every change to a collection; list results computed at one revision stay valid until the next. */
  get revision(): number {
    return this.#revision;
  }

  private written(kind: WriteKind): void {
    this.#revision++;
    if (kind === 'policy') this.policyChangeAt = this.opts.now().getTime();
    if (this.batching > 0) this.batchedKinds.add(kind);
    else this.opts.onWrite?.(kind);
  }

  /** Runs many writes with one write notification per kind at the end (bulk seeding, persistence). */
  batch<T>(fn: () => T): T {
    this.batching++;
    try {
      return fn();
    } finally {
      this.batching--;
      if (this.batching === 0) {
        const kinds = [...this.batchedKinds];
        this.batchedKinds.clear();
        for (const k of kinds) this.opts.onWrite?.(k);
      }
    }
  }

  private checkOrg(orgId: string | undefined, resource: string): void {
    if (orgId !== undefined && orgId !== this.organizationId) throw permissionsDenied(resource, 'write');
  }

  // ---------------------------------------------------------------- projects

  getProject(id: string): ProjectRecord {
    const p = this.projects.get(id);
    if (!p) throw notFound('project_id', id);
    return p;
  }

  createProject(input: ProjectInput): ProjectRecord {
    this.checkOrg(input.organization_id, 'project');
    const ts = this.opts.clock.timestamp();
    const p: ProjectRecord = {
      id: this.newId(),
      name: input.name,
      organization_id: this.organizationId,
      created_at: ts,
      updated_at: ts,
      description: input.description ?? '',
    };
    this.projects.set(p.id, p);
    this.written('project');
    return p;
  }

  updateProject(id: string, patch: ProjectPatch): ProjectRecord {
    const p = this.getProject(id);
    if (p.id === this.organizationId && patch.name !== undefined && patch.name !== p.name) {
      throw permissionsDenied('project', 'write');
    }
    if (patch.name !== undefined) p.name = patch.name;
    if (patch.description !== undefined) p.description = patch.description;
    p.updated_at = this.opts.clock.timestamp();
    this.written('project');
    return p;
  }

  setProjectQualification(id: string, qualification: Record<string, unknown>): ProjectRecord {
    const p = this.getProject(id);
    p.qualification = structuredClone(qualification);
    this.written('project');
    return p;
  }

  deleteProject(id: string): void {
    const p = this.getProject(id);
    if (p.id === this.organizationId) throw permissionsDenied('project', 'delete');
    if (this.opts.refuseDeleteOfUsedProject ?? true) {
      const keys = [...this.apiKeys.values()].filter((k) => k.default_project_id === id).length;
      const rules = [...this.policies.values()].flatMap((pol) =>
        pol.rules.filter((r) => 'project_ids' in r.scope && r.scope.project_ids.includes(id)),
      ).length;
      if (keys > 0 || rules > 0) {
        throw preconditionFailed(
          'resource_still_in_use',
          `project "${id}" is still used by ${keys} API key(s) and ${rules} policy rule(s)`,
        );
      }
    }
    this.projects.delete(id);
    this.written('project');
  }

  // ------------------------------------------------------------ applications

  getApplication(id: string): ApplicationRecord {
    const a = this.applications.get(id);
    if (!a) throw notFound('application', id);
    return a;
  }

  nbApiKeys(applicationId: string): number {
    let n = 0;
    for (const k of this.apiKeys.values()) {
      if ('application_id' in k.bearer && k.bearer.application_id === applicationId) n++;
    }
    return n;
  }

  createApplication(
    input: ApplicationInput,
    flags?: { managed?: boolean; created_at?: string },
  ): ApplicationRecord {
    this.checkOrg(input.organization_id, 'application');
    const ts = flags?.created_at ?? this.opts.clock.timestamp();
    const managed = flags?.managed ?? false;
    const a: ApplicationRecord = {
      id: this.newId(),
      name: input.name,
      description: input.description ?? '',
      created_at: ts,
      updated_at: ts,
      organization_id: this.organizationId,
      editable: !managed,
      deletable: !managed,
      managed,
      tags: [...(input.tags ?? [])],
    };
    this.applications.set(a.id, a);
    this.written('application');
    return a;
  }

  updateApplication(id: string, patch: ApplicationPatch): ApplicationRecord {
    const a = this.getApplication(id);
    if (!a.editable) throw permissionsDenied('application', 'write');
    if (patch.name !== undefined) a.name = patch.name;
    if (patch.description !== undefined) a.description = patch.description;
    if (patch.tags !== undefined) a.tags = [...patch.tags];
    a.updated_at = this.opts.clock.timestamp();
    this.written('application');
    return a;
  }

  deleteApplication(id: string): void {
    const a = this.getApplication(id);
    if (!a.deletable) throw permissionsDenied('application', 'delete');
    // Cascade (docs/design/scaleway-api.md §5, Cascades): the application's API keys go with it, and it leaves every group.
    for (const [ak, k] of this.apiKeys) {
      if ('application_id' in k.bearer && k.bearer.application_id === id) this.apiKeys.delete(ak);
    }
    for (const g of this.groups.values()) {
      const i = g.application_ids.indexOf(id);
      if (i >= 0) g.application_ids.splice(i, 1);
    }
    this.orphanPoliciesOf({ application_id: id });
    this.applications.delete(id);
    this.written('application');
  }

  private orphanPoliciesOf(principal: { application_id: string } | { group_id: string }): void {
    const mode = this.opts.orphanPolicies ?? 'keep';
    if (mode === 'keep') return;
    const [key, value] = Object.entries(principal)[0] as [string, string];
    for (const [id, p] of this.policies) {
      if ((p.principal as Record<string, unknown>)[key] !== value) continue;
      if (mode === 'delete') this.policies.delete(id);
      else p.principal = { no_principal: true };
    }
  }

  // ---------------------------------------------------------------- api keys

  getApiKey(access: string): ApiKeyRecord {
    const k = this.apiKeys.get(access);
    if (!k) throw notFound('access_key', access);
    return k;
  }

  findKeyBySecret(secret: string): ApiKeyRecord | undefined {
    for (const k of this.apiKeys.values()) if (k.secret_key === secret) return k;
    return undefined;
  }

  private checkBearer(bearer: Bearer): void {
    if ('application_id' in bearer) {
      const app = this.getApplication(bearer.application_id);
      if (app.managed) throw permissionsDenied('api_key', 'write');
    } else if (!this.users.has(bearer.user_id)) {
      throw notFound('user', bearer.user_id);
    }
  }

  createApiKey(input: ApiKeyInput, flags?: { managed?: boolean }): ApiKeyRecord {
    this.checkBearer(input.bearer);
    const quota = this.opts.apiKeyQuota;
    if (quota !== undefined && this.apiKeys.size >= quota)
      throw quotasExceeded('api_keys', quota, this.apiKeys.size);
    const projectId = input.default_project_id ?? this.organizationId;
    this.getProject(projectId);
    const ts = this.opts.clock.timestamp();
    let ak = accessKey(this.opts.rng);
    while (this.apiKeys.has(ak)) ak = accessKey(this.opts.rng);
    const managed = flags?.managed ?? false;
    const k: ApiKeyRecord = {
      access_key: ak,
      secret_key: uuidV4(this.opts.rng),
      description: input.description ?? '',
      created_at: ts,
      updated_at: ts,
      expires_at: input.expires?.text ?? null,
      expires_us: input.expires?.micros ?? null,
      default_project_id: projectId,
      editable: !managed,
      deletable: !managed,
      managed,
      creation_ip: input.creation_ip,
      bearer: { ...input.bearer },
    };
    this.apiKeys.set(ak, k);
    this.written('api_key');
    return k;
  }

  updateApiKey(access: string, patch: ApiKeyPatch): ApiKeyRecord {
    const k = this.getApiKey(access);
    if (!k.editable) throw permissionsDenied('api_key', 'write');
    if (patch.default_project_id !== undefined) {
      this.getProject(patch.default_project_id);
      k.default_project_id = patch.default_project_id;
    }
    if (patch.description !== undefined) k.description = patch.description;
    if (patch.expires !== undefined) {
      k.expires_at = patch.expires?.text ?? null;
      k.expires_us = patch.expires?.micros ?? null;
    }
    k.updated_at = this.opts.clock.timestamp();
    this.written('api_key');
    return k;
  }

  deleteApiKey(access: string): void {
    const k = this.getApiKey(access);
    if (!k.deletable) throw permissionsDenied('api_key', 'delete');
    this.apiKeys.delete(access);
    this.written('api_key');
  }

  isExpired(k: ApiKeyRecord): boolean {
    return k.expires_us !== null && k.expires_us <= this.opts.now().getTime() * 1000;
  }

  // ------------------------------------------------------------------ groups

  getGroup(id: string): GroupRecord {
    const g = this.groups.get(id);
    if (!g) throw notFound('group', id);
    return g;
  }

  private checkGroupName(name: string, exceptId?: string): void {
    for (const g of this.groups.values()) {
      if (g.name === name && g.id !== exceptId) {
        throw alreadyExists('group', g.id, `a group named "${name}" already exists in this organization`);
      }
    }
  }

  createGroup(input: GroupInput, flags?: { managed?: boolean }): GroupRecord {
    this.checkOrg(input.organization_id, 'group');
    this.checkGroupName(input.name);
    const ts = this.opts.clock.timestamp();
    const managed = flags?.managed ?? false;
    const g: GroupRecord = {
      id: this.newId(),
      created_at: ts,
      updated_at: ts,
      organization_id: this.organizationId,
      name: input.name,
      description: input.description ?? '',
      user_ids: [],
      application_ids: [],
      tags: [...(input.tags ?? [])],
      editable: !managed,
      deletable: !managed,
      managed,
    };
    this.groups.set(g.id, g);
    this.written('group');
    return g;
  }

  updateGroup(id: string, patch: GroupPatch): GroupRecord {
    const g = this.getGroup(id);
    if (!g.editable) throw permissionsDenied('group', 'write');
    if (patch.name !== undefined) this.checkGroupName(patch.name, id);
    if (patch.name !== undefined) g.name = patch.name;
    if (patch.description !== undefined) g.description = patch.description;
    if (patch.tags !== undefined) g.tags = [...patch.tags];
    g.updated_at = this.opts.clock.timestamp();
    this.written('group');
    return g;
  }

  deleteGroup(id: string): void {
    const g = this.getGroup(id);
    if (!g.deletable) throw permissionsDenied('group', 'delete');
    this.orphanPoliciesOf({ group_id: id });
    this.groups.delete(id);
    this.lastMembershipChange.delete(id);
    this.written('group');
  }

  /** 409 transient_state when the previous membership change is too recent (docs/design/scaleway-api.md §7). */
  private beginMembershipChange(g: GroupRecord): void {
    if (!g.editable) throw permissionsDenied('group', 'write');
    const window = this.opts.membershipWindowMs?.() ?? 0;
    const now = this.opts.now().getTime();
    const last = this.lastMembershipChange.get(g.id);
    if (window > 0 && last !== undefined && now - last < window) throw transientState('group', g.id);
    this.lastMembershipChange.set(g.id, now);
  }

  private checkMember(m: Member): void {
    if ('user_id' in m) {
      if (!this.users.has(m.user_id)) throw notFound('user', m.user_id);
    } else this.getApplication(m.application_id);
  }

  setGroupMembers(id: string, userIds: string[], applicationIds: string[]): GroupRecord {
    const g = this.getGroup(id);
    for (const u of userIds) this.checkMember({ user_id: u });
    for (const a of applicationIds) this.checkMember({ application_id: a });
    this.beginMembershipChange(g);
    g.user_ids = sortedIds(userIds);
    g.application_ids = sortedIds(applicationIds);
    this.written('group');
    return g;
  }

  addGroupMembers(id: string, members: readonly Member[]): GroupRecord {
    const g = this.getGroup(id);
    for (const m of members) this.checkMember(m);
    this.beginMembershipChange(g);
    for (const m of members) {
      const list = 'user_id' in m ? g.user_ids : g.application_ids;
      const value = 'user_id' in m ? m.user_id : m.application_id;
      if (!list.includes(value)) list.push(value);
    }
    g.user_ids.sort();
    g.application_ids.sort();
    this.written('group');
    return g;
  }

  removeGroupMember(id: string, m: Member): GroupRecord {
    const g = this.getGroup(id);
    const list = 'user_id' in m ? g.user_ids : g.application_ids;
    const value = 'user_id' in m ? m.user_id : m.application_id;
    const i = list.indexOf(value);
    // Recorded: a non-member gives 404 with an empty resource and the member's id.
    if (i < 0) throw notFound('', value);
    this.beginMembershipChange(g);
    list.splice(i, 1);
    this.written('group');
    return g;
  }

  // ---------------------------------------------------------------- policies

  getPolicy(id: string): PolicyRecord {
    const p = this.policies.get(id);
    if (!p) throw notFound('policy', id);
    return p;
  }

  private checkPrincipal(p: Principal): void {
    if ('user_id' in p && !this.users.has(p.user_id)) throw notFound('user', p.user_id);
    if ('group_id' in p) this.getGroup(p.group_id);
    if ('application_id' in p) this.getApplication(p.application_id);
  }

  /** Validates rule specs against the catalogue and the organization; builds records with new ids. */
  buildRules(specs: readonly RuleInput[]): RuleRecord[] {
    return specs.map((spec, i) => {
      const arg = `rules.${i}`;
      let scopeType: ScopeType | undefined;
      spec.permission_set_names.forEach((name, j) => {
        const def = findPermissionSet(name);
        if (!def) {
          throw invalidArgument(
            `${arg}.permission_set_names.${j}`,
            'constraint',
            `permission set "${name}" does not exist`,
          );
        }
        if (scopeType !== undefined && def.scope_type !== scopeType) {
          throw invalidArgument(
            `${arg}.permission_set_names`,
            'constraint',
            'all permission sets of a rule must have the same scope type',
          );
        }
        scopeType = def.scope_type;
      });
      const st = scopeType ?? 'projects';
      if ('organization_id' in spec.scope && spec.scope.organization_id !== this.organizationId) {
        throw permissionsDenied('policy', 'write');
      }
      if ('project_ids' in spec.scope) {
        if (st === 'organization') {
          throw invalidArgument(
            `${arg}.project_ids`,
            'constraint',
            'organization-level permission sets can only be scoped to the organization',
          );
        }
        for (const pid of spec.scope.project_ids) this.getProject(pid);
      }
      const scope: RuleScope =
        'project_ids' in spec.scope ? { project_ids: [...spec.scope.project_ids] } : { ...spec.scope };
      return {
        id: this.newId(),
        permission_set_names: [...spec.permission_set_names],
        permission_sets_scope_type: st,
        condition: spec.condition,
        scope,
      };
    });
  }

  createPolicy(input: PolicyInput, flags?: { managed?: boolean }): PolicyRecord {
    this.checkOrg(input.organization_id, 'policy');
    this.checkPrincipal(input.principal);
    const rules = this.buildRules(input.rules);
    const ts = this.opts.clock.timestamp();
    const managed = flags?.managed ?? false;
    const p: PolicyRecord = {
      id: this.newId(),
      name: input.name,
      description: input.description ?? '',
      organization_id: this.organizationId,
      created_at: ts,
      updated_at: ts,
      editable: !managed,
      deletable: !managed,
      managed,
      tags: [...(input.tags ?? [])],
      principal: { ...input.principal },
      rules,
    };
    this.policies.set(p.id, p);
    this.written('policy');
    return p;
  }

  /** Recorded: policy PATCH does not bump updated_at (docs/design/scaleway-api.md §8). */
  updatePolicy(id: string, patch: PolicyPatch): PolicyRecord {
    const p = this.getPolicy(id);
    if (!p.editable) throw permissionsDenied('policy', 'write');
    if (patch.principal) this.checkPrincipal(patch.principal);
    if (patch.name !== undefined) p.name = patch.name;
    if (patch.description !== undefined) p.description = patch.description;
    if (patch.tags !== undefined) p.tags = [...patch.tags];
    if (patch.principal) p.principal = { ...patch.principal };
    this.written('policy');
    return p;
  }

  deletePolicy(id: string): void {
    const p = this.getPolicy(id);
    if (!p.deletable) throw permissionsDenied('policy', 'delete');
    this.policies.delete(id);
    this.written('policy');
  }

  clonePolicy(id: string): PolicyRecord {
    const src = this.getPolicy(id);
    const ts = this.opts.clock.timestamp();
    const p: PolicyRecord = {
      ...structuredClone(src),
      id: this.newId(),
      name: `${src.name}-copy`.slice(0, 64),
      created_at: ts,
      updated_at: ts,
      editable: true,
      deletable: true,
      managed: false,
      rules: src.rules.map((r) => ({ ...structuredClone(r), id: this.newId() })),
    };
    this.policies.set(p.id, p);
    this.written('policy');
    return p;
  }

  /** PUT /rules: replaces every rule (new ids) and bumps the policy's updated_at. */
  setRules(policyId: string, specs: readonly RuleInput[]): RuleRecord[] {
    const p = this.getPolicy(policyId);
    if (!p.editable) throw permissionsDenied('policy', 'write');
    p.rules = this.buildRules(specs);
    p.updated_at = this.opts.clock.timestamp();
    this.written('policy');
    return p.rules;
  }

  // ------------------------------------------------------------------- users

  getUser(id: string): UserRecord {
    const u = this.users.get(id);
    if (!u) throw notFound('user', id);
    return u;
  }

  /** Adds a user (tests and seeding; there is no user-creation endpoint in scope). */
  addUser(partial: Partial<UserRecord> & { email: string }): UserRecord {
    const ts = partial.created_at ?? this.opts.clock.timestamp();
    const u: UserRecord = {
      id: partial.id ?? this.newId(),
      email: partial.email,
      username: partial.username ?? partial.email,
      first_name: partial.first_name ?? '',
      last_name: partial.last_name ?? '',
      phone_number: partial.phone_number ?? '',
      locale: partial.locale ?? 'en_US',
      created_at: ts,
      updated_at: partial.updated_at ?? ts,
      organization_id: this.organizationId,
      deletable: partial.deletable ?? partial.type !== 'owner',
      last_login_at: partial.last_login_at ?? null,
      type: partial.type ?? 'member',
      two_factor_enabled: partial.two_factor_enabled ?? false,
      status: partial.status ?? 'activated',
      mfa: partial.mfa ?? false,
      account_root_user_id: partial.account_root_user_id ?? '',
      tags: partial.tags ?? [],
      locked: partial.locked ?? false,
    };
    this.users.set(u.id, u);
    this.written('user');
    return u;
  }

  // ------------------------------------------------------------- persistence

  toState(): SandboxState {
    return {
      version: 1,
      organization_id: this.organizationId,
      owner_user_id: this.ownerUserId,
      admin_access_key: this.adminAccessKey,
      users: [...this.users.values()],
      projects: [...this.projects.values()],
      applications: [...this.applications.values()],
      api_keys: [...this.apiKeys.values()],
      groups: [...this.groups.values()],
      policies: [...this.policies.values()],
    };
  }

  loadState(state: SandboxState): void {
    this.#revision++;
    this.ownerUserId = state.owner_user_id;
    this.adminAccessKey = state.admin_access_key;
    for (const u of state.users) this.users.set(u.id, u);
    for (const p of state.projects) this.projects.set(p.id, p);
    for (const a of state.applications) this.applications.set(a.id, a);
    for (const k of state.api_keys) this.apiKeys.set(k.access_key, k);
    for (const g of state.groups) this.groups.set(g.id, g);
    for (const p of state.policies) this.policies.set(p.id, p);
  }
}

/**
 * Recorded (group-users-and-applications): the service stores members ordered by id; only the
 * PUT /members response echoes the request order (routes.ts does that).
 */
function sortedIds(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
