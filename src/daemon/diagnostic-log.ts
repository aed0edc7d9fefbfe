/**
 * Diagnostics in the daemon's log (docs/operations.md, "Reading the log"): every error and warning
 * of the desired state and of the plan is logged once while it persists, at `error` or `warn`,
 * with its file:line:col, code, resource and message, so `kubectl logs` alone says what is wrong.
 * A pass that finds the same problem again logs nothing more; a problem that goes away and comes
 * back (or moves to another line, as a new revision would) is logged again.
 */
import type { Logger } from 'pino';
import { type Diagnostic, formatDiagnostic } from '../model/diagnostics.js';

function identity(d: Diagnostic): string {
  const at = d.location ? `${d.location.file}:${d.location.line}:${d.location.col}` : '';
  return JSON.stringify([d.severity, d.code, d.resource ?? '', d.field ?? '', at, d.message]);
}

export class DiagnosticLog {
  #seen = new Set<string>();

  /** Log the diagnostics not logged by the previous pass; returns how many were logged. */
  report(logger: Logger, diagnostics: readonly Diagnostic[], revision?: string): number {
    const now = new Set<string>();
    let logged = 0;
    for (const d of diagnostics) {
      const id = identity(d);
      if (now.has(id)) continue;
      now.add(id);
      if (this.#seen.has(id)) continue;
      logged++;
      const fields = {
        code: d.code,
        ...(d.location ? { file: d.location.file, line: d.location.line, col: d.location.col } : {}),
        ...(d.resource ? { resource: d.resource } : {}),
        ...(d.field ? { field: d.field } : {}),
        ...(revision ? { revision } : {}),
      };
      if (d.severity === 'error') logger.error(fields, formatDiagnostic(d));
      else logger.warn(fields, formatDiagnostic(d));
    }
    this.#seen = now;
    return logged;
  }
}
