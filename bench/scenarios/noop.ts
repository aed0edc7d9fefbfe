/**
 * A no-op pass over a converged organization (default quota: 275 resources; 10,000 resources),
 * 20 ms of latency per request, the sandbox in its own process:
 *
 *   - `scw-gitops plan` from the command line (the built CLI, a fresh process, spawn to exit):
 *     cold (an empty cache directory) and warm (the rules cache of an earlier run);
 *   - the daemon's pass (bench/children/daemon-pass.ts): the start-up pass, then no-op passes
 *     with its rules cache and parse cache.
 *
 * Request counts are exact; the targets: one list request per 100 objects per kind, rules read
 * only for policies whose listing changed (none on a warm no-op), no write.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fmtKinds } from '../lib/kinds.js';
import { type Org, type RequestsSince, startOrg } from '../lib/org-fixture.js';
import { runNode, runTsChild } from '../lib/proc.js';
import { type BenchContext, type BenchScenario, type Table, type Target, target } from '../lib/report.js';
import { fmtMiB, fmtTime, interleave, summarize } from '../lib/stats.js';
import { DEFAULT_QUOTA, type OrgSize, STRESS_1K, STRESS_10K } from './org.js';

const LATENCY_MS = 20;

interface Sample {
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
  requests: RequestsSince;
  ok: boolean;
  /** Daemon only: its start-up pass. */
  first?: { wallMs: number; requests: Record<string, number> };
}

/** Requests as listed per kind: the most of each kind per 100 objects, at least one. */
function expectedLists(size: OrgSize): Record<string, number> {
  const pages = (n: number) => Math.max(1, Math.ceil(n / 100));
  return {
    projects: pages(size.projects + 1), // + the default project
    applications: pages(size.applications + 2), // + the sandbox's managed VPN gateway apps
    api_keys: pages(size.keys + 1), // + the admin key
    policies: pages(size.policies + 2),
    groups: pages(size.groups),
    permission_sets: 1,
  };
}

