/**
 * Diagnostics: problems found in user input (desired state, settings, plans).
 * Validation collects them all instead of stopping at the first one.
 */
export type Severity = 'error' | 'warning';

export interface SourceLocation {
  /** Path relative to the desired-state root (or as given on the command line). */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** kebab-case, stable: e.g. `unknown-field`, `name-pattern`, `dangling-reference`. */
  readonly code: string;
  /** What the problem is, one sentence, naming the field. */
  readonly message: string;
  readonly location?: SourceLocation;
  /** `Kind/name` of the resource concerned, when known. */
  readonly resource?: string;
  /** Dotted path of the field concerned, e.g. `spec.tags[3]`. */
  readonly field?: string;
  /** Optional hint, e.g. a did-you-mean. */
  readonly hint?: string;
  /**
   * What the problem is about, one entry each, when that is a list (e.g. the addresses a refused
   * deletion would remove). The producer bounds it ("… and 12 more"); the renderers show it as a
   * list under the message.
   */
  readonly details?: readonly string[];
  /** Other resources the same problem involves, with their locations (e.g. the other key of a collision). */
  readonly related?: readonly RelatedLocation[];
  /**
   * What the problem holds back (planner diagnostics): `objects`, the subject first, then every
   * desired object that depends on it; an error blocks exactly these and nothing else. `plan`: a
   * problem of the plan as a whole (the mass-delete guard), which refuses every step. A warning's
   * scope says what it is about and blocks nothing. Absent on diagnostics of the desired state
   * and the settings (an error there stops the command before any plan).
   */
  readonly scope?: DiagnosticScope;
}

export type DiagnosticScope =
  | { readonly type: 'plan' }
  | { readonly type: 'objects'; readonly addresses: readonly string[] };

export interface RelatedLocation {
  /** `Kind/name`. */
  readonly resource: string;
  readonly location?: SourceLocation;
}

/** `Kind/name (file:line:col)`, or the bare address when the location is unknown. */
export function describeRelated(r: RelatedLocation): string {
  return r.location ? `${r.resource} (${r.location.file}:${r.location.line}:${r.location.col})` : r.resource;
}

/**
 * `file:line:col: error [code] Kind/name spec.field: message; see Other/name (file:line:col) (hint)`
 * (the `see …` part lists the related resources, when any).
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.location ? `${d.location.file}:${d.location.line}:${d.location.col}: ` : '';
  const subject = [d.resource, d.field].filter(Boolean).join(' ');
  const related = d.related?.length ? `; see ${d.related.map(describeRelated).join(', ')}` : '';
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${where}${d.severity} [${d.code}] ${subject ? `${subject}: ` : ''}${d.message}${related}${hint}`;
}

/** How many `details` a diagnostic lists before it says how many more there are. */
export const MAX_DETAILS = 50;

/** A diagnostic's `details`: the first `max` items, then `… and N more` when there are more. */
export function boundedDetails(items: readonly string[], max = MAX_DETAILS): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `… and ${items.length - max} more`];
}

/** formatDiagnostic, then one indented `- item` line per detail. */
export function formatDiagnosticLines(d: Diagnostic): string[] {
  return [formatDiagnostic(d), ...(d.details ?? []).map((x) => `    - ${x}`)];
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Stable order: file, line, col, code. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.location?.file ?? '';
    const fb = b.location?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.location?.line ?? 0;
    const lb = b.location?.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.location?.col ?? 0;
    const cb = b.location?.col ?? 0;
    if (ca !== cb) return ca - cb;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
