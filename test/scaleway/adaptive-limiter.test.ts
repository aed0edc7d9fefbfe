/**
 * AIMD concurrency: halves once per congestion epoch on 429, grows back on success; and the
 * client under a 429 storm slows down, finishes, then recovers its full concurrency.
 */
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