async function measure(org: Org, label: string, ctx: BenchContext) {
  const warmDir = join(org.base, 'cache-warm');
  const plan = (cacheDir: string) => () =>
    org.requests(() =>
      runNode([...org.cli, 'plan', '--config', org.settingsFile, '--cache-dir', cacheDir], {
        env: org.env(),
        cwd: org.base,
        usage: true,
      }),
    );
  await org.sandbox.call('faults', { latencyMs: LATENCY_MS });
  await plan(warmDir)(); // fills the warm cache
  const variants = [
    {
      name: 'cli-cold',
      run: async (): Promise<Sample> => {
        const dir = await mkdtemp(join(org.base, 'cache-cold-'));
        try {
          const { value: r, requests } = await plan(dir)();
          return {
            wallMs: r.wallMs,
            cpuMs: r.usage!.cpuMs,
            maxRssBytes: r.usage!.maxRssBytes,
            requests,
            ok: r.code === 0 && requests.writes === 0 && requests.pointReads === 0,
          };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'cli-warm',
      run: async (): Promise<Sample> => {
        const { value: r, requests } = await plan(warmDir)();
        return {
          wallMs: r.wallMs,
          cpuMs: r.usage!.cpuMs,
          maxRssBytes: r.usage!.maxRssBytes,
          requests,
          ok: r.code === 0 && requests.writes === 0 && requests.pointReads === 0,
        };
      },
    },
    {
      name: 'daemon',
      run: async (): Promise<Sample> => {
        const dir = await mkdtemp(join(org.base, 'cache-daemon-'));
        try {
          // the sandbox's count over the whole process (every pass is a no-op) gives its point reads
          const { value: r, requests: all } = await org.requests(() =>
            runTsChild<{
              passes: Array<{
                wallMs: number;
                cpuMs: number;
                result: string;
                byKind: Record<string, number>;
              }>;
            }>('bench/children/daemon-pass.ts', ['--settings', org.settingsFile, '--passes', '4'], {
              env: org.env({ SCW_GITOPS_CACHE_DIR: dir }),
              cwd: org.base,
              usage: true,
            }),
          );
          const later = r.passes.slice(1);
          const median = later.map((p) => p.wallMs).sort((a, b) => a - b)[Math.floor(later.length / 2)]!;
          const mid = later.find((p) => p.wallMs === median)!;
          const writes = Object.keys(mid.byKind).filter((k) => k.includes(' ')).length;
          return {
            wallMs: mid.wallMs,
            cpuMs: mid.cpuMs,
            maxRssBytes: r.usage!.maxRssBytes,
            requests: {
              total: Object.values(mid.byKind).reduce((a, b) => a + b, 0),
              writes,
              pointReads: all.pointReads,
              byKind: mid.byKind,
            },
            ok: r.passes.every((p) => p.result === 'converged') && all.pointReads === 0,
            first: { wallMs: r.passes[0]!.wallMs, requests: r.passes[0]!.byKind },
          };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    },
  ];
  const samples = await interleave(ctx.rounds, variants, (name, round, s) =>
    ctx.log(
      `noop ${label} ${name} round ${round}: ${s.wallMs.toFixed(0)} ms, ${s.requests.total} requests${s.ok ? '' : ' (NOT a no-op)'}`,
    ),
  );
  return samples;
}

export const scenario: BenchScenario = {
  name: 'noop',
  description: `no-op pass of a converged organization (default quota, 10k), ${LATENCY_MS} ms latency: CLI cold, CLI warm, daemon`,
  async run(ctx) {
    const sizes: Array<[string, OrgSize, boolean]> = [
      ['default quota', DEFAULT_QUOTA, false],
      ctx.quick ? ['1k', STRESS_1K, true] : ['10k', STRESS_10K, true],
    ];
    const rows: string[][] = [];
    const targets: Target[] = [];
    const raw: Record<string, unknown> = {};
    const notes: string[] = [];
    for (const [label, size, seed] of sizes) {
      const t0 = performance.now();
      const org = await startOrg(size, { seedOwnedApplications: seed, log: ctx.log });
      ctx.log(
        `noop ${label}: ${org.resources} resources converged in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
      try {
        const samples = await measure(org, label, ctx);
        raw[label] = Object.fromEntries(samples);
        const expected = expectedLists(size);
        for (const [name, what] of [
          ['cli-cold', '`plan`, cold (empty cache directory)'],
          ['cli-warm', '`plan`, warm (rules cache of an earlier run)'],
          ['daemon', 'daemon pass (after its start-up pass)'],
        ] as const) {
          const xs = samples.get(name)!;
          const wall = summarize(xs.map((x) => x.wallMs));
          const cpu = summarize(xs.map((x) => x.cpuMs));
          const rss = summarize(xs.map((x) => x.maxRssBytes));
          const req = xs[xs.length - 1]!.requests;
          const listsOk = Object.entries(expected).every(([k, n]) => (req.byKind[k] ?? 0) <= n);
          rows.push([
            `${label} (${org.resources.toLocaleString('en')})`,
            what,
            fmtTime(wall),
            fmtTime(cpu),
            name === 'daemon' ? `${fmtMiB(rss)} (process)` : fmtMiB(rss),
            String(req.total),
            String(req.pointReads),
            `${fmtKinds(req.byKind)}${listsOk ? '' : ' (more list requests than one per 100 objects)'}${xs.every((x) => x.ok) ? '' : ' **not a no-op**'}`,
          ]);
          if (name === 'daemon') {
            const first = summarize(xs.map((x) => x.first!.wallMs));
            notes.push(
              `${label}: the daemon's start-up pass took ${fmtTime(first)} (${fmtKinds(xs[0]!.first!.requests)})`,
            );
          }
          if (label === '10k' || (ctx.quick && label === '1k')) {
            if (name === 'cli-cold')
              targets.push(
                target(`${label} no-op from the CLI, cold`, wall.median, 3000, 'ms', fmtTime(wall)),
              );
            if (name === 'cli-warm') {
              targets.push(
                target(`${label} no-op from the CLI, warm cache`, wall.median, 1000, 'ms', fmtTime(wall)),
              );
              targets.push(
                target(`${label} no-op from the CLI, warm cache: requests`, req.total, 150, 'requests'),
              );
            }
            if (name === 'daemon')
              targets.push(target(`${label} daemon no-op pass`, wall.median, 500, 'ms', fmtTime(wall)));
          }
        }
      } finally {
        await org.close();
      }
    }
    const table: Table = {
      title: `No-op pass, ${LATENCY_MS} ms latency`,
      columns: ['organization', 'run', 'wall', 'CPU', 'max RSS', 'requests', 'point reads', 'by kind'],
      rows,
      notes: [
        `CLI rows: the built CLI in a fresh process, from spawn to exit (Node start-up included); median (min–max) of ${ctx.rounds} interleaved rounds`,
        'daemon rows: the median of passes 2–4 of a fresh daemon process (its rules cache and parse cache warm from pass 1), from inside the process',
        'requests: exact counts of the last round; one list request per 100 objects per kind is the floor; rules are read once per owned policy whose listing changed',
        'point reads: GETs by id and lookups by name, which precede each write (docs/design/plan-contract.md): none on a no-op (daemon: over all its passes)',
        ...notes,
      ],
    };
    return { tables: [table], targets, raw };
  },
};
