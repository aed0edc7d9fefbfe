/**
 * Retained heap per resource at 1k and at 10k resources: the desired state, the live state and
 * the plan of a no-op pass, each measured as the growth of the heap after garbage collection
 * (bench/children/retained.ts, a fresh process per round), not RSS (which fixed costs dominate).
 */
import { startOrg } from '../lib/org-fixture.js';
import { runTsChild } from '../lib/proc.js';
import { type BenchScenario, type Target, target } from '../lib/report.js';
import { fmtBytes, interleave, summarize } from '../lib/stats.js';
import { type OrgSize, STRESS_1K, STRESS_10K } from './org.js';

interface Sample {
  resources: number;
  liveObjects: number;
  desiredBytes: number;
  desiredWithoutLocationsBytes: number;
  liveBytes: number;
  planBytes: number;
  planSteps: number;
}

export const scenario: BenchScenario = {
  name: 'memory',
  description: 'retained heap after gc per resource (desired state, live state, plan) at 1k and 10k',
  async run(ctx) {
    const sizes: Array<[string, OrgSize]> = ctx.quick
      ? [['1k', STRESS_1K]]
      : [
          ['1k', STRESS_1K],
          ['10k', STRESS_10K],
        ];
    const rows: string[][] = [];
    const targets: Target[] = [];
    const raw: Record<string, Sample[]> = {};
    for (const [label, size] of sizes) {
      const org = await startOrg(size, { seedOwnedApplications: true, log: ctx.log });
      try {
        const samples = await interleave(
          ctx.rounds,
          [
            {
              name: label,
              run: () =>
                runTsChild<Sample>(
                  'bench/children/retained.ts',
                  ['--settings', org.settingsFile, '--dir', org.desiredDir],
                  {
                    env: org.env(),
                    cwd: org.base,
                    nodeArgs: ['--expose-gc'],
                  },
                ),
            },
          ],
          (_n, round, s) =>
            ctx.log(
              `memory ${label} round ${round}: desired ${fmtBytes(s.desiredBytes)}, live ${fmtBytes(s.liveBytes)}`,
            ),
        );
        const xs = samples.get(label)!;
        raw[label] = xs;
        const n = xs[0]!.resources;
        const per = (f: (s: Sample) => number) => summarize(xs.map((s) => f(s) / n));
        const cell = (f: (s: Sample) => number) => {
          const total = summarize(xs.map(f));
          const p = per(f);
          return `${fmtBytes(total.median)} (${fmtBytes(p.median)}/resource)`;
        };
        const retained = per((s) => s.desiredBytes + s.liveBytes);
        rows.push([
          `${label} (${n.toLocaleString('en')} resources, ${xs[0]!.liveObjects.toLocaleString('en')} live objects)`,
          cell((s) => s.desiredBytes),
          cell((s) => s.desiredBytes - s.desiredWithoutLocationsBytes),
          cell((s) => s.liveBytes),
          `**${fmtBytes(retained.median)}** (${fmtBytes(retained.min)}–${fmtBytes(retained.max)})`,
          cell((s) => s.planBytes),
        ]);
        targets.push(
          target(
            `retained memory per resource (${label}: desired + live)`,
            retained.median,
            2048,
            'B',
            `${fmtBytes(retained.median)}`,
          ),
        );
      } finally {
        await org.close();
      }
    }
    return {
      tables: [
        {
          title: 'Retained heap after gc',
          columns: [
            'organization',
            'desired state',
            'of which source locations',
            'live state',
            'desired + live per resource',
            'plan (no-op)',
          ],
          rows,
          notes: [
            `heapUsed growth after two forced collections, in a fresh process per round (median of ${ctx.rounds}); the code paths run once before measuring`,
            'live state: every listed object (the sandbox adds its default project, admin key and managed objects) and the rules of owned policies',
          ],
        },
      ],
      targets,
      raw,
    };
  },
};
