/**
 * One HTTP call to the Scaleway API, with everything around it: auth header, JSON, per-attempt
 * timeout, caller abort, the client-wide adaptive concurrency limit, error decoding, metrics
 * hook and retries (policy in retry-policy.ts, loop by p-retry with jittered exponential backoff).
 *
 * Idempotency: GET/PUT/PATCH/DELETE are retried on ambiguous failures; a POST never is (it
 * throws AmbiguousWriteError). A DELETE answered 404 after an earlier attempt of the same call
 * failed ambiguously (timeout, reset, 5xx) counts as success: the earlier attempt deleted it.
 */
import ky from 'ky';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import type { Secret } from '../model/secret.js';
import { version } from '../version.js';
import type { AdaptiveLimiter, LimiterTicket } from './adaptive-limiter.js';
import { decodeErrorBody } from './decode-error.js';
import { nodeHttpFetch } from './node-http-fetch.js';
import { SignalFanout } from './signal-fanout.js';
import { AmbiguousWriteError, ScalewayApiError, TransportError, type TransportFailure } from './errors.js';
import { classifyFailure, type HttpMethod, parseRetryAfter, wasAmbiguous } from './retry-policy.js';

/** Emitted once per HTTP attempt (retries included). `status` is 'error' when no response came. */
export interface RequestEvent {
  readonly method: string;
  readonly route: string;
  readonly status: number | 'error';
  readonly attempt: number;
  readonly durationMs: number;
}

export interface RetrySettings {
  /** Retries after the first attempt. Default 6 (about 30 s of backoff in total). */
  readonly retries?: number;
  /** First backoff, before jitter (×1..2). Default 250 ms. */
  readonly minTimeoutMs?: number;
  /** Backoff ceiling. Default 10 s. */
  readonly maxTimeoutMs?: number;
  /** Cap on an honoured Retry-After. Default 60 s. */
  readonly maxRetryAfterMs?: number;
}

export interface TransportOptions {
  readonly apiUrl: string;
  readonly secretKey: Secret;
  readonly limiter: AdaptiveLimiter;
  /** Per-attempt timeout (request + body). Default 30 s (the Go SDK's). */
  readonly timeoutMs?: number;
  readonly retry?: RetrySettings;
  readonly logger?: Logger;
  readonly onRequest?: (e: RequestEvent) => void;
  /** Seam for tests and instrumentation. Default: `nodeHttpFetch` (node:http, keep-alive). */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestSpec {
  readonly method: HttpMethod;
  /** Concrete path (ids filled in, URL-encoded). */
  readonly path: string;
  /** Route template for messages and metrics, e.g. `/iam/v1alpha1/applications/{application_id}`. */
  readonly route: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

export interface ScalewayResponse {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty body (204). */
  readonly body: unknown;
}

export interface Transport {
  request(spec: RequestSpec): Promise<ScalewayResponse>;
}

const USER_AGENT = `scw-gitops/${version}`;

class TimeoutSignalReason extends Error {}

function buildQuery(query: RequestSpec['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function transportFailure(err: unknown): { failure: TransportFailure; detail: string } {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  const detail = [err instanceof Error ? err.message : String(err), cause?.message, code]
    .filter(Boolean)
    .join(': ');
  if (code === 'ECONNREFUSED') return { failure: 'connection-refused', detail };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') {
    return { failure: 'connection-reset', detail };
  }
  return { failure: 'network', detail };
}

export function createTransport(opts: TransportOptions): Transport {
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const retries = opts.retry?.retries ?? 6;
  const minTimeout = opts.retry?.minTimeoutMs ?? 250;
  const maxTimeout = opts.retry?.maxTimeoutMs ?? 10_000;
  const maxRetryAfter = opts.retry?.maxRetryAfterMs ?? 60_000;
  const now = opts.now ?? (() => new Date());
  const fanout = new SignalFanout();
  const http = ky.create({
    retry: 0,
    timeout: false,
    throwHttpErrors: false,
    fetch: opts.fetch ?? nodeHttpFetch,
  });

  async function attemptOnce(spec: RequestSpec, attempt: number): Promise<ScalewayResponse> {
    const { limiter } = opts;
    const ticket: LimiterTicket = await limiter.acquire(spec.signal);
    const started = performance.now();
    // this attempt's signal: the request's, or the timeout
    const ctl = fanout.child(spec.signal);
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      ctl.abort(new TimeoutSignalReason('timeout'));
    }, timeoutMs);
    const signal = ctl.signal;
    let status: number | 'error' = 'error';
    try {
      const headers: Record<string, string> = {
        'X-Auth-Token': opts.secretKey.reveal(),
        'User-Agent': USER_AGENT,
        Accept: 'application/json',
      };
      let response: Response;
      let text: string;
      try {
        response = await http(`${apiUrl}${spec.path}${buildQuery(spec.query)}`, {
          method: spec.method,
          headers,
          signal,
          ...(spec.body !== undefined ? { json: spec.body } : {}),
        });
        status = response.status;
        text = await response.text();
      } catch (err) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (timedOut) {
          throw new TransportError(
            spec.method,
            spec.route,
            'timeout',
            `no complete answer within ${timeoutMs} ms`,
          );
        }
        const { failure, detail } = transportFailure(err);
        throw new TransportError(spec.method, spec.route, failure, detail, err);
      }
      if (response.ok) {
        limiter.onSuccess();
        if (text.trim().length === 0) return { status: response.status, body: undefined };
        try {
          return { status: response.status, body: JSON.parse(text) };
        } catch {
          if (spec.method === 'POST') {
            // processed (2xx) but unreadable: the object exists and we cannot tell its id
            throw new AmbiguousWriteError(
              spec.method,
              spec.route,
              new Error(`HTTP ${response.status} with a body that is not JSON`),
            );
          }
          throw new ScalewayApiError({
            method: spec.method,
            route: spec.route,
            status: response.status,
            message: 'success response with a body that is not JSON',
            info: { type: 'unknown' },
          });
        }
      }
      const decoded = decodeErrorBody(response.status, response.statusText, text);
      const requestId = response.headers.get('x-request-id') ?? undefined;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      const rateLimited = response.headers.get('x-envoy-ratelimited') === 'true';
      if (response.status === 429) {
        if (limiter.onRateLimited(ticket)) {
          opts.logger?.warn(
            { route: spec.route, limit: limiter.effectiveLimit },
            'scaleway: rate limited, reducing concurrency',
          );
        }
      }
      throw new ScalewayApiError({
        method: spec.method,
        route: spec.route,
        status: response.status,
        statusText: response.statusText,
        message: decoded.message,
        info: decoded.info,
        ...(decoded.body !== undefined ? { body: decoded.body } : {}),
        ...(requestId ? { requestId } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        rateLimited,
      });
    } finally {
      clearTimeout(timeout);
      fanout.release(spec.signal, ctl);
      limiter.release();
      const event: RequestEvent = {
        method: spec.method,
        route: spec.route,
        status,
        attempt,
        durationMs: performance.now() - started,
      };
      opts.logger?.trace(event, 'scaleway: request');
      opts.onRequest?.(event);
    }
  }

