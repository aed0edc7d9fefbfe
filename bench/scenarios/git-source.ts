/**
 * Benchmark: the git source (src/source/git-source.ts) on a repository with history, served over
 * loopback HTTP by git http-backend (test/emulators/git-host/git-http-server.ts):
 * 3,000 commits touching 400 YAML files (`git fast-import`), then
 *   - first sync: full clone + checkout of the desired-state path;
 *   - a sync after 20 new commits;
 *   - a no-op sync (nothing new).
 * Reported: wall time, and the daemon process's RSS growth across the three syncs (the fetch runs
 * in git child processes; target: the daemon's RSS grows by less than 32 MiB).
 * The comparison with isomorphic-git behind the choice of the binary is in
 * docs/design/git-source.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startGitHttpServer } from '../../test/emulators/git-host/git-http-server.js';
import { systemClock } from '../../src/clock.js';
import { GitSource } from '../../src/source/git-source.js';
import type { BenchResult, BenchScenario } from '../run.js';

const exec = promisify(execFile);
const COMMITS = 3000;
const FILES = 400;
const RSS_TARGET = 32 * 1024 * 1024;

const ENV = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  HOME: tmpdir(),
};

function app(n: number, rev: number): string {
  return `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: app-${n}\nspec:\n  description: revision ${rev}\n${'# padding\n'.repeat(40)}`;
}

/** fast-import stream: `commits` commits on main, the first writing every file, then 5 each. */
function history(from: number, commits: number): string {
  const out: string[] = [];
  for (let c = from; c < from + commits; c++) {
    out.push(
      'commit refs/heads/main\n',
      `committer Bench <bench@example.com> ${1_700_000_000 + c * 60} +0000\n`,
    );
    const msg = `commit ${c}\n`;
    out.push(`data ${Buffer.byteLength(msg)}\n${msg}`);
    // An incremental import continues from the branch as it is in the repository.
    if (c === from && c > 0) out.push('from refs/heads/main^0\n');
    const files =
      c === 0
        ? Array.from({ length: FILES }, (_, i) => i)
        : [0, 1, 2, 3, 4].map((k) => (c * 7 + k * 61) % FILES);
    for (const n of files) {
      const body = app(n, c);
      out.push(`M 644 inline iam/app-${n}.yaml\ndata ${Buffer.byteLength(body)}\n${body}\n`);
    }
  }
  return out.join('');
}

async function fastImport(gitDir: string, stream: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'fast-import', '--quiet'], {
      env: ENV,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import: ${err}`))));
    child.stdin.end(stream);
  });
}

export const scenario: BenchScenario = {
  name: 'git-source',
  description: `git source over loopback HTTP: clone of ${COMMITS} commits × ${FILES} files, fetch of 20, no-op fetch`,
  async run(): Promise<BenchResult[]> {
    const root = await mkdtemp(path.join(tmpdir(), 'scw-bench-git-'));
    const origin = path.join(root, 'origin.git');
    const server = await startGitHttpServer({ root });
    try {
      await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', origin], { env: ENV });
      await fastImport(origin, history(0, COMMITS));
      const source = await GitSource.open(
        {
          url: `${server.url}/origin.git`,
          ref: { branch: 'main' },
          path: 'iam',
          intervalMs: 60_000,
          timeoutMs: 300_000,
          cacheDir: path.join(root, 'cache'),
          forcePush: 'refuse',
          auth: {},
          verify: { mode: 'off', openpgpKeys: [] },
        },
        { env: process.env, logger: pino({ level: 'silent' }), clock: systemClock },
      );
      const rss0 = process.memoryUsage().rss;
      let maxRss = rss0;
      const timed = async (variant: string, expectChange: boolean): Promise<BenchResult> => {
        const t0 = performance.now();
        const r = await source.sync();
        const wallMs = performance.now() - t0;
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        if (r.changed !== expectChange || !r.snapshot.accepted) {
          throw new Error(
            `${variant}: unexpected sync result ${JSON.stringify(r.snapshot.error ?? r.changed)}`,
          );
        }
        return { variant, requests: 0, maxInFlight: 1, wallMs, items: expectChange ? 1 : 0 };
      };
      const clone = await timed('first sync (clone + checkout)', true);
      await fastImport(origin, history(COMMITS, 20));
      const fetch20 = await timed('sync after 20 commits', true);
      const noop = await timed('no-op sync', false);
      const growth = maxRss - rss0;
      const targets = { rssGrowthBytes: { limit: RSS_TARGET, met: growth <= RSS_TARGET } };
      return [
        { ...clone, targets, notes: `daemon RSS growth ${(growth / 1024 / 1024).toFixed(1)} MiB` },
        fetch20,
        noop,
      ];
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  },
};
