/**
 * The daemon's view of itself, for /status, /readyz, the rotation check and the metrics that are
 * derived from a pass (plan changes, per-key expiry, last success).
 */
import { KINDS } from '../model/resources.js';
import { type Diagnostic, formatDiagnostic } from '../model/diagnostics.js';
import type { Inventory, ObjectDiagnostic } from '../model/inventory.js';
import type { KeyExpiry } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import { QUOTA_EXCEEDED } from '../reconciler/quota-report.js';
import type { DesiredStateStatus, PassRecord, ScheduleStatus, StatusDocument } from '../model/status.js';
import type { DaemonMetrics } from './metrics.js';
import type { PassReport } from './pass-report.js';

export type { PassRecord } from '../model/status.js';

const MAX_ERRORS = 20;
/** Passes kept for /status and the dashboard. */
export const MAX_PASSES = 20;
const MAX_DESIRED_ERRORS = 20;

/** What the daemon adds to the state's own fields in /status. */
export interface StatusExtra {
  readonly instance: string;
  readonly organizationId: string;
  readonly version: string;
  readonly source: Readonly<Record<string, unknown>>;
  readonly queue: StatusDocument['queue'];
  readonly schedule: ScheduleStatus;
}

function toObjectDiagnostic(d: Diagnostic): ObjectDiagnostic {
  return {
    severity: d.severity,
    code: d.code,
    message: scrubSecrets(d.message),
    ...(d.location ? { location: d.location } : {}),
    ...(d.hint ? { hint: d.hint } : {}),
  };
}

/** The keys as they are after the pass: the post-apply outlook when there is one, else the plan's. */
function keysOf(report: PassReport): readonly KeyExpiry[] {
  return report.outlook?.keys ?? report.plan?.keys ?? [];
}

export class DaemonState {
  ready = false;
  readyReason = 'no successful listing yet';
  leader: boolean;
  leaderIdentity: string | undefined;
  revision: string | undefined;
  current: PassRecord | undefined;
  lastPass: PassRecord | undefined;
  lastSuccessAt: string | undefined;
  lastReport: PassReport | undefined;
  /** The last pass that produced a plan (kept across failed passes for /status). */
  lastPlanReport: PassReport | undefined;
  /** The last inventory (kept across passes that could not plan). */
  inventory: Inventory | undefined;
  /** Finished passes, newest first (at most MAX_PASSES). */
  readonly passes: PassRecord[] = [];
  desiredState: DesiredStateStatus = { revision: null, valid: null, revisionInUse: null, errors: [] };
  readonly errors: { at: string; reconcileId?: string; message: string }[] = [];
  stopping = false;

  constructor(
    private readonly metrics: DaemonMetrics,
    opts: { leaderElection: boolean; identity?: string },
  ) {
    this.leader = !opts.leaderElection;
    this.leaderIdentity = opts.identity;
    metrics.leader.set(this.leader ? 1 : 0);
  }

  setLeader(leader: boolean): void {
    this.leader = leader;
    this.metrics.leader.set(leader ? 1 : 0);
  }

  passStarted(rec: PassRecord): void {
    this.current = rec;
  }

  /** Record a finished pass (report, or a thrown error turned into a message). */
  passFinished(
    rec: PassRecord,
    report: PassReport | undefined,
    now: Date,
    durationMs: number,
    error?: string,
  ): void {
    const failures = report?.apply?.counts.failed ?? 0;
    const finished: PassRecord = {
      ...rec,
      finishedAt: now.toISOString(),
      durationMs,
      result: report?.result ?? 'failed',
      ...(report?.revision ? { revision: report.revision } : {}),
      ...(report?.plan
        ? {
            summary: {
              plan: report.plan.summary,
              ...(report.apply ? { applied: report.apply.counts } : {}),
            },
          }
        : {}),
      ...(failures > 0 ? { failures } : {}),
      ...(error || report?.error ? { error: scrubSecrets(error ?? report?.error ?? '') } : {}),
    };
    this.current = undefined;
    this.lastPass = finished;
    this.passes.unshift(finished);
    if (this.passes.length > MAX_PASSES) this.passes.length = MAX_PASSES;
    const m = this.metrics;
    m.reconcileTotal.inc({ result: finished.result ?? 'failed' });
    m.reconcileDuration.observe(durationMs / 1000);
    if (report) {
      this.lastReport = report;
      if (report.revision) this.revision = report.revision;
      if (report.inventory) this.inventory = report.inventory;
      this.noteDesiredState(report);
      if (report.listed && !this.ready) {
        this.ready = true;
        this.readyReason = '';
      }
      if (report.plan) {
        this.lastPlanReport = report;
        m.blockedObjects.reset();
        for (const kind of KINDS) m.blockedObjects.set({ kind }, 0);
        for (const b of report.plan.blocked) m.blockedObjects.inc({ kind: b.address.split('/')[0]! });
        for (const [action, n] of Object.entries(report.plan.summary)) m.planChanges.set({ action }, n);
        m.keySecondsToExpiry.reset();
        for (const k of keysOf(report)) {
          if (k.secondsToExpiry !== null) m.keySecondsToExpiry.set({ key: k.address }, k.secondsToExpiry);
        }
      }
      if (report.verdict === 'success') {
        this.lastSuccessAt = finished.finishedAt;
        m.lastSuccess.set(now.getTime() / 1000);
      }
      for (const d of report.diagnostics ?? []) {
        if (d.code === QUOTA_EXCEEDED) m.quotaExceeded.inc({ key: d.resource ?? '' });
        if (d.severity === 'error') this.pushError(now, rec.reconcileId, formatDiagnostic(d));
      }
      for (const o of report.apply?.outcomes ?? []) {
        if (o.result === 'failed')
          this.pushError(now, rec.reconcileId, `${o.address}: ${o.error ?? 'failed'}`);
      }
    }
    if (finished.error) this.pushError(now, rec.reconcileId, finished.error);
  }

