/**
 * Durations as written in the desired state and the settings: a sequence of `<integer><unit>`
 * with units in decreasing order, each at most once: `w` (7 days), `d`, `h`, `m`, `s`.
 * Examples: `90d`, `12h`, `30m`, `45s`, `1w`, `1d12h`, `0s`. No spaces, no fractions, no sign.
 *
 * A day is always 24 h (no calendar or DST arithmetic): lifetimes are offsets from an instant.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * The accepted syntax, shared with the JSON Schema (`schema/scw-gitops.schema.json`) so an editor
 * flags exactly what `parseDuration` rejects. The lookahead requires at least one component.
 */
export const DURATION_PATTERN = '^(?=\\d)(\\d+w)?(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?$';

const DURATION_RE = new RegExp(DURATION_PATTERN);
const UNITS: readonly number[] = [WEEK, DAY, HOUR, MINUTE, SECOND];

/** Milliseconds for a duration string, or `undefined` when it is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const part = m[i + 1];
    if (part === undefined) continue;
    total += Number.parseInt(part.slice(0, -1), 10) * UNITS[i]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * The canonical short form: days, hours, minutes, seconds (`90d`, `1d12h`, `0s`); whole weeks are
 * written as days because `90d` reads better than `12w6d`. Sub-second remainders are shown as
 * `ms` (`1s500ms`), negative values get a leading `-`. `parseDuration(formatDuration(x)) === x` for
 * every non-negative whole number of seconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [size, unit] of [
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'm'],
    [SECOND, 's'],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}
