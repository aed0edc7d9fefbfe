/**
 * The suite's one controllable Clock (src/clock.ts). Time moves only when the test says so.
 *
 * Two ways to treat `sleep`, chosen per clock:
 * - `sleeps: 'instant'` (the default): `sleep(ms)` resolves after a microtask and moves `now` by
 *   `ms`, so retries, backoffs and TTL waits run at once and deterministically.
 * - `sleeps: 'manual'`: `sleep(ms)` resolves only when `advance`/`set`/`tick` moves time past its
 *   deadline, so a test can hold loops (leader election, requeue timers) and release them step by
 *   step. `pending()`/`pendingSleeps()` show who waits.
 *
 * Either way, every requested sleep is recorded in `sleeps`, in order, and an aborted signal
 * rejects with its reason.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock } from '../../src/clock.js';

export type SleepMode = 'instant' | 'manual';

export interface FakeClockOptions {
  /** Start time (default 2026-11-23T01:00:00Z). */
  readonly start?: Date | string | number;
  readonly sleeps?: SleepMode;
}

export const DEFAULT_START = '2026-11-23T01:00:00.000Z';

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class FakeClock implements Clock {
  #t: number;
  #seq = 0;
  readonly #mode: SleepMode;
  readonly #sleepers = new Set<Sleeper>();
  /** Every sleep requested, in ms, in order. */
  readonly sleeps: number[] = [];

  constructor(opts: FakeClockOptions = {}) {
    this.#t = new Date(opts.start ?? DEFAULT_START).getTime();
    this.#mode = opts.sleeps ?? 'instant';
  }

  /** A bound function, so it can be handed over alone (`{ clock: clock.now }`). */
  readonly now = (): Date => new Date(this.#t);

  /** The current time in epoch ms. */
  get ms(): number {
    return this.#t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    if (this.#mode === 'instant') return this.#instant(ms, signal);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers.delete(sleeper);
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        at: this.#t + ms,
        seq: this.#seq++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.add(sleeper);
    });
  }

  async #instant(ms: number, signal?: AbortSignal): Promise<void> {
    await Promise.resolve();
    this.#t += ms;
    if (signal?.aborted) throw signal.reason;
  }

  /** Move time forward; wake (synchronously, soonest deadline first) every sleep now due. */
  advance(ms: number): void {
    this.set(this.#t + ms);
  }

  /** Move time to `t` (forward or back); wake every sleep now due. */
  set(t: Date | string | number): void {
    this.#t = new Date(t).getTime();
    const due = [...this.#sleepers]
      .filter((s) => s.at <= this.#t)
      .sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const s of due) {
      this.#sleepers.delete(s);
      s.wake();
    }
  }

  /** `advance`, then let the woken code run until it waits again (see `flush`). */
  async tick(ms: number): Promise<void> {
    this.advance(ms);
    await flush();
  }

  /** How many sleeps wait for time to move (manual mode). */
  pending(): number {
    return this.#sleepers.size;
  }

  /** What is left of each pending sleep, in ms, soonest first (manual mode). */
  pendingSleeps(): number[] {
    return [...this.#sleepers].sort((a, b) => a.at - b.at || a.seq - b.seq).map((s) => s.at - this.#t);
  }
}

/**
 * Let promise chains and immediates queued by woken code run: a few macrotask turns, no real
 * time. For work that waits on I/O (sockets, files, child processes) use `waitFor` instead.
 */
export async function flush(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await nextMacrotask();
}
