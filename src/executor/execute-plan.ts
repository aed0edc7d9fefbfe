/**
 * The apply engine: executes a Plan's steps through the ScalewayClient port and the secret sinks.
 * It depends on the plan, the ports and the clock only: no settings, no live state. Every
 * decision is in the plan; the engine follows it and checks each target just before writing.
 *
 * Contract:
 * - Steps run in dependency order (`dependsOn`) with bounded concurrency: every step whose
 *   `runsAfter` steps have finished (any outcome) and
 *   dependencies all succeeded may start, at most `concurrency` at once, in plan order.
 * - Every write is preceded by one point read of its target (point-reads.ts). A target that is
 *   no longer what the plan says (not ours, protected, a conflict appeared) fails the step with
 *   nothing written; a listing that missed something (a current key, an object gone) skips it.
 * - A failed or skipped step marks its dependents (transitively) `skipped`; independent branches
 *   go on. Partial progress is always returned: every step yields exactly one StepOutcome.
 * - References are followed, never resolved: an id, or the id the run's create step produced.
 * - New API keys go through the custody protocol (deliver-secret.ts); no secret ever appears in
 *   a log line, an error message or an outcome.
 * - Aborting (`opts.signal`) starts no new step (the rest are `skipped`); a key delivery already
 *   past its create finishes its custody sequence first.
 * - Never throws for a step failure; throws only for a programming error in the plan itself
 *   (duplicate step ids).
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import { AppError, toAppError } from '../errors.js';
import { defined } from '../model/defined.js';
import type { ApplySummary, Plan, PlanStep, StepOutcome, StepResult } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { SecretSink } from '../sinks/sink.js';
import { applyKey } from './apply-key.js';
import { applyNamed } from './apply-named.js';
import { type CrashHook, envCrashHook } from './crash-points.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { type RunContext, retryContext, StaleListingError, type StepEffect } from './run-context.js';

export interface ExecutorDeps {
  readonly client: ScalewayClient;
  /** The configured sinks by name; each key step names the one its secret goes to. */
  readonly sinks: ReadonlyMap<string, SecretSink>;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  /** Domain retry/backoff tuning (tests use small delays with a fake clock). */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Test hook (default: SCW_GITOPS_CRASH_AT, see crash-points.ts). */
  readonly crashHook?: CrashHook | undefined;
}

export interface ExecuteOptions {
  /** Steps in flight at once (default 4). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called as each step finishes (or is skipped), in completion order. */
  readonly onOutcome?: (o: StepOutcome) => void;
}

const SUCCESS: ReadonlySet<StepResult> = new Set(['created', 'updated', 'replaced', 'deleted', 'adopted']);

export function emptyCounts(): Record<StepResult, number> {
  return { created: 0, updated: 0, replaced: 0, deleted: 0, adopted: 0, skipped: 0, failed: 0 };
}

export function summarizeOutcomes(outcomes: readonly StepOutcome[]): ApplySummary {
  const counts = emptyCounts();
  for (const o of outcomes) counts[o.result]++;
  return { outcomes, counts, ok: counts.failed === 0 && counts.skipped === 0 };
}

function errorMessage(err: unknown): string {
  return scrubSecrets(toAppError(err).message);
}

/** Apply one step. Throws on failure (the scheduler turns that into a failed or skipped outcome). */
function applyStep(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  onAccessKey: (accessKey: string) => void,
): Promise<StepEffect> {
  const retry = retryContext(ctx, log);
  return step.kind === 'ApiKey'
    ? applyKey(ctx, step, log, retry, onAccessKey)
    : applyNamed(ctx, step, log, retry);
}

