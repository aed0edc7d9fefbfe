/**
 * The pino logger every module receives (never a module singleton).
 *
 * One JSON line per event on stdout (or `destination`), with base bindings (`service`, `instance`,
 * `version`). Redaction is layered (see redact.ts): pino `redact` paths, a deep value sanitiser on
 * every object and binding, and a final `scrubSecrets` over each serialised line.
 *
 * Pretty mode (`pretty: true`) writes human-readable lines through pino-pretty synchronously;
 * `resolvePretty('auto', isTTY)` turns the settings value into a boolean.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACT_PATHS, sanitizeLogValue, scrubSecrets } from './redact.js';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** pino level name (default `info`). */
  readonly level?: string;
  /** Human-readable output via pino-pretty. */
  readonly pretty?: boolean;
  /** With `pretty`: ANSI colours (default true; false when the output is not a terminal). */
  readonly color?: boolean;
  /** Where lines go (default: stdout, synchronous). Tests pass a capture stream. */
  readonly destination?: DestinationStream;
  /** Bindings on every line (e.g. `{ service: 'scw-gitops', instance }`). */
  readonly base?: object;
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const base: DestinationStream = opts.destination ?? pino.destination({ dest: 1, sync: true });
  const destination: DestinationStream = opts.pretty ? prettyDestination(base, opts.color ?? true) : base;
  return pino(
    {
      level: opts.level ?? 'info',
      base: sanitizeLogValue(opts.base ?? {}) as Record<string, unknown>,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      // Errors are already flattened and scrubbed by sanitizeLogValue (type, message, stack,
      // own properties, cause); pino's default err serializer would re-type them as Object.
      serializers: { err: (e: unknown) => e, error: (e: unknown) => e },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => sanitizeLogValue(bindings) as Record<string, unknown>,
        log: (obj) => sanitizeLogValue(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          if (first instanceof Error && rest.length === 0) {
            // pino would take the raw error message as `msg`: scrub it first.
            method.apply(this, [first, scrubSecrets(first.message)] as never);
            return;
          }
          const scrubbed = [first, ...rest].map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, scrubbed as never);
        },
        streamWrite: (line) => scrubSecrets(line),
      },
    },
    destination,
  );
}

/**
 * Human-readable lines (pino-pretty's formatter), written synchronously to `target`. pino-pretty
 * is loaded here, on first use: JSON output (pods, CI, pipes) never loads it.
 */
function prettyDestination(target: DestinationStream, color: boolean): DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const format = prettyFactory({
    colorize: color,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,version',
  });
  return {
    write(line: string) {
      target.write(format(line));
    },
  };
}

/** Settings `log.pretty` (`true` | `false` | `'auto'`) → whether to pretty-print. */
export function resolvePretty(pretty: boolean | 'auto', isTTY: boolean): boolean {
  return pretty === 'auto' ? isTTY : pretty;
}

/** A child logger for one reconcile pass: every line carries `reconcileId`. */
export function passLogger(logger: Logger, reconcileId: string, extra: object = {}): Logger {
  return logger.child({ reconcileId, ...extra });
}
