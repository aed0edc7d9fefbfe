/**
 * The input limits of docs/design/input-limits.md, each measured in a fresh process
 * (bench/children/input-limits.ts, or the daemon), interleaved over the rounds:
 *
 * - the 100 KB alias bomb (1,500 aliases of a 1,500-item list) gets its `alias-limit` error in
 *   under 1 s, with RSS growth under 100 MB;
 * - a 60 MB file is refused by the size limit without being read (RSS growth far below 60 MB);
 * - SIGTERM while `scw-gitops run` validates eight files of almost 1 MiB each: the daemon exits
 *   within 2 s of the signal.
 *
 * Tests check the behaviour of the same inputs (test/desired/limits.test.ts,
 * test/e2e/sigterm-validation.test.ts); the times and memory are measured only here.
 */
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, spawnDaemon } from '../../test/e2e/child.js';
import { aliasBomb, writeLongValidation } from '../../test/fixtures/desired-inputs.js';
import { runTsChild } from '../lib/proc.js';
import { type BenchScenario, target } from '../lib/report.js';
import { fmtTime, interleave, summarize } from '../lib/stats.js';

const MB = 1024 * 1024;

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Peak RSS above the RSS before the input was loaded. */
  readonly growthBytes: number;
  readonly codes: readonly string[];
  readonly ok: boolean;
}

async function loadInChild(kind: 'bomb' | 'huge', dir: string, expected: string): Promise<Sample> {
  const r = await runTsChild<{
    wallMs: number;
    cpuMs: number;
    rssBefore: number;
    maxRss: number;
    codes: string[];
  }>('bench/children/input-limits.ts', [kind, dir], { nodeArgs: ['--expose-gc'] });
  return {
    wallMs: r.wallMs,
    cpuMs: r.cpuMs,
    growthBytes: Math.max(0, r.maxRss - r.rssBefore),
    codes: r.codes,
    ok: r.codes.includes(expected),
  };
}

/** ms from SIGTERM to the exit of `scw-gitops run` while its first pass validates ~8 MB of YAML. */
async function sigterm(base: string, round: number): Promise<Sample> {
  const settings = await writeLongValidation(join(base, `sigterm-${round}`));
  const child = spawnDaemon(['run', '--config', settings], childEnv(join(base, `sigterm-${round}`), {}));
  let ms: number;
  try {
    await child.waitForLine((l) => l['msg'] === 'reconcile pass started', 120_000, 'the first pass');
    const signalledAt = performance.now();
    child.proc.kill('SIGTERM');
    await child.exitWithin(60_000);
    ms = performance.now() - signalledAt;
  } finally {
    child.kill();
  }
  const aborted = child.lines.some((l) => l['msg'] === 'reconcile pass failed' && l['verdict'] === 'aborted');
  return { wallMs: ms, cpuMs: Number.NaN, growthBytes: Number.NaN, codes: [], ok: aborted };
}

export const scenario: BenchScenario = {
  name: 'input-limits',
  description: 'alias bomb, 60 MB file and SIGTERM during a long validation (docs/design/input-limits.md)',
  async run(ctx) {
    const tmp = await mkdtemp(join(tmpdir(), 'scw-bench-limits-'));
    try {
      const bombDir = join(tmp, 'bomb');
      await mkdir(bombDir);
      const bomb = aliasBomb(1500);
      await writeFile(join(bombDir, 'bomb.yaml'), bomb);
      const hugeDir = join(tmp, 'huge');
      await mkdir(hugeDir);
      const h = await open(join(hugeDir, 'huge.yaml'), 'w');
      await h.truncate(60 * MB); // sparse: nothing is written
      await h.close();
      const samples = await interleave(
        ctx.rounds,
        [
          { name: 'bomb', run: () => loadInChild('bomb', bombDir, 'alias-limit') },
          { name: 'huge', run: () => loadInChild('huge', hugeDir, 'file-too-large') },
          { name: 'sigterm', run: (round) => sigterm(tmp, round) },
        ],
        (name, round, s) => ctx.log(`input-limits ${name} round ${round}: ${s.wallMs.toFixed(0)} ms`),
      );
      const row = (what: string, name: string) => {
        const xs = samples.get(name)!;
        const growth = summarize(xs.map((x) => x.growthBytes));
        return [
          what,
          fmtTime(summarize(xs.map((x) => x.wallMs))),
          name === 'sigterm' ? '—' : fmtTime(summarize(xs.map((x) => x.cpuMs))),
          name === 'sigterm'
            ? '—'
            : `${(growth.median / MB).toFixed(1)} MiB (max ${(growth.max / MB).toFixed(1)})`,
          xs.every((x) => x.ok)
            ? name === 'sigterm'
              ? 'the pass was aborted mid-validation'
              : [...new Set(xs.flatMap((x) => x.codes))].join(', ')
            : '**unexpected result**',
        ];
      };
      const bombWall = summarize(samples.get('bomb')!.map((x) => x.wallMs));
      const bombGrowth = summarize(samples.get('bomb')!.map((x) => x.growthBytes));
      const hugeGrowth = summarize(samples.get('huge')!.map((x) => x.growthBytes));
      const exit = summarize(samples.get('sigterm')!.map((x) => x.wallMs));
      return {
        tables: [
          {
            title: 'Input limits',
            columns: ['input', 'wall', 'CPU', 'RSS growth', 'result'],
            rows: [
              row(
                `alias bomb, 1,500 × 1,500 (${(bomb.length / 1024).toFixed(0)} KB): time to the error`,
                'bomb',
              ),
              row('60 MB file: time to the refusal', 'huge'),
              row('SIGTERM during validation (8 files × ~1 MiB): time to exit', 'sigterm'),
            ],
            notes: [
              'each load in a fresh process that first validated examples/basic (as a running daemon would have)',
              `median (min–max) of ${ctx.rounds} interleaved rounds`,
            ],
          },
        ],
        targets: [
          target('alias bomb: time to the error', bombWall.median, 1000, 'ms', fmtTime(bombWall)),
          target('alias bomb: RSS growth', bombGrowth.median / MB, 100, 'MiB'),
          target('60 MB file: RSS growth', hugeGrowth.median / MB, 10, 'MiB'),
          target('SIGTERM during validation: time to exit', exit.median, 2000, 'ms', fmtTime(exit)),
        ],
        raw: Object.fromEntries(samples),
      };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
