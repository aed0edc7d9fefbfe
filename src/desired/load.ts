/**
 * Loading the desired state from disk: every `.yaml`/`.yml` file under a root directory (or one
 * file), walked recursively in sorted order. Hidden entries (`.git`, `.github`, dotfiles) are
 * skipped.
 *
 * Symlinks: a symlinked root is followed (git-sync publishes its checkout through a link, and the
 * root may sit below it). Below the root, a link is followed only while it resolves inside the
 * root's real directory; a link leading outside is an error naming the link and its target, and
 * nothing behind it is read. Links back into the tree are followed once (cycles are cut).
 *
 * Limits (docs/design/input-limits.md), each an error naming the file:
 * - a file larger than `maxFileBytes` (1 MiB by default) is refused from its size on disk, and
 *   read with a bounded read otherwise (a file growing in between is still refused, never read
 *   whole);
 * - aliases may add at most MAX_ALIAS_EXPANSION nodes per file (counted before expanding, in
 *   parse.ts);
 * - at most MAX_DIAGNOSTICS_PER_FILE diagnostics are reported per file, then one line with the
 *   count of the rest.
 *
 * `loadDesiredState` gives the event loop a turn at the safe points of the parser (after each
 * document, every few thousand lexemes: a turn every YIELD_EVERY_MS of work or STEPS_PER_TURN safe
 * points) and checks its
 * abort signal there, so probes are answered and SIGTERM is honoured during a long validation.
 *
 * Parsing once (docs/design/performance.md, "Loading the YAML"): with a `parseCache` (the daemon),
 * a file whose content is unchanged since the last pass is not parsed again, and the checks across
 * files are reused while no file changed; the limits still hold, as a cached parse was made under
 * the same limits. With `parallel` (one-shot commands), a large state is parsed on a worker thread
 * while the main thread lists the organization; the abort signal ends the worker.
 *
 * This is the only module of `src/desired` that touches the file system; parsing and validation
 * are pure (`loadDesiredFromTexts`).
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from '../config/settings.js';
import type { DesiredState } from '../model/desired.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../model/diagnostics.js';
import {
  type GuessedName,
  type ParsedDocument,
  type ParseLimits,
  type ParseResult,
  parseDesiredSteps,
} from './parse.js';
import { PARALLEL_MIN_BYTES, parseInWorker } from './in-worker.js';
import type { ParseCache } from './parse-cache.js';
import { type ValidateOptions, validateDocuments, validityEnd } from './validate.js';

export interface LoadOptions extends ValidateOptions, ParseLimits {
  /** Files larger than this are refused without being read (default 1 MiB). */
  readonly maxFileBytes?: number;
  /** Checked at every pause of the loader; when aborted, loading rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Parsed files of earlier passes (the daemon): only files whose content changed are parsed. */
  readonly parseCache?: ParseCache;
  /**
   * Parse on a worker thread when the files are large (in-worker.ts), so the event loop stays
   * free for the listing that runs meanwhile (one-shot commands). Ignored with a parse cache.
   * `{ minBytes }` overrides the size from which a worker is used (tests).
   */
  readonly parallel?: boolean | { readonly minBytes: number };
}

export interface LoadResult {
  /** Present only when there is no error (warnings allowed). */
  readonly state?: DesiredState;
  /** Every problem found, sorted by file, line, column (at most 100 per file, then a count). */
  readonly diagnostics: Diagnostic[];
}

export interface DesiredFile {
  /** Path relative to the root, `/`-separated (used in diagnostics). */
  readonly file: string;
  readonly text: string;
}

const YAML_FILE = /\.ya?ml$/i;
/** Diagnostics reported per file; the rest are counted in one more line. */
export const MAX_DIAGNOSTICS_PER_FILE = 100;
/** Longest stretch of parsing between two turns of the event loop. */
const YIELD_EVERY_MS = 20;
/** Safe points (documents, lexeme batches) between two turns at most, however fast they go. */
const STEPS_PER_TURN = 256;

