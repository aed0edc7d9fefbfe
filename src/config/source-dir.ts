/**
 * The effective desired-state directory of a command, and the checks that depend on it.
 *
 * `source.dir` in the settings is optional: `plan`, `reconcile` and `validate` take DIR on the
 * command line, which wins over it, and `import --out DIR` writes a directory that becomes one.
 * Only the daemon (`run`) has no DIR argument and needs it (`requireSourceDir`).
 *
 * Checks against the effective directory, never against a directory the command does not use
 * (a file sink below the settings file's directory is fine when DIR is elsewhere):
 * - `secrets-in-source`: a file sink's directory inside the desired-state tree would put secrets
 *   in git (and re-trigger the daemon's watcher at every delivery).
 */
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Settings } from './settings.js';

/** `inner` is `outer` or below it. */
function isWithin(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * One `secrets-in-source` error per file sink whose directory is inside `sourceDir` (absolute),
 * located at the sink's `dir` in the settings file when it was read from one.
 */
export function sinksInSource(settings: Settings, sourceDir: string, what = 'source.dir'): Diagnostic[] {
  const out: Diagnostic[] = [];
  settings.sinks.forEach((sink, i) => {
    if (sink.type !== 'file' || !isWithin(sourceDir, sink.dir)) return;
    const field = `sinks[${i}].dir`;
    const location = settings.fieldSources?.[field];
    out.push({
      severity: 'error',
      code: 'secrets-in-source',
      message: `${field} (${sink.dir}) is inside ${what} (${sourceDir}): secrets would land in the desired-state tree (and in git)`,
      field,
      hint: 'use a directory outside the desired-state directory, e.g. ../.secrets',
      ...(location ? { location } : {}),
    });
  });
  return out;
}

/** Throws ConfigError when a file sink writes inside `sourceDir` (see `sinksInSource`). */
export function assertSinksOutside(settings: Settings, sourceDir: string, what?: string): void {
  const diagnostics = sinksInSource(settings, sourceDir, what);
  if (diagnostics.length === 0) return;
  const file = settings.file === undefined ? 'the settings' : `settings file ${settings.file}`;
  throw new ConfigError(`${file}: a secret sink writes inside the desired-state directory`, diagnostics);
}

/**
 * The daemon's desired-state directory: `source.dir`, which it watches (there is no DIR argument
 * to `run`). Throws ConfigError when the settings have none, or when a file sink writes inside it.
 */
export function requireSourceDir(settings: Settings): string {
  const dir = settings.source.dir;
  if (dir === undefined) {
    const location = settings.fieldSources?.['source'] ?? settings.fieldSources?.[''];
    throw new ConfigError(
      `settings file ${settings.file ?? ''}: source.dir is required to run the daemon (the desired-state directory it watches)`,
      [
        {
          severity: 'error',
          code: 'missing-field',
          message: 'source.dir is required by `run` (plan, reconcile and validate take DIR instead)',
          field: 'source.dir',
          ...(location ? { location } : {}),
        },
      ],
    );
  }
  assertSinksOutside(settings, dir);
  return dir;
}
