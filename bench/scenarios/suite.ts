/**
 * Opt-in (`npm run bench -- suite`): the duration of `npx vitest run` on this machine, as the row
 * of the target table. Vitest's own worker settings apply (vitest.config.ts).
 */
import { REPO } from '../lib/proc.js';
import { type BenchScenario, target } from '../lib/report.js';
import { fmtTime, summarize } from '../lib/stats.js';
import { spawn } from 'node:child_process';

export const scenario: BenchScenario = {
  name: 'suite',
  description: 'npx vitest run (opt-in)',
  optIn: true,
  async run(ctx) {
    const times: number[] = [];
    const results: string[] = [];
    for (let i = 0; i < Math.min(ctx.rounds, 2); i++) {
      const t0 = performance.now();
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn('npx', ['vitest', 'run'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('close', resolve);
      });
      times.push(performance.now() - t0);
      results.push(code === 0 ? 'passed' : `exit ${code}`);
      ctx.log(`suite round ${i + 1}: ${(times.at(-1)! / 1000).toFixed(0)} s, ${results.at(-1)}`);
    }
    const s = summarize(times);
    return {
      tables: [
        {
          title: 'Test suite',
          columns: ['run', 'wall', 'result'],
          rows: [['`npx vitest run`', fmtTime(s), results.join(', ')]],
        },
      ],
      targets: [target('`npx vitest run` on this machine', s.median, 100_000, 'ms', fmtTime(s))],
      raw: times,
    };
  },
};
