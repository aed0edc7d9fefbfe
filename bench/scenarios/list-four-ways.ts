/**
 * Benchmark: list 10,000 applications four ways against the same sandbox in one run, 20 ms
 * latency per request:
 *   1. the scw-gitops client (parallel pages, bounded, adaptive to 429s);
 *   2. `@scaleway/sdk-iam` `listApplications(...).all()`;
 *   3. a sequential page loop (page_size=100, one page after the other);
 *   4. per-resource GETs, 10 in parallel (Terraform's refresh model: one GET per object in state).
 * Then again with the sandbox limited to 100 requests/second (token bucket, 429 beyond it, no
 * Retry-After): the clients must finish with zero failures. Per-resource GETs are left out of
 * the limited run (10,000 requests at 100/s is 100 s by construction).
 * Ratios are against the scw-gitops client.
 */
import { createAdvancedClient, withHTTPClient, withProfile } from '@scaleway/sdk-client';
import { Iamv1alpha1 } from '@scaleway/sdk-iam';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { countingFetch } from '../list-applications.js';
import type { BenchResult, BenchScenario } from '../run.js';

const LATENCY_MS = 20;
const RPS = 100;
const TERRAFORM_PARALLELISM = 10;

interface Variant {
  readonly name: string;
  readonly limited: boolean;
  run(): Promise<number>;
}

export interface ListResult extends BenchResult {
  readonly failed: boolean;
  readonly error?: string;
  readonly rateLimited: number;
  readonly rpsLimit?: number;
}

export async function listFourWays(
  apps: number,
  opts: { latencyMs?: number; rps?: number } = {},
): Promise<ListResult[]> {
  const latencyMs = opts.latencyMs ?? LATENCY_MS;
  const rps = opts.rps ?? RPS;
  const sandbox: SandboxHandle = await startSandbox({ env: {}, seed: false, randomSeed: 42 });
  try {
    const ids = sandbox.seedApplications(apps, { prefix: 'bench' });
    const total = apps; // seed:false: no managed applications
    const counter = countingFetch();
    const auth = { 'X-Auth-Token': sandbox.adminSecretKey };
    const ours = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      listConcurrency: 8,
      fetch: counter.fetch,
    });
    const iam = new Iamv1alpha1.API(
      createAdvancedClient(
        withProfile({
          accessKey: sandbox.adminAccessKey,
          secretKey: sandbox.adminSecretKey,
          apiURL: sandbox.url,
          defaultOrganizationId: sandbox.organizationId,
        }),
        withHTTPClient(counter.fetch),
      ),
    );
    const sequential = async (): Promise<number> => {
      let n = 0;
      for (let page = 1; ; page++) {
        const res = await counter.fetch(
          `${sandbox.url}/iam/v1alpha1/applications?organization_id=${sandbox.organizationId}&page=${page}&page_size=100`,
          { headers: auth },
        );
        if (!res.ok) throw new Error(`page ${page}: HTTP ${res.status}`);
        const body = (await res.json()) as { applications: unknown[]; total_count: number };
        n += body.applications.length;
        if (body.applications.length === 0 || n >= body.total_count) return n;
      }
    };
    const perResource = async (): Promise<number> => {
      let next = 0;
      let n = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const res = await counter.fetch(`${sandbox.url}/iam/v1alpha1/applications/${id}`, {
            headers: auth,
          });
          if (!res.ok) throw new Error(`GET ${id}: HTTP ${res.status}`);
          await res.arrayBuffer();
          n++;
        }
      };
      await Promise.all(Array.from({ length: TERRAFORM_PARALLELISM }, worker));
      return n;
    };
    const variants: Variant[] = [
      { name: 'scw-gitops client', limited: true, run: async () => (await ours.listApplications()).length },
      {
        name: '@scaleway/sdk-iam .all() (page_size 100)',
        limited: true,
        run: async () =>
          (await iam.listApplications({ organizationId: sandbox.organizationId, pageSize: 100 }).all())
            .length,
      },
      {
        name: '@scaleway/sdk-iam .all() (default page size)',
        limited: true,
        run: async () =>
          (await iam.listApplications({ organizationId: sandbox.organizationId }).all()).length,
      },
      { name: 'sequential page loop (page_size 100)', limited: true, run: sequential },
      { name: `per-resource GETs (${TERRAFORM_PARALLELISM} in parallel)`, limited: false, run: perResource },
    ];
    const results: ListResult[] = [];
    for (const limit of [undefined, rps] as const) {
      for (const v of variants) {
        if (limit !== undefined && !v.limited) continue;
        sandbox.faults.set({ latencyMs: 0 });
        await v.run().catch(() => 0); // warm-up (JIT, connections), no latency, no limit
        sandbox.faults.set({ latencyMs, ...(limit !== undefined ? { rps: limit } : {}) }); // fresh bucket
        counter.reset();
        const before = sandbox.requestCount();
        const t0 = performance.now();
        let items = 0;
        let error: string | undefined;
        try {
          items = await v.run();
        } catch (err) {
          error = (err as Error).message.split('\n')[0]!.slice(0, 160);
        }
        const wallMs = performance.now() - t0;
        const n = sandbox.requestCount() - before;
        const rateLimited = sandbox
          .requests()
          .slice(-n)
          .filter((r) => r.fault === '429').length;
        const failed = error !== undefined || items !== total;
        results.push({
          variant: `${v.name}${limit !== undefined ? `, ${limit} req/s limit` : ''}`,
          requests: n,
          maxInFlight: counter.max(),
          wallMs,
          items,
          failed,
          rateLimited,
          ...(limit !== undefined ? { rpsLimit: limit } : {}),
          ...(error !== undefined ? { error } : {}),
          ...(v.name === 'scw-gitops client' ? { targets: { failures: { limit: 0, met: !failed } } } : {}),
          notes: `${failed ? `FAILED (${error ?? `${items}/${total} items`})` : 'ok'}; ${rateLimited} answers were 429`,
        });
      }
    }
    // ratios against our client in the same conditions
    for (const group of [false, true]) {
      const rows = results.filter((r) => (r.rpsLimit !== undefined) === group);
      const base = rows.find((r) => r.variant.startsWith('scw-gitops client'));
      if (!base) continue;
      for (const r of rows) {
        const i = results.indexOf(r);
        results[i] = {
          ...r,
          notes: `${r.notes}; ${(r.wallMs / base.wallMs).toFixed(1)}x the wall time and ${(r.requests / Math.max(1, base.requests)).toFixed(1)}x the requests of scw-gitops`,
        };
      }
    }
    return results;
  } finally {
    await sandbox.close();
  }
}

export const scenario: BenchScenario = {
  name: 'list-four-ways',
  description: `list 10,000 applications: scw-gitops vs SDK .all() vs sequential pages vs per-resource GETs, ${LATENCY_MS} ms latency, then with a ${RPS} req/s limit`,
  run: () => listFourWays(10_000),
};
