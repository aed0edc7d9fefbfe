/**
 * The `rotation` metadata of a secret record (`SecretMetadata.rotation`): how the key's expiry and
 * rotation were declared in git when its secret was delivered.
 *
 * Why the record carries it: a live key only has a creation and an expiry date. Whether that date
 * was fixed (`spec.expiresAt`, never rotated automatically) or creation + `spec.lifetime` (rotated
 * before expiry), and the key's `maxAge`, `rotateBefore` and `overlap`, are known from git alone.
 * `scw-gitops import` reads them back from here, so an organization imported again (a lost
 * repository, a migration) rotates exactly as it did (docs/getting-started.md, "Adopting an
 * existing organization").
 *
 * Text form, one line, in the words of the ApiKey spec, always in this order:
 *
 *   [expiresAt=fixed] [lifetime=<duration>] [rotateBefore=<duration>] [maxAge=<duration>] [overlap=<duration>]
 *
 * e.g. `lifetime=30d rotateBefore=10d overlap=1h`, `expiresAt=fixed`, `maxAge=180d overlap=2h`,
 * and `none` when the spec set none of them (the settings' `defaults.rotation` applied). Only what
 * the key's own spec said is recorded, never the settings' defaults, so an import writes what the
 * original file said and the defaults keep applying. The values are those of the delivery: a
 * later edit of `rotateBefore`, `maxAge` or `overlap` that did not replace the key is not in the
 * record (a change of the expiry always replaces the key, and so rewrites the record).
 *
 * A record without the field was written by an older scw-gitops, or not by a delivery.
 */
import { formatDuration, parseDuration } from './duration.js';
import type { DesiredApiKey } from './desired.js';

/** A parsed `rotation` record field. */
export interface RecordedRotation {
  /** The key had a fixed `spec.expiresAt` (its live expiry is that date). */
  readonly fixedExpiry: boolean;
  readonly lifetimeMs?: number;
  readonly rotateBeforeMs?: number;
  readonly maxAgeMs?: number;
  readonly overlapMs?: number;
}

const NONE = 'none';
const DURATION_FIELDS = [
  ['lifetime', 'lifetimeMs'],
  ['rotateBefore', 'rotateBeforeMs'],
  ['maxAge', 'maxAgeMs'],
  ['overlap', 'overlapMs'],
] as const;

/** The record text for a desired key (see the module comment). */
export function formatRecordedRotation(key: Pick<DesiredApiKey, 'expiresAt' | 'rotation'>): string {
  const words: string[] = [];
  if (key.expiresAt !== undefined) words.push('expiresAt=fixed');
  for (const [word, field] of DURATION_FIELDS) {
    const ms = key.rotation[field];
    if (ms !== undefined) words.push(`${word}=${formatDuration(ms)}`);
  }
  return words.length === 0 ? NONE : words.join(' ');
}

/**
 * The recorded rotation, or `undefined` when the text is not one (edited by hand, or written by
 * a newer version with words this one does not know): the caller then treats it as unrecorded.
 */
export function parseRecordedRotation(text: string): RecordedRotation | undefined {
  const trimmed = text.trim();
  if (trimmed === NONE) return { fixedExpiry: false };
  if (trimmed === '' || trimmed.length > 200) return undefined;
  const out: { -readonly [K in keyof RecordedRotation]: RecordedRotation[K] } = { fixedExpiry: false };
  const seen = new Set<string>();
  for (const token of trimmed.split(/\s+/)) {
    const eq = token.indexOf('=');
    const word = eq > 0 ? token.slice(0, eq) : token;
    const value = eq > 0 ? token.slice(eq + 1) : '';
    if (seen.has(word)) return undefined;
    seen.add(word);
    if (word === 'expiresAt') {
      if (value !== 'fixed') return undefined;
      out.fixedExpiry = true;
      continue;
    }
    const field = DURATION_FIELDS.find(([w]) => w === word)?.[1];
    const ms = field === undefined ? undefined : parseDuration(value);
    if (field === undefined || ms === undefined) return undefined;
    out[field] = ms;
  }
  if (out.fixedExpiry && out.lifetimeMs !== undefined) return undefined;
  return out;
}
