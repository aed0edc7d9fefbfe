/**
 * Benchmark: the input limits of issue 14 (docs/design/input-limits.md), each measured in a fresh
 * process:
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
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childEnv, spawnDaemon } from '../../test/e2e/child.js';
import { aliasBomb, writeLongValidation } from '../../test/fixtures/desired-inputs.js';
import type { BenchResult, BenchScenario } from '../run.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MB = 1024 * 1024;

interface ChildResult {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly rssBefore: number;
  readonly maxRss: number;
  readonly diagnostics: number;
  readonly codes: string[];
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', path.join(ROOT, 'bench/scenarios/input-limits-child.ts'), ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`input-limits-child ${args[0]} exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult);
    });
  });
}

async function measureBomb(tmp: string): Promise<BenchResult> {
  const dir = path.join(tmp, 'bomb');
  await mkdir(dir);
  const text = aliasBomb(1500);
  await writeFile(path.join(dir, 'bomb.yaml'), text);
  const r = await runChild(['bomb', dir]);
  const growth = Math.max(0, r.maxRss - r.rssBefore);
  return {
    variant: `alias bomb, 1,500 × 1,500 (${(text.length / 1024).toFixed(0)} KB)`,
    requests: 0,
    maxInFlight: 0,
    wallMs: r.wallMs,
    items: r.diagnostics,
    targets: {
      'ms to the error': { limit: 1000, met: r.wallMs < 1000 },
      'CPU ms': { limit: 1000, met: r.cpuMs < 1000 },
      'MB RSS growth': { limit: 100, met: growth < 100 * MB },
    },
    notes: `diagnostics ${r.codes.join(', ')}; CPU ${r.cpuMs.toFixed(0)} ms; RSS growth ${(growth / MB).toFixed(1)} MB`,
  };
}

async function measureHuge(tmp: string): Promise<BenchResult> {
  const dir = path.join(tmp, 'huge');
  await mkdir(dir);
  const h = await open(path.join(dir, 'huge.yaml'), 'w');
  await h.truncate(60 * MB);
  await h.close();
  const r = await runChild(['huge', dir]);
  const growth = Math.max(0, r.maxRss - r.rssBefore);
  return {
    variant: '60 MB file',
    requests: 0,
    maxInFlight: 0,
    wallMs: r.wallMs,
    items: r.diagnostics,
    targets: { 'MB RSS growth': { limit: 10, met: growth < 10 * MB } },
    notes: `diagnostics ${r.codes.join(', ')}; RSS growth ${(growth / MB).toFixed(1)} MB`,
  };
}

/** ms from SIGTERM to the exit of `scw-gitops run` while its first pass validates ~8 MB of YAML. */
async function measureSigterm(tmp: string): Promise<BenchResult> {
  const base = path.join(tmp, 'sigterm');
  const settings = await writeLongValidation(base);
  const child = spawnDaemon(['run', '--config', settings], childEnv(base, {}));
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
  return {
    variant: 'SIGTERM during validation (8 files × ~1 MiB)',
    requests: 0,
    maxInFlight: 0,
    wallMs: ms,
    items: aborted ? 1 : 0,
    targets: { 'ms to exit': { limit: 2000, met: ms < 2000 } },
    notes: aborted ? 'the pass was aborted mid-validation' : 'the pass was NOT seen aborted',
  };
}

export const scenario: BenchScenario = {
  name: 'input-limits',
  description: 'alias bomb, 60 MB file and SIGTERM during a long validation (issue 14 targets)',
  async run() {
    const tmp = await mkdtemp(path.join(tmpdir(), 'scw-bench-limits-'));
    try {
      return [await measureBomb(tmp), await measureHuge(tmp), await measureSigterm(tmp)];
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
