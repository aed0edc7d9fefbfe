/**
 * `npm start` as a new user runs it: the first start right after `npm ci` (no dist/: the fast
 * build transpiles every source) and restarts with nothing changed (the build only checks).
 * Measured from spawning `npm start` to the daemon's first pass finished, i.e. ready (/readyz is
 * green): on the first start that pass applies examples/basic to the empty sandbox; on a restart
 * the organization (the sandbox state file) is kept, so it finds nothing to do. Read from the
 * daemon's JSON log lines.
 *
 * Goals (issue #19): first start ≤ 5 s, restart without changes ≤ 2 s, on 2 CPUs. Each round is a
 * fresh scratch clone (interleaved with nothing else: a first start needs its own clone).
 *
 * Runs in a scratch copy of the repository (the sources, settings and examples, with
 * node_modules linked), on a free port and a scratch data directory: the working tree's dist/,
 * .sandbox/ and .secrets/ are left alone.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BenchScenario, target } from '../lib/report.js';
import { fmtTime, interleave, summarize } from '../lib/stats.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FRESH_GOAL_MS = 5_000;
const WARM_GOAL_MS = 2_000;
const WARM_SAMPLES = 3;

/** What a clone holds that `npm start` reads. */
const COPIED = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'scripts',
  'config',
  'examples',
  'schema',
];

export async function scratchClone(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-npm-start-'));
  for (const entry of COPIED) await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export interface StartTiming {
  /** Spawn → the fast build done (its log line; NaN when it had nothing to do). */
  readonly buildMs: number;
  /** Spawn → `http server listening`. */
  readonly listeningMs: number;
  /** Spawn → `reconcile pass finished`. */
  readonly readyMs: number;
  readonly result: string;
  readonly buildLine: string;
}

/**
 * Runs `npm start` in `dir` until its first pass finished (the daemon is then ready: /readyz is
 * green), then stops it (SIGTERM to its process group). `data` is its SCW_GITOPS_DATA_DIR (the
 * sandbox state and the file sink), kept between runs like the working tree's .sandbox/.
 */
export async function timeNpmStart(dir: string, data: string, timeoutMs = 60_000): Promise<StartTiming> {
  const t0 = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SCW_GITOPS_PORT: '0', SCW_GITOPS_DATA_DIR: data, NO_COLOR: '1' },
  });
  const marks: Record<string, number> = {};
  let result = '';
  let buildLine = '';
  let output = '';
  try {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`npm start: no first pass in ${timeoutMs} ms\n${output}`)),
        timeoutMs,
      );
      const onLine = (line: string) => {
        if (line.startsWith('build: ')) {
          marks['build'] ??= performance.now() - t0;
          buildLine = line;
        }
        let msg: unknown;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          msg = parsed['msg'];
          if (msg === 'reconcile pass finished') result = String(parsed['result']);
        } catch {
          return;
        }
        if (msg === 'http server listening') marks['listening'] ??= performance.now() - t0;
        if (msg === 'reconcile pass finished') {
          marks['ready'] ??= performance.now() - t0;
          clearTimeout(timer);
          done();
        }
      };
      let buf = '';
      const onData = (d: Buffer) => {
        output += d.toString();
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          onLine(buf.slice(0, nl).trim());
          buf = buf.slice(nl + 1);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`npm start exited (${code}) before its first pass\n${output}`));
      });
    });
  } finally {
    child.removeAllListeners('exit');
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  return {
    buildMs: marks['build'] ?? Number.NaN,
    listeningMs: marks['listening'] ?? Number.NaN,
    readyMs: marks['ready']!,
    result,
    buildLine,
  };
}

export const scenario: BenchScenario = {
  name: 'npm-start',
  description: '`npm start` after `npm ci` (fresh dist/) and restarts without changes, to the first pass',
  async run(ctx) {
    type Sample = { fresh: StartTiming; warm: StartTiming[] };
    const samples = await interleave(
      ctx.rounds,
      [
        {
          name: 'npm-start',
          run: async (): Promise<Sample> => {
            // a fresh scratch clone per round: the first start builds dist/ from nothing
            const dir = await scratchClone();
            const data = join(dir, 'data');
            try {
              const fresh = await timeNpmStart(dir, data);
              const warm: StartTiming[] = [];
              for (let i = 0; i < WARM_SAMPLES; i++) warm.push(await timeNpmStart(dir, data));
              return { fresh, warm };
            } finally {
              await rm(dir, { recursive: true, force: true });
            }
          },
        },
      ],
      (_n, round, s) =>
        ctx.log(
          `npm-start round ${round}: first ${s.fresh.readyMs.toFixed(0)} ms, restart ${s.warm.map((w) => w.readyMs.toFixed(0)).join('/')} ms`,
        ),
    );
    const xs = samples.get('npm-start')!;
    const fresh = summarize(xs.map((x) => x.fresh.readyMs));
    const warm = summarize(xs.flatMap((x) => x.warm.map((w) => w.readyMs)));
    const build = summarize(xs.map((x) => x.fresh.buildMs));
    return {
      tables: [
        {
          title: '`npm start` (to the first pass finished)',
          columns: ['start', 'time to ready', 'of which the build'],
          rows: [
            [
              'first start after `npm ci` (no dist/: examples/basic applied to an empty sandbox)',
              fmtTime(fresh),
              fmtTime(build),
            ],
            ['restart, nothing changed (nothing to build, nothing to apply)', fmtTime(warm), ''],
          ],
          notes: [
            `a fresh scratch clone per round (node_modules linked), ${WARM_SAMPLES} restarts each; median (min–max) of ${ctx.rounds} rounds; read from the daemon's JSON log lines`,
          ],
        },
      ],
      targets: [
        target('`npm start`, first start (issue #19)', fresh.median, FRESH_GOAL_MS, 'ms', fmtTime(fresh)),
        target(
          '`npm start`, restart without changes (issue #19)',
          warm.median,
          WARM_GOAL_MS,
          'ms',
          fmtTime(warm),
        ),
      ],
      raw: xs,
    };
  },
};
