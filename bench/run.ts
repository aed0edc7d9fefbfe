/**
 * `npm run bench`: every benchmark scenario, each variant in processes of its own, interleaved
 * over rounds; prints Markdown tables and the targets, and writes them (with the raw samples)
 * under bench/results/<time>/, which git ignores. bench/README.md is written from such a run.
 *
 *   npm run bench                                  # every scenario, 5 rounds
 *   npm run bench -- listing noop --rounds 7       # some scenarios
 *   npm run bench -- --quick --rounds 1            # small organizations: to work on the benchmark
 *   npm run bench -- suite                         # opt-in: the test suite's duration
 *
 * The CLI is measured as users run it, built (`dist/`): the run starts with `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './lib/proc.js';
import { type BenchScenario, markdownTable, type ScenarioReport, type Target } from './lib/report.js';

/** Scenario modules, in run order. */
const SCENARIOS: ReadonlyArray<() => Promise<{ scenario: BenchScenario }>> = [
  () => import('./scenarios/startup.js'),
  () => import('./scenarios/listing.js'),
  () => import('./scenarios/noop.js'),
  () => import('./scenarios/memory.js'),
  () => import('./scenarios/daemon.js'),
  () => import('./scenarios/npm-start.js'),
  () => import('./scenarios/apply.js'),
  () => import('./scenarios/git-source.js'),
  () => import('./scenarios/input-limits.js'),
  () => import('./scenarios/suite.js'),
];

function fmtTarget(t: Target): string {
  const v =
    t.unit === 'ms'
      ? t.value >= 1000
        ? `${(t.value / 1000).toFixed(2)} s`
        : `${t.value.toFixed(0)} ms`
      : t.unit === 'B'
        ? `${(t.value / 1024).toFixed(2)} KiB`
        : t.unit === 'MiB'
          ? `${t.value.toFixed(0)} MiB`
          : `${t.value.toFixed(0)}`;
  const l =
    t.unit === 'ms'
      ? t.limit >= 1000
        ? `≤ ${t.limit / 1000} s`
        : `≤ ${t.limit} ms`
      : t.unit === 'B'
        ? `≤ ${t.limit / 1024} KiB`
        : t.unit === 'MiB'
          ? `≤ ${t.limit} MiB`
          : `≤ ${t.limit}`;
  return `| ${t.name} | ${v}${t.detail ? ` — ${t.detail}` : ''} | ${l} | ${t.met ? 'met' : '**not met**'} |`;
}

function machine(): string {
  const la = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
  return `${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}; load average ${la}`;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean' },
      'no-build': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const rounds = Math.max(1, Number(values.rounds ?? '5'));
  const only = new Set(positionals);
  const started = new Date();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  if (!values['no-build']) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const header = [
    `Run ${started.toISOString()}, ${rounds} round${rounds === 1 ? '' : 's'}${values.quick ? ' (quick: small organizations)' : ''}.`,
    `Machine at the start: ${machine()}.`,
  ];
  log(header.join(' '));
  const reports: Array<{ name: string; description: string; report: ScenarioReport; load: string }> = [];
  for (const load of SCENARIOS) {
    const { scenario } = await load();
    if (only.size > 0 ? !only.has(scenario.name) : scenario.optIn) continue;
    log(`${scenario.name}: ${scenario.description}`);
    const report = await scenario.run({ rounds, quick: values.quick === true, log });
    reports.push({
      name: scenario.name,
      description: scenario.description,
      report,
      load: loadavg()
        .map((x) => x.toFixed(2))
        .join(', '),
    });
  }
  const targets = reports.flatMap((r) => r.report.targets);
  const md = [
    ...header,
    `Machine at the end: ${machine()}.`,
    '',
    ...reports.flatMap((r) => [
      `## ${r.name}`,
      '',
      `${r.description} (load average after it: ${r.load})`,
      '',
      ...r.report.tables.flatMap((t) => [markdownTable(t), '']),
    ]),
    '## Targets',
    '',
    '| measurement | measured (median) | target | |',
    '| --- | ---: | ---: | --- |',
    ...targets.map(fmtTarget),
    '',
  ].join('\n');
  process.stdout.write(md);
  const dir = join(REPO, 'bench/results', started.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.md'), md);
  writeFileSync(
    join(dir, 'results.json'),
    `${JSON.stringify({ at: started.toISOString(), machine: machine(), rounds, quick: values.quick === true, reports, targets }, null, 2)}\n`,
  );
  log(`results in ${join('bench/results', started.toISOString().replace(/[:.]/g, '-'))}/ (git-ignored)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
