/**
 * A value that must never be printed, logged, serialised or rendered.
 *
 * Every path that could leak a value through accident (template strings, `console.log`,
 * `util.inspect`, `JSON.stringify`, pino serialisation, error messages) sees `[redacted]`.
 * The only way to the plaintext is an explicit `reveal()`, which sinks call at the moment
 * they write it and nowhere else.
 *
 * The scrub registry. Every Secret's plaintext is known to `scrubSecrets` (the log scrubber's
 * last line of defence) while the Secret is in use, and for a while after:
 * - `live`: values of Secrets not yet released, counted per value (one value can be wrapped more
 *   than once, e.g. a key's secret and its read-back from a sink);
 * - `recent`: values released (`release()`, or their Secret garbage-collected), newest last, at
 *   most RECENT_CAPACITY; older ones are forgotten.
 * A one-time secret is released as soon as its delivery is settled (executor/deliver-secret.ts),
 * so a daemon that rotates keys for a year keeps a bounded number of plaintexts, and scrubbing a
 * log line costs the same on day 365 as on day 1. The encoded forms each value is scrubbed in
 * (base64, base64url, hex) are computed once, at registration.
 */
const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Values shorter than this are not scrubbed from text (too many accidental matches). */
const MIN_SCRUBBED_LENGTH = 6;
/** Released values kept for scrubbing. */
export const RECENT_CAPACITY = 64;

interface Entry {
  count: number;
  readonly forms: readonly string[];
}

const live = new Map<string, Entry>();
const recent = new Map<string, readonly string[]>();

/** The forms a value is scrubbed in: verbatim, base64 (padded, unpadded), base64url, hex. */
function encodedForms(value: string): string[] {
  const buf = Buffer.from(value, 'utf8');
  const b64 = buf.toString('base64');
  return [...new Set([value, b64, b64.replace(/=+$/, ''), buf.toString('base64url'), buf.toString('hex')])];
}

function register(value: string): void {
  const entry = live.get(value);
  if (entry) {
    entry.count += 1;
    return;
  }
  const forms = recent.get(value) ?? encodedForms(value);
  recent.delete(value);
  live.set(value, { count: 1, forms });
}

function unregister(value: string): void {
  const entry = live.get(value);
  if (!entry) return;
  entry.count -= 1;
  if (entry.count > 0) return;
  live.delete(value);
  recent.delete(value);
  recent.set(value, entry.forms);
  while (recent.size > RECENT_CAPACITY) {
    const oldest = recent.keys().next().value;
    if (oldest === undefined) break;
    recent.delete(oldest);
  }
}

/** A Secret dropped without release() still leaves the live set once it is collected. */
const collected = new FinalizationRegistry<string>(unregister);

export class Secret {
  #value: string | undefined;

  constructor(value: string) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError('Secret: value must be a non-empty string');
    }
    this.#value = value;
    register(value);
    collected.register(this, value, this);
  }

  /** The plaintext. Call it only where the value leaves the process for its sink. */
  reveal(): string {
    if (this.#value === undefined) throw new Error('Secret: revealed after release()');
    return this.#value;
  }

  /**
   * Drop the plaintext: this Secret can no longer be revealed, and its value moves from the live
   * scrub registry to the bounded recent set. Idempotent. Call it once the value's delivery is
   * settled (delivered and verified, or compensated).
   */
  release(): void {
    const value = this.#value;
    if (value === undefined) return;
    this.#value = undefined;
    collected.unregister(this);
    unregister(value);
  }

  /** True once release() ran. */
  get released(): boolean {
    return this.#value === undefined;
  }

  /** Constant-time-ish comparison without revealing either side to the caller. */
  equals(other: Secret | string): boolean {
    const b = typeof other === 'string' ? other : other.reveal();
    const a = this.reveal();
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    return diff === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  valueOf(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return REDACTED;
  }

  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
}

export const REDACTED_TEXT = REDACTED;

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/**
 * Replace every known secret value in free text, in each of its encoded forms (verbatim,
 * base64 padded and unpadded, base64url, hex).
 */
export function scrubSecrets(text: string): string {
  let out = text;
  const scrub = (value: string, forms: readonly string[]): void => {
    if (value.length < MIN_SCRUBBED_LENGTH) return;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  };
  for (const [value, entry] of live) scrub(value, entry.forms);
  for (const [value, forms] of recent) scrub(value, forms);
  return out;
}

/** Values the scrubber knows now: live and recent (test helpers use this to scan outputs). */
export function knownSecretValues(): readonly string[] {
  return [...live.keys(), ...recent.keys()];
}

/** Sizes of the scrub registry (a daemon metric, `scw_gitops_secret_scrub_values`). */
export function secretRegistrySize(): { readonly live: number; readonly recent: number } {
  return { live: live.size, recent: recent.size };
}
