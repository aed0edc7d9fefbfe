/**
 * Listing 10,000 applications at 20 ms of latency per request, against the project's sandbox and
 * against an independent mock (bench/servers/mock-iam.ts), each in its own process; every
 * measured listing in a fresh process of its own (bench/children/list.ts). Peers in the same run:
 * `@scaleway/sdk-iam` `.all()` at page_size 100 and at its default page size, a sequential page
 * loop, a plain fetch loop with 8 pages in flight, and per-item GETs (Terraform's refresh model).
 * Then again under a 100 requests/second limit (429 beyond it, no Retry-After).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchContext, type BenchScenario, type Table, type Target, target } from '../lib/report.js';
import { forkRpc, type RpcChild, runTsChild } from '../lib/proc.js';
import { fmtTime, interleave, summarize } from '../lib/stats.js';

const LATENCY_MS = 20;
const RPS = 100;
const PER_ITEM = 1000;

interface Ready {
  url: string;
  organizationId: string;
  adminAccessKey: string;
  adminSecretKey: string;
}

interface Listing {
  wallMs: number;
  items: number;
  requests: number;
  limited: number;
  maxInFlight: number;
  error?: string;
}

const VARIANTS: ReadonlyArray<{ id: string; label: string; limited: boolean }> = [
  { id: 'scw-gitops-8', label: 'scw-gitops client, 8 in flight', limited: true },
  { id: 'scw-gitops', label: 'scw-gitops client, adaptive 8 → 16 (default)', limited: true },
  { id: 'sdk-100', label: '@scaleway/sdk-iam `.all()`, page_size 100', limited: true },
  { id: 'sdk-default', label: '@scaleway/sdk-iam `.all()`, default page size', limited: true },
  { id: 'sequential', label: 'sequential page loop (page_size 100)', limited: true },
  { id: 'bounded-8', label: 'plain fetch loop, 8 pages in flight', limited: false },
  {
    id: 'per-item',
    label: `per-item GETs, 10 in flight (${PER_ITEM.toLocaleString('en')} items)`,
    limited: false,
  },
];

export const scenario: BenchScenario = {
  name: 'listing',
  description: `list 10,000 applications, ${LATENCY_MS} ms latency: scw-gitops vs SDK .all() vs loops vs per-item GETs, sandbox and mock, then a ${RPS} req/s limit`,
  async run(ctx: BenchContext) {
    const apps = ctx.quick ? 2000 : 10_000;
    const base = await mkdtemp(join(tmpdir(), 'bench-listing-'));
    const sandbox = await forkRpc<Ready>('bench/servers/sandbox-server.ts', [
      '--no-seed',
      '--applications',
      String(apps),
    ]);
    const mock = await forkRpc<Ready>('bench/servers/mock-iam.ts', [
      '--applications',
      String(apps),
      '--token',
      '11111111-2222-4333-8444-555555555555',
    ]);
    const servers: Array<{ name: string; rpc: RpcChild<Ready>; ids: string }> = [];
    try {
      for (const [name, rpc] of [
        ['sandbox', sandbox],
        ['mock', mock],
      ] as const) {
        const ids = join(base, `${name}-ids.txt`);
        const all = await rpc.call<string[]>('applicationIds');
        await writeFile(ids, `${all.slice(0, PER_ITEM).join('\n')}\n`);
        servers.push({ name, rpc, ids });
      }
      type Sample = { cold: Listing; warm: Listing };
      const runs = [];
      for (const s of servers) {
        for (const limit of [undefined, RPS] as const) {
          for (const v of VARIANTS) {
            if (limit !== undefined && !v.limited) continue;
            runs.push({
              name: `${s.name}|${limit ?? ''}|${v.id}`,
              run: async (): Promise<Sample> => {
                await s.rpc.call('faults', { latencyMs: LATENCY_MS, ...(limit ? { rps: limit } : {}) });
                return runTsChild<Sample>('bench/children/list.ts', [
                  '--variant',
                  v.id,
                  '--url',
                  s.rpc.ready.url,
                  '--org',
                  s.rpc.ready.organizationId,
                  '--key',
                  s.rpc.ready.adminSecretKey,
                  '--access-key',
                  s.rpc.ready.adminAccessKey,
                  '--ids',
                  s.ids,
                ]);
              },
            });
          }
        }
      }
      const samples = await interleave(ctx.rounds, runs, (name, round, x) =>
        ctx.log(
          `listing ${name} round ${round}: ${x.cold.wallMs.toFixed(0)} ms${x.cold.error ? ` (${x.cold.error})` : ''}`,
        ),
      );

      const tables: Table[] = [];
      const targets: Target[] = [];
      for (const s of servers) {
        for (const limit of [undefined, RPS] as const) {
          const rows: string[][] = [];
          const ours = summarize(
            (samples.get(`${s.name}|${limit ?? ''}|scw-gitops`) ?? []).map((x) => x.cold.wallMs),
          );
          for (const v of VARIANTS) {
            const xs = samples.get(`${s.name}|${limit ?? ''}|${v.id}`);
            if (!xs) continue;
            const cold = summarize(xs.map((x) => x.cold.wallMs));
            const warm = summarize(xs.map((x) => x.warm.wallMs));
            const failed = xs.filter(
              (x) => x.cold.error !== undefined || x.cold.items !== (v.id === 'per-item' ? PER_ITEM : apps),
            );
            const requests = summarize(xs.map((x) => x.cold.requests));
            const limited = summarize(xs.map((x) => x.cold.limited));
            rows.push([
              v.label,
              requests.min === requests.max
                ? String(requests.median)
                : `${requests.median} (${requests.min}–${requests.max})`,
              String(Math.max(...xs.map((x) => x.cold.maxInFlight))),
              fmtTime(cold),
              limit === undefined ? fmtTime(warm) : '',
              `${(cold.median / ours.median).toFixed(2)}x`,
              failed.length === 0
                ? limit !== undefined
                  ? `ok, ${limited.median} × 429`
                  : 'ok'
                : `**${failed.length}/${xs.length} failed** (${failed[0]!.cold.error ?? `${failed[0]!.cold.items} items`})${limit !== undefined ? `, ${limited.median} × 429` : ''}`,
            ]);
            if (limit === undefined && (v.id === 'scw-gitops-8' || v.id === 'scw-gitops')) {
              targets.push(
                target(
                  `10k listing at 20 ms, ${v.id === 'scw-gitops-8' ? '8 in flight' : 'adaptive 8 → 16'} (${s.name})`,
                  cold.median,
                  v.id === 'scw-gitops-8' ? 300 : 200,
                  'ms',
                  fmtTime(cold),
                ),
              );
            }
          }
          tables.push({
            title: `Listing ${apps.toLocaleString('en')} applications, ${LATENCY_MS} ms latency, ${s.name}${limit ? `, ${limit} requests/s limit` : ''}`,
            columns: [
              'variant',
              'requests',
              'max in flight',
              'first listing',
              'second listing',
              'vs scw-gitops',
              'result',
            ],
            rows,
            notes: [
              `each run: a fresh process lists once (first listing: cold JIT, new connections) then again (second listing)${limit ? '; under the limit only the first listing counts (the second starts with an emptied bucket)' : ''}; median (min–max) of ${ctx.rounds} interleaved rounds`,
              `floor at 20 ms: ${Math.ceil(apps / 100)} pages; one round trip for page 1, then ⌈${Math.ceil(apps / 100) - 1}/8⌉ = ${Math.ceil((Math.ceil(apps / 100) - 1) / 8)} rounds at 8 in flight (${(1 + Math.ceil((Math.ceil(apps / 100) - 1) / 8)) * LATENCY_MS} ms)`,
            ],
          });
        }
      }
      return { tables, targets, raw: Object.fromEntries(samples) };
    } finally {
      await sandbox.close();
      await mock.close();
      await rm(base, { recursive: true, force: true });
    }
  },
};
