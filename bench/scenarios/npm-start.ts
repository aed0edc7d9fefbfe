/**
 * `npm start` as a new user runs it: the first start right after `npm ci` (no dist/: the fast
 * build transpiles every source) and restarts with nothing changed (the build only checks).
 * Measured from spawning `npm start` to the daemon's first pass finished, i.e. ready (/readyz is
 * green): on the first start that pass applies examples/basic to the empty sandbox; on a restart
 * the organization (the sandbox state file) is kept, so it finds nothing to do. Read from the
 * daemon's JSON log lines.
 *
 * Goals (issue #19): first start ≤ 5 s, restart without changes ≤ 2 s, on 2 CPUs.
 *
 * Runs in a scratch copy of the repository (the sources, settings and examples, with
 * node_modules linked), on a free port and a scratch data directory: the working tree's dist/,
 * .sandbox/ and .secrets/ are left alone.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchResult, BenchScenario } from '../run.js';

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

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const scenario: BenchScenario = {
  name: 'npm-start',
  description: '`npm start` after `npm ci` (fresh dist/) and restarts without changes, to the first pass',
  async run(): Promise<BenchResult[]> {
    const dir = await scratchClone();
    const data = join(dir, 'data');
    try {
      const load = loadavg()[0]!.toFixed(1);
      const fresh = await timeNpmStart(dir, data);
      const warm: StartTiming[] = [];
      for (let i = 0; i < WARM_SAMPLES; i++) warm.push(await timeNpmStart(dir, data));
      const warmMs = median(warm.map((w) => w.readyMs));
      // A restart with nothing to transpile prints no build line.
      const detail = (t: StartTiming) =>
        `${t.buildLine ? `build done at ${t.buildMs.toFixed(0)} ms (${t.buildLine.replace(/^build: /, '')}), ` : 'nothing to build, '}listening at ${t.listeningMs.toFixed(0)} ms, first pass ${t.result} at ${t.readyMs.toFixed(0)} ms`;
      return [
        {
          variant: 'first start (no dist/)',
          requests: 0,
          maxInFlight: 0,
          wallMs: fresh.readyMs,
          items: 1,
          targets: { readyMs: { limit: FRESH_GOAL_MS, met: fresh.readyMs <= FRESH_GOAL_MS } },
          notes: `${detail(fresh)}; load average ${load} on the machine`,
        },
        {
          variant: 'restart, nothing changed',
          requests: 0,
          maxInFlight: 0,
          wallMs: warmMs,
          items: WARM_SAMPLES,
          targets: { readyMs: { limit: WARM_GOAL_MS, met: warmMs <= WARM_GOAL_MS } },
          notes: `median of ${WARM_SAMPLES} (${warm.map((w) => w.readyMs.toFixed(0)).join(', ')} ms); ${detail(warm[0]!)}`,
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
