/**
 * The apply engine: executes a Plan's steps through the ScalewayClient port and the secret sinks.
 *
 * Contract:
 * - Steps run in dependency order (`dependsOn`) with bounded concurrency: every step whose
 *   dependencies all succeeded may start, at most `concurrency` at once, in plan order.
 * - A failed step marks its dependents (transitively) `skipped`; independent branches go on.
 *   Partial progress is always returned: every step yields exactly one StepOutcome.
 * - Names are resolved to ids from the plan's `refs`, the objects created earlier in this run and
 *   `deps.live` (a policy whose principal application is created by the same plan).
 * - New API keys go through the custody protocol (deliver-secret.ts); no secret ever appears in
 *   a log line, an error message or an outcome.
 * - Aborting (`opts.signal`) starts no new step (the rest are `skipped`); a key delivery already
 *   past its create finishes its custody sequence first.
 * - Never throws for a step failure; throws only for a programming error in the plan itself
 *   (duplicate step ids).
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import type { RotationDefaults, Settings } from '../config/settings.js';
import { AppError, toAppError } from '../errors.js';
import type { LiveState } from '../model/live.js';
import type { ApplySummary, Plan, PlanStep, StepOutcome, StepResult } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { SecretSink } from '../sinks/sink.js';
import { applyStep, type RunContext } from './apply-step.js';
import { type CrashHook, envCrashHook } from './crash-points.js';
import { RunRegistry } from './resolve-refs.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { createLocationResolver, type LocationResolver } from '../model/sink-location.js';

export interface ExecutorDeps {
  readonly client: ScalewayClient;
  readonly sinks: ReadonlyMap<string, SecretSink>;
  /** The live state the plan was computed from. */
  readonly live: LiveState;
  readonly instance: string;
  readonly revision?: string | undefined;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly defaultSink?: string | undefined;
  readonly rotationDefaults?: RotationDefaults | undefined;
  /** Settings: sink locations are resolved with the settings' sink defaults (registry). */
  readonly settings?: Settings | undefined;
  /** Overrides every other way of resolving a key's sink location. */
  readonly resolveLocation?: LocationResolver | undefined;
  /** Retry/backoff tuning (tests use small delays with a fake clock). */
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
  const log = deps.logger.child({ component: 'executor', instance: deps.instance });
  const ctx: RunContext = {
    client: deps.client,
    sinks: deps.sinks,
    registry: new RunRegistry(deps.live, deps.instance),
    instance: deps.instance,
    revision: deps.revision ?? plan.revision,
    clock: deps.clock,
    policy: { ...DEFAULT_RETRY_POLICY, ...deps.retry },
    crash: deps.crashHook ?? envCrashHook,
    locate: createLocationResolver({
      sinks: deps.sinks,
      defaultSink: deps.defaultSink ?? deps.settings?.defaults.sink,
      settings: deps.settings,
      resolveLocation: deps.resolveLocation,
    }),
    rotationLifetimeMs: deps.rotationDefaults?.lifetimeMs ?? deps.settings?.defaults.rotation.lifetimeMs,
    signal,
    knownAccessKeys: new Set(deps.live.apiKeys.map((k) => k.accessKey)),
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
      const ak = effect.accessKey ?? accessKey;
      const o: StepOutcome = {
        stepId: step.id,
        address: step.address,
        action: step.action,
        result: effect.result,
        durationMs: deps.clock.now().getTime() - started,
        ...(ak !== undefined ? { accessKey: ak } : {}),
      };
      slog.info(
        { result: o.result, ...(o.accessKey ? { accessKey: o.accessKey } : {}) },
        `${step.address} ${o.result}`,
      );
      finish(o);
    } catch (err) {
      const e = toAppError(err);
      const message = errorMessage(err);
      slog.error(
        { result: 'failed', code: e.code, error: message, ...(accessKey ? { accessKey } : {}) },
        `${step.address} failed`,
      );
      finish({
        stepId: step.id,
        address: step.address,
        action: step.action,
        result: 'failed',
        error: message,
        durationMs: deps.clock.now().getTime() - started,
        ...(accessKey ? { accessKey } : {}),
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

  const startable = (step: PlanStep, started: ReadonlySet<string>) =>
    !started.has(step.id) && step.dependsOn.every((d) => SUCCESS.has(outcomes.get(d)?.result as StepResult));

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
