/**
 * One path style for everything a command prints (stdout, stderr, `--out` reports): relative to
 * the working directory when the path is inside it (`iam/apps/web.yaml`, `.` for the directory
 * itself), absolute otherwise. The desired-state loader names files relative to the desired-state
 * root and the settings resolve paths to absolute ones; the commands convert both here, just
 * before printing. Saved plans (`--output json`) keep the loader's root-relative paths: they are
 * data, not display.
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { toAppError } from '../errors.js';
import type { Diagnostic, SourceLocation } from '../model/diagnostics.js';
import type { Plan } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';

/** `p` as the user should see it from `cwd`. */
export function displayPath(cwd: string, p: string): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(cwd, p);
  if (rel === '') return '.';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return p;
  return rel;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every absolute path inside `cwd` that a message quotes (`cannot read /work/iam/x.yaml`), shown
 * relative like displayPath does. Paths outside `cwd` are left absolute.
 */
export function relativizeText(text: string, cwd: string): string {
  if (cwd === '' || cwd === sep || !isAbsolute(cwd)) return text;
  const root = cwd.endsWith(sep) ? cwd.slice(0, -1) : cwd;
  return text
    .replace(new RegExp(`${escapeRegExp(root)}${escapeRegExp(sep)}(?=[^\\s])`, 'g'), '')
    .replace(new RegExp(`${escapeRegExp(root)}(?![\\w./-])`, 'g'), '.');
}

/** The directory the loader's file names are relative to: the root, or a single file's directory. */
export async function desiredBase(root: string): Promise<string> {
  const isFile = await stat(root).then(
    (s) => !s.isDirectory(),
    () => false,
  );
  return isFile ? dirname(root) : root;
}

/** Diagnostics with file locations and quoted paths in the display style. */
function displayLocation(location: SourceLocation, base: string, cwd: string): SourceLocation {
  return {
    ...location,
    file: displayPath(cwd, isAbsolute(location.file) ? location.file : join(base, location.file)),
  };
}

export function displayDiagnostics(
  diagnostics: readonly Diagnostic[],
  base: string,
  cwd: string,
): Diagnostic[] {
  const shown = (location: SourceLocation): SourceLocation => displayLocation(location, base, cwd);
  return diagnostics.map((d) => {
    const message = relativizeText(d.message, cwd);
    const location = d.location ? shown(d.location) : undefined;
    // The other places the problem involves (a sink collision's other key) are shown the same way.
    const related = d.related?.map((r) => (r.location ? { ...r, location: shown(r.location) } : r));
    return { ...d, message, ...(location ? { location } : {}), ...(related ? { related } : {}) };
  });
}

/** A plan whose diagnostics and blocked objects are in the display style (text and Markdown). */
export function displayPlan(plan: Plan, base: string, cwd: string): Plan {
  return {
    ...plan,
    diagnostics: displayDiagnostics(plan.diagnostics, base, cwd),
    blocked: plan.blocked.map((b) => ({
      ...b,
      message: relativizeText(b.message, cwd),
      ...(b.location ? { location: displayLocation(b.location, base, cwd) } : {}),
    })),
  };
}

/** Where a command shows the desired state's files from. */
export interface Display {
  readonly cwd: string;
  /** Directory the loader's file names are relative to (desiredBase). */
  readonly base: string;
}

export async function displayFor(dir: string, cwd: string): Promise<Display> {
  return { cwd, base: await desiredBase(dir) };
}

/** The first line of an error, scrubbed, with paths in the display style. */
export function errorLine(err: unknown, cwd: string): string {
  return relativizeText(scrubSecrets(toAppError(err).message).split('\n')[0] ?? '', cwd);
}

/** `1 error`, `2 errors`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
