/**
 * The plan is the contract: built by the pure planner from (desired, live, sink observations,
 * options, now), then rendered (text / JSON / Markdown), saved, or executed. Nothing in it is
 * secret, and the executor needs nothing else: every step carries resolved ids (or the create step
 * that produces one), the concrete secret destination, the expiry rule and the marker it writes.
 * The executor depends only on the plan, the ports (Scaleway, sinks) and the clock.
 *
 * Stable JSON (`formatVersion`, docs/plan-format.md), rendered and parsed by src/render/json.ts.
 * Steps are already ordered (topologically, by wave): creates and updates after the creates they
 * reference (Project → Application → Group → Policy → ApiKey), deletes after the steps whose live
 * object still points at the deleted one (reverse kind order). `wave` groups independent steps:
 * every step of wave N depends only on steps of waves < N. A plan with an error diagnostic is
 * refused: it has no steps (`isRefused`).
 */
import type { Diagnostic } from './diagnostics.js';
import type { ApiKey, Application, Group, Policy, Project, Rule } from './live.js';
import type { KeyState } from './ownership.js';
import type { Address, Kind } from './resources.js';
import type { PlannedSink } from './sink-location.js';

export type { PlannedSink } from './sink-location.js';

/**
 * 2: steps are a closed union on `action`; `after` is the planned value with references resolved
 * (`ObjectRef`), keys carry their secret destination and expiry rule; `refs`, `rotation` and
 * `expiresAt` at step level are gone. See docs/plan-format.md.
 */
export const PLAN_FORMAT_VERSION = 2;

export type Action =
  | 'create'
  /** in-place change, `changes` lists the fields. */
  | 'update'
  /** create-then-delete (API keys: bearer/expiry change, rotation, lost custody). */
  | 'replace'
  | 'delete'
  /** add our ownership marker to an existing unmarked object (metadata.adopt or --adopt). */
  | 'adopt';

export const ACTIONS: readonly Action[] = ['create', 'update', 'replace', 'delete', 'adopt'];

export type ReasonCode =
  | 'missing' // not in the organization
  | 'drifted' // fields differ
  | 'requires-replace' // a field that cannot be patched changed
  | 'rotation-due' // key expires soon / too old
  | 'expired' // key already expired
  | 'custody-lost' // key pending delivery or sink holds another access key
  | 'overlap-elapsed' // previous key after rotation, overlap over
  | 'pruned' // owned, absent from git
  | 'adopt-requested';

export const REASON_CODES: readonly ReasonCode[] = [
  'missing',
  'drifted',
  'requires-replace',
  'rotation-due',
  'expired',
  'custody-lost',
  'overlap-elapsed',
  'pruned',
  'adopt-requested',
];

export interface FieldChange {
  /** Dotted field path, e.g. `tags`, `description`, `rules`. */
  readonly field: string;
  readonly before?: unknown;
  readonly after?: unknown;
  /** This change alone forces a replacement. */
  readonly forcesReplacement?: boolean;
}

/** Snapshot of the live object a step acts on (never includes a secret). */
export type LiveObject =
  | { readonly kind: 'Project'; readonly object: Project }
  | { readonly kind: 'Application'; readonly object: Application }
  | { readonly kind: 'Group'; readonly object: Group }
  | { readonly kind: 'Policy'; readonly object: Policy; readonly rules?: readonly Rule[] }
  | { readonly kind: 'ApiKey'; readonly object: ApiKey };

export type LiveKeyObject = Extract<LiveObject, { kind: 'ApiKey' }>;

/**
 * A reference from a planned value to another object, by address, with the one way to get its id:
 * known now (`id`: a live object, or the organization's default project), or produced by a create
 * step of the same plan (`step`), whose outcome carries the new id. The planner is the only place
 * that resolves names.
 */
export type ObjectRef =
  | { readonly address: Address; readonly id: string }
  | { readonly address: Address; readonly step: string };

