/**
 * Test helper: capture every pino line a piece of code writes, parsed, and assert that no secret
 * value appears anywhere in them (STYLE habit 6: "a test captures all log lines from a full apply
 * and asserts that no secret value (or its base64) appears").
 *
 * Usage:
 *   const cap = createLogCapture();
 *   await executePlan(plan, { ...deps, logger: cap.logger });
 *   assertNoSecrets(cap.lines);            // every Secret ever constructed in this process
 *   assertNoSecrets(cap.lines, [extra]);   // plus values the test knows about
 */
import { pino } from 'pino';
import { knownSecretValues } from '../../src/model/secret.js';

export interface LogCapture {
  /** A logger at level `trace` writing synchronously into this capture. */
  readonly logger: pino.Logger;
  /** The destination (pass it to another logger factory, e.g. H8's createLogger). */
  readonly destination: pino.DestinationStream;
  /** Parsed JSON lines, in write order. */
  readonly lines: Record<string, unknown>[];
  /** Raw text exactly as written (includes lines that were not JSON). */
  readonly raw: string[];
  /** Lines whose `msg` contains `text`. */
  find(text: string): Record<string, unknown>[];
  clear(): void;
}

export function createLogCapture(opts: { level?: string } = {}): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let partial = '';
  const destination: pino.DestinationStream = {
    write(chunk: string): void {
      partial += chunk;
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.length > 0) {
          raw.push(line);
          try {
            lines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            lines.push({ unparsed: line });
          }
        }
        nl = partial.indexOf('\n');
      }
    },
  };
  const logger = pino({ level: opts.level ?? 'trace' }, destination);
  return {
    logger,
    destination,
    lines,
    raw,
    find: (text) => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text)),
    clear: () => {
      lines.length = 0;
      raw.length = 0;
      partial = '';
    },
  };
}

/** The forms a leaked value could take in text: verbatim, base64, base64url, hex. */
export function encodedForms(value: string): string[] {
  const buf = Buffer.from(value, 'utf8');
  const forms = new Set<string>([
    value,
    buf.toString('base64'),
    buf.toString('base64').replace(/=+$/, ''),
    buf.toString('base64url'),
    buf.toString('hex'),
  ]);
  return [...forms];
}

/** Values shorter than this are not scanned (too many accidental matches; Secret's scrubber agrees). */
const MIN_SCANNED_LENGTH = 6;

function toText(item: unknown): string {
  if (typeof item === 'string') return item;
  try {
    return JSON.stringify(item) ?? String(item);
  } catch {
    return String(item);
  }
}

/** Every secret value to look for: all `Secret`s ever constructed in this process, plus `extra`. */
export function secretValuesToScan(extraValues: readonly string[] = []): string[] {
  return [...new Set([...knownSecretValues(), ...extraValues])].filter((v) => v.length >= MIN_SCANNED_LENGTH);
}

/** The first leak found in `texts`, described without the value itself; undefined when clean. */
export function findSecretLeak(
  texts: readonly unknown[],
  extraValues: readonly string[] = [],
): { index: number; form: string; valueLength: number } | undefined {
  const values = secretValuesToScan(extraValues);
  for (let i = 0; i < texts.length; i++) {
    const text = toText(texts[i]);
    for (const v of values) {
      const forms = encodedForms(v);
      for (let f = 0; f < forms.length; f++) {
        if (text.includes(forms[f]!)) {
          return {
            index: i,
            form: ['plain', 'base64', 'base64-unpadded', 'base64url', 'hex'][f] ?? 'encoded',
            valueLength: v.length,
          };
        }
      }
    }
  }
  return undefined;
}

/**
 * Throws (without quoting the secret) when any line contains any known secret value or one of
 * its encodings. `lines` may be parsed log objects or raw strings (CLI output, files, errors).
 */
export function assertNoSecrets(lines: readonly unknown[], extraValues: readonly string[] = []): void {
  const leak = findSecretLeak(lines, extraValues);
  if (leak) {
    throw new Error(
      `secret leak: item #${leak.index} contains a secret value (${leak.form} form, ${leak.valueLength} chars)`,
    );
  }
}

/** Text of an error for leak scanning: message, stack, cause chain, JSON form and own properties. */
export function errorText(err: unknown, depth = 0): string {
  if (depth > 5) return '';
  if (!(err instanceof Error)) return toText(err);
  const own: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(err)) {
    if (k === 'cause' || k === 'stack') continue;
    own[k] = (err as unknown as Record<string, unknown>)[k];
  }
  return [err.message, err.stack ?? '', toText(own), errorText(err.cause, depth + 1)].join('\n');
}