export async function executePlan(
  plan: Plan,
  deps: ExecutorDeps,
  opts: ExecuteOptions = {},
): Promise<ApplySummary> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
  const signal = opts.signal;
  const steps = plan.steps;
  const byId = new Map<string, PlanStep>();
  for (const s of steps) {
    if (byId.has(s.id)) throw new AppError('plan-invalid', `plan: duplicate step id ${s.id}`);
    byId.set(s.id, s);
  }
  const log = deps.logger.child({ component: 'executor', instance: plan.instance });
  const ctx: RunContext = {
    plan,
    client: deps.client,
    sinks: deps.sinks,
    clock: deps.clock,
    policy: { ...DEFAULT_RETRY_POLICY, ...deps.retry },
    crash: deps.crashHook ?? envCrashHook,
    signal,
    created: new Map(),
    deliveries: new Map(),
    lastPermissionChange: undefined,
  };

  const outcomes = new Map<string, StepOutcome>();
  const pending = new Set(steps.map((s) => s.id));
  const running = new Set<Promise<void>>();
  log.info({ steps: steps.length, concurrency }, 'apply started');

  const finish = (o: StepOutcome) => {
    outcomes.set(o.stepId, o);
    pending.delete(o.stepId);
    try {
      opts.onOutcome?.(o);
    } catch (err) {
      log.warn({ error: errorMessage(err) }, 'onOutcome callback failed');
    }
  };

  const skip = (step: PlanStep, why: string) => {
    log.warn({ stepId: step.id, address: step.address, reason: why }, `${step.address} skipped`);
    finish({
      stepId: step.id,
      address: step.address,
      action: step.action,
      result: 'skipped',
      error: why,
      durationMs: 0,
    });
  };

  const run = async (step: PlanStep): Promise<void> => {
    const started = deps.clock.now().getTime();
    const slog = log.child({ stepId: step.id, address: step.address, action: step.action });
    let accessKey: string | undefined;
    slog.debug('step started');
    try {
      const effect = await applyStep(ctx, step, slog, (ak) => {
        accessKey = ak;
      });
      const o: StepOutcome = {
        stepId: step.id,
        address: step.address,
        action: step.action,
        result: effect.result,
        durationMs: deps.clock.now().getTime() - started,
        ...defined({ accessKey: effect.accessKey ?? accessKey, note: effect.note }),
      };
      slog.info(
        defined({ result: o.result, accessKey: o.accessKey, note: o.note }),
        `${step.address} ${o.result}`,
      );
      finish(o);
    } catch (err) {
      const e = toAppError(err);
      const message = errorMessage(err);
      // The listing missed something: not a failure of the write, which never happened.
      const result = err instanceof StaleListingError ? 'skipped' : 'failed';
      const line = { result, code: e.code, error: message, ...defined({ accessKey }) };
      if (result === 'skipped') slog.warn(line, `${step.address} skipped`);
      else slog.error(line, `${step.address} failed`);
      finish({
        stepId: step.id,
        address: step.address,
        action: step.action,
        result,
        error: message,
        ...(result === 'failed' ? { code: e.code } : {}),
        durationMs: deps.clock.now().getTime() - started,
        ...defined({ accessKey }),
      });
    }
  };

  /** Skip steps whose dependencies failed/skipped or do not exist, until nothing changes. */
  const propagateSkips = () => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const step of steps) {
        if (!pending.has(step.id)) continue;
        for (const dep of step.dependsOn) {
          if (!byId.has(dep)) {
            skip(step, `depends on ${dep}, which is not in the plan`);
            changed = true;
            break;
          }
          const o = outcomes.get(dep);
          if (o && !SUCCESS.has(o.result)) {
            skip(step, `dependency ${byId.get(dep)!.address} (${dep}) ${o.result}`);
            changed = true;
            break;
          }
        }
      }
    }
  };

  // `runsAfter`: those steps must have finished, whatever their outcome (a step not in the plan
  // is no reason to wait).
  const finished = (id: string) => outcomes.has(id) || !byId.has(id);
  const startable = (step: PlanStep, started: ReadonlySet<string>) =>
    !started.has(step.id) &&
    step.dependsOn.every((d) => SUCCESS.has(outcomes.get(d)?.result as StepResult)) &&
    (step.runsAfter ?? []).every(finished);

  const started = new Set<string>();
  for (;;) {
    propagateSkips();
    if (signal?.aborted) {
      for (const step of steps)
        if (pending.has(step.id) && !started.has(step.id)) skip(step, 'apply aborted');
    } else {
      for (const step of steps) {
        if (running.size >= concurrency) break;
        if (!pending.has(step.id) || !startable(step, started)) continue;
        started.add(step.id);
        const p: Promise<void> = run(step).finally(() => running.delete(p));
        running.add(p);
      }
    }
    if (running.size === 0) {
      // Nothing runs and nothing can start: a dependency cycle (a planner bug) blocks the rest.
      for (const step of steps) if (pending.has(step.id)) skip(step, 'unsatisfiable dependencies (cycle)');
      break;
    }
    await Promise.race(running);
  }

  const ordered = steps.map((s) => outcomes.get(s.id)!);
  const summary = summarizeOutcomes(ordered);
  log.info({ counts: summary.counts, ok: summary.ok }, 'apply finished');
  return summary;
}
