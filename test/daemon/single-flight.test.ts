import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, nextDelay } from '../../src/daemon/backoff.js';
import { type PassContext, ReconcileLoop } from '../../src/daemon/single-flight.js';
import { ConfigError } from '../../src/errors.js';
import { FakeClock, flush } from '../helpers/fake-clock.js';

const silent = pino({ level: 'silent' });

/** A pass whose completion the test controls. */
function controllablePass() {
  const calls: PassContext[] = [];
  const finishers: Array<(v: { verdict: 'success' | 'transient' | 'terminal' }) => void> = [];
  const failers: Array<(e: unknown) => void> = [];
  const pass = (ctx: PassContext) =>
    new Promise<{ verdict: 'success' | 'transient' | 'terminal' }>((resolve, reject) => {
      calls.push(ctx);
      finishers.push(resolve);
      failers.push(reject);
    });
  return {
    calls,
    pass,
    finish: async (i: number, verdict: 'success' | 'transient' | 'terminal' = 'success') => {
      finishers[i]!({ verdict });
      await flush();
    },
    fail: async (i: number, err: unknown) => {
      failers[i]!(err);
      await flush();
    },
  };
}

describe('nextDelay', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.2 };
  it('waits for a trigger after success, terminal errors and aborts', () => {
    expect(nextDelay('success', 0, policy, () => 0.5)).toBeUndefined();
    expect(nextDelay('terminal', 3, policy, () => 0.5)).toBeUndefined();
    expect(nextDelay('aborted', 1, policy, () => 0.5)).toBeUndefined();
  });
  it('doubles per consecutive transient failure, centred without jitter draw', () => {
    expect([1, 2, 3, 4, 5].map((n) => nextDelay('transient', n, policy, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
  });
  it('applies jitter within ±jitter and never exceeds the cap', () => {
    expect(nextDelay('transient', 1, policy, () => 0)).toBe(800);
    expect(nextDelay('transient', 1, policy, () => 0.999999)).toBe(1200);
    expect(nextDelay('transient', 20, policy, () => 0.999999)).toBe(60_000);
    expect(nextDelay('transient', 20, policy, () => 0)).toBe(48_000);
    for (let n = 1; n < 40; n++) {
      const d = nextDelay('transient', n, DEFAULT_BACKOFF, Math.random)!;
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });
});

describe('ReconcileLoop', () => {
  it('runs one pass per request when idle', async () => {
    const p = controllablePass();
    const loop = new ReconcileLoop({
      pass: p.pass,
      clock: new FakeClock({ sleeps: 'manual' }),
      logger: silent,
    });
    loop.request('startup');
    await flush();
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0]!.reasons).toEqual(['startup']);
    await p.finish(0);
    await loop.whenIdle();
    expect(loop.passes).toBe(1);
  });

  it('coalesces every request during a pass into exactly one follow-up pass', async () => {
    const p = controllablePass();
    const loop = new ReconcileLoop({
      pass: p.pass,
      clock: new FakeClock({ sleeps: 'manual' }),
      logger: silent,
    });
    loop.request('startup');
    await flush();
    for (let i = 0; i < 25; i++) loop.request(i % 2 ? 'file-change' : 'webhook-github');
    loop.request('resync');
    await flush();
    expect(p.calls).toHaveLength(1); // at most one running
    expect(loop.pending).toBe(true); // at most one waiting
    await p.finish(0);
    expect(p.calls).toHaveLength(2);
    expect(p.calls[1]!.reasons).toEqual(['file-change', 'resync', 'webhook-github']);
    await p.finish(1);
    await loop.whenIdle();
    expect(loop.passes).toBe(2);
    expect(p.calls).toHaveLength(2);
  });

  it('backs off exponentially after transient failures, then resets on success', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const p = controllablePass();
    const loop = new ReconcileLoop({
      pass: p.pass,
      clock,
      logger: silent,
      rng: () => 0.5,
      backoff: { baseMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.2 },
    });
    loop.request('startup');
    await flush();
    await p.finish(0, 'transient');
    expect(loop.backingOff).toBe(true);
    expect(clock.pendingSleeps()).toEqual([1000]);
    await clock.tick(999);
    expect(p.calls).toHaveLength(1);
    await clock.tick(1);
    expect(p.calls).toHaveLength(2);
    expect(p.calls[1]!.attempt).toBe(2);
    expect(p.calls[1]!.reasons).toEqual(['retry']);
    await p.fail(1, new Error('ECONNRESET'));
    expect(clock.pendingSleeps()).toEqual([2000]);
    await clock.tick(2000);
    await p.finish(2, 'transient');
    expect(clock.pendingSleeps()).toEqual([4000]);
    // A new input during the backoff runs at once (it may be the fix), keeping the failure count.
    loop.request('file-change');
    await flush();
    expect(clock.pendingSleeps()).toEqual([]);
    expect(p.calls).toHaveLength(4);
    expect(p.calls[3]!.attempt).toBe(4);
    expect(p.calls[3]!.reasons).toEqual(['file-change', 'retry']);
    await p.finish(3, 'transient');
    expect(clock.pendingSleeps()).toEqual([8000]);
    await clock.tick(8000);
    expect(p.calls[4]!.attempt).toBe(5);
    await p.finish(4, 'success');
    expect(loop.consecutiveFailures).toBe(0);
    expect(clock.pendingSleeps()).toEqual([]);
    await loop.whenIdle();
  });

  it('does not retry terminal errors until the next trigger', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const p = controllablePass();
    const loop = new ReconcileLoop({ pass: p.pass, clock, logger: silent });
    loop.request('startup');
    await flush();
    await p.fail(0, new ConfigError('examples/x.yaml:3:1: error'));
    expect(clock.pendingSleeps()).toEqual([]);
    await loop.whenIdle();
    loop.request('file-change');
    await flush();
    expect(p.calls).toHaveLength(2);
    await p.finish(1);
  });

  it('stop() aborts the running pass between steps, awaits it and refuses new requests', async () => {
    const steps: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const loop = new ReconcileLoop({
      clock: new FakeClock({ sleeps: 'manual' }),
      logger: silent,
      pass: async (ctx) => {
        steps.push('deliver-secret:start');
        await gate; // a delivery in progress is not interrupted
        steps.push('deliver-secret:done');
        if (ctx.signal.aborted) {
          steps.push('stopped-between-steps');
          return { verdict: 'success' as const };
        }
        steps.push('next-step');
        return { verdict: 'success' as const };
      },
    });
    loop.request('startup');
    await flush();
    loop.request('file-change'); // pending
    const stopped = loop.stop();
    let done = false;
    void stopped.then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    release();
    await stopped;
    expect(steps).toEqual(['deliver-secret:start', 'deliver-secret:done', 'stopped-between-steps']);
    expect(loop.request('webhook-github')).toBe(false);
    expect(loop.passes).toBe(1);
  });

  it('holds requests while the gate is closed and runs them when it opens', async () => {
    let leader = false;
    const p = controllablePass();
    const loop = new ReconcileLoop({
      pass: p.pass,
      clock: new FakeClock({ sleeps: 'manual' }),
      logger: silent,
      gate: () => leader,
    });
    loop.request('startup');
    await flush();
    expect(p.calls).toHaveLength(0);
    await loop.whenIdle();
    leader = true;
    loop.poke();
    await flush();
    expect(p.calls).toHaveLength(1);
    // losing leadership aborts the running pass's signal
    loop.abortCurrent('leadership lost');
    expect(p.calls[0]!.signal.aborted).toBe(true);
    await p.finish(0, 'transient');
    // an aborted pass is not retried
    await loop.whenIdle();
    expect(loop.backingOff).toBe(false);
  });
});
