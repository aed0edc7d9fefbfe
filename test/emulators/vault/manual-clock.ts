/**
 * A manual clock shared by the Vault emulator and the client under test: time moves only when the
 * test calls `advance`; `sleep` advances time by the requested amount and resolves at once, so
 * retry backoffs cost nothing and stay deterministic.
 */
import type { Clock } from '../../../src/clock.js';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(date: Date): void;
  /** Every sleep requested, in ms, in order. */
  readonly sleeps: number[];
}

export function createManualClock(start = new Date('2026-11-23T00:00:00.000Z')): ManualClock {
  let t = start.getTime();
  const sleeps: number[] = [];
  return {
    now: () => new Date(t),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
    set: (d) => {
      t = d.getTime();
    },
    sleeps,
  };
}
