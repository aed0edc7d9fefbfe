/**
 * `npm run chaos [-- --seed N --minutes M --only NAME,…]`: the chaos suite. Seeded (the seed is
 * printed; rerun with `--seed`), bounded in time (default 8 minutes of scenario time, about 9.5 in all).
 *
 * Scenarios (bench/chaos/scenarios.ts): kill -9 of the CLI at random instants of apply, at every
 * custody point, during rotation; kill -9 of the daemon; 429 storms without Retry-After, 5xx
 * bursts, connection resets, lost write answers, a requests/second limit; sink outages and
 * recoveries; concurrent creation/deletion of objects during listing; clock jumps; and a long fuzz
 * of the desired-state loader. After each scenario: converge without faults and check the
 * invariants (bench/chaos/world.ts). Prints a table, writes bench/results/chaos-<time>.json and
 * bench/results/chaos-latest.json. Exit 1 when an invariant was violated.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/fuzz/fuzz-cases.js';
import { bundleCli } from './chaos/child.js';
import {
  apiFaults,
  clockJumps,
  concurrentWriters,
  killCli,
  killDaemon,
  type ScenarioContext,
  type ScenarioReport,
  sinkOutage,
} from './chaos/scenarios.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string' },
    only: { type: 'string' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const minutes = values.minutes !== undefined ? Number(values.minutes) : 8;
if (!Number.isInteger(seed) || seed < 0)
  throw new Error(`--seed: expected a non-negative integer, got ${values.seed}`);
if (!(minutes > 0)) throw new Error(`--minutes: expected a positive number, got ${values.minutes}`);
const only = values.only ? new Set(values.only.split(',')) : undefined;
const budget = minutes * 60_000;
process.stderr.write(
  `chaos: seed ${seed}, ${minutes} min (rerun: npm run chaos -- --seed ${seed} --minutes ${minutes})\n`,
);

/** Share of the time budget per scenario; the fixed-size ones take what they take. */
const plan: ReadonlyArray<{ name: string; run: (ctx: ScenarioContext) => Promise<ScenarioReport> }> = [
  { name: 'faults', run: (c) => apiFaults({ ...c, budgetMs: budget * 0.03 }, '429 storm', 6) },
  { name: 'faults', run: (c) => apiFaults({ ...c, budgetMs: budget * 0.03 }, '5xx burst', 6) },
  { name: 'faults', run: (c) => apiFaults({ ...c, budgetMs: budget * 0.03 }, 'connection resets', 6) },
  { name: 'faults', run: (c) => apiFaults({ ...c, budgetMs: budget * 0.03 }, 'ambiguous writes', 6) },
  { name: 'faults', run: (c) => apiFaults({ ...c, budgetMs: budget * 0.03 }, 'rps limit', 4) },
  { name: 'sink', run: (c) => sinkOutage(c, 4) },
  { name: 'writers', run: (c) => concurrentWriters(c, 6) },
  { name: 'clock', run: (c) => clockJumps(c, 12) },
  {
    name: 'kill',
    run: (c) =>
      killCli(
        { ...c, budgetMs: budget * 0.55 },
        { name: 'kill -9 CLI during apply', lanes: 4, mode: 'random', checkEvery: 25 },
      ),
  },
  {
    name: 'kill',
    run: (c) =>
      killCli(
        { ...c, budgetMs: budget * 0.1 },
        { name: 'kill -9 CLI at custody points', lanes: 2, mode: 'custody', checkEvery: 10 },
      ),
  },
  {
    name: 'kill',
    run: (c) =>
      killCli(
        { ...c, budgetMs: budget * 0.1 },
        { name: 'kill -9 CLI during rotation', lanes: 2, mode: 'rotation', checkEvery: 15 },
      ),
  },
  { name: 'kill', run: (c) => killDaemon({ ...c, budgetMs: budget * 0.08 }, { checkEvery: 10 }) },
];

function table(rows: readonly ScenarioReport[]): string {
  const head = ['scenario', 'runs', 'kill points', 'mid-apply', 'faults', 'checks', 'violations', 'time s'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.runs),
    String(r.killPoints),
    r.killsMidApply === undefined ? '' : String(r.killsMidApply),
    String(r.faultsInjected),
    String(r.invariantChecks),
    String(r.violations.length),
    (r.ms / 1000).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const cliDir = mkdtempSync(join(tmpdir(), 'scw-gitops-chaos-cli-'));
  const rows: ScenarioReport[] = [];
  try {
    const cli = await bundleCli(cliDir);
    const ctx: ScenarioContext = {
      seed,
      budgetMs: budget,
      maxIterations: Number.POSITIVE_INFINITY,
      cli,
      log: (l) => process.stderr.write(`${l}\n`),
    };
    for (const s of plan) {
      if (only && !only.has(s.name)) continue;
      const r = await s.run(ctx);
      process.stderr.write(
        `chaos: ${r.scenario}: ${r.runs} runs, ${r.killPoints} kill points, ${r.violations.length} violations (${(r.ms / 1000).toFixed(1)} s)\n`,
      );
      for (const v of r.violations) process.stderr.write(`  VIOLATION ${v.invariant}: ${v.detail}\n`);
      rows.push(r);
    }
    if (!only || only.has('fuzz')) {
      const f0 = performance.now();
      const fuzz = runFuzz(8_000, seed);
      rows.push({
        scenario: 'fuzz desired loader',
        runs: fuzz.cases,
        killPoints: 0,
        faultsInjected: 0,
        invariantChecks: fuzz.cases,
        violations: fuzz.failures.map((f) => ({
          invariant: 'converged',
          detail: `${f.family}: ${f.violation} input ${f.input}`,
        })),
        ms: performance.now() - f0,
      });
      for (const f of fuzz.failures) process.stderr.write(`  FUZZ ${f.family}: ${f.violation}\n`);
    }
  } finally {
    rmSync(cliDir, { recursive: true, force: true });
  }
  const total = {
    scenario: 'total',
    runs: rows.reduce((n, r) => n + r.runs, 0),
    killPoints: rows.reduce((n, r) => n + r.killPoints, 0),
    killsMidApply: rows.reduce((n, r) => n + (r.killsMidApply ?? 0), 0),
    faultsInjected: rows.reduce((n, r) => n + r.faultsInjected, 0),
    invariantChecks: rows.reduce((n, r) => n + r.invariantChecks, 0),
    violations: rows.flatMap((r) => r.violations),
    ms: performance.now() - t0,
  };
  console.log(
    `chaos seed ${seed}, ${minutes} min budget, ${availableParallelism()} CPUs, node ${process.version}`,
  );
  console.log(table([...rows, total]));
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const doc = `${JSON.stringify({ at: new Date().toISOString(), seed, minutes, cpus: availableParallelism(), node: process.version, scenarios: rows, total }, null, 2)}\n`;
  writeFileSync(join(dir, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), doc);
  writeFileSync(join(dir, 'chaos-latest.json'), doc);
  return total.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