/** Pure core of `loadDesiredState`: parse and validate already-read files. */
export function loadDesiredFromTexts(
  root: string,
  files: readonly DesiredFile[],
  opts: LoadOptions,
): LoadResult {
  const all = collected();
  const parsedFiles: string[] = [];
  for (const f of files) {
    const refused = sizeCheck(f.file, Buffer.byteLength(f.text, 'utf8'), opts);
    if (refused) {
      all.diagnostics.push(refused);
      continue;
    }
    const steps = parseSteps(f.file, stripBom(f.text), opts);
    let step = steps.next();
    while (!step.done) step = steps.next();
    collect(step.value, all);
    parsedFiles.push(f.file);
  }
  return finishCached(root, files.length, parsedFiles, all, opts);
}

/** The parse of one file, in resumable steps: through the parse cache when there is one. */
function parseSteps(file: string, text: string, opts: LoadOptions): Generator<void, ParseResult, void> {
  return opts.parseCache ? opts.parseCache.steps(file, text, opts) : parseDesiredSteps(text, file, opts);
}

/**
 * Reads, parses and validates the desired state under `root`. Never throws for bad input: a
 * missing root, an unreadable or oversized file, a symlink out of the root are diagnostics like
 * any other. Rejects only with the signal's reason once `opts.signal` is aborted.
 */
export async function loadDesiredState(root: string, opts: LoadOptions): Promise<LoadResult> {
  const all = collected();
  const { diagnostics } = all;
  const pause = pauser(opts.signal);
  let rootStat: Awaited<ReturnType<typeof stat>>;
  let rootReal: string;
  try {
    rootStat = await stat(root); // follows a symlinked root
    rootReal = await realpath(root);
  } catch (err) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: 'root-not-found',
          message: `cannot read the desired-state root ${root}: ${errorText(err)}`,
        },
      ],
    };
  }
  const paths = rootStat.isDirectory() ? await walk(root, rootReal, diagnostics) : [root];
  const texts: DesiredFile[] = [];
  for (const abs of paths) {
    await pause();
    const file = rootStat.isDirectory() ? relative(root, abs).split(sep).join('/') : basename(root);
    const text = await readBounded(abs, file, opts, diagnostics);
    if (text !== undefined) texts.push({ file, text });
  }
  const inWorker = await parseLargeInWorker(root, texts, opts);
  if (inWorker) {
    await pause();
    return merged(diagnostics, inWorker);
  }
  const parsedFiles: string[] = [];
  for (const { file, text } of texts) {
    await pause();
    const steps = parseSteps(file, stripBom(text), opts);
    let step = steps.next();
    while (!step.done) {
      await pause();
      step = steps.next();
    }
    collect(step.value, all);
    parsedFiles.push(file);
  }
  await pause();
  return finishCached(root, paths.length, parsedFiles, all, opts);
}

/**
 * With `parallel` and no parse cache, files of PARALLEL_MIN_BYTES or more in all are parsed and
 * validated on a worker thread; undefined when that does not apply or no worker could run (the
 * caller parses in-process). The signal ends the worker: loading rejects with its reason.
 */
async function parseLargeInWorker(
  root: string,
  files: readonly DesiredFile[],
  opts: LoadOptions,
): Promise<LoadResult | undefined> {
  if (!opts.parallel || opts.parseCache) return undefined;
  const min = typeof opts.parallel === 'object' ? opts.parallel.minBytes : PARALLEL_MIN_BYTES;
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  if (bytes < min) return undefined;
  return parseInWorker(root, files, opts);
}

/** The worker's result with the diagnostics of reading (sizes, links, read errors) added. */
function merged(readDiagnostics: readonly Diagnostic[], result: LoadResult): LoadResult {
  if (readDiagnostics.length === 0) return result;
  const all = capPerFile(
    sortDiagnostics([...readDiagnostics, ...result.diagnostics]),
    MAX_DIAGNOSTICS_PER_FILE,
  );
  return hasErrors(all) ? { diagnostics: all } : { ...result, diagnostics: all };
}

/** What the files parsed so far produced. */
interface Collected {
  readonly diagnostics: Diagnostic[];
  readonly documents: ParsedDocument[];
  readonly guessedNames: GuessedName[];
}