/** The ownership marker a step writes: `scw-gitops=<instance>` tag, or `[scw-gitops:<instance>]` suffix. */
export interface OwnerMarker {
  readonly instance: string;
}

/** An API key's marker: `[scw-gitops:<instance>:<name>:<state>]` at the end of its description. */
export interface KeyMarkerSpec {
  readonly instance: string;
  readonly name: string;
  /** The state the key ends in (`ready` for a new key; its current state for an update). */
  readonly state: KeyState;
}

export interface PlannedProject {
  readonly kind: 'Project';
  readonly name: string;
  /** As written in git (the marker is appended when written). */
  readonly description: string;
  readonly marker: OwnerMarker;
}

export interface PlannedApplication {
  readonly kind: 'Application';
  readonly name: string;
  readonly description: string;
  /** The user's tags (the owner tag is added when written). */
  readonly tags: readonly string[];
  readonly marker: OwnerMarker;
}

export interface PlannedGroup {
  readonly kind: 'Group';
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly marker: OwnerMarker;
  /** Application members, in the order written in git. */
  readonly members: readonly ObjectRef[];
}

export type PlannedPrincipal =
  | { readonly type: 'none' }
  | { readonly type: 'application'; readonly ref: ObjectRef }
  | { readonly type: 'group'; readonly ref: ObjectRef };

export interface PlannedRule {
  readonly permissionSets: readonly string[];
  readonly scope:
    | { readonly type: 'organization' }
    | { readonly type: 'projects'; readonly projects: readonly ObjectRef[] };
  readonly condition: string;
}

export interface PlannedPolicy {
  readonly kind: 'Policy';
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly marker: OwnerMarker;
  readonly principal: PlannedPrincipal;
  readonly rules: readonly PlannedRule[];
}

/** How a new key's `expires_at` is set when it is created. */
export type KeyExpiryRule =
  /** spec.expiresAt: this instant. */
  | { readonly type: 'at'; readonly at: string }
  /** spec.lifetime (or the settings default): creation time + lifetime. */
  | { readonly type: 'lifetime'; readonly lifetimeMs: number }
  | { readonly type: 'never' };

/** Effective key rotation settings (desired spec over settings defaults), all in ms. */
export interface EffectiveRotation {
  readonly lifetimeMs?: number;
  readonly rotateBeforeMs?: number;
  readonly maxAgeMs?: number;
  readonly overlapMs: number;
}

export interface PlannedApiKey {
  readonly kind: 'ApiKey';
  readonly name: string;
  /** As written in git (the marker is appended when written). */
  readonly description: string;
  readonly marker: KeyMarkerSpec;
  /** The bearer. */
  readonly application: ObjectRef;
  readonly defaultProject: ObjectRef;
  readonly expiry: KeyExpiryRule;
  readonly rotation: EffectiveRotation;
  /** Where the new secret is delivered (create, replace); the place custody is checked. */
  readonly sink: PlannedSink;
  /**
   * How git declared this key's expiry and rotation (its own spec, without the settings'
   * defaults), written with the secret so `import` can restore it (src/model/rotation-record.ts).
   */
  readonly recordedRotation: string;
}

export type PlannedValue = PlannedProject | PlannedApplication | PlannedGroup | PlannedPolicy | PlannedApiKey;

/**
 * What a key replacement does with the key it replaces (`before`) once the new key's secret is
 * delivered and verified:
 * - `retire`: mark it `retiring`; a later plan deletes it once the overlap has elapsed since the
 *   successor was delivered (rotation, requires-replace: consumers are still using it);
 * - `delete`: delete it right away (expired, never delivered, or its secret is not in custody).
 */
export type KeyDisposal = 'retire' | 'delete';

interface StepCommon {
  /** Unique and stable within the plan, e.g. `create:Application/ci`, `delete:ApiKey/ci@SCWXXXX…`. */
  readonly id: string;
  readonly kind: Kind;
  readonly name: string;
  readonly address: Address;
  readonly reason: ReasonCode;
  /** Human explanation, one line. */
  readonly detail?: string;
  readonly changes: readonly FieldChange[];
  /** Step ids that must succeed first. */
  readonly dependsOn: readonly string[];
  readonly wave: number;
  /** E.g. dangerous permissions acknowledged, key already expired. */
  readonly warnings: readonly string[];
}

