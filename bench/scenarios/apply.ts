/**
 * Applying changes: `scw-gitops reconcile` creating 100 applications (the built CLI, a fresh
 * process, spawn to exit: listing, plan, point reads, creates, at the default apply concurrency)
 * against a sequential loop of the same 100 POSTs, 20 ms latency, a fresh sandbox process per
 * round.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestsSince, SandboxReady } from '../lib/org-fixture.js';
import { baseEnv, CLI, forkRpc, runNode, runTsChild } from '../lib/proc.js';
import { type BenchScenario, target } from '../lib/report.js';
import { fmtTime, interleave, summarize } from '../lib/stats.js';

const CHANGES = 100;
const LATENCY_MS = 20;

export const scenario: BenchScenario = {
  name: 'apply',
  description: `reconcile creating ${CHANGES} applications vs a sequential POST loop, ${LATENCY_MS} ms latency`,
  async run(ctx) {
    const base = await mkdtemp(join(tmpdir(), 'bench-apply-'));
    try {
      const desired = join(base, 'desired');
      await mkdir(desired);
      await writeFile(
        join(desired, 'apps.yaml'),
        Array.from(
          { length: CHANGES },
          (_, i) =>
            `---\napiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: app-${i}\nspec:\n  description: bench ${i}\n`,
        ).join(''),
      );
      const fresh = async <T>(
        fn: (s: {
          ready: SandboxReady;
          since: (mark: number) => Promise<RequestsSince>;
          mark: () => Promise<number>;
        }) => Promise<T>,
      ) => {
        const sb = await forkRpc<SandboxReady>('bench/servers/sandbox-server.ts');
        try {
          await sb.call('faults', { latencyMs: LATENCY_MS });
          return await fn({
            ready: sb.ready,
            mark: () => sb.call<number>('mark'),
            since: (mark) => sb.call<RequestsSince>('since', { mark }),
          });
        } finally {
          await sb.close();
        }
      };
      const samples = await interleave(
        ctx.rounds,
        [
          {
            name: 'reconcile',
            run: () =>
              fresh(async (sb) => {
                const settings = join(base, 'settings.yaml');
                await writeFile(
                  settings,
                  `apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsource:\n  dir: desired\nscaleway:\n  apiUrl: ${sb.ready.url}\n  organizationId: ${sb.ready.organizationId}\n`,
                );
                const mark = await sb.mark();
                const r = await runNode(
                  [CLI, 'reconcile', '--config', settings, '--cache-dir', join(base, 'cache')],
                  {
                    env: baseEnv({
                      SCW_SECRET_KEY: sb.ready.adminSecretKey,
                      SCW_ACCESS_KEY: sb.ready.adminAccessKey,
                    }),
                    cwd: base,
                  },
                );
                const req = await sb.since(mark);
                return {
                  wallMs: r.wallMs,
                  requests: req.total,
                  writes: req.writes,
                  pointReads: req.pointReads,
                  ok: r.code === 0,
                };
              }),
          },
          {
            name: 'loop',
            run: () =>
              fresh(async (sb) => {
                const r = await runTsChild<{ wallMs: number }>('bench/children/post-loop.ts', [
                  '--url',
                  sb.ready.url,
                  '--org',
                  sb.ready.organizationId,
                  '--key',
                  sb.ready.adminSecretKey,
                  '--n',
                  String(CHANGES),
                ]);
                return { wallMs: r.wallMs, requests: CHANGES, writes: CHANGES, pointReads: 0, ok: true };
              }),
          },
        ],
        (name, round, s) => ctx.log(`apply ${name} round ${round}: ${s.wallMs.toFixed(0)} ms`),
      );
      const rec = samples.get('reconcile')!;
      const loop = samples.get('loop')!;
      const a = summarize(rec.map((s) => s.wallMs));
      const b = summarize(loop.map((s) => s.wallMs));
      return {
        tables: [
          {
            title: `Applying ${CHANGES} creates, ${LATENCY_MS} ms latency`,
            columns: ['run', 'wall', 'requests', 'writes', 'point reads', 'result'],
            rows: [
              [
                '`scw-gitops reconcile` (fresh process: start-up, listing, plan, point reads, creates at concurrency 4)',
                fmtTime(a),
                String(rec.at(-1)!.requests),
                String(rec.at(-1)!.writes),
                String(rec.at(-1)!.pointReads),
                rec.every((s) => s.ok)
                  ? `ok, ${(b.median / a.median).toFixed(1)}x faster than the loop`
                  : '**failed**',
              ],
              [
                'sequential POST loop (in-process timing: no start-up, listing or checks)',
                fmtTime(b),
                String(CHANGES),
                String(CHANGES),
                '0',
                'baseline',
              ],
            ],
            notes: [
              `a fresh sandbox process per run; median (min–max) of ${ctx.rounds} interleaved rounds`,
              'point reads: every write is checked by one read of its target just before it (docs/design/plan-contract.md)',
            ],
          },
        ],
        targets: [
          target(
            'apply: point reads per write',
            Math.max(...rec.map((s) => s.pointReads / Math.max(1, s.writes))),
            1,
            'requests',
            'the most over the rounds',
          ),
        ],
        raw: Object.fromEntries(samples),
      };
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  },
};
