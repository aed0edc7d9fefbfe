/**
 * A hung server on demand, for the emulators: while held, every request waits (unanswered) until
 * the test releases it. Timeouts and aborts are then tested against a request that is provably
 * still open, with no latency and no sleep: `hold()`, `waitFor(() => held === 1)`, act, release.
 */
export interface RequestHold {
  /** Hold every request from now on; returns the function that releases them all. */
  hold(): () => void;
  /** Requests waiting right now. */
  readonly held: number;
  /** Called by the emulator at the start of each request. */
  pass(): Promise<void>;
  /** Release everything (emulator shutdown). */
  releaseAll(): void;
}

export function createRequestHold(): RequestHold {
  let gate: { promise: Promise<void>; release: () => void } | undefined;
  let held = 0;
  const releaseAll = () => {
    gate?.release();
    gate = undefined;
  };
  return {
    hold() {
      if (!gate) {
        let release!: () => void;
        const promise = new Promise<void>((r) => {
          release = r;
        });
        gate = { promise, release };
      }
      const mine = gate;
      return () => {
        mine.release();
        if (gate === mine) gate = undefined;
      };
    },
    get held() {
      return held;
    },
    async pass() {
      if (!gate) return;
      held += 1;
      try {
        await gate.promise;
      } finally {
        held -= 1;
      }
    },
    releaseAll,
  };
}
