/**
 * What the daemon keeps from one reconcile pass: the verdict for the requeue policy, a result
 * label for metrics, and the plan / apply summary / revision for /status and the per-key gauges.
 * Nothing in it is secret.
 */
import type { Diagnostic } from '../model/diagnostics.js';
import type { Inventory } from '../model/inventory.js';
import type { ApplySummary, KeyExpiry, Plan } from '../model/plan.js';
import type { PassVerdict } from './backoff.js';

export type PassResult =
  /** nothing to change */
  | 'converged'
  /** changes applied, every step succeeded */
  | 'applied'
  /** some steps failed (or were skipped), the rest applied */
  | 'partial'
  /** errors block some objects; every other step was applied (docs/concepts.md) */
  | 'blocked'
  /** invalid desired state / settings / refused plan: waits for the next change */
  | 'invalid'
  /** listing or applying failed as a whole (network, API, sink) */
  | 'failed'
  /** stopped between steps (shutdown, lost leadership) */
  | 'aborted';

/**
 * The keys' outlook after an apply that changed something, from a fresh dry-run plan: the plan
 * that was applied was computed before its new keys existed, so its `keys` miss them (and list
 * the keys it replaced or deleted). Feeds the per-key expiry gauge, /status next rotations and
 * the rotation check until the next pass.
 */
export interface PassOutlook {
  /** ISO instant of the re-observation. */
  readonly observedAt: string;
  readonly keys: readonly KeyExpiry[];
  readonly upcoming: readonly KeyExpiry[];
  /** Epoch ms, as PassReport.nextDueAt. */
  readonly nextDueAt?: number;
  /** Steps a new pass would still make (0 = converged). */
  readonly remainingSteps: number;
  /** The inventory of the re-observation. */
  readonly inventory?: Inventory;
}

export interface PassReport {
  readonly verdict: PassVerdict;
  readonly result: PassResult;
  /** The live organization was listed successfully (readiness). */
  readonly listed: boolean;
  readonly revision?: string;
  /** The desired state of `revision` loaded without errors (undefined: not read this pass). */
  readonly desiredValid?: boolean;
  readonly plan?: Plan;
  readonly apply?: ApplySummary;
  readonly diagnostics?: readonly Diagnostic[];
  /** Scrubbed, one line. */
  readonly error?: string;
  /**
   * Earliest instant (epoch ms) at which a new pass would change something even without input
   * changes: a rotation becoming due, a key expiring, an overlap ending. Undefined = unknown.
   */
  readonly nextDueAt?: number;
  /** Present after an apply that changed something (and whose re-observation succeeded). */
  readonly outlook?: PassOutlook;
  /**
   * Every declared object and key as the pass leaves them (the post-apply outlook's when there is
   * one, with the apply's failures), once a plan could be built.
   */
  readonly inventory?: Inventory;
}
