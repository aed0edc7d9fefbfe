/**
 * The reconcile loop: level-based and single-flight.
 *
 * Every trigger calls `request(reason)`, and every request asks for the same thing: one full pass.
 * At most one pass runs and at most one waits; requests arriving while a pass runs are coalesced
 * into the single waiting one (their reasons are only kept for logs and metrics).
 *
 * After a pass, the requeue policy (`nextDelay`, backoff.ts) decides: transient failures schedule
 * a retry with exponential backoff and jitter; success and terminal failures wait for the next
 * request. A new request during a backoff runs at once (it may carry the fix) but keeps the
 * failure count, so repeated failures still back off further.
 *
 * `stop()` refuses new requests, cancels the retry timer, aborts the running pass's signal (the
 * executor checks it only between steps, so a secret delivery in progress completes) and resolves
 * once that pass has returned. A `gate` (leader election) holds requests while it is closed;
 * `abortCurrent()` aborts the running pass without stopping the loop (leadership lost).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { toAppError } from '../errors.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, nextDelay, type PassVerdict } from './backoff.js';

export interface PassContext {
  /** Unique per pass; every log line of the pass carries it. */
  readonly reconcileId: string;
  /** Why the pass runs (coalesced triggers, sorted, de-duplicated). */
  readonly reasons: readonly string[];
  /** Aborted on shutdown or loss of leadership; checked between steps. */
  readonly signal: AbortSignal;
  /** 1 for a first try, n for the (n-1)th retry after transient failures. */
  readonly attempt: number;
}

export interface PassOutcome {
  readonly verdict: PassVerdict;
}

export type PassFn<R extends PassOutcome> = (ctx: PassContext) => Promise<R>;

export interface ReconcileLoopOptions<R extends PassOutcome> {
  readonly pass: PassFn<R>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly rng?: () => number;
  readonly backoff?: BackoffPolicy;
  /** Passes run only while this returns true (leader election). */
  readonly gate?: () => boolean;
  readonly newId?: () => string;
  /** Classify a thrown error (default: ConfigError → terminal, anything else → transient). */
  readonly classify?: (err: unknown) => PassVerdict;
  readonly onStart?: (ctx: PassContext) => void;
  /** Called after every pass with its outcome or error (thrown errors are turned into an outcome). */
  readonly onFinish?: (
    ctx: PassContext,
    outcome: R | { verdict: PassVerdict; error: unknown },
    ms: number,
  ) => void;
}

