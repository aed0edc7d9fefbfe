/**
 * Log lines for people: what the one-shot commands (plan, reconcile, apply, import) write to
 * stderr by default, in the same shape as their other messages:
 *
 *   scw-gitops plan: warning: retrying after HTTP 503 (attempt=2, path=/iam/v1alpha1/api-keys)
 *
 * The input is the pino JSON line, already redacted and scrubbed by the logger (logger.ts), so
 * nothing here can reintroduce a secret. `--log-format json` keeps the JSON lines instead.
 */

/** Bindings every line carries that tell a person nothing. */
const SKIPPED = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'service',
  'version',
  'instance',
  'reconcileId',
]);

const LEVEL_WORD: Readonly<Record<string, string>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warning',
  error: 'error',
  fatal: 'error',
};

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s,()=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
    return JSON.stringify((v as { message: string }).message);
  }
  return JSON.stringify(v) ?? String(v);
}

/**
 * One pino JSON line → one readable line (with its newline), or '' to drop it. Lines that are not
 * JSON objects are passed through unchanged.
 */
export function formatTextLogLine(line: string, command: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  // The reconciler's pass summary ("desired state is invalid", "listing … failed") is what the
  // command reports itself, once, as its result: in text form the log would say it twice.
  if (record['component'] === 'reconciler') return '';
  const level = LEVEL_WORD[String(record['level'])] ?? String(record['level']);
  const fields = Object.entries(record)
    .filter(([k, v]) => !SKIPPED.has(k) && k !== 'component' && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  const msg = typeof record['msg'] === 'string' ? record['msg'] : '';
  return `scw-gitops ${command}: ${level}: ${msg}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}\n`;
}
