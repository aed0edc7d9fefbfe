/** A manually advanced Clock: sleeps resolve only when advance() passes their deadline. */
import type { Clock } from '../../src/clock.js';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class FakeClock implements Clock {
  #t: number;
  readonly #sleepers = new Set<Sleeper>();

  constructor(start = Date.parse('2026-03-01T10:00:00.000Z')) {
    this.#t = start;
  }

  now(): Date {
    return new Date(this.#t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const s: Sleeper = {
        at: this.#t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers.delete(s);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.add(s);
    });
  }

  /** Number of pending sleeps (= electors currently waiting). */
  pending(): number {
    return this.#sleepers.size;
  }

  /** Move time forward and wake every sleeper whose deadline passed. */
  advance(ms: number): void {
    this.#t += ms;
    for (const s of [...this.#sleepers].sort((a, b) => a.at - b.at)) {
      if (s.at <= this.#t) {
        this.#sleepers.delete(s);
        s.resolve();
      }
    }
  }
}

/** Wait (real time, bounded) until `cond` holds; used to let HTTP round trips finish. */
export async function until(cond: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
