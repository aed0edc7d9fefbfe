/**
 * Loading the desired state from disk: every `.yaml`/`.yml` file under a root directory (or one
 * file), walked recursively in sorted order. Hidden entries (`.git`, `.github`, dotfiles) are
 * skipped; a symlinked root is followed (git-sync publishes its checkout through a symlink), and
 * so are symlinks inside the tree, once each (cycles are cut).
 *
 * This is the only module of `src/desired` that touches the file system; parsing and validation
 * are pure (`loadDesiredFromTexts`).
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { DesiredState } from '../model/desired.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../model/diagnostics.js';
import { type GuessedName, type ParsedDocument, type ParseResult, parseDesiredText } from './parse.js';
import { PARALLEL_MIN_BYTES, parseInWorker } from './in-worker.js';
import type { ParseCache } from './parse-cache.js';
import { type ValidateOptions, validateDocuments, validityEnd } from './validate.js';

export interface LoadOptions extends ValidateOptions {
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
  /** Every problem found, sorted by file, line, column. */
  readonly diagnostics: Diagnostic[];
}

export interface DesiredFile {
  /** Path relative to the root, `/`-separated (used in diagnostics). */
  readonly file: string;
  readonly text: string;
}

const YAML_FILE = /\.ya?ml$/i;

/** Pure core of `loadDesiredState`: parse and validate already-read files. */
export function loadDesiredFromTexts(
  root: string,
  files: readonly DesiredFile[],
  opts: LoadOptions,
): LoadResult {
  const cache = opts.parseCache;
  const parsed = files.map((f) => {
    const text = f.text.charCodeAt(0) === 0xfeff ? f.text.slice(1) : f.text;
    return cache ? cache.parse(f.file, text) : parseDesiredText(text, f.file);
  });
  if (!cache) return checkAll(root, files.length, parsed, opts);
  cache.retain(new Set(files.map((f) => f.file)));
  // The same files (by content) checked with the same options give the same answer until the
  // next instant the checks depend on (validityEnd): the daemon's no-op passes skip them.
  return cache.memo(
    `${root}\n${optionsKey(opts)}\n${files.map((f) => f.file).join('\n')}`,
    opts.now.getTime(),
    () => {
      const result = checkAll(root, files.length, parsed, opts);
      const until = hasErrors(result.diagnostics)
        ? Number.NEGATIVE_INFINITY
        : validityEnd(parsed.flatMap((p) => p.documents));
      return { value: result, validUntil: until };
    },
  );
}

/** The options the checks depend on, as a key (`now` aside: see validityEnd). */
function optionsKey(opts: LoadOptions): string {
  const { now: _now, parseCache: _cache, parallel: _parallel, ...rest } = opts;
  return JSON.stringify(rest); // built the same way on every pass: the same key order
}

function checkAll(
  root: string,
  fileCount: number,
  parsed: readonly ParseResult[],
  opts: LoadOptions,
): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const guessedNames: GuessedName[] = [];
  for (const p of parsed) {
    for (const x of p.diagnostics) diagnostics.push(x);
    for (const x of p.documents) documents.push(x);
    for (const x of p.guessedNames) guessedNames.push(x);
  }
  const validated = validateDocuments(documents, opts, guessedNames);
  for (const x of validated.diagnostics) diagnostics.push(x);
  if (!hasErrors(diagnostics) && documents.length === 0) {
    diagnostics.push({
      severity: 'warning',
      code: 'empty-state',
      message: `no resources found under ${root} (${fileCount} YAML file${fileCount === 1 ? '' : 's'}); with pruning enabled this means deleting everything scw-gitops owns`,
    });
  }
  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { state: { root, resources: validated.resources }, diagnostics: sorted };
}

/**
 * Reads, parses and validates the desired state under `root`. Never throws for bad input: a
 * missing root or an unreadable file is a diagnostic like any other.
 */
export async function loadDesiredState(root: string, opts: LoadOptions): Promise<LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const files: DesiredFile[] = [];
  let rootStat: Awaited<ReturnType<typeof stat>>;
  try {
    rootStat = await stat(root); // follows a symlinked root
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
  if (rootStat.isDirectory()) {
    const paths = await walk(root, diagnostics);
    for (const abs of paths) {
      const file = relative(root, abs).split(sep).join('/');
      await readInto(abs, file, files, diagnostics);
    }
  } else {
    await readInto(root, basename(root), files, diagnostics);
  }
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  const result =
    (opts.parallel &&
    !opts.parseCache &&
    bytes >= (typeof opts.parallel === 'object' ? opts.parallel.minBytes : PARALLEL_MIN_BYTES)
      ? await parseInWorker(root, files, opts)
      : undefined) ?? loadDesiredFromTexts(root, files, opts);
  if (diagnostics.length === 0) return result;
  const all = sortDiagnostics([...diagnostics, ...result.diagnostics]);
  return hasErrors(all) ? { diagnostics: all } : { ...result, diagnostics: all };
}

async function readInto(
  abs: string,
  file: string,
  out: DesiredFile[],
  diagnostics: Diagnostic[],
): Promise<void> {
  try {
    out.push({ file, text: await readFile(abs, 'utf8') });
  } catch (err) {
    diagnostics.push({
      severity: 'error',
      code: 'read-error',
      message: `cannot read file: ${errorText(err)}`,
      location: { file, line: 1, col: 1 },
    });
  }
}

/** YAML files under `dir`, depth-first, entries sorted by name (byte order) at each level. */
async function walk(dir: string, diagnostics: Diagnostic[]): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
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
        try {
          const s = await stat(p);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue; // dangling symlink: nothing to read
        }
      }
      if (isDir) await visit(p);
      else if (isFile && YAML_FILE.test(e.name)) out.push(p);
    }
  };
  await visit(dir);
  return out;
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    const msg = err instanceof Error ? err.message : String(err);
    return msg.includes(err.code) ? msg : `${err.code}: ${msg}`;
  }
  return err instanceof Error ? err.message : String(err);
}
