/** A controllable Clock: `sleep` resolves only when `advance` moves time past its deadline. */
import type { Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  #now: number;
  readonly #sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now(): Date {
    return new Date(this.#now);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const entry = { until: this.#now + ms, resolve };
      this.#sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.#sleepers.indexOf(entry);
          if (i >= 0) this.#sleepers.splice(i, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Pending sleep durations from now (ms). */
  pendingSleeps(): number[] {
    return this.#sleepers.map((s) => s.until - this.#now);
  }

  async advance(ms: number): Promise<void> {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#now);
    for (const s of due) {
      this.#sleepers.splice(this.#sleepers.indexOf(s), 1);
      s.resolve();
    }
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Poll `cond` until true or `timeoutMs` passes (bounded waits, never timing assertions). */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
