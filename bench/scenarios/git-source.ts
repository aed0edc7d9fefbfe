/**
 * The git source (src/source/git-source.ts) on a repository with history: 3,000 commits touching
 * 400 YAML files, served over loopback HTTP by git http-backend; the first sync (clone +
 * checkout), a sync after 20 new commits, a no-op sync; and the daemon process's RSS growth
 * across the three (the fetch runs in git child processes; target: less than 32 MiB). Each round
 * is a fresh process with a fresh repository (bench/children/git-source.ts). The comparison with
 * isomorphic-git behind the choice of the binary is in docs/design/git-source.md.
 */
import { runTsChild } from '../lib/proc.js';
import { type BenchScenario, target } from '../lib/report.js';
import { fmtBytes, fmtTime, interleave, summarize } from '../lib/stats.js';

const RSS_TARGET = 32 * 1024 * 1024;

interface Sample {
  cloneMs: number;
  fetchMs: number;
  noopMs: number;
  rssGrowthBytes: number;
}

export const scenario: BenchScenario = {
  name: 'git-source',
  description: 'git source over loopback HTTP: clone of 3000 commits × 400 files, fetch of 20, no-op fetch',
  async run(ctx) {
    const samples = await interleave(
      ctx.rounds,
      [
        {
          name: 'git',
          run: () =>
            runTsChild<Sample>('bench/children/git-source.ts', [], {
              env: { ...process.env } as Record<string, string>,
            }),
        },
      ],
      (_n, round, s) => ctx.log(`git-source round ${round}: clone ${s.cloneMs.toFixed(0)} ms`),
    );
    const xs = samples.get('git')!;
    const growth = summarize(xs.map((x) => x.rssGrowthBytes));
    return {
      tables: [
        {
          title: 'Git source (3,000 commits × 400 files, loopback HTTP)',
          columns: ['sync', 'wall'],
          rows: [
            ['first sync (clone + checkout)', fmtTime(summarize(xs.map((x) => x.cloneMs)))],
            ['sync after 20 commits', fmtTime(summarize(xs.map((x) => x.fetchMs)))],
            ['no-op sync', fmtTime(summarize(xs.map((x) => x.noopMs)))],
            [
              'daemon RSS growth across the three',
              `${fmtBytes(growth.median)} (${fmtBytes(growth.min)}–${fmtBytes(growth.max)})`,
            ],
          ],
          notes: [`a fresh process and repository per round; median (min–max) of ${ctx.rounds} rounds`],
        },
      ],
      targets: [
        target(
          'git source: daemon RSS growth over three syncs',
          growth.median / 2 ** 20,
          RSS_TARGET / 2 ** 20,
          'MiB',
          fmtBytes(growth.median),
        ),
      ],
      raw: xs,
    };
  },
};