export class ReconcileLoop<R extends PassOutcome> {
  readonly #o: ReconcileLoopOptions<R>;
  readonly #rng: () => number;
  readonly #backoff: BackoffPolicy;
  #stopped = false;
  #running: Promise<void> | undefined;
  #current: AbortController | undefined;
  #pending = false;
  #reasons = new Set<string>();
  #failures = 0;
  #retry: AbortController | undefined;
  /** Epoch ms the scheduled retry runs at (while `#retry` is set). */
  #retryAt = 0;
  #passes = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(opts: ReconcileLoopOptions<R>) {
    this.#o = opts;
    this.#rng = opts.rng ?? Math.random;
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  /**
   * Ask for a pass (several reasons: one pass for all of them). Returns false once stopped. Never
   * throws, never blocks.
   */
  request(reason: string | readonly string[]): boolean {
    if (this.#stopped) return false;
    const reasons = typeof reason === 'string' ? [reason] : reason;
    for (const r of reasons) this.#reasons.add(r);
    this.#pending = true;
    if (this.#retry && reasons.some((r) => r !== 'retry')) {
      // A new input (file change, webhook, cron) may be the fix: run now instead of waiting out
      // the backoff (controller-runtime's Add vs AddRateLimited). The failure count is kept, so
      // if this pass fails too the next delay keeps growing.
      this.#retry.abort();
      this.#retry = undefined;
    }
    this.#kick();
    return true;
  }

  /** Re-evaluate after the gate opened (leadership acquired). */
  poke(): void {
    this.#kick();
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  get pending(): boolean {
    return this.#pending;
  }

  /** A retry is scheduled (backing off). */
  get backingOff(): boolean {
    return this.#retry !== undefined;
  }

  /** When the scheduled retry runs (epoch ms), while backing off. */
  get retryAt(): number | undefined {
    return this.#retry ? this.#retryAt : undefined;
  }

  /** Passes started so far. */
  get passes(): number {
    return this.#passes;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Abort the running pass (between steps) without stopping the loop. */
  abortCurrent(reason: string): void {
    this.#current?.abort(new Error(reason));
  }

  /** Resolves when nothing runs, nothing waits and no retry is scheduled (tests, --once). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stop: no new passes; the running one is aborted between steps and awaited. */
  async stop(reason = 'shutting down'): Promise<void> {
    this.#stopped = true;
    this.#pending = false;
    this.#reasons.clear();
    this.#retry?.abort();
    this.#retry = undefined;
    this.#current?.abort(new Error(reason));
    await this.#running;
    this.#notifyIdle();
  }

  #isIdle(): boolean {
    return (
      this.#running === undefined && (!this.#pending || this.#stopped || this.#gateClosed()) && !this.#retry
    );
  }

  #gateClosed(): boolean {
    return this.#o.gate !== undefined && !this.#o.gate();
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #kick(): void {
    if (this.#stopped || this.#running || this.#retry || !this.#pending) {
      this.#notifyIdle();
      return;
    }
    if (this.#gateClosed()) {
      this.#o.logger.debug('pass requested but this replica is not the leader; holding it');
      this.#notifyIdle();
      return;
    }
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      this.#current = undefined;
      this.#kick();
    });
  }

  async #run(): Promise<void> {
    const reasons = [...this.#reasons].sort();
    this.#reasons.clear();
    this.#pending = false;
    this.#passes += 1;
    const controller = new AbortController();
    this.#current = controller;
    const ctx: PassContext = {
      reconcileId: this.#o.newId?.() ?? randomUUID(),
      reasons,
      signal: controller.signal,
      attempt: this.#failures + 1,
    };
    const started = this.#o.clock.now().getTime();
    let verdict: PassVerdict;
    try {
      this.#o.onStart?.(ctx);
      const outcome = await this.#o.pass(ctx);
      verdict = controller.signal.aborted && outcome.verdict !== 'success' ? 'aborted' : outcome.verdict;
      this.#finish(ctx, outcome, started);
    } catch (err) {
      verdict = controller.signal.aborted ? 'aborted' : (this.#o.classify ?? defaultClassify)(err);
      this.#finish(ctx, { verdict, error: err }, started);
    }
    if (verdict === 'transient') this.#failures += 1;
    else if (verdict === 'success' || verdict === 'terminal') this.#failures = 0;
    const delay = nextDelay(verdict, this.#failures, this.#backoff, this.#rng);
    if (delay !== undefined && !this.#stopped) this.#scheduleRetry(delay);
  }

  #finish(ctx: PassContext, outcome: R | { verdict: PassVerdict; error: unknown }, started: number): void {
    try {
      this.#o.onFinish?.(ctx, outcome, this.#o.clock.now().getTime() - started);
    } catch (err) {
      this.#o.logger.error({ err }, 'pass bookkeeping failed');
    }
  }

  #scheduleRetry(delay: number): void {
    const timer = new AbortController();
    this.#retry = timer;
    this.#retryAt = this.#o.clock.now().getTime() + delay;
    this.#pending = true;
    this.#reasons.add('retry');
    this.#o.logger.info(
      { retryInMs: delay, failures: this.#failures },
      'pass failed; retrying after backoff',
    );
    this.#o.clock.sleep(delay, timer.signal).then(
      () => {
        if (this.#retry === timer) this.#retry = undefined;
        this.#kick();
      },
      () => {
        // cancelled by stop()
      },
    );
  }
}

function defaultClassify(err: unknown): PassVerdict {
  const e = toAppError(err);
  if (e.code === 'config-invalid' || e.code === 'stale-plan') return 'terminal';
  return 'transient';
}