function collected(): Collected {
  return { diagnostics: [], documents: [], guessedNames: [] };
}

function collect(parsed: ParseResult, into: Collected): void {
  for (const x of parsed.diagnostics) into.diagnostics.push(x);
  for (const x of parsed.documents) into.documents.push(x);
  for (const x of parsed.guessedNames) into.guessedNames.push(x);
}

function finish(
  root: string,
  fileCount: number,
  { documents, diagnostics, guessedNames }: Collected,
  opts: LoadOptions,
): LoadResult {
  const validated = validateDocuments(documents, opts, guessedNames);
  for (const x of validated.diagnostics) diagnostics.push(x);
  if (!hasErrors(diagnostics) && documents.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'empty-state',
      message: `no resources found under ${root} (${fileCount} YAML file${fileCount === 1 ? '' : 's'}); with pruning enabled this means deleting everything scw-gitops owns`,
    });
  }
  const sorted = capPerFile(sortDiagnostics(diagnostics), MAX_DIAGNOSTICS_PER_FILE);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { state: { root, resources: validated.resources }, diagnostics: sorted };
}

/**
 * `finish`, reused by the daemon (a parse cache) while every file parsed is unchanged, the options
 * are the same and no instant the checks depend on has passed (validityEnd). Not reused when a
 * file could not be read or parsed cleanly: such a pass is computed again.
 */
function finishCached(
  root: string,
  fileCount: number,
  parsedFiles: readonly string[],
  all: Collected,
  opts: LoadOptions,
): LoadResult {
  const cache = opts.parseCache;
  if (!cache) return finish(root, fileCount, all, opts);
  cache.retain(new Set(parsedFiles));
  if (fileCount !== parsedFiles.length || hasErrors(all.diagnostics)) {
    cache.forgetChecks();
    return finish(root, fileCount, all, opts);
  }
  const documents = all.documents;
  return cache.memo(`${root}\n${optionsKey(opts)}\n${parsedFiles.join('\n')}`, opts.now.getTime(), () => {
    const result = finish(root, fileCount, all, opts);
    const until = hasErrors(result.diagnostics) ? Number.NEGATIVE_INFINITY : validityEnd(documents);
    return { value: result, validUntil: until };
  });
}

/** The options the checks depend on, as a key (`now` aside: see validityEnd). */
function optionsKey(opts: LoadOptions): string {
  const { now: _now, parseCache: _cache, parallel: _parallel, signal: _signal, ...rest } = opts;
  return JSON.stringify(rest); // built the same way on every pass: the same key order
}

/**
 * The first `max` diagnostics of each file (in sorted order), then one diagnostic with the count
 * of the others, of the highest severity among them. Diagnostics without a file are all kept.
 */
export function capPerFile(sorted: readonly Diagnostic[], max: number): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hidden = new Map<string, { count: number; error: boolean; first: Diagnostic; at: number }>();
  const shown = new Map<string, number>();
  for (const d of sorted) {
    const file = d.location?.file;
    if (file === undefined) {
      out.push(d);
      continue;
    }
    const n = shown.get(file) ?? 0;
    if (n < max) {
      shown.set(file, n + 1);
      out.push(d);
      continue;
    }
    const h = hidden.get(file);
    if (h) {
      h.count += 1;
      h.error ||= d.severity === 'error';
    } else {
      hidden.set(file, { count: 1, error: d.severity === 'error', first: d, at: out.length });
    }
  }
  // Insert each summary after the last shown diagnostic of its file (keeps the order by file).
  const summaries = [...hidden.entries()].sort((a, b) => b[1].at - a[1].at);
  for (const [file, h] of summaries) {
    out.splice(h.at, 0, {
      severity: h.error ? 'error' : 'warning',
      code: 'too-many-diagnostics',
      message: `${h.count} more problem${h.count === 1 ? '' : 's'} in ${file} not shown (the first ${max} are); fix these and validate again`,
      location: h.first.location!,
    });
  }
  return out;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function limitOf(opts: LoadOptions): number {
  return opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
}

