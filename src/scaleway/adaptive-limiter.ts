/**
 * Client-wide concurrency limiter that adapts to the server's rate limit, like TCP congestion
 * control (docs/design/performance.md, "Concurrency").
 *
 * - Every HTTP attempt holds one slot while in flight.
 * - It starts at `initial` (default `max`). While no 429 has been seen ("slow start") each success
 *   raises the limit by one, so 8 slots become 16 within one round trip of successes.
 * - `onRateLimited()` halves the limit (multiplicative decrease, floor `min`) and ends slow start.
 *   It halves at most once per "epoch": a 429 for a request that was admitted under an older,
 *   larger limit does not halve again, so a burst of N concurrent 429s counts as one signal.
 * - After the first 429, `onSuccess()` grows the limit by `1/limit` (additive increase: about +1
 *   per `limit` successes), up to `max`. So after a 429 storm the client recovers to full speed.
 *
 * Waiting callers may pass an AbortSignal. However many wait on the same signal (one pass's
 * signal shared by thousands of queued requests), the limiter adds one listener per signal, so a
 * large listing never trips Node's MaxListenersExceededWarning.
 */
export interface AdaptiveLimiterOptions {
  /** Upper limit. */
  readonly max: number;
  /** Limit at the start (default `max`); grows to `max` while no 429 is seen. */
  readonly initial?: number;
  /** Floor of the limit after decreases. Default 1. */
  readonly min?: number;
}

export interface LimiterTicket {
  /** Epoch under which the slot was granted. */
  readonly epoch: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
}

export class AdaptiveLimiter {
  readonly #max: number;
  readonly #min: number;
  #limit: number;
  #slowStart: boolean;
  #inFlight = 0;
  #epoch = 0;
  #maxInFlightSeen = 0;
  /** FIFO of callers waiting for a slot; `#head` is the index of the first live entry. */
  #waiters: (Waiter | undefined)[] = [];
  #head = 0;
  /** One abort listener per signal that has waiters, and how many of them wait. */
  readonly #signals = new Map<AbortSignal, { onAbort: () => void; waiting: number }>();

  constructor(opts: AdaptiveLimiterOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 1)
      throw new RangeError('limiter max must be an integer ≥ 1');
    if (opts.initial !== undefined && (!Number.isInteger(opts.initial) || opts.initial < 1))
      throw new RangeError('limiter initial must be an integer ≥ 1');
    this.#max = opts.max;
    this.#min = Math.max(1, Math.min(opts.min ?? 1, opts.max));
    this.#limit = Math.max(this.#min, Math.min(opts.initial ?? opts.max, opts.max));
    this.#slowStart = this.#limit < this.#max;
  }

  /** Current (possibly fractional) limit; the effective limit is its floor. */
  get limit(): number {
    return this.#limit;
  }

  get effectiveLimit(): number {
    return Math.max(this.#min, Math.floor(this.#limit));
  }

  /** The ceiling the limit grows back to. */
  get max(): number {
    return this.#max;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Highest number of simultaneous slots observed since creation. */
  get maxInFlightSeen(): number {
    return this.#maxInFlightSeen;
  }

  /** Wait for a slot. Rejects with the signal's reason when aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<LimiterTicket> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.waiting === 0 && this.#inFlight < this.effectiveLimit) return Promise.resolve(this.#grant());
    return new Promise<LimiterTicket>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => resolve(this.#grant()),
        reject,
        signal,
      };
      this.#waiters.push(waiter);
      if (signal) this.#watch(signal);
    });
  }

  /** Give the slot back. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#wake();
  }

  onSuccess(): void {
    if (this.#limit >= this.#max) return;
    const step = this.#slowStart ? 1 : 1 / Math.max(1, this.#limit);
    this.#limit = Math.min(this.#max, this.#limit + step);
    this.#wake();
  }

  /** A 429 for a request admitted under `ticket`. Returns true when the limit was decreased. */
  onRateLimited(ticket: LimiterTicket): boolean {
    this.#slowStart = false;
    if (ticket.epoch !== this.#epoch) return false;
    this.#epoch++;
    this.#limit = Math.max(this.#min, Math.floor(this.#limit / 2));
    return true;
  }

  #grant(): LimiterTicket {
    this.#inFlight++;
    if (this.#inFlight > this.#maxInFlightSeen) this.#maxInFlightSeen = this.#inFlight;
    return { epoch: this.#epoch };
  }

  #wake(): void {
    while (this.#inFlight < this.effectiveLimit) {
      const w = this.#shift();
      if (!w) return;
      if (w.signal) this.#unwatch(w.signal);
      w.resolve();
    }
  }

  /** The first live waiter, removed from the queue (aborted ones leave holes behind). */
  #shift(): Waiter | undefined {
    while (this.#head < this.#waiters.length) {
      const w = this.#waiters[this.#head];
      this.#waiters[this.#head] = undefined;
      this.#head++;
      if (w) {
        this.#compact();
        return w;
      }
    }
    this.#compact();
    return undefined;
  }

  #compact(): void {
    if (this.#head === this.#waiters.length) {
      this.#waiters = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
  }

  #watch(signal: AbortSignal): void {
    const entry = this.#signals.get(signal);
    if (entry) {
      entry.waiting++;
      return;
    }
    const onAbort = () => this.#abortWaiters(signal);
    this.#signals.set(signal, { onAbort, waiting: 1 });
    signal.addEventListener('abort', onAbort, { once: true });
  }

  #unwatch(signal: AbortSignal): void {
    const entry = this.#signals.get(signal);
    if (!entry) return;
    entry.waiting--;
    if (entry.waiting > 0) return;
    this.#signals.delete(signal);
    signal.removeEventListener('abort', entry.onAbort);
  }

  /** Reject every waiter of an aborted signal; the others keep their place. */
  #abortWaiters(signal: AbortSignal): void {
    this.#signals.delete(signal);
    for (let i = this.#head; i < this.#waiters.length; i++) {
      const w = this.#waiters[i];
      if (w?.signal === signal) {
        this.#waiters[i] = undefined;
        w.reject(signal.reason);
      }
    }
    // drop leading holes
    while (this.#head < this.#waiters.length && this.#waiters[this.#head] === undefined) this.#head++;
    this.#compact();
  }
}
