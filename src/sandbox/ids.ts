/**
 * Identifier and timestamp formats of the real API (docs/design/scaleway-api.md §2):
 * - resource ids: lowercase UUID v4;
 * - access keys: `SCW` + 17 Crockford base32 characters (no I, L, O, U);
 * - secret keys: UUID v4;
 * - created_at/updated_at: RFC3339 UTC with exactly 6 fractional digits and `Z`;
 * - expires_at: the caller's instant in UTC, the caller's precision kept, truncated to µs.
 */
import type { Rng } from './prng.js';

const HEX = '0123456789abcdef';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ACCESS_KEY_RE = /^SCW[0-9A-HJKMNP-TV-Z]{17}$/;
export const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function uuidV4(rng: Rng): string {
  let out = '';
  for (let i = 0; i < 32; i++) {
    let nibble = rng.int(16);
    if (i === 12) nibble = 4;
    if (i === 16) nibble = 8 + (nibble & 3);
    out += HEX[nibble];
    if (i === 7 || i === 11 || i === 15 || i === 19) out += '-';
  }
  return out;
}

export function accessKey(rng: Rng): string {
  let out = 'SCW';
  for (let i = 0; i < 17; i++) out += CROCKFORD[rng.int(32)];
  return out;
}

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/** Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const sub = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(sub).padStart(3, '0')}Z`;
}

/** Parses a 6-digit timestamp back to microseconds. */
export function parseMicros(ts: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts);
  if (!m) return Number.NaN;
  const base = Date.parse(`${m[1]}Z`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return base * 1000 + Number(frac);
}

/**
 * Monotonic µs clock on top of a millisecond clock: sub-millisecond digits come from the
 * PRNG (the real server shows arbitrary µs), and every reading is strictly greater than
 * the previous one so creation order is total even with a frozen test clock.
 */
export class MicroClock {
  private last = 0;
  constructor(
    private readonly now: () => Date,
    private readonly rng: Rng,
  ) {}
  micros(): number {
    const candidate = this.now().getTime() * 1000 + this.rng.int(1000);
    this.last = Math.max(candidate, this.last + 1);
    return this.last;
  }
  timestamp(): string {
    return formatMicros(this.micros());
  }
  /** Makes sure later readings come after `micros` (used after loading persisted state). */
  observe(micros: number): void {
    if (Number.isFinite(micros)) this.last = Math.max(this.last, micros);
  }
}

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

export interface ParsedExpiry {
  /** Wire form: UTC, caller's fractional precision kept (at most 6 digits), `Z`. */
  text: string;
  micros: number;
}

/** Parses an RFC3339 instant as the API does for `expires_at`; undefined when malformed. */
export function parseExpiry(input: string): ParsedExpiry | undefined {
  const m = RFC3339_RE.exec(input);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [Y, Mo, D, H, Mi, S] = fields;
  if (Mo < 1 || Mo > 12 || D < 1 || D > 31 || H > 23 || Mi > 59 || S > 60) return undefined;
  let ms = Date.UTC(Y, Mo - 1, D, H, Mi, S);
  if (Number.isNaN(ms)) return undefined;
  if (!z) {
    const offset = (Number(oh) * 60 + Number(om)) * 60_000;
    ms += sign === '+' ? -offset : offset;
  }
  const digits = (frac ?? '').slice(0, 6);
  const micros = ms * 1000 + Number(digits.padEnd(6, '0') || '0');
  const iso = new Date(ms).toISOString().slice(0, 19);
  return { text: digits ? `${iso}.${digits}Z` : `${iso}Z`, micros };
}
