/**
 * Decoding of client-node failures (docs/design/kubernetes.md §8.4): `ApiException` with the HTTP code and the
 * raw response text (a `Status` JSON, or undefined for 401), or a plain network Error. The result
 * never contains request or response bodies other than the server's Status message, which does not
 * carry object data.
 */
import { ApiException } from '@kubernetes/client-node';

export interface K8sFailure {
  /** HTTP status, or 0 for network errors and timeouts. */
  readonly code: number;
  /** Status `reason` (`NotFound`, `Conflict`, `AlreadyExists`, `Forbidden`, …) when known. */
  readonly reason: string | undefined;
  /** Status message, or a short network error description. */
  readonly message: string;
  readonly retryAfterSeconds: number | undefined;
  /** Transient: 429, 5xx, network errors, timeouts. Conflicts are decided by the caller. */
  readonly transient: boolean;
}

export class K8sTimeoutError extends Error {
  constructor(ms: number) {
    super(`request timed out after ${ms} ms`);
    this.name = 'K8sTimeoutError';
  }
}

export function decodeK8sError(err: unknown): K8sFailure {
  if (err instanceof ApiException) {
    const code = err.code;
    let reason: string | undefined;
    let message = `HTTP ${code}`;
    let retryAfterSeconds: number | undefined;
    const body: unknown = err.body;
    if (typeof body === 'string' && body.trim().startsWith('{')) {
      try {
        const status = JSON.parse(body) as {
          reason?: string;
          message?: string;
          details?: { retryAfterSeconds?: number };
        };
        reason = status.reason;
        if (status.message) message = status.message;
        retryAfterSeconds = status.details?.retryAfterSeconds;
      } catch {
        // Not a Status: keep the HTTP code only (never echo an unknown body).
      }
    } else if (body && typeof body === 'object') {
      const status = body as { reason?: string; message?: string };
      reason = status.reason;
      if (status.message) message = status.message;
    }
    if (code === 401) {
      reason ??= 'Unauthorized';
      message = 'Unauthorized (token rejected)';
    }
    const header = err.headers?.['retry-after'] ?? err.headers?.['Retry-After'];
    if (retryAfterSeconds === undefined && header !== undefined && /^\d+$/.test(header))
      retryAfterSeconds = Number(header);
    return { code, reason, message, retryAfterSeconds, transient: code === 429 || code >= 500 };
  }
  if (err instanceof K8sTimeoutError) {
    return {
      code: 0,
      reason: 'Timeout',
      message: err.message,
      retryAfterSeconds: undefined,
      transient: true,
    };
  }
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
  return {
    code: 0,
    reason: undefined,
    message: `network error: ${detail}`,
    retryAfterSeconds: undefined,
    transient: true,
  };
}

/** Race a request against a timeout and an optional abort signal. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw signal.reason;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new K8sTimeoutError(ms)), ms);
    if (signal) {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    promise.catch(() => {});
  }
}
