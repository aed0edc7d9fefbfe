/**
 * A controllable Clock: `sleep` resolves at once (after a microtask) and advances `now` by the
 * requested delay, so retries and backoff run instantly and deterministically. Every sleep is
 * recorded.
 */
import type { Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  #now: number;
  readonly sleeps: number[] = [];

  constructor(start: Date | string = '2026-11-23T01:00:00.000Z') {
    this.#now = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  advance(ms: number): void {
    this.#now += ms;
  }

  set(t: Date | string): void {
    this.#now = new Date(t).getTime();
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    await Promise.resolve();
    this.#now += ms;
    if (signal?.aborted) throw signal.reason;
  }
}
