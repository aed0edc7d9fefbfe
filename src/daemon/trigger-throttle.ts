/**
 * Coalescing of externally triggered passes (webhooks): at most one release per `minIntervalMs`.
 *
 *   request(reason) with no release in the last minIntervalMs  → released now        'released'
 *   request(reason) inside the interval, nothing scheduled      → one release at the
 *                                                                 end of the interval  'scheduled'
 *   request(reason) while a release is scheduled                → merged into it       'coalesced'
 *
 * A release hands every merged reason to the reconcile loop at once, and the loop itself runs at
 * most one pass and keeps at most one queued (single-flight.ts). So however many deliveries
 * arrive, webhooks cause at most one pass per interval, and each of them still sees the newest
 * commit: a pass is level-based and reads the whole desired state, whichever delivery caused it.
 *
 * A release also carries the detail of the newest request it covers (a push's ref and commit), so
 * a source that fetches on webhooks fetches what was pushed last.
 *
 * Time comes from the Clock (fake in tests). `stop()` cancels a scheduled release.
 */
import type { Clock } from '../clock.js';

export type ThrottleOutcome = 'released' | 'scheduled' | 'coalesced';

/** What a trigger says about itself (a push's `ref` and `after`); the newest one is released. */
export type TriggerDetail = Readonly<Record<string, string | undefined>>;

export interface TriggerThrottleOptions {
  readonly clock: Clock;
  /** Minimum time between two releases; 0 releases every request at once. */
  readonly minIntervalMs: number;
  /** Ask for one pass for all these reasons (`detail`: of the newest request). */
  readonly release: (reasons: readonly string[], detail: TriggerDetail) => void;
}

export class TriggerThrottle {
  readonly #o: TriggerThrottleOptions;
  #lastRelease: number | undefined;
  #scheduled: AbortController | undefined;
  readonly #reasons = new Set<string>();
  #detail: TriggerDetail = {};
  #stopped = false;

  constructor(opts: TriggerThrottleOptions) {
    this.#o = opts;
  }

  /** A release is waiting for the end of the interval. */
  get scheduled(): boolean {
    return this.#scheduled !== undefined;
  }

  request(reason: string, detail: TriggerDetail = {}): ThrottleOutcome {
    if (this.#stopped) return 'coalesced';
    this.#detail = detail;
    if (this.#scheduled) {
      this.#reasons.add(reason);
      return 'coalesced';
    }
    const now = this.#o.clock.now().getTime();
    const wait = this.#lastRelease === undefined ? 0 : this.#lastRelease + this.#o.minIntervalMs - now;
    if (wait <= 0) {
      this.#release([reason], now);
      return 'released';
    }
    this.#reasons.add(reason);
    const timer = new AbortController();
    this.#scheduled = timer;
    this.#o.clock.sleep(wait, timer.signal).then(
      () => {
        if (this.#scheduled !== timer) return;
        this.#scheduled = undefined;
        const reasons = [...this.#reasons];
        this.#reasons.clear();
        this.#release(reasons, this.#o.clock.now().getTime());
      },
      () => {
        // cancelled by stop()
      },
    );
    return 'scheduled';
  }

  /** Cancel a scheduled release; later requests are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#scheduled?.abort();
    this.#scheduled = undefined;
    this.#reasons.clear();
  }

  #release(reasons: readonly string[], at: number): void {
    this.#lastRelease = at;
    const detail = this.#detail;
    this.#detail = {};
    this.#o.release(reasons, detail);
  }
}