  async function request(callerSpec: RequestSpec): Promise<ScalewayResponse> {
    // A signal of this request alone, following the caller's: the listeners this request adds
    // (limiter queue, retry back-off, Retry-After sleep) go on it, never on the signal a whole
    // pass shares with thousands of other requests (MaxListenersExceededWarning).
    const own = callerSpec.signal ? fanout.child(callerSpec.signal) : undefined;
    const spec: RequestSpec = own ? { ...callerSpec, signal: own.signal } : callerSpec;
    try {
      return await requestWith(spec);
    } finally {
      if (own) fanout.release(callerSpec.signal, own);
    }
  }

  async function requestWith(spec: RequestSpec): Promise<ScalewayResponse> {
    const ctx = { method: spec.method };
    let earlierAmbiguous = false;
    const verdicts = new WeakMap<object, boolean>();
    try {
      return await pRetry(
        async (attempt) => {
          try {
            return await attemptOnce(spec, attempt);
          } catch (err) {
            if (spec.signal?.aborted && err === spec.signal.reason) throw err;
            if (spec.method === 'DELETE' && earlierAmbiguous && err instanceof ScalewayApiError) {
              if (err.status === 404) {
                opts.logger?.debug(
                  { route: spec.route },
                  'scaleway: DELETE 404 after ambiguous attempt: done',
                );
                return { status: 204, body: undefined };
              }
            }
            const verdict = classifyFailure(err, ctx);
            if (verdict === 'ambiguous') throw new AmbiguousWriteError(spec.method, spec.route, err);
            if (wasAmbiguous(err)) earlierAmbiguous = true;
            if (typeof err === 'object' && err !== null) verdicts.set(err, verdict === 'retry');
            throw err;
          }
        },
        {
          retries,
          minTimeout,
          maxTimeout,
          factor: 2,
          randomize: true,
          ...(spec.signal ? { signal: spec.signal } : {}),
          shouldRetry: ({ error }) => verdicts.get(error) === true,
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (verdicts.get(error) !== true || retriesLeft <= 0) return;
            const status = error instanceof ScalewayApiError ? error.status : 'error';
            opts.logger?.debug(
              { method: spec.method, route: spec.route, status, attempt: attemptNumber },
              'scaleway: retrying',
            );
            if (error instanceof ScalewayApiError && error.retryAfterMs !== undefined) {
              await systemClock.sleep(Math.min(error.retryAfterMs, maxRetryAfter), spec.signal);
            }
          },
        },
      );
    } catch (err) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw err;
    }
  }

  return { request };
}
