/**
 * Client-wide concurrency limiter with AIMD adaptation (like TCP congestion control).
 *
 * - Every HTTP attempt holds one slot while in flight.
 * - `onRateLimited()` halves the limit (multiplicative decrease, floor `min`). It halves at most
 *   once per "epoch": a 429 for a request that was admitted under an older, larger limit does
 *   not halve again, so a burst of N concurrent 429s counts as one congestion signal.
 * - `onSuccess()` grows the limit by `1/limit` (additive increase: about +1 per `limit`
 *   successes), up to `max`. So after a 429 storm the client recovers to full speed.
 */
export interface AdaptiveLimiterOptions {
  /** Upper (and initial) limit. */
  readonly max: number;
  /** Floor of the limit after decreases. Default 1. */
  readonly min?: number;
}

export interface LimiterTicket {
  /** Epoch under which the slot was granted. */
  readonly epoch: number;
}

export class AdaptiveLimiter {
  readonly #max: number;
  readonly #min: number;
  #limit: number;
  #inFlight = 0;
  #epoch = 0;
  #maxInFlightSeen = 0;
  readonly #waiters: Array<() => void> = [];

  constructor(opts: AdaptiveLimiterOptions) {
    if (!Number.isInteger(opts.max) || opts.max < 1)
      throw new RangeError('limiter max must be an integer ≥ 1');
    this.#max = opts.max;
    this.#min = Math.max(1, Math.min(opts.min ?? 1, opts.max));
    this.#limit = opts.max;
  }

  /** Current (possibly fractional) limit; the effective limit is its floor. */
  get limit(): number {
    return this.#limit;
  }

  get effectiveLimit(): number {
    return Math.max(this.#min, Math.floor(this.#limit));
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Highest number of simultaneous slots observed since creation. */
  get maxInFlightSeen(): number {
    return this.#maxInFlightSeen;
  }

  /** Wait for a slot. Rejects with the signal's reason when aborted while waiting. */
  async acquire(signal?: AbortSignal): Promise<LimiterTicket> {
    signal?.throwIfAborted();
    while (this.#inFlight >= this.effectiveLimit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = this.#waiters.indexOf(wake);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal?.reason);
        };
        this.#waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.#inFlight++;
    if (this.#inFlight > this.#maxInFlightSeen) this.#maxInFlightSeen = this.#inFlight;
    return { epoch: this.#epoch };
  }

  /** Give the slot back. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#wake();
  }

  onSuccess(): void {
    if (this.#limit < this.#max) {
      this.#limit = Math.min(this.#max, this.#limit + 1 / Math.max(1, this.#limit));
      this.#wake();
    }
  }

  /** A 429 for a request admitted under `ticket`. Returns true when the limit was decreased. */
  onRateLimited(ticket: LimiterTicket): boolean {
    if (ticket.epoch !== this.#epoch) return false;
    this.#epoch++;
    this.#limit = Math.max(this.#min, Math.floor(this.#limit / 2));
    return true;
  }

  #wake(): void {
    let free = this.effectiveLimit - this.#inFlight;
    while (free > 0 && this.#waiters.length > 0) {
      this.#waiters.shift()!();
      free--;
    }
  }
}
