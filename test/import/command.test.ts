/** `scw-gitops import` usage errors: reported before any settings are read or any API is called. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-import-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    // No credentials anywhere: not in the environment, not in a scw config file.
    env: { SCW_CONFIG_PATH: join(dir, 'no-scw-config.yaml') },
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['import', ...argv], io);
  return { code, out: out.join(''), err: err.join('') };
}

it('needs --out', async () => {
  const r = await run();
  expect(r.code).toBe(1);
  expect(r.err).toContain('scw-gitops import: missing --out DIR');
});

it('takes no positional DIR', async () => {
  const r = await run('iam');
  expect(r.code).toBe(1);
  expect(r.err).toContain('use --out DIR');
});

it('refuses a non-empty directory before contacting anything', async () => {
  await writeFile(join(dir, 'keep.yaml'), 'x: 1\n');
  const r = await run('--out', '.');
  expect(r.code).toBe(1);
  expect(r.err).toBe(
    'scw-gitops import: . is not empty (1 entry); choose an empty directory or pass --force\n',
  );
});

it('reports missing credentials clearly', async () => {
  const r = await run('--out', 'fresh');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^scw-gitops import: no Scaleway secret key found/);
});

it('prints its help', async () => {
  const r = await run('--help');
  expect(r.code).toBe(0);
  expect(r.out).toContain('Usage: scw-gitops import --out DIR [options]');
  expect(r.out).toContain('--include-keys');
});
