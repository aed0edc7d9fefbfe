/**
 * What the daemon shows operators about each declared object and each declared key after a pass
 * (`/status` `objects` and `keys`, the `/ui` dashboard, notifications). Built by the pure
 * planner (src/planner/inventory.ts) from the same decisions as the plan; never saved with a plan
 * and never part of the plan contract. Nothing in it is secret: access key ids only.
 */
import type { Severity, SourceLocation } from './diagnostics.js';
import type { Action, ReasonCode } from './plan.js';
import type { KeyState } from './ownership.js';
import type { Address, Kind } from './resources.js';

/**
 * - `in-sync`: the organization matches git for this object;
 * - `pending`: a step is planned for it (not applied yet, applying, or held by a refused plan);
 * - `blocked`: an error about this object (or an object it depends on) keeps it from being planned;
 * - `conflict`: a live object with its name is not ours (unmarked, another instance's, protected);
 * - `adopted`: in sync, and declared with `metadata.adopt` (taken over, not created);
 * - `failed`: its step failed in the last apply (the next pass retries).
 */
export type ObjectState = 'in-sync' | 'pending' | 'blocked' | 'conflict' | 'adopted' | 'failed';

export const OBJECT_STATES: readonly ObjectState[] = [
  'in-sync',
  'pending',
  'blocked',
  'conflict',
  'adopted',
  'failed',
];

/** A diagnostic about one object, as the dashboard and notifications show it. */
export interface ObjectDiagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly location?: SourceLocation;
  readonly hint?: string;
}

/** A planned change of one object. */
export interface ObjectAction {
  readonly action: Action;
  readonly reason: ReasonCode;
  readonly detail?: string;
}

export interface ObjectStatus {
  readonly address: Address;
  readonly kind: Kind;
  readonly name: string;
  readonly state: ObjectState;
  /** Declared in git (false: an owned object git no longer declares, planned for deletion). */
  readonly declared: boolean;
  /** Where git declares it (`metadata.name`). */
  readonly location?: SourceLocation;
  /** `pending`: what the plan does to it. */
  readonly actions?: readonly ObjectAction[];
  /** Errors first, then warnings. A `blocked` or `conflict` object has at least one error, or `blockedBy`. */
  readonly diagnostics?: readonly ObjectDiagnostic[];
  /** `blocked` because an object it refers to is: that object's address. */
  readonly blockedBy?: Address;
  /** `failed`: the scrubbed error of its step. */
  readonly error?: string;
}

/**
 * One live key of a declared ApiKey, as a bar from `createdAt` to `expiresAt`:
 * - `current`: the key consumers should use (rotates at `rotateAt`);
 * - `retiring`: superseded, alive until `retireAt` (the end of its overlap), then deleted;
 * - `pending`: created, its secret not confirmed in the sink yet.
 */
export interface KeyBar {
  readonly accessKey: string;
  readonly role: 'current' | 'retiring' | 'pending';
  /** The state in the key's ownership marker. */
  readonly state: KeyState;
  readonly createdAt: string;
  /** null: never expires. */
  readonly expiresAt: string | null;
  /** `current` keys: when rotation becomes due; null: never. */
  readonly rotateAt: string | null;
  /** `retiring` keys: when the overlap ends and the key is deleted. */
  readonly retireAt?: string;
}

/** One row of the key timeline: a declared ApiKey and its live keys (current first, then newest first). */
export interface KeyTimelineRow {
  readonly address: Address;
  readonly name: string;
  /** The bearer application's name. */
  readonly application: string;
  readonly location?: SourceLocation;
  readonly keys: readonly KeyBar[];
}

export interface Inventory {
  /** The instant the plan was computed for (ISO). */
  readonly observedAt: string;
  /** Declared objects (by kind order, then name), then owned objects git no longer declares. */
  readonly objects: readonly ObjectStatus[];
  /** One row per declared ApiKey, by name. */
  readonly keys: readonly KeyTimelineRow[];
}
