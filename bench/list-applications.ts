/**
 * Benchmark: list 10,000 applications from the sandbox with 20 ms injected latency per
 * request, with the scw-gitops client and with the official `@scaleway/sdk-iam`
 * `listApplications(...).all()`, in the same process against the same sandbox.
 *
 * Measured per variant: requests the sandbox received, the highest number of requests in
 * flight (counted by a wrapping fetch, identical for both), and wall time. Target for our
 * client: ≤ 350 ms with ≤ 8 requests in flight.
 */
import { createAdvancedClient, withHTTPClient, withProfile } from '@scaleway/sdk-client';
import { Iamv1alpha1 } from '@scaleway/sdk-iam';
import { availableParallelism, loadavg } from 'node:os';
import { Secret } from '../src/model/secret.js';
import { startSandbox } from '../src/sandbox/server.js';
import { createScalewayClient } from '../src/scaleway/http-client.js';
import type { BenchResult, BenchScenario } from './run.js';

const APPS = 10_000;
const LATENCY_MS = 20;
const TARGET_MS = 350;
const TARGET_IN_FLIGHT = 8;
/** Measured runs per variant (after one warm-up run each); the median is reported. */
const REPEAT = Math.max(1, Number(process.env['BENCH_REPEAT'] ?? '5'));

/** A fetch that counts concurrent requests (until the body has been read). */
function countingFetch(): { fetch: typeof fetch; max(): number; reset(): void } {
  let inFlight = 0;
  let max = 0;
  const wrapped: typeof fetch = async (input, init) => {
    inFlight++;
    max = Math.max(max, inFlight);
    try {
      const res = await fetch(input, init);
      const body = await res.arrayBuffer();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } finally {
      inFlight--;
    }
  };
  return {
    fetch: wrapped,
    max: () => max,
    reset: () => {
      max = 0;
    },
  };
}

async function run(): Promise<BenchResult[]> {
  const sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 42 });
  try {
    sandbox.seedApplications(APPS, { prefix: 'bench' });
    const results: BenchResult[] = [];
    const counter = countingFetch();

    const ours = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      listConcurrency: 8,
      fetch: counter.fetch,
    });
    const measure = async (variant: string, fn: () => Promise<number>, targets: boolean) => {
      // warm-up run (JIT, connection pool), then REPEAT measured runs; report the median
      sandbox.faults.adjust({ latencyMs: 0 });
      await fn();
      sandbox.faults.adjust({ latencyMs: LATENCY_MS });
      const runs: Array<{ wallMs: number; requests: number; maxInFlight: number; items: number }> = [];
      for (let i = 0; i < REPEAT; i++) {
        counter.reset();
        const before = sandbox.requestCount();
        const t0 = performance.now();
        const items = await fn();
        runs.push({
          wallMs: performance.now() - t0,
          requests: sandbox.requestCount() - before,
          maxInFlight: counter.max(),
          items,
        });
      }
      const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const { wallMs, requests, items } = median;
      const maxInFlight = Math.max(...runs.map((r) => r.maxInFlight));
      results.push({
        variant,
        requests,
        maxInFlight,
        wallMs,
        items,
        ...(targets
          ? {
              targets: {
                wallMs: { limit: TARGET_MS, met: wallMs <= TARGET_MS },
                inFlight: { limit: TARGET_IN_FLIGHT, met: maxInFlight <= TARGET_IN_FLIGHT },
              },
            }
          : {}),
        notes: `${APPS} apps, ${LATENCY_MS} ms latency; median of ${REPEAT} (min ${sorted[0]!.wallMs.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.wallMs.toFixed(0)} ms); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
      });
    };

    await measure('scw-gitops client', async () => (await ours.listApplications()).length, true);

    const sdkClient = createAdvancedClient(
      withProfile({
        accessKey: sandbox.adminAccessKey,
        secretKey: sandbox.adminSecretKey,
        apiURL: sandbox.url,
        defaultOrganizationId: sandbox.organizationId,
      }),
      withHTTPClient(counter.fetch),
    );
    const iam = new Iamv1alpha1.API(sdkClient);
    await measure(
      '@scaleway/sdk-iam .all() (page_size 100)',
      async () =>
        (await iam.listApplications({ organizationId: sandbox.organizationId, pageSize: 100 }).all()).length,
      false,
    );
    await measure(
      '@scaleway/sdk-iam .all() (default page size)',
      async () => (await iam.listApplications({ organizationId: sandbox.organizationId }).all()).length,
      false,
    );
    return results;
  } finally {
    await sandbox.close();
  }
}

export const scenario: BenchScenario = {
  name: 'list-applications',
  description: `list ${APPS} applications, ${LATENCY_MS} ms latency: scw-gitops client vs @scaleway/sdk-iam .all()`,
  run,
};
