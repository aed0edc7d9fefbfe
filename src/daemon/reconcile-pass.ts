/**
 * The production pass: H4's `reconcileOnce` (load desired → list live → plan → apply) for the
 * daemon, mapped to a PassReport. Tests inject their own pass instead.
 */
import type { Logger } from 'pino';
import type { Runtime } from '../app/runtime.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { scrubSecrets } from '../model/secret.js';
import { type ReconcileResult, reconcileOnce } from '../reconciler/reconcile-once.js';
import type { PassVerdict } from './backoff.js';
import type { PassReport, PassResult } from './pass-report.js';
import type { PassContext } from './single-flight.js';

export interface DaemonPassContext extends PassContext {
  readonly logger: Logger;
  readonly revision?: string;
}

export type DaemonPass = (ctx: DaemonPassContext) => Promise<PassReport>;

export function createReconcilePass(runtime: Runtime, settings: Settings, clock: Clock): DaemonPass {
  return async (ctx) => {
    const result = await reconcileOnce(
      {
        client: runtime.client,
        sinks: runtime.sinks,
        settings,
        clock,
        logger: ctx.logger,
        ...(ctx.revision ? { revision: ctx.revision } : {}),
      },
      // ctx.logger already carries reconcileId.
      { dir: settings.source.dir, dryRun: false, signal: ctx.signal },
    );
    return toPassReport(result, ctx.revision);
  };
}

/** ReconcileResult → PassReport: the requeue verdict and the metrics label, in one switch. */
export function toPassReport(r: ReconcileResult, revision?: string): PassReport {
  let result: PassResult;
  let verdict: PassVerdict;
  switch (r.kind) {
    case 'no-changes':
    case 'changes-pending':
      result = 'converged';
      verdict = 'success';
      break;
    case 'applied':
      result = 'applied';
      verdict = 'success';
      break;
    case 'partial-failure':
      result = 'partial';
      verdict = 'transient';
      break;
    case 'error':
      result = r.terminal ? 'invalid' : 'failed';
      verdict = r.terminal ? 'terminal' : 'transient';
      break;
  }
  const rev = r.revision ?? r.plan?.revision ?? revision;
  return {
    verdict,
    result,
    listed: r.listed,
    ...(rev ? { revision: rev } : {}),
    ...(r.plan ? { plan: r.plan } : {}),
    ...(r.summary ? { apply: r.summary } : {}),
    ...(r.diagnostics.length ? { diagnostics: r.diagnostics } : {}),
    ...(r.error ? { error: scrubSecrets(r.error) } : {}),
    ...(r.nextDueAt !== undefined ? { nextDueAt: r.nextDueAt } : {}),
  };
}
