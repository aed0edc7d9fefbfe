/**
 * Which failures are retried (pure policy; the loop lives in transport.ts).
 *
 * | failure                                   | GET/PUT/PATCH/DELETE | POST                      |
 * |-------------------------------------------|----------------------|---------------------------|
 * | 429 (any body, Retry-After or not)        | retry                | retry (not processed)     |
 * | 5xx except 501                            | retry                | AmbiguousWriteError       |
 * | timeout / connection reset / network      | retry                | AmbiguousWriteError       |
 * | connection refused (never sent)           | retry                | retry                     |
 * | 409 transient_state                       | retry                | retry (refused)           |
 * | 412 precondition in `retryPreconditions`  | retry                | retry (refused)           |
 * | 403 permissions_denied, `retryForbidden`  | retry                | retry (refused)           |
 * | anything else (4xx, 501)                  | throw                | throw                     |
 *
 * 403 is not retried by default: right after a policy change IAM propagation can produce
 * transient 403s, but the executor decides that (it knows a policy just changed).
 */
import { ScalewayApiError, TransportError } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function isIdempotent(method: HttpMethod): boolean {
  return method !== 'POST';
}

export interface RetryContext {
  readonly method: HttpMethod;
  /** 412 `precondition` values that mean "try again later" for this call. */
  readonly retryPreconditions?: readonly string[];
  /** Retry 403 `permissions_denied` (IAM propagation). Default false. */
  readonly retryForbidden?: boolean;
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
    const { status, info } = err;
    if (status === 429) return 'retry';
    if (status >= 500 && status !== 501) return idempotent ? 'retry' : 'ambiguous';
    if (info.type === 'transient_state') return 'retry';
    if (
      info.type === 'precondition_failed' &&
      ctx.retryPreconditions !== undefined &&
      ctx.retryPreconditions.includes(info.precondition)
    ) {
      return 'retry';
    }
    if (ctx.retryForbidden === true && info.type === 'permissions_denied') return 'retry';
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
