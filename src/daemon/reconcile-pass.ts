/**
 * The production pass: H4's `reconcileOnce` (load desired → list live → plan → apply) for the
 * daemon, mapped to a PassReport. Tests inject their own pass instead.
 */
import type { Logger } from 'pino';
import type { Runtime } from '../app/runtime.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { ConfigError, toAppError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { ApplySummary, Plan } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import type { PassVerdict } from './backoff.js';
import type { PassReport, PassResult } from './pass-report.js';
import type { PassContext } from './single-flight.js';

export interface DaemonPassContext extends PassContext {
  readonly logger: Logger;
  readonly revision?: string;
}

export type DaemonPass = (ctx: DaemonPassContext) => Promise<PassReport>;

// Held in a variable so this file type-checks while H4's module is being written.
const RECONCILE_MODULE = '../reconciler/reconcile-once.js';

type ReconcileOnce = (deps: Record<string, unknown>, opts: Record<string, unknown>) => Promise<unknown>;

export function createReconcilePass(runtime: Runtime, settings: Settings, clock: Clock): DaemonPass {
  let reconcileOnce: ReconcileOnce | undefined;
  return async (ctx) => {
    if (!reconcileOnce) {
      const mod = (await import(RECONCILE_MODULE)) as { reconcileOnce?: ReconcileOnce };
      if (!mod.reconcileOnce) throw new ConfigError('reconciler: reconcileOnce is not available');
      reconcileOnce = mod.reconcileOnce;
    }
    const result = await reconcileOnce(
      {
        client: runtime.client,
        sinks: runtime.sinks,
        settings,
        clock,
        logger: ctx.logger,
        organizationId: runtime.organizationId,
        ...(ctx.revision ? { revision: ctx.revision } : {}),
      },
      { dir: settings.source.dir, dryRun: false, signal: ctx.signal, reconcileId: ctx.reconcileId },
    );
    return toPassReport(result, ctx.revision);
  };
}

/** Map a ReconcileResult (whatever its exact shape) onto a PassReport. */
export function toPassReport(raw: unknown, revision?: string): PassReport {
  const r = (raw ?? {}) as Record<string, unknown>;
  const plan = r['plan'] as Plan | undefined;
  const apply = (r['apply'] ?? r['summary'] ?? r['applied']) as ApplySummary | undefined;
  const diagnostics = (r['diagnostics'] ?? []) as Diagnostic[];
  const errValue = r['error'];
  const error = errValue === undefined ? undefined : scrubSecrets(toAppError(errValue).message);
  const status = String(r['status'] ?? r['kind'] ?? r['result'] ?? '');
  let result: PassResult;
  let verdict: PassVerdict;
  if (/invalid|terminal|refused/.test(status) || diagnostics.some((d) => d.severity === 'error')) {
    result = 'invalid';
    verdict = 'terminal';
  } else if (/abort/.test(status)) {
    result = 'aborted';
    verdict = 'aborted';
  } else if (/error|fail|transient/.test(status) || error !== undefined) {
    result = apply?.outcomes.some((o) => o.result !== 'failed' && o.result !== 'skipped')
      ? 'partial'
      : 'failed';
    verdict = 'transient';
  } else if (apply && !apply.ok) {
    result = 'partial';
    verdict = 'transient';
  } else if (plan && plan.steps.length > 0) {
    result = 'applied';
    verdict = 'success';
  } else {
    result = 'converged';
    verdict = 'success';
  }
  const listed = r['listed'] !== undefined ? Boolean(r['listed']) : plan !== undefined;
  const rev = (r['revision'] as string | undefined) ?? plan?.revision ?? revision;
  const nextDueAt = typeof r['nextDueAt'] === 'number' ? (r['nextDueAt'] as number) : undefined;
  return {
    verdict,
    result,
    listed,
    ...(rev ? { revision: rev } : {}),
    ...(plan ? { plan } : {}),
    ...(apply ? { apply } : {}),
    ...(diagnostics.length ? { diagnostics } : {}),
    ...(error ? { error } : {}),
    ...(nextDueAt !== undefined ? { nextDueAt } : {}),
  };
}
