/**
 * Benchmark: list 10,000 applications from the sandbox with 20 ms injected latency per
 * request, with the scw-gitops client and with the official `@scaleway/sdk-iam`
 * `listApplications(...).all()`, in the same process against the same sandbox.
 *
 * The sandbox runs on its own thread (a worker of this process, `BENCH_SANDBOX=inline` puts it
 * on the main thread), so the clients do not share an event loop with the server they measure,
 * as with the real, remote API. Measured per variant: requests the sandbox received, the highest
 * number of requests in flight (counted by a wrapping fetch, identical for both clients), and
 * wall time (median of BENCH_REPEAT runs after a warm-up). Target for our client: ≤ 350 ms with
 * ≤ 8 requests in flight.
 */
import { availableParallelism, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createAdvancedClient, withHTTPClient, withProfile } from '@scaleway/sdk-client';
import { Iamv1alpha1 } from '@scaleway/sdk-iam';
import { Secret } from '../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../src/sandbox/server.js';
import { createScalewayClient } from '../src/scaleway/http-client.js';
import type { BenchResult, BenchScenario } from './run.js';

const APPS = 10_000;
const LATENCY_MS = 20;
const TARGET_MS = 350;
const TARGET_IN_FLIGHT = 8;
/** Measured runs per variant (after one warm-up run each); the median is reported. */
const REPEAT = Math.max(1, Number(process.env['BENCH_REPEAT'] ?? '5'));
const WORKER_ROLE = 'scw-gitops-bench-sandbox';

/** What the benchmark needs from a sandbox, wherever it runs. */
interface RemoteSandbox {
  readonly url: string;
  readonly organizationId: string;
  readonly adminAccessKey: string;
  readonly adminSecretKey: string;
  setLatency(ms: number): Promise<void>;
  requestCount(): Promise<number>;
  close(): Promise<void>;
}

type Command =
  | { id: number; op: 'latency'; ms: number }
  | { id: number; op: 'count' }
  | { id: number; op: 'close' };

async function startInline(): Promise<RemoteSandbox> {
  const sandbox: SandboxHandle = await startSandbox({ env: {}, seed: false, randomSeed: 42 });
  sandbox.seedApplications(APPS, { prefix: 'bench' });
  return {
    url: sandbox.url,
    organizationId: sandbox.organizationId,
    adminAccessKey: sandbox.adminAccessKey,
    adminSecretKey: sandbox.adminSecretKey,
    setLatency: async (ms) => sandbox.faults.adjust({ latencyMs: ms }),
    requestCount: async () => sandbox.requestCount(),
    close: () => sandbox.close(),
  };
}

/** Worker side: serve the sandbox and answer commands from the main thread. */
async function serveWorker(): Promise<void> {
  const port = parentPort!;
  const sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 42 });
  sandbox.seedApplications(APPS, { prefix: 'bench' });
  port.on('message', (cmd: Command) => {
    if (cmd.op === 'latency') {
      sandbox.faults.adjust({ latencyMs: cmd.ms });
      port.postMessage({ id: cmd.id });
    } else if (cmd.op === 'count') {
      port.postMessage({ id: cmd.id, value: sandbox.requestCount() });
    } else {
      void sandbox.close().then(() => {
        port.postMessage({ id: cmd.id });
        port.close();
      });
    }
  });
  port.postMessage({
    ready: {
      url: sandbox.url,
      organizationId: sandbox.organizationId,
      adminAccessKey: sandbox.adminAccessKey,
      adminSecretKey: sandbox.adminSecretKey,
    },
  });
}

async function startInWorker(): Promise<RemoteSandbox> {
  // The worker loads this TypeScript module through tsx's loader, registered inside the worker.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { role: WORKER_ROLE } });
  let seq = 0;
  const pending = new Map<number, (value: unknown) => void>();
  const ready = new Promise<{
    url: string;
    organizationId: string;
    adminAccessKey: string;
    adminSecretKey: string;
  }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { ready?: never; id?: number; value?: unknown }) => {
      if (m.ready) resolve(m.ready);
      else if (m.id !== undefined) {
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
      }
    });
  });
  const info = await ready;
  const send = (cmd: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve) => {
      const id = ++seq;
      pending.set(id, resolve);
      worker.postMessage({ ...cmd, id });
    });
  return {
    ...info,
    setLatency: async (ms) => {
      await send({ op: 'latency', ms });
    },
    requestCount: async () => (await send({ op: 'count' })) as number,
    close: async () => {
      await send({ op: 'close' });
      await worker.terminate();
    },
  };
}

/** A fetch that counts concurrent requests (until the body has been read). */
export function countingFetch(): { fetch: typeof fetch; max(): number; reset(): void } {
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
  const inline = process.env['BENCH_SANDBOX'] === 'inline';
  const sandbox = inline ? await startInline() : await startInWorker();
  const where = inline ? 'sandbox on the main thread' : 'sandbox on a worker thread';
  try {
    const results: BenchResult[] = [];
    const counter = countingFetch();

    const measure = async (variant: string, fn: () => Promise<number>, targets: boolean) => {
      // warm-up run (JIT, connection pool), then REPEAT measured runs; report the median
      await sandbox.setLatency(0);
      await fn();
      await sandbox.setLatency(LATENCY_MS);
      const runs: Array<{ wallMs: number; requests: number; maxInFlight: number; items: number }> = [];
      for (let i = 0; i < REPEAT; i++) {
        counter.reset();
        const before = await sandbox.requestCount();
        const t0 = performance.now();
        const items = await fn();
        const wallMs = performance.now() - t0;
        runs.push({
          wallMs,
          requests: (await sandbox.requestCount()) - before,
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
        notes: `${APPS} apps, ${LATENCY_MS} ms latency, ${where}; median of ${REPEAT} (min ${sorted[0]!.wallMs.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.wallMs.toFixed(0)} ms); load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs`,
      });
    };

    const ours = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      listConcurrency: 8,
      fetch: counter.fetch,
    });
    await measure('scw-gitops client', async () => (await ours.listApplications()).length, true);
    // the same client without the in-flight target, for comparison with the SDK's unbounded fan-out
    const wide = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      listConcurrency: 100,
      maxConcurrency: 100,
      fetch: counter.fetch,
    });
    await measure(
      'scw-gitops client (listConcurrency 100)',
      async () => (await wide.listApplications()).length,
      false,
    );

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

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  void serveWorker();
}

export const scenario: BenchScenario = {
  name: 'list-applications',
  description: `list ${APPS} applications, ${LATENCY_MS} ms latency: scw-gitops client vs @scaleway/sdk-iam .all()`,
  run,
};
