/**
 * The daemon's status document (`GET /status`, docs/operations.md#reading-status): what the
 * daemon serves and what the dashboard (src/ui/) renders, in one type. Plain JSON, nothing secret.
 */
import type { ObjectDiagnostic, Inventory } from './inventory.js';
import type { PlanSummary, StepResult } from './plan.js';

/** One reconcile pass, running or finished. */
export interface PassRecord {
  readonly reconcileId: string;
  /** What asked for it (`startup`, `resync`, `file-change`, `webhook-github`, `retry`, …). */
  readonly reasons: readonly string[];
  readonly attempt: number;
  readonly startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** converged, applied, partial, invalid, failed, aborted (src/daemon/pass-report.ts). */
  result?: string;
  revision?: string;
  /** Steps planned per action, and, after an apply, outcomes per result. */
  summary?: { readonly plan?: PlanSummary; readonly applied?: Readonly<Record<StepResult, number>> };
  /** Steps that failed in the apply. */
  failures?: number;
  /** Scrubbed, one line. */
  error?: string;
}

/** Whether the newest desired state could be loaded, and which revision the daemon works from. */
export interface DesiredStateStatus {
  /** The revision the last pass read (null: unknown, or not a git checkout). */
  readonly revision: string | null;
  /** false: the last pass found errors in it; null: no pass has read it yet. */
  readonly valid: boolean | null;
  /** The revision of the plan and inventory shown (the last one that could be planned). */
  readonly revisionInUse: string | null;
  /** The errors that make it invalid (the first 20), with their file:line. */
  readonly errors: readonly ObjectDiagnostic[];
}

/** When the next passes are due. */
export interface ScheduleStatus {
  /** Cron expressions of the settings (`schedule.resync`, `schedule.rotationCheck`). */
  readonly resync: string;
  readonly rotationCheck: string;
  /** The next resync tick (ISO), null when the schedule is off. */
  readonly nextResyncAt: string | null;
  /** The earliest rotation, expiry or overlap end the last plan knows of (ISO). */
  readonly nextDueAt: string | null;
  /** A failed pass is retried at this instant (ISO), while backing off. */
  readonly retryAt: string | null;
}

export interface StatusDocument {
  readonly ready: boolean;
  readonly leader: boolean;
  readonly identity?: string;
  readonly instance: string;
  readonly organizationId: string;
  readonly version: string;
  /** The revision last reconciled. */
  readonly revision: string | null;
  readonly source: Readonly<Record<string, unknown>>;
  readonly desiredState: DesiredStateStatus;
  readonly schedule: ScheduleStatus;
  readonly queue: { readonly running: boolean; readonly pending: boolean; readonly backingOff: boolean };
  readonly running: PassRecord | null;
  readonly lastPass: PassRecord | null;
  readonly lastSuccessAt: string | null;
  /** The last passes, newest first (at most 20). */
  readonly passes: readonly PassRecord[];
  readonly plan: {
    readonly createdAt: string;
    readonly revision: string | null;
    readonly summary: PlanSummary;
    readonly steps: readonly { id: string; action: string; address: string; reason: string }[];
  } | null;
  readonly nextRotations: readonly {
    address: string;
    accessKey: string;
    rotateAt: string | null;
    expiresAt: string | null;
  }[];
  readonly outlook?: { readonly observedAt: string; readonly remainingSteps: number };
  /** Every declared object and key, as the last plannable pass left them. */
  readonly inventory: Inventory | null;
  readonly errors: readonly { at: string; reconcileId?: string; message: string }[];
}
