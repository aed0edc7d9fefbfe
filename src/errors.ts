import type { Diagnostic } from './model/diagnostics.js';
import { formatDiagnostic } from './model/diagnostics.js';
import { scrubSecrets } from './model/secret.js';

/**
 * Base of every error the application throws on purpose. Messages start with the subject
 * and the operation (`ApiKey/ci: create failed: ...`). Messages are scrubbed of every known
 * secret value at construction.
 */
export class AppError extends Error {
  readonly code: string;
  readonly subject: string | undefined;
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    options: { subject?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(scrubSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.subject = options.subject;
    this.retryable = options.retryable ?? false;
  }
}

/** Invalid desired state or settings. Terminal: waits for the next change of input. */
export class ConfigError extends AppError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, diagnostics: readonly Diagnostic[] = []) {
    const detail = diagnostics.length ? `\n${diagnostics.map(formatDiagnostic).join('\n')}` : '';
    super('config-invalid', `${message}${detail}`);
    this.diagnostics = diagnostics;
  }
}

/** A saved plan no longer matches the live organization. */
export class StalePlanError extends AppError {
  constructor(message: string) {
    super('stale-plan', message);
  }
}

/**
 * A saved plan whose steps disagree with what it fingerprinted or with what this instance owns
 * (an edited plan file): refused whole, before anything is written.
 */
export class PlanContractError extends AppError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      'plan-contract',
      `the saved plan does not match the organization or this instance's ownership; nothing was applied (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`,
    );
    this.problems = problems;
  }
}

/** A secret sink failed (unreachable, refused, verification mismatch). */
export class SinkError extends AppError {
  readonly sink: string;
  constructor(sink: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super('sink-failed', `sink ${sink}: ${message}`, options);
    this.sink = sink;
  }
}

/** Critical: a new key's secret could not be delivered; says what compensation was done. */
export class SecretDeliveryError extends AppError {
  readonly compensation: string;
  constructor(subject: string, message: string, compensation: string, cause?: unknown) {
    super('secret-delivery-failed', `${subject}: ${message}; ${compensation}`, { subject, cause });
    this.compensation = compensation;
  }
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof Error) return new AppError('unexpected', err.message, { cause: err });
  return new AppError('unexpected', String(err));
}
