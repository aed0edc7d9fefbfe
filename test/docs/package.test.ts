/**
 * `npx scw-gitops` works once published: the bin points at the compiled CLI entry (which keeps
 * its shebang), and the package ships what the commands read at run time (schema, example
 * settings and desired state). Offline: `npm pack --dry-run` only lists. The full check (build,
 * pack, install the tarball into an empty project, run it) needs the npm registry for the
 * dependencies, so it is a manual step, documented in docs/operations.md#installing-with-npm.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

it('ships a runnable bin and the files the commands read', async () => {
  const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };
  expect(pkg.bin).toEqual({ 'scw-gitops': 'dist/cli/main.js' });
  expect(pkg.scripts['prepack']).toBe('npm run build');
  const build = JSON.parse(await readFile(join(repo, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { rootDir: string; outDir: string };
  };
  expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  expect((await readFile(join(repo, 'src/cli/main.ts'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(
    true,
  );

  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repo,
    env: { ...process.env, npm_config_loglevel: 'silent' },
  });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const f of [
    'package.json',
    'README.md',
    'schema/scw-gitops.schema.json',
    'config/sandbox.yaml',
    'examples/basic/projects.yaml',
    'examples/ci/github-actions.yml',
    'docs/getting-started.md',
  ]) {
    expect(files).toContain(f);
  }
  expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
});
