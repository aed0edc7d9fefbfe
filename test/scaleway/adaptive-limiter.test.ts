/**
 * AIMD concurrency: halves once per congestion epoch on 429, grows back on success; and the
 * client under a 429 storm slows down, finishes, then recovers its full concurrency.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { AdaptiveLimiter } from '../../src/scaleway/adaptive-limiter.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { flush } from '../helpers/fake-clock.js';
import { json, type TestServer, startTestServer } from './helpers/test-server.js';
import { ORG, page, TOKEN, wireApp } from './helpers/wire.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('AdaptiveLimiter', () => {
  it('halves once per epoch and grows back additively', async () => {
    const l = new AdaptiveLimiter({ max: 16 });
    const tickets = await Promise.all(Array.from({ length: 4 }, () => l.acquire()));
    expect(l.inFlight).toBe(4);
    expect(l.onRateLimited(tickets[0]!)).toBe(true);
    expect(l.effectiveLimit).toBe(8);
    // other 429s from the same burst do not halve again
    expect(l.onRateLimited(tickets[1]!)).toBe(false);
    expect(l.effectiveLimit).toBe(8);
    for (let i = 0; i < 4; i++) l.release();
    const t = await l.acquire();
    l.release();
    expect(l.onRateLimited(t)).toBe(true);
    expect(l.effectiveLimit).toBe(4);
    let n = 0;
    while (l.effectiveLimit < 16) {
      l.onSuccess();
      n++;
    }
    expect(n).toBeGreaterThan(12);
    expect(l.limit).toBe(16);
  });

  it('never goes below the floor and blocks beyond the limit', async () => {
    const l = new AdaptiveLimiter({ max: 2 });
    for (let i = 0; i < 5; i++) {
      const t = await l.acquire();
      l.release();
      l.onRateLimited(t);
    }
    expect(l.effectiveLimit).toBe(1);
    await l.acquire();
    let second = false;
    const p = l.acquire().then(() => {
      second = true;
    });
    await flush();
    expect(second).toBe(false);
    l.release();
    await p;
    expect(second).toBe(true);
  });

  it('a waiting acquire is aborted by its signal', async () => {
    const l = new AdaptiveLimiter({ max: 1 });
    await l.acquire();
    const ctrl = new AbortController();
    const p = l.acquire(ctrl.signal);
    ctrl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
  it('starts at `initial` and doubles per round of successes until the first 429 (slow start)', async () => {
    const l = new AdaptiveLimiter({ max: 16, initial: 8 });
    expect(l.effectiveLimit).toBe(8);
    const tickets = await Promise.all(Array.from({ length: 8 }, () => l.acquire()));
    for (let i = 0; i < 8; i++) {
      l.release();
      l.onSuccess();
    }
    expect(l.effectiveLimit).toBe(16);
    l.onSuccess();
    expect(l.effectiveLimit).toBe(16);
    // the first 429 halves and ends slow start: growth is additive from then on
    expect(l.onRateLimited(await l.acquire())).toBe(true);
    l.release();
    expect(l.effectiveLimit).toBe(8);
    for (let i = 0; i < 8; i++) l.onSuccess();
    expect(l.effectiveLimit).toBe(8);
    expect(tickets).toHaveLength(8);
  });

  it('a request beyond the slow-start limit waits until a success raises it', async () => {
    const l = new AdaptiveLimiter({ max: 4, initial: 2 });
    await l.acquire();
    await l.acquire();
    let third = false;
    const p = l.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    l.onSuccess(); // limit 3: the waiter gets a slot without any release
    await p;
    expect(third).toBe(true);
    expect(l.inFlight).toBe(3);
  });

  it('thousands of waiters on one signal add one abort listener, and an abort rejects only them', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const l = new AdaptiveLimiter({ max: 2 });
      await l.acquire();
      await l.acquire();
      const pass = new AbortController();
      const other = new AbortController();
      const mine = Array.from({ length: 2000 }, () => l.acquire(pass.signal));
      const theirs = Array.from({ length: 3 }, () => l.acquire(other.signal));
      expect(getEventListeners(pass.signal, 'abort')).toHaveLength(1);
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
      expect(l.waiting).toBe(2003);
      pass.abort(new Error('pass aborted'));
      const settled = await Promise.allSettled(mine);
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(l.waiting).toBe(3);
      // the other signal's waiters still get their slots, in order
      l.release();
      l.release();
      await Promise.all(theirs.slice(0, 2));
      expect(l.inFlight).toBe(2);
      l.release();
      await theirs[2];
      expect(l.waiting).toBe(0);
      expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a waiter that got its slot no longer listens to its signal', async () => {
    const l = new AdaptiveLimiter({ max: 1 });
    await l.acquire();
    const ctrl = new AbortController();
    const p = l.acquire(ctrl.signal);
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(1);
    l.release();
    await p;
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);
    ctrl.abort(); // too late to matter: the slot is held
    expect(l.inFlight).toBe(1);
  });
});

describe('client under a 429 storm', () => {
  it('backs off concurrency, completes the listing, then recovers', async () => {
    const all = Array.from({ length: 2000 }, (_, i) => wireApp(i + 1));
    let storm = 30;
    let inFlight = 0;
    let maxInFlightAfterStorm = 0;
    let stormOver = false;
    server = await startTestServer(async (req, res) => {
      inFlight++;
      try {
        if (stormOver) maxInFlightAfterStorm = Math.max(maxInFlightAfterStorm, inFlight);
        // Give the other requests of the burst a turn to arrive (overlap without latency).
        await flush(1);
        if (storm > 0 && Number(req.url.searchParams.get('page') ?? '0') > 1) {
          storm--;
          if (storm === 0) stormOver = true;
          res.writeHead(429, { 'X-Envoy-Ratelimited': 'true' });
          res.end();
          return;
        }
        json(res, 200, page(all, req.url));
      } finally {
        inFlight--;
      }
    });
    const limits: number[] = [];
    const client = createScalewayClient({
      apiUrl: server.url,
      secretKey: new Secret(TOKEN),
      organizationId: ORG,
      listConcurrency: 16,
      maxConcurrency: 16,
      retry: { retries: 40, minTimeoutMs: 1, maxTimeoutMs: 4 },
      onRequest: () => limits.push(client.limiter.effectiveLimit),
    });
    const got = await client.listApplications();
    expect(got).toHaveLength(2000);
    const lowest = Math.min(...limits);
    expect(lowest).toBeLessThanOrEqual(4);
    // right after the storm the server never saw more than the reduced limit plus slack
    expect(maxInFlightAfterStorm).toBeLessThan(16);
    // recovery: successful requests grow the limit back to the maximum
    for (let i = 0; i < 12 && client.limiter.effectiveLimit < 16; i++) await client.listApplications();
    expect(client.limiter.effectiveLimit).toBe(16);
  });
});
