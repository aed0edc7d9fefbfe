/**
 * A value that must never be printed, logged, serialised or rendered.
 *
 * Every path that could leak a value through accident (template strings, `console.log`,
 * `util.inspect`, `JSON.stringify`, pino serialisation, error messages) sees `[redacted]`.
 * The only way to the plaintext is an explicit `reveal()`, which sinks call at the moment
 * they write it and nowhere else.
 */
const REDACTED = '[redacted]';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Every secret value ever wrapped in this process; used by the log sanitiser and tests. */
const registry = new Set<string>();

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError('Secret: value must be a non-empty string');
    }
    this.#value = value;
    registry.add(value);
  }

  /** The plaintext. Call it only where the value leaves the process for its sink. */
  reveal(): string {
    return this.#value;
  }

  /** Constant-time-ish comparison without revealing either side to the caller. */
  equals(other: Secret | string): boolean {
    const b = typeof other === 'string' ? other : other.#value;
    const a = this.#value;
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

/** Replace every known secret value (and its base64 form) in free text. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const v of registry) {
    if (v.length < 6) continue;
    if (out.includes(v)) out = out.split(v).join(REDACTED);
    const b64 = Buffer.from(v, 'utf8').toString('base64');
    if (out.includes(b64)) out = out.split(b64).join(REDACTED);
  }
  return out;
}

/** Values registered so far (test helpers use this to scan outputs). */
export function knownSecretValues(): readonly string[] {
  return [...registry];
}