function sizeCheck(file: string, bytes: number, opts: LoadOptions): Diagnostic | undefined {
  const limit = limitOf(opts);
  if (bytes <= limit) return undefined;
  return {
    severity: 'error',
    code: 'file-too-large',
    message: `${file} is ${formatBytes(bytes)}; the limit is ${formatBytes(limit)} per file (source.maxFileBytes), so it was not read`,
    location: { file, line: 1, col: 1 },
    hint: 'split it into several files',
  };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB (${n} bytes)`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
  return `${n} bytes`;
}

/**
 * The text of a file, read only if its size is within the limit: the size on disk first, then a
 * read of at most limit + 1 bytes (a file that grew since is refused all the same).
 */
async function readBounded(
  abs: string,
  file: string,
  opts: LoadOptions,
  diagnostics: Diagnostic[],
): Promise<string | undefined> {
  const limit = limitOf(opts);
  const readError = (err: unknown): undefined => {
    diagnostics.push({
      severity: 'error',
      code: 'read-error',
      message: `cannot read file: ${errorText(err)}`,
      location: { file, line: 1, col: 1 },
    });
    return undefined;
  };
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(abs, 'r');
    const s = await handle.stat();
    if (!s.isFile()) return readError(new Error(`${file} is not a regular file`));
    const tooLarge = sizeCheck(file, s.size, opts);
    if (tooLarge) {
      diagnostics.push(tooLarge);
      return undefined;
    }
    // Bounded read: never more than limit + 1 bytes, even if the file grew since its stat.
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(limit + 1 - total, Math.max(s.size - total + 1, 64 * 1024));
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, total);
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > limit) {
      diagnostics.push(sizeCheck(file, total, opts)!);
      return undefined;
    }
    return Buffer.concat(parts, total).toString('utf8');
  } catch (err) {
    return readError(err);
  } finally {
    await handle?.close();
  }
}

/**
 * YAML files under `dir`, depth-first, entries sorted by name (byte order) at each level. A link
 * whose target is outside `rootReal` is reported (`symlink-outside-source`) and not followed.
 */
async function walk(dir: string, rootReal: string, diagnostics: Diagnostic[]): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
  const inside = (real: string) =>
    real === rootReal || real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
  const visit = async (d: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(d);
    } catch (err) {
      diagnostics.push({
        severity: 'error',
        code: 'read-error',
        message: `cannot read ${d}: ${errorText(err)}`,
      });
      return;
    }
    if (visited.has(real)) return;
    visited.add(real);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      diagnostics.push({
        severity: 'error',
        code: 'read-error',
        message: `cannot list ${d}: ${errorText(err)}`,
      });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(p);
          const s = await stat(target);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue; // dangling symlink: nothing to read
        }
        if (!isDir && !(isFile && YAML_FILE.test(e.name))) continue;
        if (!inside(target)) {
          const rel = relative(dir, p).split(sep).join('/');
          diagnostics.push({
            severity: 'error',
            code: 'symlink-outside-source',
            message: `${rel} is a symbolic link to ${target}, outside the desired-state directory ${rootReal}; it is not followed`,
            location: { file: rel, line: 1, col: 1 },
            hint: 'copy the file into the desired-state directory, or point source.dir at a directory holding both',
          });
          continue;
        }
      }
      if (isDir) await visit(p);
      else if (isFile && YAML_FILE.test(e.name)) out.push(p);
    }
  };
  await visit(dir);
  return out;
}

/**
 * A function to await at safe points: a turn of the event loop every YIELD_EVERY_MS of work or
 * every STEPS_PER_TURN pauses, whichever comes first, and the abort check at each.
 */
function pauser(signal: AbortSignal | undefined): () => Promise<void> {
  let last = performance.now();
  let steps = 0;
  return async () => {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    steps += 1;
    if (steps < STEPS_PER_TURN && performance.now() - last < YIELD_EVERY_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    steps = 0;
    last = performance.now();
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  };
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const msg = err instanceof Error ? err.message : String(err);
    return msg.includes(err.code) ? msg : `${err.code}: ${msg}`;
  }
  return err instanceof Error ? err.message : String(err);
}
