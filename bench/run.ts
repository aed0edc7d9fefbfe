/**
 * `npm run bench`: runs every benchmark scenario, prints one table, and writes the results
 * as JSON to bench/results/<timestamp>.json (and bench/results/latest.json).
 *
 * Add a scenario: write `bench/<name>.ts` exporting `scenario: BenchScenario`, then add it to
 * SCENARIOS below. `npm run bench -- <name>…` runs only the named scenarios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured run of one variant of a scenario. */
export interface BenchResult {
  /** e.g. `scw-gitops client`, `@scaleway/sdk-iam .all()`. */
  readonly variant: string;
  /** HTTP requests the server received. */
  readonly requests: number;
  /** Highest number of requests in flight at once (client side). */
  readonly maxInFlight: number;
  readonly wallMs: number;
  /** Items (or operations) the run produced, to check variants did the same work. */
  readonly items: number;
  /** Targets this run is held to, with whether they were met. */
  readonly targets?: Readonly<Record<string, { readonly limit: number; readonly met: boolean }>>;
  readonly notes?: string;
}

export interface BenchScenario {
  readonly name: string;
  readonly description: string;
  run(): Promise<BenchResult[]>;
}

type ScenarioModule = { scenario: BenchScenario };

/** Scenario modules, in run order. */
const SCENARIOS: ReadonlyArray<() => Promise<ScenarioModule>> = [
  () => import('./list-applications.js'),
  () => import('./scenarios/noop-reconcile.js'),
  () => import('./scenarios/list-four-ways.js'),
  () => import('./scenarios/apply-and-daemon.js'),
  () => import('./scenarios/npm-start.js'),
  () => import('./scenarios/git-source.js'),
  () => import('./scenarios/input-limits.js'),
];

function table(rows: ReadonlyArray<{ scenario: string } & BenchResult>): string {
  const head = ['scenario', 'variant', 'requests', 'max in flight', 'wall ms', 'items', 'targets'];
  const body = rows.map((r) => [
    r.scenario,
    r.variant,
    String(r.requests),
    String(r.maxInFlight),
    r.wallMs.toFixed(1),
    String(r.items),
    r.targets
      ? Object.entries(r.targets)
          .map(([k, t]) => `${k}≤${t.limit} ${t.met ? 'ok' : 'MISSED'}`)
          .join(', ')
      : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const only = new Set(argv);
  const rows: Array<{ scenario: string } & BenchResult> = [];
  for (const load of SCENARIOS) {
    const { scenario } = await load();
    if (only.size > 0 && !only.has(scenario.name)) continue;
    process.stderr.write(`bench: ${scenario.name}: ${scenario.description}\n`);
    for (const r of await scenario.run()) rows.push({ scenario: scenario.name, ...r });
  }
  console.log(table(rows));
  for (const r of rows) if (r.notes) console.log(`  ${r.scenario} / ${r.variant}: ${r.notes}`);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const doc = JSON.stringify(
    { at: new Date().toISOString(), node: process.version, platform: process.platform, results: rows },
    null,
    2,
  );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}.json`), `${doc}\n`);
  writeFileSync(join(dir, 'latest.json'), `${doc}\n`);
  const missed = rows.some((r) => r.targets && Object.values(r.targets).some((t) => !t.met));
  if (missed) process.stderr.write('bench: some targets were missed (see table)\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
