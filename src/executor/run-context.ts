/**
 * What every step of one apply run shares: the ports, the clock, the domain retry policy, the ids
 * produced by the run's create steps, and the custody state of the keys created in it. The plan
 * is the only source of decisions: a step's references are followed (`refId`), never resolved.
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { ObjectRef, Plan, PlanStep } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { SecretSink } from '../sinks/sink.js';
import type { CrashHook } from './crash-points.js';
import type { RetryContext, RetryPolicy } from './retry.js';

export interface RunContext {
  readonly plan: Plan;
  readonly client: ScalewayClient;
  readonly sinks: ReadonlyMap<string, SecretSink>;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  readonly crash: CrashHook;
  readonly signal?: AbortSignal | undefined;
  /** Ids of the objects the run's create steps made (or found and used), by step id. */
  readonly created: Map<string, string>;
  /** Custody state of keys created in this run, by address (one new key per address at most). */
  readonly deliveries: Map<Address, 'pending' | 'delivered' | 'failed'>;
  /** Epoch ms of this run's last IAM permission change (policy, rules, group membership). */
  lastPermissionChange: number | undefined;
}

/** What a step did, in the past tense, plus what the outcome should say. */
export interface StepEffect {
  readonly result: 'created' | 'updated' | 'replaced' | 'deleted' | 'adopted';
  readonly accessKey?: string;
  /** What happened instead of the plan, e.g. an existing owned object used instead of a create. */
  readonly note?: string;
}

/** A step that could not be done; nothing of it was written unless the message says so. */
export class StepError extends AppError {
  readonly accessKey: string | undefined;
  constructor(
    code: string,
    subject: string,
    message: string,
    opts: { accessKey?: string | undefined; cause?: unknown } = {},
  ) {
    super(code, `${subject}: ${message}`, { subject, cause: opts.cause });
    this.accessKey = opts.accessKey;
  }
}

/**
 * The point read found that the listing the plan was made from missed something (a current key,
 * an object created meanwhile): the step is skipped, nothing is written, and the next pass plans
 * again from a fresh listing.
 */
export class StaleListingError extends StepError {
  constructor(subject: string, message: string) {
    super('stale-listing', subject, message);
  }
}

/** The id a reference stands for in this run. */
export function refId(ctx: RunContext, step: PlanStep, ref: ObjectRef): string {
  if ('id' in ref) return ref.id;
  const id = ctx.created.get(ref.step);
  if (id === undefined) {
    throw new StepError(
      'unresolved-reference',
      step.address,
      `${ref.address} was to be created by step ${ref.step}, which produced no id`,
    );
  }
  return id;
}

export function retryContext(ctx: RunContext, log: pino.Logger): RetryContext {
  return {
    clock: ctx.clock,
    policy: ctx.policy,
    lastPermissionChange: () => ctx.lastPermissionChange,
    signal: ctx.signal,
    onRetry: (info) => log.warn(info, 'retrying'),
  };
}

export function markPermissionChange(ctx: RunContext): void {
  ctx.lastPermissionChange = ctx.clock.now().getTime();
}
