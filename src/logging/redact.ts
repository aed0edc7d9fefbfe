/**
 * What the logger hides, in one place.
 *
 * Three layers, because one is never enough for one-time secrets:
 * 1. `REDACT_PATHS`: pino's own path redaction for the well-known shapes (fast, exact).
 * 2. `sanitizeLogValue`: a deep walk over every logged object that replaces values under any
 *    secret-bearing key at any depth, turns `Secret`s and `Buffer`s into placeholders, flattens
 *    errors (message, stack, cause) and runs `scrubSecrets` over every string.
 * 3. The final JSON line goes through `scrubSecrets` again (the logger's `streamWrite` hook), so a
 *    registered secret value cannot get out through a binding, a message or a serializer.
 */
import { isSecret, REDACTED_TEXT, scrubSecrets } from '../model/secret.js';

/** The one scrubber (model/secret.ts): every registered value, verbatim and encoded. */
export { scrubSecrets };

/** Keys whose value is a credential, matched case-insensitively at any depth. */
const SECRET_KEY =
  /^(?:secret|secret[-_]?key|secret[-_]?id|client[-_]?secret|private[-_]?key|password|passwd|passphrase|authorization|proxy-authorization|cookie|set-cookie|x-auth-token|x-vault-token|x-gitlab-token|x-hub-signature|x-hub-signature-256|api[-_]?key|access[-_]?token|refresh[-_]?token|id[-_]?token|bearer[-_]?token|vault[-_]?token|client[-_]?token|token|webhook[-_]?secret|hmac)$/i;

/** `true` when a value under this key must never be logged. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || /[a-z0-9](Token|Secret|Password)$/.test(key);
}

const HEADER_KEYS = [
  'authorization',
  'Authorization',
  'x-auth-token',
  'X-Auth-Token',
  'x-vault-token',
  'X-Vault-Token',
  'x-gitlab-token',
  'X-Gitlab-Token',
  'x-hub-signature-256',
  'X-Hub-Signature-256',
  'cookie',
  'set-cookie',
];

const TOP_KEYS = [
  'secretKey',
  'secret_key',
  'secret',
  'token',
  'password',
  'authorization',
  'secretId',
  'secret_id',
  'clientSecret',
  'client_secret',
  'privateKey',
];

/** pino `redact.paths`: exact shapes seen in our logs and in HTTP client/server objects. */
export const REDACT_PATHS: readonly string[] = [
  ...TOP_KEYS,
  ...TOP_KEYS.map((k) => `*.${k}`),
  ...TOP_KEYS.map((k) => `*.*.${k}`),
  ...HEADER_KEYS.flatMap((h) => [
    `headers["${h}"]`,
    `*.headers["${h}"]`,
    `req.headers["${h}"]`,
    `request.headers["${h}"]`,
    `res.headers["${h}"]`,
    `response.headers["${h}"]`,
    `options.headers["${h}"]`,
  ]),
  'auth.client_token',
  '*.auth.client_token',
  'data.data.secret_key',
  'data.data.SCW_SECRET_KEY',
  'SCW_SECRET_KEY',
  '*.SCW_SECRET_KEY',
];

const MAX_DEPTH = 8;

/**
 * A copy of `value` safe to log: secret-bearing keys replaced by `[redacted]`, every string
 * scrubbed of known secret values, errors flattened (message/stack/cause scrubbed).
 */
export function sanitizeLogValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function') return undefined;
    return value;
  }
  if (isSecret(value)) return REDACTED_TEXT;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof Error) return sanitizeError(value, depth, seen);
    if (value instanceof URL) return scrubUrl(value);
    if (Array.isArray(value)) return value.map((v) => sanitizeLogValue(v, depth + 1, seen));
    if (value instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of value) {
        const key = String(k);
        out[key] = isSecretKey(key) ? REDACTED_TEXT : sanitizeLogValue(v, depth + 1, seen);
      }
      return out;
    }
    if (value instanceof Set) return [...value].map((v) => sanitizeLogValue(v, depth + 1, seen));
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return sanitizeLogValue((value as { toJSON(): unknown }).toJSON(), depth + 1, seen);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] =
        isSecretKey(k) && v !== null && v !== '' ? REDACTED_TEXT : sanitizeLogValue(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function sanitizeError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: err.name || err.constructor?.name || 'Error',
    message: scrubSecrets(err.message),
  };
  if (err.stack) out['stack'] = scrubSecrets(err.stack);
  for (const [k, v] of Object.entries(err)) {
    if (k === 'message' || k === 'stack' || v === undefined) continue;
    out[k] = isSecretKey(k) ? REDACTED_TEXT : sanitizeLogValue(v, depth + 1, seen);
  }
  if (err.cause !== undefined) out['cause'] = sanitizeLogValue(err.cause, depth + 1, seen);
  return out;
}

function scrubUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = REDACTED_TEXT;
  for (const k of [...copy.searchParams.keys()]) {
    if (isSecretKey(k)) copy.searchParams.set(k, REDACTED_TEXT);
  }
  return scrubSecrets(copy.href);
}
