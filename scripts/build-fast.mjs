#!/usr/bin/env node
/**
 * The build behind `npm start` and `npm run cli` (through build-before-run.mjs): transpiles
 * src/**.ts to dist/ with esbuild, one output file per source file (the layout
 * `tsc -p tsconfig.build.json` produces and the package ships: dist/cli/main.js and so on, source
 * maps only if tsconfig.build.json asks), and only what changed.
 *
 * No type-checking: `npm test` (typecheck) and `npm pack` (prepack: `npm run build`, which is
 * tsc) do that. This keeps the first start after `npm ci` to a few seconds and a restart without
 * changes to a stat of each source file (bench/scenarios/npm-start.ts measures both).
 *
 * Incremental: a manifest records each source's size, mtime and content hash, and a
 * hash of what shapes the output (this script, the tsconfig files, the esbuild version). A source
 * is transpiled again when its content changed or its output is missing; everything is when the
 * recorded configuration differs. Outputs whose source is gone (a file moved or deleted) are
 * removed, so dist/ never runs a module that no longer exists in src/. The manifest of dist/ is
 * kept in node_modules/.cache/scw-gitops/ (never packed); a build elsewhere (`--out-dir`) keeps
 * its own next to its outputs.
 *
 * Plain JavaScript on purpose: it runs before anything is built, with `node` alone.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const FORMAT = 1;

/** Relative, `/`-separated paths of every .ts source under src/ (declaration files excluded). */
async function sources(dir = SRC) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(abs)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(relative(SRC, abs).split(sep).join('/'));
    }
  }
  return out.sort();
}

/** Relative paths of the .js / .js.map files under `dist`. */
async function outputs(dist, dir = dist) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await outputs(dist, abs)));
    else if (entry.name.endsWith('.js') || entry.name.endsWith('.js.map')) {
      out.push(relative(dist, abs).split(sep).join('/'));
    }
  }
  return out;
}

const jsOf = (src) => src.replace(/\.ts$/, '.js');

/** Whether tsconfig.build.json (or the tsconfig.json it extends) asks for source maps. */
async function sourceMaps() {
  const options = async (f) => {
    try {
      return JSON.parse(await readFile(join(ROOT, f), 'utf8')).compilerOptions ?? {};
    } catch {
      return {};
    }
  };
  return (
    (await options('tsconfig.build.json')).sourceMap ?? (await options('tsconfig.json')).sourceMap ?? false
  );
}
const sha1 = (data) => createHash('sha1').update(data).digest('hex');

async function readManifest(manifest) {
  try {
    const m = JSON.parse(await readFile(manifest, 'utf8'));
    return m && m.format === FORMAT && typeof m.files === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

async function configHash(esbuildVersion) {
  const parts = [`esbuild ${esbuildVersion}`, `node ${process.versions.node.split('.')[0]}`];
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'scripts/build-fast.mjs']) {
    parts.push(await readFile(join(ROOT, f), 'utf8'));
  }
  return sha1(parts.join('\0'));
}

/**
 * `outDir` (default dist/ of this repository) is where the outputs go; tests build a scratch
 * copy with it. `log` receives the one summary line.
 */
export async function buildFast({
  outDir = join(ROOT, 'dist'),
  log = (line) => process.stderr.write(`${line}\n`),
  quiet = false,
} = {}) {
  const dist = resolve(outDir);
  const manifest =
    dist === join(ROOT, 'dist')
      ? join(ROOT, 'node_modules/.cache/scw-gitops/build-fast.json')
      : join(dist, '.build-fast.json');
  const shown = relative(ROOT, dist).startsWith('..') ? dist : `${relative(ROOT, dist)}/`;
  const started = performance.now();
  // esbuild is loaded only when something has to be transpiled (the usual restart needs none)
  const esbuildVersion = JSON.parse(
    await readFile(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8'),
  ).version;
  const config = await configHash(esbuildVersion);
  const previous = await readManifest(manifest);
  const known = previous && previous.config === config ? previous.files : {};

  const maps = await sourceMaps();
  const files = {};
  const stale = [];
  for (const src of await sources()) {
    const st = await stat(join(SRC, src));
    const before = known[src];
    const outputPresent = existsSync(join(dist, jsOf(src)));
    if (before && outputPresent && before.size === st.size && before.mtimeMs === st.mtimeMs) {
      files[src] = before;
      continue;
    }
    const hash = sha1(await readFile(join(SRC, src)));
    files[src] = { size: st.size, mtimeMs: st.mtimeMs, hash };
    if (!before || !outputPresent || before.hash !== hash) stale.push(src);
  }

  // Outputs without a source: modules moved or deleted since the last build.
  const expected = new Set(
    Object.keys(files).flatMap((s) => (maps ? [jsOf(s), `${jsOf(s)}.map`] : [jsOf(s)])),
  );
  const orphans = (await outputs(dist)).filter((o) => !expected.has(o));
  for (const o of orphans) await rm(join(dist, o), { force: true });

  if (stale.length > 0) {
    const { build } = await import('esbuild');
    await build({
      absWorkingDir: ROOT,
      entryPoints: stale.map((s) => join(SRC, s)),
      outbase: SRC,
      outdir: dist,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      sourcemap: maps,
      tsconfig: join(ROOT, 'tsconfig.build.json'),
      logLevel: 'warning',
    });
  }

  const unchanged = stale.length === 0 && orphans.length === 0 && previous?.config === config;
  if (!unchanged || JSON.stringify(previous?.files) !== JSON.stringify(files)) {
    await mkdir(dirname(manifest), { recursive: true });
    const tmp = `${manifest}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ format: FORMAT, config, files })}\n`);
    await rename(tmp, manifest);
  }
  const ms = Math.round(performance.now() - started);
  const total = Object.keys(files).length;
  if (stale.length === 0 && orphans.length === 0) {
    if (!quiet) log(`build: ${shown} is up to date (${total} files, ${ms} ms)`);
  } else {
    const removed = orphans.length > 0 ? `, removed ${orphans.length} stale output(s)` : '';
    log(
      `build: transpiled ${stale.length} of ${total} files to ${shown}${removed} (${ms} ms; no type-check: npm test does it)`,
    );
  }
  return { transpiled: stale.length, removed: orphans.length, total, ms };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `--out-dir DIR`: build a scratch copy elsewhere (tests); default dist/.
  // `--quiet`: say nothing when there is nothing to do.
  const at = process.argv.indexOf('--out-dir');
  const outDir = at > 0 ? process.argv[at + 1] : undefined;
  const quiet = process.argv.includes('--quiet');
  buildFast({ ...(outDir ? { outDir: resolve(outDir) } : {}), quiet }).catch((err) => {
    process.stderr.write(`build: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