/**
 * One thing to do. What `before`/`after` mean per action (Terraform's Change table), and the
 * point read the executor makes just before writing (docs/design/plan-contract.md):
 *
 * | action  | before                  | after         | point read, then write                                       |
 * |---------|-------------------------|---------------|--------------------------------------------------------------|
 * | create  | —                       | planned value | list by name (keys: the application's keys); create           |
 * | update  | live, ours              | planned value | GET: still ours; write each part named in `changes`          |
 * | adopt   | live, unmarked          | planned value | GET: still unmarked; add our marker + the planned value      |
 * | replace | live key being replaced | planned key   | list the application's keys; create, deliver, dispose `before` |
 * | delete  | live, ours              | —             | GET: still ours, marker unchanged; delete                     |
 */
export interface CreateStep extends StepCommon {
  readonly action: 'create';
  readonly after: PlannedValue;
  /**
   * ApiKey creates: access keys of this key name the listing showed (retiring ones): any other
   * non-retiring key of ours with this name found by the point read means the listing missed a
   * current key, and no second one is created.
   */
  readonly knownKeys?: readonly string[];
}

export interface UpdateStep extends StepCommon {
  readonly action: 'update';
  readonly before: LiveObject;
  readonly after: PlannedValue;
}

export interface AdoptStep extends StepCommon {
  readonly action: 'adopt';
  readonly before: LiveObject;
  /** For API keys, `marker.state` is `external`: the secret never passed through scw-gitops. */
  readonly after: PlannedValue;
}

export interface ReplaceStep extends StepCommon {
  readonly action: 'replace';
  readonly kind: 'ApiKey';
  readonly before: LiveKeyObject;
  readonly after: PlannedApiKey;
  readonly disposeBefore: KeyDisposal;
  /** Access keys of this key name the listing showed (see CreateStep.knownKeys). */
  readonly knownKeys: readonly string[];
}

export interface DeleteStep extends StepCommon {
  readonly action: 'delete';
  readonly before: LiveObject;
  /** Does this deletion count toward the mass-delete guard (false for superseded keys). */
  readonly countsTowardMassDelete: boolean;
}

export type PlanStep = CreateStep | UpdateStep | AdoptStep | ReplaceStep | DeleteStep;

/**
 * What the sink currently holds for a desired key (by address), read before planning by
 * `observeSinks` (src/sinks/observe.ts). Never contains the secret.
 * - `accessKey: null`: the sink has no record;
 * - `error`: the sink could not be read (the planner then makes no custody decision for the key).
 */
export interface SinkObservation {
  readonly accessKey: string | null;
  readonly previousAccessKey?: string;
  /** ISO time the record was written, when the sink stores it. */
  readonly deliveredAt?: string;
  readonly error?: string;
}

/** A key's expiry outlook, for `plan --within`, metrics and status. */
export interface KeyExpiry {
  readonly address: Address;
  readonly accessKey: string;
  readonly expiresAt: string | null;
  /** null when the key never expires. */
  readonly secondsToExpiry: number | null;
  /** When rotation becomes due (ISO), null if never. */
  readonly rotateAt: string | null;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly adopt: number;
}

/**
 * A plan made with `--target` (or narrowed by `apply --target`): only `scope` was planned, the
 * targets plus the declared objects they need. Every step's address is in `scope`, and nothing
 * outside `targets` is pruned (src/planner/targets.ts).
 */
export interface PartialPlan {
  /** The addresses asked for, sorted. */
  readonly targets: readonly Address[];
  /** The targets and what they need, sorted. */
  readonly scope: readonly Address[];
}

/** Ids (access keys for API keys) of non-owned live objects a plan depends on, per kind. */
export type FingerprintScope = Readonly<Partial<Record<Kind, readonly string[]>>>;

