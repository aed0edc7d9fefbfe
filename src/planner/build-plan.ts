/**
 * buildPlan: the pure heart of scw-gitops. (desired, live, sink observations, options, now) → Plan.
 *
 * No I/O, no clock, no randomness: the same input gives the same plan (byte-identical JSON).
 *
 * Runbook:
 *  1. Index the live objects per kind: ours (our instance's marker), foreign (another
 *     instance's), unmarked, protected (Scaleway managed / not editable / not deletable, or the
 *     org default project).
 *  2. Match each desired Project, Application, Group, Policy by name (names are identity):
 *     ours → update if fields differ; unmarked → conflict, or adopt when asked; foreign or
 *     protected → conflict; nothing → create. Each matched/created object gets a `StepRef` so
 *     later steps can reference it (by id, or by the step that creates it).
 *  3. Policies: resolve principal and rule projects, compare rules by content (never by id),
 *     check permission sets (unknown names, dangerous grants to applications).
 *  4. API keys: custody (pending/ready/retiring marker + what the sink holds), rotation,
 *     requires-replace fields, overlap-elapsed deletion of previous keys.
 *  5. Prune owned objects absent from git (per kind), never protected ones.
 *  6. Safety: a suspect listing disables pruning; too many deletions refuse the plan.
 *  7. Order: dependsOn (from step refs; deletes after dependents, in reverse kind order) and waves.
 *
 * A plan with any error diagnostic is refused: it carries the diagnostics and no steps.
 *
 * Replacement (API keys only) is one step (`replace`): the executor creates the new key,
 * delivers and verifies its secret, then disposes of `before` as `disposeBefore` says
 * (`retire`: mark retiring, deleted by a later plan after the overlap; `delete`: now).
 */
import { formatDuration } from '../desired/duration.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { sortDiagnostics } from '../model/diagnostics.js';
import type {
  DesiredApiKey,
  DesiredApplication,
  DesiredGroup,
  DesiredPolicy,
  DesiredProject,
  DesiredResource,
  DesiredRule,
  DesiredState,
} from '../model/desired.js';
import { fieldLocation } from '../model/desired.js';
import type { ApiKey, Application, Group, LiveState, Policy, Project, Rule } from '../model/live.js';
import {
  isProtected,
  type KeyMarker,
  ownerFromTags,
  parseKeyDescription,
  parseProjectDescription,
  userTags,
} from '../model/ownership.js';
import type {
  Action,
  FieldChange,
  KeyDisposal,
  KeyExpiry,
  LiveObject,
  Plan,
  PlanStep,
  ReasonCode,
  SinkObservation,
  StepRef,
} from '../model/plan.js';
import { PLAN_FORMAT_VERSION, summarize } from '../model/plan.js';
import type { Address, Kind } from '../model/resources.js';
import { address, KINDS, kindRank } from '../model/resources.js';
import { type FingerprintScope, fingerprintLive } from './fingerprint.js';
import type { PlanOptions } from './options.js';
import { didYouMean, isDangerous } from './permissions.js';
import {
  deliveredAtMs,
  effectiveRotation,
  parseTime,
  previousKeyDueMs,
  rotateAtMs,
  rotationState,
  secondsToExpiry,
  toIso,
} from './rotation.js';

export type { SinkObservation } from '../model/plan.js';
export type { PlanOptions } from './options.js';
export { defaultPlanOptions } from './options.js';

export interface BuildPlanInput {
  readonly desired: DesiredState;
  readonly live: LiveState;
  /** What each desired key's sink holds, by key address; a missing entry = not observed. */
  readonly sinkRecords: ReadonlyMap<Address, SinkObservation>;
  readonly options: PlanOptions;
  readonly now: Date;
  /**
   * Compute `liveFingerprint` (default true). Only a plan that is saved or rendered as JSON needs
   * it (docs/design/performance.md): a pass that only prints or applies its plan skips the hash.
   */
  readonly fingerprint?: boolean;
}

/** Tolerance when checking that a live key's lifetime matches the desired one (clock skew). */
const LIFETIME_TOLERANCE_MS = 5 * 60 * 1000;

type NamedKind = Exclude<Kind, 'ApiKey'>;
type LiveNamed = Project | Application | Group | Policy;

interface Entry {
  readonly kind: NamedKind;
  readonly id: string;
  readonly name: string;
  /** Instance named by our marker, if any. */
  readonly owner: string | undefined;
  readonly protected: boolean;
  readonly protectedWhy: string;
  readonly createdAt: string;
  readonly object: LiveNamed;
}

interface KeyEntry {
  readonly key: ApiKey;
  readonly description: string;
  readonly marker: KeyMarker | undefined;
}

/** A step before ordering (dependsOn/wave are filled in at the end). */
type Draft = Omit<PlanStep, 'dependsOn' | 'wave'> & { extraDeps?: string[] };

const LABEL: Record<Kind, string> = {
  Project: 'project',
  Application: 'application',
  Group: 'group',
  Policy: 'policy',
  ApiKey: 'API key',
};

