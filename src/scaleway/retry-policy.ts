/**
 * Which transport failures are retried (pure policy; the loop lives in transport.ts). This layer
 * retries only what says nothing about the request itself: the gateway's 429, server errors and
 * broken connections. Domain refusals that mean "not now" (409 transient_state, 412
 * resource_not_usable, a 403 right after a policy change) are waited for by the executor
 * (src/executor/retry.ts), never here: one retry layer per failure class (docs/design/retries.md).
 *
 * | failure                                   | GET/PUT/PATCH/DELETE | POST                      |
 * |-------------------------------------------|----------------------|---------------------------|
 * | 429 (any body, Retry-After or not)        | retry                | retry (not processed)     |
 * | 5xx except 501                            | retry                | AmbiguousWriteError       |
 * | timeout / connection reset / network      | retry                | AmbiguousWriteError       |
 * | connection refused (never sent)           | retry                | retry                     |
 * | anything else (4xx, 501)                  | throw                | throw                     |
 */
import { ScalewayApiError, TransportError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function isIdempotent(method: HttpMethod): boolean {
  return method !== 'POST';
}

export interface RetryContext {
  readonly method: HttpMethod;
}

export type FailureVerdict =
  /** Try again after backoff. */
  | 'retry'
  /** Give up, throw the error as is. */
  | 'fail'
  /** A non-idempotent request may have been processed: throw AmbiguousWriteError. */
  | 'ambiguous';

export function classifyFailure(err: unknown, ctx: RetryContext): FailureVerdict {
  const idempotent = isIdempotent(ctx.method);
  if (err instanceof TransportError) {
    if (idempotent || err.notSent) return 'retry';
    return 'ambiguous';
  }
  if (err instanceof ScalewayApiError) {
    const { status } = err;
    if (status === 429) return 'retry';
    if (status >= 500 && status !== 501) return idempotent ? 'retry' : 'ambiguous';
    return 'fail';
  }
  return 'fail';
}

/** Whether a failure left the outcome of the attempt unknown (server may have acted). */
export function wasAmbiguous(err: unknown): boolean {
  if (err instanceof TransportError) return !err.notSent;
  return err instanceof ScalewayApiError && err.status >= 500 && err.status !== 501;
}

/**
 * Parse a `Retry-After` header: delta-seconds (`"3"`, `"1.5"`) or an HTTP-date. Returns ms
 * (≥ 0), or undefined when absent or unparseable. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v.length === 0) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