export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  /** ISO instant the plan was computed for (`now`). */
  readonly createdAt: string;
  readonly organizationId: string;
  readonly instance: string;
  readonly revision?: string;
  /** Who signed `revision`, when the git source verified it (`Alice <a@x> (openpgp <fpr>)`). */
  readonly signer?: string;
  /**
   * Hash of the normalised live state the plan was made from; `apply --plan` refuses a mismatch.
   * Computed only for a plan that is saved or rendered as JSON (reconcileOnce's
   * `liveFingerprint`): hashing a large organization costs a noticeable share of a pass.
   */
  readonly liveFingerprint?: string;
  /**
   * Non-owned live objects the fingerprint also covers (conflicting, adopted, referenced), by
   * kind: ids, access keys for API keys. Owned objects are always covered. Lets `apply --plan`
   * recompute the fingerprint from a fresh listing without the desired state.
   */
  readonly fingerprintScope: FingerprintScope;
  /** Present when the plan is partial (`--target`): what it covers. Absent = the whole desired state. */
  readonly partial?: PartialPlan;
  readonly steps: readonly PlanStep[];
  readonly summary: PlanSummary;
  /** Conflicts (unmarked objects with a desired name), refusals, suspicious listings, etc. */
  readonly diagnostics: readonly Diagnostic[];
  /** Every owned key's expiry outlook. */
  readonly keys: readonly KeyExpiry[];
  /** Upcoming rotations inside the `--within` window (not yet due). */
  readonly upcoming: readonly KeyExpiry[];
  /**
   * Earliest future instant (ISO) at which planning again would change something without any
   * input change: a rotation becoming due, a key expiring, an overlap ending. Absent = none.
   */
  readonly nextDueAt?: string;
}

/** A plan with an error diagnostic has no steps and must not be applied. */
export function isRefused(plan: Plan): boolean {
  return plan.diagnostics.some((d) => d.severity === 'error');
}

export function isReplace(step: PlanStep): step is ReplaceStep {
  return step.action === 'replace';
}

export function summarize(steps: readonly PlanStep[]): PlanSummary {
  const counts = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0 };
  for (const step of steps) counts[step.action]++;
  return counts;
}

export function hasChanges(plan: Plan): boolean {
  return plan.steps.length > 0;
}

/** The live identity of the object a step acts on: id, or access key for API keys. */
export function targetId(step: PlanStep): string | undefined {
  if (step.action === 'create') return undefined;
  const before = step.before;
  return before.kind === 'ApiKey' ? before.object.accessKey : before.object.id;
}

/** Every reference a planned value holds, in a stable order. */
export function referencesOf(value: PlannedValue): ObjectRef[] {
  switch (value.kind) {
    case 'Project':
    case 'Application':
      return [];
    case 'Group':
      return [...value.members];
    case 'Policy': {
      const out: ObjectRef[] = value.principal.type === 'none' ? [] : [value.principal.ref];
      for (const rule of value.rules) if (rule.scope.type === 'projects') out.push(...rule.scope.projects);
      return out;
    }
    case 'ApiKey':
      return [value.application, value.defaultProject];
  }
}

/** Outcome of executing one step (past tense). */
export type StepResult = 'created' | 'updated' | 'replaced' | 'deleted' | 'adopted' | 'skipped' | 'failed';

export interface StepOutcome {
  readonly stepId: string;
  readonly address: Address;
  readonly action: Action;
  readonly result: StepResult;
  /** Scrubbed error message when failed or skipped (dependency failed, refused by the point read). */
  readonly error?: string;
  /** A note on what happened instead of the plan, e.g. an existing owned object used instead of a create. */
  readonly note?: string;
  readonly durationMs: number;
  /** For keys: the access key created (never the secret). */
  readonly accessKey?: string;
}

export interface ApplySummary {
  readonly outcomes: readonly StepOutcome[];
  readonly counts: Readonly<Record<StepResult, number>>;
  readonly ok: boolean;
}