function byCreated<T extends { createdAt: string }>(idOf: (t: T) => string) {
  return (a: T, b: T) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : idOf(a) < idOf(b) ? -1 : 1;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Newest key first (created_at, then access key for a stable order). */
function newestFirst(a: KeyEntry, b: KeyEntry): number {
  return a.key.createdAt > b.key.createdAt
    ? -1
    : a.key.createdAt < b.key.createdAt
      ? 1
      : a.key.accessKey < b.key.accessKey
        ? -1
        : 1;
}

class Planner {
  readonly steps: Draft[] = [];
  readonly diags: Diagnostic[] = [];
  /** Resolved references: address → id or creating step. */
  readonly refs = new Map<string, StepRef>();
  /** Desired addresses that could not be matched (conflicts): dependents stay quiet. */
  readonly blocked = new Set<string>();
  /** Live ids the plan depends on (owned, conflicting, referenced), per kind, for the fingerprint. */
  readonly touched = new Map<Kind, Set<string>>();
  readonly entries: Record<NamedKind, Entry[]>;
  /** Live entries by name (creation order), per kind. */
  readonly byName = {} as Record<NamedKind, Map<string, Entry[]>>;
  /** Ids of named objects and access keys of keys carrying our instance's marker. */
  readonly ownedIds = new Set<string>();
  readonly #ourKeys: KeyEntry[];
  readonly keysByName = new Map<string, KeyEntry[]>();
  readonly keyEntries: KeyEntry[];
  readonly nameById = new Map<string, string>();
  readonly projectNameById = new Map<string, string>();
  readonly desiredByAddress = new Map<string, DesiredResource>();
  readonly now: number;
  /** Future instants (epoch ms) at which a new plan would differ without any input change. */
  readonly dueTimes: number[] = [];
  /** Owned live ids matched to a desired resource (not pruned). */
  readonly matched = new Set<string>();

  constructor(
    readonly desired: DesiredState,
    readonly live: LiveState,
    readonly sinks: ReadonlyMap<Address, SinkObservation>,
    readonly opts: PlanOptions,
    now: Date,
  ) {
    this.now = now.getTime();
    for (const d of desired.resources) this.desiredByAddress.set(d.address, d);
    const inst = (tags: readonly string[]) => ownerFromTags(tags);
    const flags = (o: { managed: boolean; editable: boolean; deletable: boolean }) =>
      [
        o.managed ? 'managed by Scaleway' : '',
        o.editable ? '' : 'not editable',
        o.deletable ? '' : 'not deletable',
      ]
        .filter(Boolean)
        .join(', ');
    this.entries = {
      Project: live.projects.map((o) => ({
        kind: 'Project' as const,
        id: o.id,
        name: o.name,
        owner: parseProjectDescription(o.description).instance,
        protected: o.isDefault || o.id === live.organizationId,
        protectedWhy: "the organization's default project",
        createdAt: o.createdAt,
        object: o,
      })),
      Application: live.applications.map((o) => ({
        kind: 'Application' as const,
        id: o.id,
        name: o.name,
        owner: inst(o.tags),
        protected: isProtected(o),
        protectedWhy: flags(o),
        createdAt: o.createdAt,
        object: o,
      })),
      Group: live.groups.map((o) => ({
        kind: 'Group' as const,
        id: o.id,
        name: o.name,
        owner: inst(o.tags),
        protected: isProtected(o),
        protectedWhy: flags(o),
        createdAt: o.createdAt,
        object: o,
      })),
      Policy: live.policies.map((o) => ({
        kind: 'Policy' as const,
        id: o.id,
        name: o.name,
        owner: inst(o.tags),
        protected: isProtected(o),
        protectedWhy: flags(o),
        createdAt: o.createdAt,
        object: o,
      })),
    };
    for (const k of ['Project', 'Application', 'Group', 'Policy'] as const) {
      this.entries[k].sort(byCreated((e: Entry) => e.id));
      const index = new Map<string, Entry[]>();
      for (const e of this.entries[k]) {
        index.set(e.name, [...(index.get(e.name) ?? []), e]);
        if (e.owner === opts.instance) this.ownedIds.add(e.id);
      }
      this.byName[k] = index;
    }
    this.keyEntries = live.apiKeys.map((key) => {
      const parsed = parseKeyDescription(key.description);
      return { key, description: parsed.description, marker: parsed.marker };
    });
    this.#ourKeys = this.keyEntries.filter((k) => k.marker?.instance === opts.instance);
    for (const k of this.#ourKeys) {
      this.ownedIds.add(k.key.accessKey);
      const name = k.marker!.name;
      this.keysByName.set(name, [...(this.keysByName.get(name) ?? []), k]);
    }
    for (const a of live.applications) this.nameById.set(a.id, a.name);
    for (const g of live.groups) this.nameById.set(g.id, g.name);
    for (const p of live.projects)
      this.projectNameById.set(p.id, p.id === live.organizationId ? 'default' : p.name);
    this.projectNameById.set(live.organizationId, 'default');
  }

  get instance(): string {
    return this.opts.instance;
  }

  touch(kind: Kind, id: string): void {
    let s = this.touched.get(kind);
    if (!s) {
      s = new Set();
      this.touched.set(kind, s);
    }
    s.add(id);
  }

  diag(
    severity: 'error' | 'warning',
    code: string,
    message: string,
    subject?: DesiredResource | string,
    field?: string,
    hint?: string,
  ): void {
    const d: {
      -readonly [K in keyof Diagnostic]: Diagnostic[K];
    } = { severity, code, message };
    if (typeof subject === 'string') d.resource = subject;
    else if (subject) {
      d.resource = subject.address;
      const loc = (field && fieldLocation(subject, field)) || subject.source;
      d.location = loc;
    }
    if (field) d.field = field;
    if (hint) d.hint = hint;
    this.diags.push(d);
  }

  // ---------------------------------------------------------------- references

  /**
   * Resolve a reference by name. Desired objects resolve to their match or creating step;
   * otherwise an existing live object that is not ours (read-only reference) may be used.
   * `default` project = the organization's default project.
   */
  resolve(kind: NamedKind, name: string, from: DesiredResource, field: string): StepRef | undefined {
    const addr = address(kind, name);
    if (kind === 'Project' && name === 'default' && !this.desiredByAddress.has(addr)) {
      this.touch('Project', this.live.organizationId);
      return { id: this.live.organizationId };
    }
    const r = this.refs.get(addr);
    if (r) return r;
    if (this.blocked.has(addr)) return undefined;
    const candidates = this.byName[kind].get(name) ?? [];
    const notOurs = candidates.filter((e) => e.owner !== this.instance);
    if (notOurs.length === 1) {
      const e = notOurs[0]!;
      this.touch(kind, e.id);
      return { id: e.id };
    }
    if (notOurs.length > 1) {
      this.diag(
        'error',
        'ambiguous-reference',
        `${kind}/${name} matches ${notOurs.length} live ${LABEL[kind]}s (${notOurs.map((e) => e.id).join(', ')})`,
        from,
        field,
        `declare ${kind}/${name} in git (with metadata.adopt: true) so scw-gitops knows which one is meant`,
      );
      this.blocked.add(addr);
      return undefined;
    }
    const owned = candidates.length > 0;
    this.diag(
      'error',
      'unresolved-reference',
      `${kind}/${name} is neither declared in git nor present in the organization`,
      from,
      field,
      owned
        ? `${kind}/${name} is owned by scw-gitops but no longer in git; declare it again`
        : `declare ${kind}/${name} or fix the name`,
    );
    this.blocked.add(addr);
    return undefined;
  }

  refKey(r: StepRef): string {
    return 'id' in r ? r.id : `step:${r.step}`;
  }

  // ---------------------------------------------------------------- matching

  /** Step 2: match one desired named resource to the live objects of its kind. */
  match(d: DesiredResource & { kind: NamedKind }): { entry?: Entry; adopt?: boolean } | undefined {
    const entries = this.byName[d.kind].get(d.name) ?? [];
    for (const e of entries) this.touch(d.kind, e.id);
    const ours = entries.filter((e) => e.owner === this.instance && !e.protected);
    if (ours.length > 0) {
      const [primary, ...extras] = ours;
      this.matched.add(primary!.id);
      for (const extra of extras) {
        this.matched.add(extra.id);
        if (this.opts.prune[d.kind]) {
          this.deleteStep(
            extra,
            'pruned',
            `duplicate: ${d.address} is ${primary!.id}; this extra owned copy is deleted`,
          );
        } else {
          this.diag(
            'warning',
            'duplicate-owned',
            `${ours.length} owned live ${LABEL[d.kind]}s are named "${d.name}"; using ${primary!.id}, leaving ${extra.id} alone (pruning of ${d.kind} is off)`,
            d,
          );
        }
      }
      return { entry: primary! };
    }
    const prot = entries.filter((e) => e.protected);
    if (prot.length > 0) {
      const e = prot[0]!;
      this.diag(
        'error',
        'protected-conflict',
        `the live ${LABEL[d.kind]} ${e.id} named "${d.name}" is ${e.protectedWhy}; scw-gitops never changes it`,
        d,
        undefined,
        'rename the resource in git',
      );
      return undefined;
    }
    const foreign = entries.filter((e) => e.owner !== undefined && e.owner !== this.instance);
    if (foreign.length > 0) {
      const e = foreign[0]!;
      this.diag(
        'error',
        'foreign-owner',
        `the live ${LABEL[d.kind]} ${e.id} named "${d.name}" belongs to scw-gitops instance "${e.owner}"`,
        d,
        undefined,
        'rename the resource, or remove it from the other instance first',
      );
      return undefined;
    }
    if (entries.length === 0) return {};
    if (!(d.adopt || this.opts.adoptAll)) {
      this.diag(
        'error',
        'conflict',
        `a live ${LABEL[d.kind]} named "${d.name}" already exists (id ${entries.map((e) => e.id).join(', ')}) without the scw-gitops marker`,
        d,
        undefined,
        'set metadata.adopt: true (or run with --adopt) to take it over, or rename the resource',
      );
      return undefined;
    }
    if (entries.length > 1) {
      this.diag(
        'error',
        'ambiguous-adopt',
        `cannot adopt: ${entries.length} live ${LABEL[d.kind]}s are named "${d.name}" (${entries.map((e) => e.id).join(', ')})`,
        d,
        undefined,
        'delete or rename the extra ones in Scaleway first',
      );
      return undefined;
    }
    this.matched.add(entries[0]!.id);
    return { entry: entries[0]!, adopt: true };
  }

  liveObject(e: Entry): LiveObject {
    switch (e.kind) {
      case 'Project':
        return { kind: 'Project', object: e.object as Project };
      case 'Application':
        return { kind: 'Application', object: e.object as Application };
      case 'Group':
        return { kind: 'Group', object: e.object as Group };
      case 'Policy': {
        const rules = this.live.rules.get(e.id);
        return rules
          ? { kind: 'Policy', object: e.object as Policy, rules }
          : { kind: 'Policy', object: e.object as Policy };
      }
    }
  }

  /**
   * Create, update or adopt one named resource, given its field changes against the live match.
   * `refs` are the references the step needs (their creating steps become dependencies).
   */
  upsert(
    d: DesiredResource & { kind: NamedKind },
    diff: (e: Entry) => FieldChange[],
    refs: Record<string, StepRef>,
    warnings: string[] = [],
  ): void {
    const m = this.match(d);
    if (!m) {
      this.blocked.add(d.address);
      return;
    }
    const refsField = Object.keys(refs).length > 0 ? { refs: sortRecord(refs) } : {};
    if (!m.entry) {
      const id = `create:${d.address}`;
      this.refs.set(d.address, { step: id });
      this.steps.push({
        id,
        action: 'create',
        kind: d.kind,
        name: d.name,
        address: d.address,
        reason: 'missing',
        after: afterOf(d),
        changes: [],
        warnings,
        ...refsField,
      });
      return;
    }
    const e = m.entry;
    this.refs.set(d.address, { id: e.id });
    const changes = diff(e);
    if (m.adopt) {
      this.steps.push({
        id: `adopt:${d.address}`,
        action: 'adopt',
        kind: d.kind,
        name: d.name,
        address: d.address,
        reason: 'adopt-requested',
        detail: `take over the existing ${LABEL[d.kind]} ${e.id} (adds the scw-gitops marker for instance "${this.instance}")`,
        before: this.liveObject(e),
        after: afterOf(d),
        changes,
        warnings,
        ...refsField,
      });
      return;
    }
    if (changes.length === 0) return;
    this.steps.push({
      id: `update:${d.address}`,
      action: 'update',
      kind: d.kind,
      name: d.name,
      address: d.address,
      reason: 'drifted',
      before: this.liveObject(e),
      after: afterOf(d),
      changes,
      warnings,
      ...refsField,
    });
  }

  deleteStep(e: Entry, reason: ReasonCode, detail: string): void {
    this.steps.push({
      id: `delete:${e.kind}/${e.name}@${e.id}`,
      action: 'delete',
      kind: e.kind,
      name: e.name,
      address: address(e.kind, e.name),
      reason,
      detail,
      before: this.liveObject(e),
      changes: [],
      warnings: [],
      countsTowardMassDelete: true,
    });
  }

  // ---------------------------------------------------------------- per kind

  project(d: DesiredProject): void {
    this.upsert(
      d,
      (e) => {
        const live = parseProjectDescription((e.object as Project).description).description;
        return live === d.description ? [] : [{ field: 'description', before: live, after: d.description }];
      },
      {},
    );
  }

  application(d: DesiredApplication): void {
    this.upsert(d, (e) => appLikeChanges(e.object as Application, d), {});
  }

  group(d: DesiredGroup): void {
    const refs: Record<string, StepRef> = {};
    const memberKeys: string[] = [];
    let resolved = true;
    d.memberApplications.forEach((name, i) => {
      const r = this.resolve('Application', name, d, `spec.members.applications[${i}]`);
      if (!r) {
        resolved = false;
        return;
      }
      refs[address('Application', name)] = r;
      memberKeys.push(this.refKey(r));
    });
    this.upsert(
      d,
      (e) => {
        const g = e.object as Group;
        const changes = appLikeChanges(g, d);
        // Membership is a set: the order has no meaning for Scaleway (and is not always kept).
        if (resolved && !sameList([...new Set(memberKeys)].sort(), [...new Set(g.applicationIds)].sort())) {
          changes.push({
            field: 'members',
            before: g.applicationIds.map((id) => this.nameById.get(id) ?? id),
            after: [...d.memberApplications],
          });
        }
        return changes;
      },
      refs,
    );
  }

  policy(d: DesiredPolicy): void {
    const refs: Record<string, StepRef> = {};
    let principalKey: string | undefined;
    if (d.principal.type !== 'none') {
      const kind = d.principal.type === 'application' ? 'Application' : 'Group';
      const r = this.resolve(kind, d.principal.name, d, `spec.principal.${d.principal.type}`);
      if (r) {
        refs[address(kind, d.principal.name)] = r;
        principalKey = `${d.principal.type}:${this.refKey(r)}`;
      }
    } else principalKey = 'none';

    let rulesResolved = true;
    const desiredRuleKeys: string[] = [];
    d.rules.forEach((rule, i) => {
      const projectKeys: string[] = [];
      if (rule.scope.type === 'projects') {
        rule.scope.projects.forEach((p, j) => {
          const r = this.resolve('Project', p, d, `spec.rules[${i}].projects[${j}]`);
          if (!r) {
            rulesResolved = false;
            return;
          }
          refs[address('Project', p)] = r;
          projectKeys.push(this.refKey(r));
        });
      }
      desiredRuleKeys.push(
        ruleKey(rule.permissionSets, rule.scope.type === 'projects' ? projectKeys : null, rule.condition),
      );
    });

    const warnings = this.checkPermissions(d);

    this.upsert(
      d,
      (e) => {
        const p = e.object as Policy;
        const changes = appLikeChanges(p, d);
        const livePrincipal = p.principal.type === 'none' ? 'none' : `${p.principal.type}:${p.principal.id}`;
        if (principalKey !== undefined && livePrincipal !== principalKey) {
          changes.push({
            field: 'principal',
            before: this.describeLivePrincipal(p),
            after: d.principal.type === 'none' ? 'none' : `${d.principal.type}:${d.principal.name}`,
          });
        }
        const liveRules = this.live.rules.get(p.id);
        const liveKeys = (liveRules ?? []).map((r) => liveRuleKey(r)).sort();
        const rulesUnknown = liveRules === undefined && p.nbRules !== 0;
        if (rulesResolved && (rulesUnknown || !sameList(liveKeys, [...desiredRuleKeys].sort()))) {
          changes.push({
            field: 'rules',
            before: rulesUnknown ? '(not read)' : (liveRules ?? []).map((r) => this.describeLiveRule(r)),
            after: d.rules.map((r) => describeDesiredRule(r)),
          });
        }
        return changes;
      },
      refs,
      warnings,
    );
  }

  describeLivePrincipal(p: Policy): string {
    if (p.principal.type === 'none') return 'none';
    if (p.principal.type === 'user') return `user:${p.principal.id}`;
    return `${p.principal.type}:${this.nameById.get(p.principal.id) ?? p.principal.id}`;
  }

  describeLiveRule(r: Rule): string {
    const sets = [...r.permissionSetNames].sort().join(', ');
    let scope: string;
    if (r.scope.type === 'organization') scope = 'organization';
    else if (r.scope.type === 'projects')
      scope = `projects [${r.scope.projectIds.map((id) => this.projectNameById.get(id) ?? id).join(', ')}]`;
    else scope = `account root user ${r.scope.accountRootUserId}`;
    return `${sets} on ${scope}${r.condition ? ` if ${r.condition}` : ''}`;
  }

  /** Unknown permission sets (error) and dangerous grants to applications (error unless acknowledged). */
  checkPermissions(d: DesiredPolicy): string[] {
    const catalogue = this.live.permissionSets?.map((p) => p.name);
    if (catalogue) {
      const known = new Set(catalogue);
      const scopeOf = new Map(this.live.permissionSets!.map((p) => [p.name, p.scopeType]));
      d.rules.forEach((rule, i) => {
        // One rule = one scope type (the API refuses a mix); organization-type sets cannot be
        // scoped to projects.
        const types = new Map<string, string[]>();
        for (const name of rule.permissionSets) {
          const t = scopeOf.get(name);
          if (t !== undefined) types.set(t, [...(types.get(t) ?? []), name]);
        }
        if (types.size > 1) {
          this.diag(
            'error',
            'mixed-scope-types',
            `the permission sets of one rule must share a scope type (${[...types.entries()]
              .map(([t, names]) => `${t}: ${names.join(', ')}`)
              .join('; ')})`,
            d,
            `spec.rules[${i}].permissionSets`,
            'split them into one rule per scope type',
          );
        } else if (rule.scope.type === 'projects' && types.has('organization')) {
          this.diag(
            'error',
            'organization-set-on-projects',
            `${types.get('organization')!.join(', ')} can only be granted at organization scope`,
            d,
            `spec.rules[${i}].projects`,
            'use `organization: true` for this rule',
          );
        }
        rule.permissionSets.forEach((name, j) => {
          if (known.has(name)) return;
          const guess = didYouMean(name, catalogue);
          this.diag(
            'error',
            'unknown-permission-set',
            `unknown permission set "${name}"`,
            d,
            `spec.rules[${i}].permissionSets[${j}]`,
            guess
              ? `did you mean "${guess}"?`
              : 'see the organization permission sets (scw iam permission-set list)',
          );
        });
      });
    }
    const principal = d.principal;
    if (principal.type === 'none') return [];
    let via: string;
    if (principal.type === 'application') via = `application ${principal.name}`;
    else {
      const g = this.desiredByAddress.get(address('Group', principal.name)) as DesiredGroup | undefined;
      let apps: readonly string[];
      if (g) apps = g.memberApplications;
      else {
        const live = this.live.groups.find((x) => x.name === principal.name);
        apps = live ? live.applicationIds.map((id) => this.nameById.get(id) ?? id) : [];
      }
      if (apps.length === 0) return [];
      via = `group ${principal.name} (applications: ${apps.join(', ')})`;
    }
    const dangerous: string[] = [];
    for (const rule of d.rules) {
      for (const ps of rule.permissionSets) {
        if (isDangerous(ps, rule.scope.type)) {
          dangerous.push(rule.scope.type === 'organization' ? `${ps} (organization scope)` : ps);
        }
      }
    }
    if (dangerous.length === 0) return [];
    const list = [...new Set(dangerous)].sort().join(', ');
    if (!d.acknowledgeDangerousPermissions) {
      this.diag(
        'error',
        'dangerous-permission',
        `grants ${list} to ${via}; an application's API key with these rights can take over the organization`,
        d,
        'spec.rules',
        'grant narrower permission sets, or set spec.acknowledgeDangerousPermissions: true',
      );
      return [];
    }
    const text = `DANGEROUS: grants ${list} to ${via} (acknowledged)`;
    this.diag('warning', 'dangerous-permission-acknowledged', text, d, 'spec.rules');
    return [text];
  }

  // ---------------------------------------------------------------- API keys

  ourKeys(): readonly KeyEntry[] {
    return this.#ourKeys;
  }

  apiKey(d: DesiredApiKey): void {
    const refs: Record<string, StepRef> = {};
    const app = this.resolve('Application', d.application, d, 'spec.application');
    const proj = this.resolve('Project', d.defaultProject, d, 'spec.defaultProject');
    if (app) refs[address('Application', d.application)] = app;
    if (proj) refs[address('Project', d.defaultProject)] = proj;
    if (!app || !proj) return;
    const rot = effectiveRotation(d.rotation, this.opts.rotation, d.expiresAt !== undefined);
    if (
      rot.lifetimeMs !== undefined &&
      rot.rotateBeforeMs !== undefined &&
      rot.rotateBeforeMs >= rot.lifetimeMs
    ) {
      this.diag(
        'warning',
        'rotate-before-ignored',
        `rotateBefore ${formatDuration(rot.rotateBeforeMs)} is not shorter than the lifetime ${formatDuration(rot.lifetimeMs)}; rotating ${formatDuration(Math.floor(rot.lifetimeMs / 3))} before expiry instead`,
        d,
        'spec.rotation.rotateBefore',
        'set spec.rotation.rotateBefore for this key, or a shorter defaults.rotation.rotateBefore in the settings',
      );
    }
    const keyFields = {
      rotation: rot,
      ...(d.expiresAt !== undefined ? { expiresAt: d.expiresAt } : {}),
      refs: sortRecord(refs),
    };

    const mine = this.keysByName.get(d.name) ?? [];
    if (d.adopt && d.adoptAccessKey !== undefined && mine.length === 0) {
      this.adoptKey(d, d.adoptAccessKey, app, proj, keyFields);
      return;
    }
    for (const k of mine) this.touch('ApiKey', k.key.accessKey);
    const usable = mine.filter((k) => {
      if (!isProtected(k.key)) return true;
      this.diag(
        'warning',
        'protected-key',
        `API key ${k.key.accessKey} carries our marker but is managed/not editable/not deletable; left alone`,
        d,
      );
      return false;
    });
    // `external` keys (adopted, secret never held by us) serve like ready ones.
    const ready = usable
      .filter((k) => k.marker!.state === 'ready' || k.marker!.state === 'external')
      .sort(newestFirst);
    const pending = usable.filter((k) => k.marker!.state === 'pending').sort(newestFirst);
    const retiring = usable.filter((k) => k.marker!.state === 'retiring').sort(newestFirst);
    const obs = this.sinks.get(d.address);
    const sinkHolds = (k: KeyEntry) => obs !== undefined && !obs.error && obs.accessKey === k.key.accessKey;
    const current = ready[0];

    const replace = (
      before: KeyEntry,
      reason: ReasonCode,
      detail: string,
      disposeBefore: KeyDisposal,
      changes: FieldChange[],
      warnings: string[],
    ) => {
      this.steps.push({
        id: `replace:${d.address}@${before.key.accessKey}`,
        action: 'replace',
        kind: 'ApiKey',
        name: d.name,
        address: d.address,
        reason,
        detail,
        before: { kind: 'ApiKey', object: before.key },
        after: afterOf(d),
        changes,
        warnings,
        disposeBefore,
        ...keyFields,
      });
    };
    const dropPending = (k: KeyEntry) =>
      this.keyDelete(
        d.name,
        k,
        'custody-lost',
        `key ${k.key.accessKey} was created but its secret was never confirmed in the sink`,
        false,
      );

    // A pending key the sink already holds: its secret was delivered but the key not marked
    // ready (interrupted pass). It is the key consumers use now; replace it (one new key per
    // pass, never more) and retire it with the normal overlap.
    const deliveredPending = pending.find(sinkHolds);
    if (deliveredPending || (!current && pending.length > 0)) {
      const p = deliveredPending ?? pending[0]!;
      replace(
        p,
        'custody-lost',
        deliveredPending
          ? `key ${p.key.accessKey} reached the sink but was never confirmed ready; a new key replaces it`
          : `key ${p.key.accessKey} was created but its secret was never confirmed in the sink; a new key replaces it`,
        deliveredPending ? 'retire' : 'delete',
        [],
        [],
      );
      for (const k of pending) if (k !== p) dropPending(k);
      if (current) this.previousKeys(d, [...ready.slice(1), ...retiring], current, obs, rot.overlapMs);
      return;
    }
    for (const k of pending) dropPending(k);
    if (!current) {
      const id = `create:${d.address}`;
      this.refs.set(d.address, { step: id });
      this.steps.push({
        id,
        action: 'create',
        kind: 'ApiKey',
        name: d.name,
        address: d.address,
        reason: 'missing',
        after: afterOf(d),
        changes: [],
        warnings: [],
        ...keyFields,
      });
      // Retiring keys without a ready successor stay until the new key is ready.
      return;
    }

    if (obs?.error) {
      this.diag(
        'warning',
        'sink-unreadable',
        `the sink of this key could not be read (${obs.error}); custody not checked this time`,
        d,
      );
    }
    // Field changes on the current key.
    const cur = current.key;
    const inPlace: FieldChange[] = [];
    if (current.description !== d.description) {
      inPlace.push({ field: 'description', before: current.description, after: d.description });
    }
    if (this.refKey(proj) !== cur.defaultProjectId) {
      inPlace.push({
        field: 'defaultProject',
        before: this.projectNameById.get(cur.defaultProjectId) ?? cur.defaultProjectId,
        after: d.defaultProject,
      });
    }
    const forcing: FieldChange[] = [];
    if (cur.bearer.type !== 'application' || cur.bearer.id !== this.refKey(app)) {
      forcing.push({
        field: 'application',
        before:
          cur.bearer.type === 'user'
            ? `user:${cur.bearer.id}`
            : (this.nameById.get(cur.bearer.id) ?? cur.bearer.id),
        after: d.application,
        forcesReplacement: true,
      });
    }
    const expiryChange = this.expiryChange(d, cur, rot.lifetimeMs);
    if (expiryChange) forcing.push(expiryChange);

    const state = rotationState(cur, rot, this.now);
    const custodyLost =
      current.marker!.state !== 'external' &&
      obs !== undefined &&
      !obs.error &&
      obs.accessKey !== cur.accessKey;
    const absoluteInPast = d.expiresAt !== undefined && parseTime(d.expiresAt) <= this.now;

    if (state.status === 'expired' && !absoluteInPast) {
      const text = `EXPIRED: key ${cur.accessKey} expired at ${toIso(state.expiredAt)}; consumers are failing now`;
      this.diag('warning', 'key-expired', text, d);
      replace(
        current,
        'expired',
        `key ${cur.accessKey} expired at ${toIso(state.expiredAt)}`,
        'delete',
        [...forcing, ...inPlace],
        [text],
      );
    } else if (state.status === 'expired') {
      this.diag(
        'warning',
        'key-expired',
        `key ${cur.accessKey} expired at ${toIso(state.expiredAt)} and spec.expiresAt is in the past; not replaced`,
        d,
        'spec.expiresAt',
        'set a future spec.expiresAt or use spec.lifetime',
      );
    } else if (custodyLost) {
      replace(
        current,
        'custody-lost',
        obs!.accessKey === null
          ? `the sink holds no secret for key ${cur.accessKey}`
          : `the sink holds access key ${obs!.accessKey}, not the current key ${cur.accessKey}`,
        'delete',
        [...forcing, ...inPlace],
        [],
      );
    } else if (forcing.length > 0) {
      replace(
        current,
        'requires-replace',
        `${forcing.map((c) => c.field).join(', ')} cannot be changed in place`,
        'retire',
        [...forcing, ...inPlace],
        [],
      );
    } else if (state.status === 'rotation-due' && d.expiresAt === undefined) {
      replace(
        current,
        'rotation-due',
        `rotation was due at ${toIso(state.rotateAt)}${cur.expiresAt ? ` (expires ${cur.expiresAt})` : ''}`,
        'retire',
        inPlace,
        [],
      );
    } else if (inPlace.length > 0) {
      this.steps.push({
        id: `update:${d.address}@${cur.accessKey}`,
        action: 'update',
        kind: 'ApiKey',
        name: d.name,
        address: d.address,
        reason: 'drifted',
        before: { kind: 'ApiKey', object: cur },
        after: afterOf(d),
        changes: inPlace,
        warnings: [],
        refs: sortRecord(refs),
      });
    }
    if (
      state.status === 'rotation-due' &&
      d.expiresAt !== undefined &&
      forcing.length === 0 &&
      !custodyLost
    ) {
      // Fixed spec.expiresAt: never rotated automatically (the new key would expire at the same
      // instant); say so while there is still time to act.
      this.diag(
        'warning',
        'expiry-approaching',
        `key ${cur.accessKey} expires at ${cur.expiresAt}; spec.expiresAt is fixed, so it is not rotated automatically`,
        d,
        'spec.expiresAt',
        'set a later spec.expiresAt (the key is then replaced) or use spec.lifetime for automatic rotation',
      );
    }
    this.previousKeys(d, [...ready.slice(1), ...retiring], current, obs, rot.overlapMs);
  }

  /**
   * Take over an existing key we did not create (spec.adoptAccessKey with metadata.adopt): the
   * executor adds our marker with state `external` (its secret never passed through us, so its
   * custody is not checked) plus the in-place fields. Its first rotation makes a `ready` key.
   */
  adoptKey(
    d: DesiredApiKey,
    accessKey: string,
    app: StepRef,
    proj: StepRef,
    keyFields: Pick<PlanStep, 'rotation' | 'expiresAt' | 'refs'>,
  ): void {
    const k = this.keyEntries.find((x) => x.key.accessKey === accessKey);
    if (!k) {
      this.diag(
        'error',
        'adopt-key-not-found',
        `no API key ${accessKey} in the organization`,
        d,
        'spec.adoptAccessKey',
        'remove spec.adoptAccessKey to create a new key instead',
      );
      return;
    }
    this.touch('ApiKey', accessKey);
    if (k.marker && k.marker.instance !== this.instance) {
      this.diag(
        'error',
        'foreign-owner',
        `API key ${accessKey} belongs to scw-gitops instance "${k.marker.instance}"`,
        d,
        'spec.adoptAccessKey',
      );
      return;
    }
    if (k.marker) {
      this.diag(
        'error',
        'adopt-key-taken',
        `API key ${accessKey} is already managed as ApiKey/${k.marker.name}`,
        d,
        'spec.adoptAccessKey',
      );
      return;
    }
    if (isProtected(k.key)) {
      this.diag(
        'error',
        'protected-conflict',
        `API key ${accessKey} is managed by Scaleway or not editable; scw-gitops never changes it`,
        d,
        'spec.adoptAccessKey',
      );
      return;
    }
    if (k.key.bearer.type !== 'application' || k.key.bearer.id !== this.refKey(app)) {
      this.diag(
        'error',
        'adopt-key-bearer',
        `API key ${accessKey} belongs to ${k.key.bearer.type === 'user' ? `user ${k.key.bearer.id}` : `application ${this.nameById.get(k.key.bearer.id) ?? k.key.bearer.id}`}, not application ${d.application}`,
        d,
        'spec.application',
      );
      return;
    }
    const changes: FieldChange[] = [];
    if (k.description !== d.description)
      changes.push({ field: 'description', before: k.description, after: d.description });
    if (this.refKey(proj) !== k.key.defaultProjectId) {
      changes.push({
        field: 'defaultProject',
        before: this.projectNameById.get(k.key.defaultProjectId) ?? k.key.defaultProjectId,
        after: d.defaultProject,
      });
    }
    this.steps.push({
      id: `adopt:${d.address}@${accessKey}`,
      action: 'adopt',
      kind: 'ApiKey',
      name: d.name,
      address: d.address,
      reason: 'adopt-requested',
      detail: `take over the existing key ${accessKey} (marked external: its secret stays where it is until the first rotation)`,
      before: { kind: 'ApiKey', object: k.key },
      after: afterOf(d),
      changes,
      warnings: [],
      ...keyFields,
    });
  }

  /** Previous keys (retiring, or older ready ones) go once the overlap since delivery has elapsed. */
  previousKeys(
    d: DesiredApiKey,
    previous: readonly KeyEntry[],
    current: KeyEntry,
    obs: SinkObservation | undefined,
    overlapMs: number,
  ): void {
    // Newest first; each previous key's successor is the next newer key of the chain, the current
    // key for the newest of them.
    const chain = [current, ...previous.filter((k) => k !== current).sort(newestFirst)];
    for (let i = 1; i < chain.length; i++) {
      const k = chain[i]!;
      const successor = chain[i - 1]!;
      const delivered =
        successor === current
          ? deliveredAtMs(
              current.key,
              obs && obs.accessKey === current.key.accessKey ? obs.deliveredAt : undefined,
            )
          : parseTime(successor.key.updatedAt);
      const due = previousKeyDueMs(k.key, delivered, overlapMs);
      if (this.now < due) {
        this.dueTimes.push(due);
        continue;
      }
      const expired = k.key.expiresAt !== null && parseTime(k.key.expiresAt) <= this.now;
      this.keyDelete(
        d.name,
        k,
        'overlap-elapsed',
        expired && this.now < delivered + overlapMs
          ? `superseded by ${successor.key.accessKey} and expired ${k.key.expiresAt}; deleted before the end of its overlap`
          : `superseded by ${successor.key.accessKey} (delivered ${toIso(delivered)}); overlap of ${formatDuration(overlapMs)} elapsed`,
        false,
      );
    }
  }

  expiryChange(d: DesiredApiKey, cur: ApiKey, lifetimeMs: number | undefined): FieldChange | undefined {
    if (d.expiresAt !== undefined) {
      if (cur.expiresAt !== null && parseTime(cur.expiresAt) === parseTime(d.expiresAt)) return undefined;
      return { field: 'expiresAt', before: cur.expiresAt, after: d.expiresAt, forcesReplacement: true };
    }
    if (lifetimeMs !== undefined) {
      if (cur.expiresAt !== null) {
        const actual = parseTime(cur.expiresAt) - parseTime(cur.createdAt);
        if (Math.abs(actual - lifetimeMs) <= LIFETIME_TOLERANCE_MS) return undefined;
      }
      return {
        field: 'expiresAt',
        before: cur.expiresAt,
        after: `creation + ${formatDuration(lifetimeMs)}`,
        forcesReplacement: true,
      };
    }
    if (cur.expiresAt === null) return undefined;
    return { field: 'expiresAt', before: cur.expiresAt, after: null, forcesReplacement: true };
  }

  keyDelete(name: string, k: KeyEntry, reason: ReasonCode, detail: string, counts: boolean): void {
    this.steps.push({
      id: `delete:ApiKey/${name}@${k.key.accessKey}`,
      action: 'delete',
      kind: 'ApiKey',
      name,
      address: address('ApiKey', name),
      reason,
      detail,
      before: { kind: 'ApiKey', object: k.key },
      changes: [],
      warnings: [],
      countsTowardMassDelete: counts,
    });
  }

  // ---------------------------------------------------------------- prune

  prune(suspect: boolean): void {
    for (const kind of ['Project', 'Application', 'Group', 'Policy'] as const) {
      for (const e of this.entries[kind]) {
        if (e.owner !== this.instance || this.matched.has(e.id)) continue;
        this.touch(kind, e.id);
        const addr = address(kind, e.name);
        if (this.desiredByAddress.has(addr)) continue; // desired but blocked by a conflict
        if (e.protected) {
          this.diag(
            'warning',
            'protected-owned',
            `owned ${LABEL[kind]} ${e.id} is ${e.protectedWhy}; never deleted`,
            addr,
          );
          continue;
        }
        if (!this.opts.prune[kind] || suspect) {
          this.diag(
            'warning',
            'not-pruned',
            `owned ${LABEL[kind]} ${e.id} is no longer in git; not deleted (${suspect ? 'listing looks incomplete' : `pruning of ${kind} is off`})`,
            addr,
          );
          continue;
        }
        let detail = 'owned, no longer in git';
        if (kind === 'Application') {
          const n = (e.object as Application).nbApiKeys;
          if (n > 0) detail += `; Scaleway also deletes its ${n} API key${n === 1 ? '' : 's'}`;
        }
        this.deleteStep(e, 'pruned', detail);
      }
    }
    for (const k of this.ourKeys()) {
      const name = k.marker!.name;
      const addr = address('ApiKey', name);
      if (this.desiredByAddress.has(addr)) continue;
      this.touch('ApiKey', k.key.accessKey);
      if (isProtected(k.key)) continue;
      if (!this.opts.prune.ApiKey || suspect) {
        this.diag(
          'warning',
          'not-pruned',
          `owned API key ${k.key.accessKey} is no longer in git; not deleted (${suspect ? 'listing looks incomplete' : 'pruning of ApiKey is off'})`,
          addr,
        );
        continue;
      }
      this.keyDelete(name, k, 'pruned', 'owned, no longer in git', true);
    }
  }

  /**
   * A listing is suspect when it cannot be complete: no default project, or owned objects
   * referencing applications/groups/projects that the listing does not contain.
   */
  suspectListing(): string[] {
    // Only evidence that cannot arise legitimately counts: every organization has its default
    // project, and deleting an application deletes its API keys (so a key's bearer is always
    // listed). Dangling group members or policy principals are not used: whether Scaleway
    // cleans them up is not documented, and a false alarm would disable pruning for good.
    const reasons: string[] = [];
    if (!this.live.projects.some((p) => p.id === this.live.organizationId)) {
      reasons.push("the project listing lacks the organization's default project");
    }
    const appIds = new Set(this.live.applications.map((a) => a.id));
    const missingApps = new Set<string>();
    for (const k of this.ourKeys()) {
      if (k.key.bearer.type === 'application' && !appIds.has(k.key.bearer.id))
        missingApps.add(k.key.bearer.id);
    }
    if (missingApps.size > 0) {
      reasons.push(
        `${missingApps.size} application(s) bearing owned API keys are missing from the application listing`,
      );
    }
    return reasons;
  }

  ownedCount(): number {
    let n = 0;
    for (const kind of ['Project', 'Application', 'Group', 'Policy'] as const) {
      n += this.entries[kind].filter((e) => e.owner === this.instance && !e.protected).length;
    }
    return n + this.ourKeys().length;
  }

  // ---------------------------------------------------------------- notes

  /** A delete next to a create of the same kind is often a rename: say so on both. */
  renameNotes(): void {
    const noted = new Set<string>();
    const createsByKind = new Map<Kind, Draft[]>();
    for (const s of this.steps) {
      if (s.action === 'create') createsByKind.set(s.kind, [...(createsByKind.get(s.kind) ?? []), s]);
    }
    for (let i = 0; i < this.steps.length; i++) {
      const del = this.steps[i]!;
      if (del.action !== 'delete' || del.reason !== 'pruned' || del.kind === 'ApiKey') continue;
      const creates = createsByKind.get(del.kind) ?? [];
      if (creates.length === 0) continue;
      const oldDesc = descriptionOf(del.before);
      const same = creates.filter((c) => oldDesc !== '' && descriptionOfDesired(c.after) === oldDesc);
      const candidates = same.length > 0 ? same : creates.length === 1 ? creates : [];
      if (candidates.length !== 1) continue;
      const c = candidates[0]!;
      if (noted.has(c.id)) continue;
      noted.add(c.id);
      const note = `renamed to ${c.name}? names are identity: a rename is a delete plus a create`;
      this.steps[i] = { ...del, detail: `${del.detail ?? ''}; ${note}` };
      const ci = this.steps.findIndex((x) => x.id === c.id);
      this.steps[ci] = {
        ...c,
        detail: `${del.address} is deleted in this plan; names are identity: a rename is a delete plus a create`,
      };
    }
  }

  // ---------------------------------------------------------------- outlook

  outlook(withinMs: number | undefined): { keys: KeyExpiry[]; upcoming: KeyExpiry[] } {
    const keys: KeyExpiry[] = [];
    const upcoming: KeyExpiry[] = [];
    for (const k of this.ourKeys()) {
      const addr = address('ApiKey', k.marker!.name);
      const d = this.desiredByAddress.get(addr) as DesiredApiKey | undefined;
      let rotateAt: number | undefined;
      if (d && k.marker!.state === 'ready') {
        const rot = effectiveRotation(d.rotation, this.opts.rotation, d.expiresAt !== undefined);
        rotateAt = d.expiresAt !== undefined ? undefined : rotateAtMs(k.key, rot);
      }
      const entry: KeyExpiry = {
        address: addr,
        accessKey: k.key.accessKey,
        expiresAt: k.key.expiresAt,
        secondsToExpiry: secondsToExpiry(k.key, this.now),
        rotateAt: rotateAt === undefined ? null : toIso(rotateAt),
      };
      keys.push(entry);
      if (rotateAt !== undefined && rotateAt > this.now) this.dueTimes.push(rotateAt);
      if (k.key.expiresAt !== null && parseTime(k.key.expiresAt) > this.now) {
        this.dueTimes.push(parseTime(k.key.expiresAt));
      }
      if (
        withinMs !== undefined &&
        rotateAt !== undefined &&
        rotateAt > this.now &&
        rotateAt <= this.now + withinMs
      ) {
        upcoming.push(entry);
      }
    }
    const cmp = (a: KeyExpiry, b: KeyExpiry) =>
      a.address < b.address ? -1 : a.address > b.address ? 1 : a.accessKey < b.accessKey ? -1 : 1;
    upcoming.sort((a, b) => (a.rotateAt! < b.rotateAt! ? -1 : a.rotateAt! > b.rotateAt! ? 1 : cmp(a, b)));
    return { keys: keys.sort(cmp), upcoming };
  }

  /** Non-owned live objects the plan looked at (owned ones are always in the fingerprint). */
  fingerprintScope(): FingerprintScope {
    const scope: Partial<Record<Kind, string[]>> = {};
    const owned = (id: string): boolean => this.ownedIds.has(id);
    for (const kind of KINDS) {
      const ids = [...(this.touched.get(kind) ?? [])].filter((id) => !owned(id)).sort();
      if (ids.length > 0) scope[kind] = ids;
    }
    return scope;
  }
}

// -------------------------------------------------------------------- helpers

function appLikeChanges(
  live: { description: string; tags: readonly string[] },
  d: { description: string; tags: readonly string[] },
): FieldChange[] {
  const changes: FieldChange[] = [];
  if (live.description !== d.description) {
    changes.push({ field: 'description', before: live.description, after: d.description });
  }
  const liveTags = userTags(live.tags);
  if (!sameList(liveTags, d.tags)) changes.push({ field: 'tags', before: liveTags, after: [...d.tags] });
  return changes;
}

function ruleKey(sets: readonly string[], projects: readonly string[] | null, condition: string): string {
  return JSON.stringify([
    [...new Set(sets)].sort(),
    projects === null ? 'organization' : [...new Set(projects)].sort(),
    condition,
  ]);
}

function liveRuleKey(r: Rule): string {
  if (r.scope.type === 'organization') return ruleKey(r.permissionSetNames, null, r.condition);
  if (r.scope.type === 'projects') return ruleKey(r.permissionSetNames, r.scope.projectIds, r.condition);
  return JSON.stringify(['account-root-user', r.scope.accountRootUserId, r.permissionSetNames, r.condition]);
}

function describeDesiredRule(r: DesiredRule): string {
  const sets = [...r.permissionSets].sort().join(', ');
  const scope =
    r.scope.type === 'organization' ? 'organization' : `projects [${r.scope.projects.join(', ')}]`;
  return `${sets} on ${scope}${r.condition ? ` if ${r.condition}` : ''}`;
}

function descriptionOf(o: LiveObject | undefined): string {
  if (!o) return '';
  if (o.kind === 'Project') return parseProjectDescription(o.object.description).description;
  if (o.kind === 'ApiKey') return parseKeyDescription(o.object.description).description;
  return o.object.description;
}

function descriptionOfDesired(d: DesiredResource | undefined): string {
  return d ? d.description : '';
}

/** The desired resource as carried by a step: without per-field source locations (plan size). */
function afterOf<T extends DesiredResource>(d: T): T {
  if (d.fieldLocations === undefined) return d;
  const { fieldLocations: _omit, ...rest } = d;
  return rest as T;
}

function sortRecord<T>(r: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

// -------------------------------------------------------------------- ordering

const DELETE_ORDER: readonly Kind[] = [...KINDS].reverse();

/** Ids of live objects a step's `before` points at (bearer, default project, members, principal, rule projects). */
function liveReferences(step: Draft): string[] {
  const b = step.before;
  if (!b) return [];
  switch (b.kind) {
    case 'ApiKey':
      return [b.object.bearer.id, b.object.defaultProjectId];
    case 'Group':
      return [...b.object.applicationIds];
    case 'Policy': {
      const out: string[] = b.object.principal.type === 'none' ? [] : [b.object.principal.id];
      for (const r of b.rules ?? []) if (r.scope.type === 'projects') out.push(...r.scope.projectIds);
      return out;
    }
    default:
      return [];
  }
}

function liveIdOf(step: Draft): string | undefined {
  const b = step.before;
  if (!b) return undefined;
  return b.kind === 'ApiKey' ? b.object.accessKey : b.object.id;
}

/**
 * dependsOn and waves. Non-delete steps depend on the create steps they reference. A delete
 * runs after every step (of a kind later in KINDS) whose live object still points at the deleted
 * object: an application after its keys and the group/policy steps naming it, a project after
 * the keys and policies scoped to it, a group after the policies whose principal it is.
 * wave = 0 without dependencies, else 1 + the highest wave among them.
 */
export function orderSteps(drafts: readonly Draft[]): PlanStep[] {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const deps = new Map<string, Set<string>>();
  for (const d of drafts) {
    const s = new Set<string>(d.extraDeps ?? []);
    if (d.action !== 'delete') {
      for (const r of Object.values(d.refs ?? {}))
        if ('step' in r && byId.has(r.step) && r.step !== d.id) s.add(r.step);
    }
    deps.set(d.id, s);
  }
  const deleteById = new Map<string, Draft>();
  for (const d of drafts) {
    const id = d.action === 'delete' ? liveIdOf(d) : undefined;
    if (id !== undefined) deleteById.set(id, d);
  }
  for (const o of drafts) {
    for (const ref of liveReferences(o)) {
      const del = deleteById.get(ref);
      if (del && del !== o && kindRank(o.kind) > kindRank(del.kind)) deps.get(del.id)!.add(o.id);
    }
  }
  const wave = new Map<string, number>();
  const visiting = new Set<string>();
  const waveOf = (id: string): number => {
    const known = wave.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) throw new Error(`plan dependency cycle at ${id}`);
    visiting.add(id);
    let w = 0;
    for (const dep of deps.get(id) ?? []) w = Math.max(w, waveOf(dep) + 1);
    visiting.delete(id);
    wave.set(id, w);
    return w;
  };
  const phase = (a: Action) => (a === 'delete' ? 1 : 0);
  const rankOf = (d: Draft) => (d.action === 'delete' ? DELETE_ORDER.indexOf(d.kind) : kindRank(d.kind));
  const steps = drafts.map((d): PlanStep => {
    const { extraDeps: _drop, ...rest } = d;
    return { ...rest, dependsOn: [...(deps.get(d.id) ?? [])].sort(), wave: waveOf(d.id) };
  });
  return steps.sort(
    (a, b) =>
      a.wave - b.wave ||
      phase(a.action) - phase(b.action) ||
      rankOf(a) - rankOf(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

// -------------------------------------------------------------------- entry point

export function buildPlan(input: BuildPlanInput): Plan {
  const { desired, live, options, now } = input;
  const p = new Planner(desired, live, input.sinkRecords, options, now);

  const byKind = (k: Kind) => desired.resources.filter((r) => r.kind === k);
  for (const d of byKind('Project')) p.project(d as DesiredProject);
  for (const d of byKind('Application')) p.application(d as DesiredApplication);
  for (const d of byKind('Group')) p.group(d as DesiredGroup);
  for (const d of byKind('Policy')) p.policy(d as DesiredPolicy);
  for (const d of byKind('ApiKey')) p.apiKey(d as DesiredApiKey);

  const suspect = p.suspectListing();
  for (const why of suspect) {
    p.diag('warning', 'suspect-listing', `${why}; pruning is disabled for this pass`);
  }
  p.prune(suspect.length > 0);
  p.renameNotes();

  const deletions = p.steps.filter((s) => s.action === 'delete' && s.countsTowardMassDelete).length;
  if (deletions > 0 && !options.allowMassDelete) {
    const owned = p.ownedCount();
    const pct = owned === 0 ? 100 : (deletions * 100) / owned;
    const overAbs = deletions > options.maxDeletes;
    const overPct = deletions >= 2 && pct > options.maxDeletePercent;
    if (overAbs || overPct) {
      p.diag(
        'error',
        'mass-delete',
        `the plan would delete ${deletions} of ${owned} owned objects (${Math.round(pct)}%), over the limit of ${
          overAbs ? `${options.maxDeletes} deletions` : `${options.maxDeletePercent}%`
        }; plan refused`,
        undefined,
        undefined,
        'check the desired-state directory; if intended, re-run with --allow-mass-delete or raise --max-deletes / --max-delete-percent',
      );
    }
  }

  const diagnostics = sortDiagnostics(p.diags);
  const refused = diagnostics.some((d) => d.severity === 'error');
  const steps = refused ? [] : orderSteps(p.steps);
  const { keys, upcoming } = p.outlook(options.withinMs);
  const revision = options.revision ?? desired.revision;
  const fingerprintScope = p.fingerprintScope();
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: now.toISOString(),
    organizationId: live.organizationId,
    instance: options.instance,
    ...(revision !== undefined ? { revision } : {}),
    ...(revision !== undefined && options.signer !== undefined ? { signer: options.signer } : {}),
    ...(input.fingerprint !== false
      ? { liveFingerprint: fingerprintLive(live, options.instance, fingerprintScope) }
      : {}),
    fingerprintScope,
    steps,
    summary: summarize(steps),
    diagnostics,
    keys,
    upcoming,
    ...(p.dueTimes.length > 0 ? { nextDueAt: toIso(Math.min(...p.dueTimes)) } : {}),
  };
}