  /** Validity of the newest desired state, and the revision the plan and inventory come from. */
  private noteDesiredState(report: PassReport): void {
    if (report.desiredValid === undefined) return;
    const errors = report.desiredValid
      ? []
      : (report.diagnostics ?? [])
          .filter((d) => d.severity === 'error')
          .slice(0, MAX_DESIRED_ERRORS)
          .map(toObjectDiagnostic);
    this.desiredState = {
      revision: report.revision ?? null,
      valid: report.desiredValid,
      revisionInUse: report.plan
        ? (report.plan.revision ?? report.revision ?? null)
        : this.desiredState.revisionInUse,
      errors,
    };
    const { revision, valid, revisionInUse } = this.desiredState;
    this.metrics.desiredStateValid.reset();
    this.metrics.desiredStateValid.set(
      { revision: revision ?? '', revision_in_use: revisionInUse ?? '' },
      valid ? 1 : 0,
    );
  }

  private pushError(now: Date, reconcileId: string, message: string): void {
    this.errors.push({ at: now.toISOString(), reconcileId, message: scrubSecrets(message) });
    if (this.errors.length > MAX_ERRORS) this.errors.splice(0, this.errors.length - MAX_ERRORS);
  }

  /**
   * Does the rotation check need a pass? True when the last pass reported an instant at which
   * something becomes due and it has passed, or when a known key's rotation/expiry time passed.
   * No information (no pass yet, or the last one failed) = false: the resync and the retry
   * policy cover those cases, and a terminal error must not loop every minute.
   */
  rotationDue(now: Date): boolean {
    const r = this.lastReport;
    if (!r) return false;
    const t = now.getTime();
    if (r.nextDueAt !== undefined && r.nextDueAt <= t) return true;
    const keys: readonly KeyExpiry[] = r.outlook
      ? [...r.outlook.keys, ...r.outlook.upcoming]
      : r.plan
        ? [...r.plan.keys, ...r.plan.upcoming]
        : [];
    return keys.some(
      (k) =>
        (k.rotateAt !== null && Date.parse(k.rotateAt) <= t) ||
        (k.expiresAt !== null && Date.parse(k.expiresAt) <= t),
    );
  }

  /** Next rotations known from the last plan, soonest first. */
  nextRotations(): {
    address: string;
    accessKey: string;
    rotateAt: string | null;
    expiresAt: string | null;
  }[] {
    const keys = this.lastPlanReport ? keysOf(this.lastPlanReport) : [];
    return [...keys]
      .filter((k) => k.rotateAt !== null || k.expiresAt !== null)
      .sort((a, b) => (a.rotateAt ?? a.expiresAt ?? '').localeCompare(b.rotateAt ?? b.expiresAt ?? ''))
      .map((k) => ({
        address: k.address,
        accessKey: k.accessKey,
        rotateAt: k.rotateAt,
        expiresAt: k.expiresAt,
      }));
  }

  /** When the last report says something becomes due (ISO), for /status. */
  nextDueAt(): string | null {
    const at = this.lastReport?.nextDueAt;
    return at === undefined ? null : new Date(at).toISOString();
  }

  status(extra: StatusExtra): StatusDocument {
    const plan = this.lastPlanReport?.plan;
    return {
      ready: this.ready,
      leader: this.leader,
      ...(this.leaderIdentity ? { identity: this.leaderIdentity } : {}),
      instance: extra.instance,
      organizationId: extra.organizationId,
      version: extra.version,
      revision: this.revision ?? null,
      source: extra.source,
      desiredState: this.desiredState,
      schedule: extra.schedule,
      queue: extra.queue,
      running: this.current ?? null,
      lastPass: this.lastPass ?? null,
      lastSuccessAt: this.lastSuccessAt ?? null,
      passes: this.passes,
      plan: plan
        ? {
            createdAt: plan.createdAt,
            revision: plan.revision ?? null,
            summary: plan.summary,
            steps: plan.steps.map((s) => ({
              id: s.id,
              action: s.action,
              address: s.address,
              reason: s.reason,
            })),
          }
        : null,
      nextRotations: this.nextRotations(),
      ...(this.lastPlanReport?.outlook
        ? {
            outlook: {
              observedAt: this.lastPlanReport.outlook.observedAt,
              remainingSteps: this.lastPlanReport.outlook.remainingSteps,
            },
          }
        : {}),
      inventory: this.inventory ?? null,
      errors: this.errors,
    };
  }
}
