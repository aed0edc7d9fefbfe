/**
 * The plan is a value: built by the pure planner from (desired, live, options, now), then
 * rendered (text / JSON / Markdown), saved, or executed. Nothing in it is secret.
 *
 * Stable JSON (`formatVersion`), documented in docs/plan-format.md. Steps are already ordered:
 * creates and updates dependencies first (Project → Application → Group → Policy → ApiKey),
 * deletes in reverse. `wave` groups independent steps: every step of wave N depends only on
 * steps of waves < N, so the executor may run a wave in parallel.
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
  /** Hash of the normalised live state the plan was made from; `apply --plan` refuses a mismatch. */
  readonly liveFingerprint: string;
  readonly steps: readonly PlanStep[];
  readonly summary: PlanSummary;
  /** Conflicts (unmarked objects with a desired name), refusals, suspicious listings, etc. */
  readonly diagnostics: readonly Diagnostic[];
  /** Every owned key's expiry outlook. */
  readonly keys: readonly KeyExpiry[];
  /** Upcoming rotations inside the `--within` window (not yet due). */
  readonly upcoming: readonly KeyExpiry[];
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
