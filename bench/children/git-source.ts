/**
 * One round of the git-source benchmark (bench/scenarios/git-source.ts) in a fresh process: a
 * repository of 3,000 commits touching 400 YAML files (`git fast-import`), served over loopback
 * HTTP by git http-backend (test/emulators/git-host/git-http-server.ts; the fetches run in git
 * child processes), then the first sync (clone + checkout), a sync after 20 new commits and a
 * no-op sync, timed from inside, with this process's RSS growth across them. Prints one JSON line.
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

const exec = promisify(execFile);
const COMMITS = 3000;
const FILES = 400;

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
  const timed = async (phase: string, expectChange: boolean): Promise<number> => {
    const t0 = performance.now();
    const r = await source.sync();
    const wallMs = performance.now() - t0;
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    if (r.changed !== expectChange || !r.snapshot.accepted) {
      throw new Error(`${phase}: unexpected sync result ${JSON.stringify(r.snapshot.error ?? r.changed)}`);
    }
    return wallMs;
  };
  const cloneMs = await timed('first sync', true);
  await fastImport(origin, history(COMMITS, 20));
  const fetchMs = await timed('sync after 20 commits', true);
  const noopMs = await timed('no-op sync', false);
  process.stdout.write(`${JSON.stringify({ cloneMs, fetchMs, noopMs, rssGrowthBytes: maxRss - rss0 })}\n`);
} finally {
  await server.close();
  await rm(root, { recursive: true, force: true });
}
process.exit(0);
