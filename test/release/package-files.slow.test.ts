/**
 * What `npm publish` would upload, exactly: the release job publishes from a fresh checkout after
 * the build (prepack), so this test does the same in a temporary directory: the tracked files
 * the package.json `files` field names, the sources compiled with tsconfig.build.json, then
 * `npm pack --dry-run --json`. The list must be exactly the intended one: the manifest, README,
 * CHANGELOG and LICENSE, one compiled module per source file (no source maps, no tests, no
 * TypeScript), and the tracked files of schema/, config/, docs/ and examples/.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const SHIPPED_DIRS = ['schema', 'config', 'docs', 'examples'];
const SHIPPED_FILES = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'];

async function tracked(...paths: string[]): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z', '--', ...paths], { cwd: repo });
  return stdout.split('\0').filter(Boolean);
}

describe('npm pack (what the release publishes)', { timeout: 180_000 }, () => {
  let dir: string;
  let packed: { path: string; mode: number }[];
  let sources: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-gitops-pack-'));
    for (const f of await tracked(...SHIPPED_FILES, ...SHIPPED_DIRS)) {
      await mkdir(path.join(dir, path.dirname(f)), { recursive: true });
      await copyFile(path.join(repo, f), path.join(dir, f));
    }
    sources = (await tracked('src')).filter((f) => f.endsWith('.ts'));
    // The build, as prepack runs it, into the temporary package.
    await run(
      process.execPath,
      [
        path.join(repo, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        path.join(dir, 'dist'),
      ],
      { cwd: repo },
    );
    // git keeps the bin's executable bit on the source; tsc writes 0644 (npm fixes it on install).
    await chmod(path.join(dir, 'dist/cli/main.js'), 0o755);
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      env: { ...process.env, npm_config_loglevel: 'silent' },
    });
    packed = (JSON.parse(stdout) as { files: { path: string; mode: number }[] }[])[0]!.files;
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists exactly the intended files', async () => {
    const intended = [
      ...SHIPPED_FILES,
      ...(await tracked(...SHIPPED_DIRS)),
      ...sources.map((f) => f.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')),
    ].sort();
    expect(packed.map((f) => f.path).sort()).toEqual(intended);
  });

  it('ships the bin as an executable module with a shebang, and every file the package.json points at', async () => {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    const paths = new Set(packed.map((f) => f.path));
    for (const bin of Object.values(pkg.bin)) {
      expect(paths.has(bin), bin).toBe(true);
      expect((await readFile(path.join(dir, bin), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
    expect(packed.find((f) => f.path === 'dist/cli/main.js')!.mode & 0o111).not.toBe(0);
  });
});
