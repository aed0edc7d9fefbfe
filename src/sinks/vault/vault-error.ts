import { SinkError } from '../../errors.js';

/**
 * A failed Vault request. Carries the HTTP status (absent for network failures and timeouts) and
 * Vault's `errors` strings (never a token or a secret: request bodies are not echoed, and every
 * message is scrubbed of known secret values by AppError).
 */
export class VaultError extends SinkError {
  readonly status: number | undefined;
  readonly vaultErrors: readonly string[];
  /** From a 429's Retry-After header. */
  readonly retryAfterMs: number | undefined;

  constructor(
    sink: string,
    message: string,
    options: {
      status?: number;
      vaultErrors?: readonly string[];
      retryable?: boolean;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(sink, message, {
      retryable: options.retryable ?? false,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.status = options.status;
    this.vaultErrors = options.vaultErrors ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Flatten Vault error strings for a message: go-multierror renderings
 * (`"1 error occurred:\n\t* permission denied\n\n"`) become their items.
 */
export function flattenVaultErrors(errors: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const items = [...e.matchAll(/^\t\* (.+)$/gm)].map((m) => m[1]!.trim());
    if (items.length > 0) out.push(...items);
    else if (e.trim() !== '') out.push(e.trim());
  }
  return out;
}

export function isPermissionDenied(err: unknown): err is VaultError {
  return err instanceof VaultError && err.status === 403;
}
