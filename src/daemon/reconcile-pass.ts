/**
 * The production pass: H4's `reconcileOnce` (load desired → list live → plan → apply) for the
 * daemon, mapped to a PassReport. Tests inject their own pass instead.
 */
import type { Logger } from 'pino';
import type { Runtime } from '../app/runtime.js';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { requireSourceDir } from '../config/source-dir.js';
import { ConfigError } from '../errors.js';
import { scrubSecrets } from '../model/secret.js';
import { type ReconcileResult, reconcileOnce } from '../reconciler/reconcile-once.js';
import { ParseCache } from '../desired/parse-cache.js';
import { withOutcomes } from '../planner/inventory.js';
import { RulesCache } from '../scaleway/rules-cache.js';
import type { PassVerdict } from './backoff.js';
import type { PassOutlook, PassReport, PassResult } from './pass-report.js';
import type { PassContext } from './single-flight.js';

export interface DaemonPassContext extends PassContext {
  readonly logger: Logger;
  readonly revision?: string;
  /** The desired-state directory of this pass (the source's accepted revision); default source.dir. */
  readonly dir?: string;
  /** The verified signer of `revision` (git source). */
  readonly signer?: string;
}

export type DaemonPass = (ctx: DaemonPassContext) => Promise<PassReport>;

export function createReconcilePass(runtime: Runtime, settings: Settings, clock: Clock): DaemonPass {
  // The git source hands each pass its checked-out tree (ctx.dir); otherwise source.dir.
  const sourceDir = settings.source.git ? undefined : requireSourceDir(settings);
  // Policy rules survive between passes (and restarts, through the cache directory): a no-op
  // pass lists rules only of changed policies.
  const rulesCache = runtime.rulesCache ?? new RulesCache();
  // Parsed files survive too: a pass re-parses only the files whose content changed (by path
  // relative to the tree, so a new checkout of the git source re-parses only what changed).
  const parseCache = new ParseCache();
  return async (ctx) => {
    const dir = ctx.dir ?? sourceDir;
    if (dir === undefined)
      throw new ConfigError('the pass has no desired-state directory (git source not synced)');
    const result = await reconcileOnce(
      {
        client: runtime.client,
        sinks: runtime.sinks,
        settings,
        clock,
        rulesCache,
        parseCache,
        logger: ctx.logger,
        ...(ctx.revision ? { revision: ctx.revision } : {}),
        ...(ctx.signer ? { signer: ctx.signer } : {}),
      },
      // ctx.logger already carries reconcileId.
      { dir, dryRun: false, signal: ctx.signal, inventory: true },
    );
    const report = toPassReport(result, ctx.revision);
    if (!changedSomething(result) || ctx.signal.aborted) return report;
    const outlook = await observeOutlook(runtime, settings, dir, clock, ctx, { rulesCache, parseCache });
    return outlook ? withOutlook(report, outlook) : report;
  };
}

/** Did the apply change the organization (a step created, updated, replaced, deleted, adopted)? */
export function changedSomething(r: ReconcileResult): boolean {
  return (r.summary?.outcomes ?? []).some((o) => o.result !== 'skipped' && o.result !== 'failed');
}

/**
 * Re-observe after an apply (one listing + sink reads, no writes): a dry-run plan of the same
 * desired state gives the new keys' expiry and rotation times. Best effort: a failure is logged
 * and the pass keeps the applied plan's (older) outlook; it never fails the pass.
 */
async function observeOutlook(
  runtime: Runtime,
  settings: Settings,
  dir: string,
  clock: Clock,
  ctx: DaemonPassContext,
  caches: { readonly rulesCache: RulesCache; readonly parseCache: ParseCache },
): Promise<PassOutlook | undefined> {
  try {
    const after = await reconcileOnce(
      {
        client: runtime.client,
        sinks: runtime.sinks,
        settings,
        clock,
        ...caches,
        logger: ctx.logger.child({ phase: 'outlook' }),
        ...(ctx.revision ? { revision: ctx.revision } : {}),
        ...(ctx.signer ? { signer: ctx.signer } : {}),
      },
      { dir, dryRun: true, signal: ctx.signal, inventory: true },
    );
    if (!after.plan || after.kind === 'error') {
      ctx.logger.warn({ error: after.error }, 'could not re-observe the keys after the apply');
      return undefined;
    }
    const remainingSteps = after.plan.steps.length;
    if (remainingSteps > 0) {
      ctx.logger.warn(
        { remaining: after.plan.summary },
        'the organization does not match the desired state yet after the apply; the next pass continues',
      );
    }
    return {
      observedAt: after.plan.createdAt,
      keys: after.plan.keys,
      upcoming: after.plan.upcoming,
      ...(after.nextDueAt !== undefined ? { nextDueAt: after.nextDueAt } : {}),
      remainingSteps,
      ...(after.inventory ? { inventory: after.inventory } : {}),
    };
  } catch (err) {
    if (ctx.signal.aborted) return undefined;
    ctx.logger.warn({ err }, 'could not re-observe the keys after the apply');
    return undefined;
  }
}

/**
 * The report with the post-apply outlook; its next due instant replaces the applied plan's, and
 * its inventory (the organization after the apply) the applied plan's, with the apply's failures.
 */
export function withOutlook(report: PassReport, outlook: PassOutlook): PassReport {
  const { nextDueAt: _stale, inventory: applied, ...rest } = report;
  const after = outlook.inventory
    ? withOutcomes(outlook.inventory, report.apply?.outcomes ?? [], { settled: false })
    : applied;
  return {
    ...rest,
    ...(outlook.nextDueAt !== undefined ? { nextDueAt: outlook.nextDueAt } : {}),
    ...(after ? { inventory: after } : {}),
    outlook,
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
    ...(r.desiredValid !== undefined ? { desiredValid: r.desiredValid } : {}),
    ...(r.plan ? { plan: r.plan } : {}),
    ...(r.summary ? { apply: r.summary } : {}),
    ...(r.diagnostics.length ? { diagnostics: r.diagnostics } : {}),
    ...(r.error ? { error: scrubSecrets(r.error) } : {}),
    ...(r.nextDueAt !== undefined ? { nextDueAt: r.nextDueAt } : {}),
    ...(r.inventory
      ? { inventory: withOutcomes(r.inventory, r.summary?.outcomes ?? [], { settled: true }) }
      : {}),
  };
}
