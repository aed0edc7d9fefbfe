/**
 * The plan is a value: built by the pure planner from (desired, live, options, now), then
 * rendered (text / JSON / Markdown), saved, or executed. Nothing in it is secret.
 *
 * Stable JSON (`formatVersion`), documented in src/render/json.ts (renderPlanJson/parsePlanJson).
 * Steps are already ordered (topologically, by wave): creates and updates after the creates they
 * reference (Project → Application → Group → Policy → ApiKey), deletes after the steps whose live
 * object still points at the deleted one (reverse kind order). `wave` groups independent steps:
 * every step of wave N depends only on steps of waves < N, so the executor may run a wave in
 * parallel. A plan with an error diagnostic is refused: it has no steps (`isRefused`).
 */
import type { Diagnostic } from './diagnostics.js';
import type { DesiredResource } from './desired.js';
import type { ApiKey, Application, Group, Policy, Project, Rule } from './live.js';
import type { Address, Kind } from './resources.js';

export const PLAN_FORMAT_VERSION = 1;

export type Action =
  | 'create'
  /** in-place change, `changes` lists the fields. */
  | 'update'
  /** create-then-delete (API keys: bearer/project change, rotation, lost custody). */
  | 'replace'
  | 'delete'
  /** add our ownership marker to an existing unmarked object (metadata.adopt or --adopt). */
  | 'adopt';

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

export interface FieldChange {
  /** Dotted field path, e.g. `tags`, `description`, `rules[0].permissionSets`. */
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

/**
 * How a step finds the id of an object it references (by address): either the id is already
 * known (live object, or the org default project), or it is produced by another step of the
 * same plan (a create), whose outcome carries the new id.
 */
export type StepRef =
  | { readonly id: string }
  /** `step` is the id of a create step in this plan; use the id of the object it created. */
  | { readonly step: string };

/**
 * What a key replacement does with the key it replaces (`before`) once the new key's secret is
 * delivered and verified:
 * - `retire`: mark it `retiring` (description marker); a later plan deletes it once the overlap
 *   has elapsed since the successor was delivered (rotation, requires-replace: consumers are
 *   still using it);
 * - `delete`: delete it right away (expired, never delivered, or its secret is not in custody).
 */
export type KeyDisposal = 'retire' | 'delete';

/** Effective key rotation settings (desired spec over settings defaults), all in ms. */
export interface EffectiveRotation {
  readonly lifetimeMs?: number;
  readonly rotateBeforeMs?: number;
  readonly maxAgeMs?: number;
  readonly overlapMs: number;
}

/**
 * One thing to do. What `before`/`after` mean per action (Terraform's Change table):
 *
 * | action  | before                    | after             | executor does                                        |
 * |---------|---------------------------|-------------------|------------------------------------------------------|
 * | create  | —                         | desired           | create with our marker; keys: deliver secret, mark ready |
 * | update  | live                      | desired           | apply each field named in `changes` (full desired value) |
 * | adopt   | live (unmarked)           | desired           | add our marker + apply each field named in `changes` |
 * | replace | live key being replaced   | desired           | create new key, deliver, then `disposeBefore` the old |
 * | delete  | live                      | —                 | delete `before`                                      |
 *
 * References in `after` are by name; `refs` maps each referenced address to an id or a step.
 */
export interface PlanStep {
  /** Unique and stable within the plan, e.g. `create:Application/ci`, `delete:ApiKey/ci@SCWXXXX…`. */
  readonly id: string;
  readonly action: Action;
  readonly kind: Kind;
  readonly name: string;
  readonly address: Address;
  readonly reason: ReasonCode;
  /** Human explanation, one line. */
  readonly detail?: string;
  /** The live object acted upon (update, replace, delete, adopt). */
  readonly before?: LiveObject;
  /** The desired resource (create, update, replace, adopt), references still by name. */
  readonly after?: DesiredResource;
  readonly changes: readonly FieldChange[];
  /** Step ids that must succeed first. */
  readonly dependsOn: readonly string[];
  readonly wave: number;
  /** E.g. dangerous permissions acknowledged, key already expired. */
  readonly warnings: readonly string[];
  /**
   * Ids of the objects `after` references, by address: `Project/<name>` (key default project,
   * policy rule projects; `Project/default` = the org default project), `Application/<name>`
   * (key bearer, group members, policy principal), `Group/<name>` (policy principal).
   * Present on create/update/adopt/replace steps that reference anything.
   */
  readonly refs?: Readonly<Record<string, StepRef>>;
  /** Replace steps (API keys): what to do with `before` once the new key is delivered. */
  readonly disposeBefore?: KeyDisposal;
  /** ApiKey create/replace: effective rotation (lifetime → expires_at = creation + lifetime). */
  readonly rotation?: EffectiveRotation;
  /** ApiKey create/replace: absolute expiry requested in git (ISO), when set (wins over lifetime). */
  readonly expiresAt?: string;
  /** Delete steps: does this deletion count toward the mass-delete guard (false for retiring keys). */
  readonly countsTowardMassDelete?: boolean;
}

/**
 * What the sink currently holds for a desired key (by address), read before planning by
 * `observeSinks` (src/executor/sink-state.ts). Never contains the secret.
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
  readonly fingerprintScope?: Readonly<Partial<Record<Kind, readonly string[]>>>;
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

export function isReplace(step: PlanStep): boolean {
  return step.action === 'replace';
}

export function summarize(steps: readonly PlanStep[]): PlanSummary {
  const s = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0 };
  for (const step of steps) s[step.action]++;
  return s;
}

export function hasChanges(plan: Plan): boolean {
  return plan.steps.length > 0;
}

/** Outcome of executing one step (past tense). */
export type StepResult = 'created' | 'updated' | 'replaced' | 'deleted' | 'adopted' | 'skipped' | 'failed';

export interface StepOutcome {
  readonly stepId: string;
  readonly address: Address;
  readonly action: Action;
  readonly result: StepResult;
  /** Scrubbed error message when failed or skipped (dependency failed). */
  readonly error?: string;
  readonly durationMs: number;
  /** For keys: the access key created (never the secret). */
  readonly accessKey?: string;
}

export interface ApplySummary {
  readonly outcomes: readonly StepOutcome[];
  readonly counts: Readonly<Record<StepResult, number>>;
  readonly ok: boolean;
}
