/**
 * Wire formatting shared by the Vault emulator: Go-style timestamps and durations, the success
 * envelope and the error envelope (docs/design/vault.md §1.4, §1.5, §3.4).
 */
import { randomUUID } from 'node:crypto';

/** Go `time.RFC3339Nano` in UTC: fractional seconds with trailing zeros trimmed (`…:30Z`, `…:30.5Z`). */
export function rfc3339Nano(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-03-01T10:20:30.120Z
  const [head, frac = ''] = iso.slice(0, -1).split('.');
  const trimmed = frac.replace(/0+$/, '');
  return trimmed ? `${head}.${trimmed}Z` : `${head}Z`;
}

/** Go `time.Duration.String()` for whole seconds: `0s`, `45s`, `59m59s`, `1h0m0s`, `768h0m0s`. */
export function goDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/**
 * Parse a Vault duration parameter: an integer (seconds), a numeric string (seconds) or a Go
 * duration string (`1h`, `30m`, `1h30m10s`). Returns seconds or undefined when malformed.
 */
export function parseVaultDuration(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let total = 0;
  let consumed = 0;
  for (const m of value.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'h' ? n * 3600 : unit === 'm' ? n * 60 : unit === 's' ? n : n / 1000;
    consumed += m[0].length;
  }
  if (consumed !== value.length || value.length === 0) return undefined;
  return Math.floor(total);
}

export interface EnvelopeParts {
  data?: unknown;
  warnings?: string[] | null;
  auth?: unknown;
  mountType?: string;
  leaseDuration?: number;
  renewable?: boolean;
}

/** The full success envelope: every key present, like Go's struct without omitempty. */
export function envelope(parts: EnvelopeParts): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: parts.renewable ?? false,
    lease_duration: parts.leaseDuration ?? 0,
    data: parts.data === undefined ? null : parts.data,
    wrap_info: null,
    warnings: parts.warnings && parts.warnings.length > 0 ? parts.warnings : null,
    auth: parts.auth === undefined ? null : parts.auth,
    mount_type: parts.mountType ?? '',
  };
}

/** A handler's answer: status, optional JSON body, extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Respond with `Content-Type: application/json` and no body at all (docs/design/vault.md §1.5 exception 4). */
  emptyJson?: boolean;
}

export function ok(parts: EnvelopeParts): Reply {
  return { status: 200, body: envelope(parts) };
}

export function noContent(): Reply {
  return { status: 204 };
}

export function fail(status: number, ...errors: string[]): Reply {
  return { status, body: { errors } };
}

/** Plain "not found": exactly `{"errors":[]}`. */
export function notFound(): Reply {
  return fail(404);
}

/** ACL denial as rendered by go-multierror. */
export const ACL_DENIED = '1 error occurred:\n\t* permission denied\n\n';
/** Missing, expired, revoked or unknown token (Vault >= 1.17 rendering). */
export const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';
