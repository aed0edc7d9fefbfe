/**
 * Errors of the Scaleway client.
 *
 * - `ScalewayApiError`: the API answered with an HTTP error status. `info` is the decoded
 *   error body, discriminated by `info.type` (every shape of docs/design/scaleway-api.md §9, plus `unknown` for bodies
 *   that are not JSON or carry an unknown type, such as the gateway's empty 429).
 * - `TransportError`: no HTTP answer (connection refused/reset, timeout, DNS). Internal to the
 *   retry loop for idempotent calls; surfaces when retries are exhausted.
 * - `AmbiguousWriteError`: a non-idempotent call (POST) failed in a way that does not tell
 *   whether the server processed it (timeout, reset, 5xx). Never re-sent automatically: the
 *   caller must look the object up first (e.g. list by name) before trying again.
 * - `ListingInconsistentError`: a paginated listing kept disagreeing with `total_count`
 *   (the organization changed while it was listed) after the allowed number of re-lists.
 * - `ScalewayDecodeError`: a 2xx response body lacked a field we cannot do without.
 *
 * Messages name method, route, status and the decoded message. They never contain the auth
 * token (it is never put into a message, and AppError scrubs every registered Secret anyway).
 */
import { AppError } from '../errors.js';

export interface InvalidArgumentDetail {
  readonly argumentName: string;
  readonly reason: string;
  readonly helpMessage: string;
}

export interface QuotaDetail {
  readonly resource: string;
  readonly quota: number;
  readonly current: number;
}

export interface PermissionDetail {
  readonly resource: string;
  readonly action: string;
}

/** Decoded error body, discriminated by the Scaleway `type`. */
export type ScalewayErrorInfo =
  | { readonly type: 'invalid_arguments'; readonly details: readonly InvalidArgumentDetail[] }
  | { readonly type: 'quotas_exceeded'; readonly details: readonly QuotaDetail[] }
  | { readonly type: 'permissions_denied'; readonly details: readonly PermissionDetail[] }
  | { readonly type: 'denied_authentication'; readonly method: string; readonly reason: string }
  | {
      readonly type: 'precondition_failed';
      readonly precondition: string;
      readonly helpMessage: string;
    }
  | {
      readonly type: 'transient_state';
      readonly resource: string;
      readonly resourceId: string;
      readonly currentState: string;
    }
  | { readonly type: 'not_found'; readonly resource: string; readonly resourceId: string }
  | { readonly type: 'locked'; readonly resource: string; readonly resourceId: string }
  | {
      readonly type: 'already_exists';
      readonly resource: string;
      readonly resourceId: string;
      readonly helpMessage: string;
    }
  | {
      /** `expired` (JS SDK) and `resource_expired` (Go SDK) both decode to this. */
      readonly type: 'resource_expired';
      readonly resource: string;
      readonly resourceId: string;
      readonly expiredSince: string;
    }
  | { readonly type: 'out_of_stock'; readonly resource: string }
  | {
      readonly type: 'too_many_requests';
      readonly helpMessage: string;
      readonly limit?: { readonly quota: number; readonly windowSeconds: number };
      readonly resetSeconds?: number;
      readonly resetAt?: string;
    }
  | {
      /** Legacy `invalid_request_error`: `fields` maps a field name to its messages. */
      readonly type: 'invalid_request_error';
      readonly fields: Readonly<Record<string, readonly string[]>>;
    }
  | { readonly type: 'unknown_resource' }
  | {
      /** Anything else: non-JSON body, empty body (gateway 429), or a type we do not know. */
      readonly type: 'unknown';
      readonly rawType?: string;
    };

export type ScalewayErrorType = ScalewayErrorInfo['type'];

export interface ApiErrorInit {
  readonly method: string;
  /** Route template, e.g. `/iam/v1alpha1/applications/{application_id}`. */
  readonly route: string;
  readonly status: number;
  readonly statusText?: string;
  readonly message: string;
  readonly info: ScalewayErrorInfo;
  /** The parsed JSON body (undefined when the body was empty or not JSON). */
  readonly body?: unknown;
  readonly requestId?: string;
  /** Parsed Retry-After, in ms, when the response carried one. */
  readonly retryAfterMs?: number;
  /** `X-Envoy-Ratelimited: true` (the gateway's rate limiter). */
  readonly rateLimited?: boolean;
}

/** The API answered with an error status; the body is decoded into `info`. */
export class ScalewayApiError extends AppError {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  /** Scaleway error type (`info.type`), kept flat for logging and metrics. */
  readonly type: ScalewayErrorType;
  readonly info: ScalewayErrorInfo;
  /** The server's message (`message` key), or the status line when the body had none. */
  readonly apiMessage: string;
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly rateLimited: boolean;

  constructor(init: ApiErrorInit) {
    super('scaleway-api', formatApiErrorMessage(init), {
      retryable: isRetryableStatus(init.status, init.info),
    });
    this.method = init.method;
    this.route = init.route;
    this.status = init.status;
    this.type = init.info.type;
    this.info = init.info;
    this.apiMessage = init.message;
    this.body = init.body;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimited = init.rateLimited ?? false;
  }
}

function isRetryableStatus(status: number, info: ScalewayErrorInfo): boolean {
  if (status === 429) return true;
  if (status >= 500 && status !== 501) return true;
  return info.type === 'transient_state';
}

function describeInfo(info: ScalewayErrorInfo): string {
  switch (info.type) {
    case 'invalid_arguments':
      return info.details
        .map((d) => `${d.argumentName}: ${d.reason}${d.helpMessage ? ` (${d.helpMessage})` : ''}`)
        .join('; ');
    case 'quotas_exceeded':
      return info.details.map((d) => `${d.resource} ${d.current}/${d.quota}`).join('; ');
    case 'permissions_denied':
      return info.details.map((d) => `${d.action} on ${d.resource}`).join('; ');
    case 'denied_authentication':
      return `method ${info.method}, reason ${info.reason}`;
    case 'precondition_failed':
      return [info.precondition, info.helpMessage].filter(Boolean).join(': ');
    case 'transient_state':
      return `${info.resource || 'resource'} ${info.resourceId} is ${info.currentState}`;
    case 'not_found':
    case 'locked':
      return `${info.resource || 'resource'} ${info.resourceId}`.trim();
    case 'already_exists':
      return [`${info.resource} ${info.resourceId}`.trim(), info.helpMessage].filter(Boolean).join(': ');
    case 'resource_expired':
      return `${info.resource} ${info.resourceId} expired since ${info.expiredSince}`.trim();
    case 'out_of_stock':
      return info.resource;
    case 'too_many_requests':
      return info.helpMessage;
    case 'invalid_request_error':
      return Object.entries(info.fields)
        .map(([k, v]) => `${k}: ${v.join(', ')}`)
        .join('; ');
    case 'unknown_resource':
      return '';
    case 'unknown':
      return info.rawType ?? '';
  }
}

function formatApiErrorMessage(init: ApiErrorInit): string {
  const detail = describeInfo(init.info);
  const type = init.info.type === 'unknown' ? '' : ` ${init.info.type}`;
  const req = init.requestId ? ` [request ${init.requestId}]` : '';
  return `${init.method} ${init.route}: HTTP ${init.status}${type}: ${init.message}${detail ? ` (${detail})` : ''}${req}`;
}

export type TransportFailure = 'timeout' | 'connection-refused' | 'connection-reset' | 'network';

/** No HTTP answer at all. `notSent` is true when the request provably never reached the server. */
export class TransportError extends AppError {
  readonly method: string;
  readonly route: string;
  readonly failure: TransportFailure;
  readonly notSent: boolean;
  constructor(method: string, route: string, failure: TransportFailure, detail: string, cause?: unknown) {
    super('scaleway-transport', `${method} ${route}: ${failure}: ${detail}`, { retryable: true, cause });
    this.method = method;
    this.route = route;
    this.failure = failure;
    this.notSent = failure === 'connection-refused';
  }
}

/**
 * A POST may or may not have been processed. The cause is the TransportError or the
 * 5xx ScalewayApiError. Look the object up (by name/description) before creating it again.
 */
export class AmbiguousWriteError extends AppError {
  readonly method: string;
  readonly route: string;
  constructor(method: string, route: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'scaleway-ambiguous-write',
      `${method} ${route}: outcome unknown, the server may have processed the request; not re-sent, look the object up before retrying (${why})`,
      { cause, retryable: false },
    );
    this.method = method;
    this.route = route;
  }
}

/** The listing never agreed with `total_count` after `attempts` complete listings. */
export class ListingInconsistentError extends AppError {
  readonly route: string;
  readonly attempts: number;
  readonly expected: number;
  readonly received: number;
  constructor(route: string, attempts: number, expected: number, received: number) {
    super(
      'scaleway-listing-inconsistent',
      `GET ${route}: listing inconsistent after ${attempts} attempts: total_count ${expected} but ${received} unique items (the organization changed during listing); refusing to return a partial list`,
      { retryable: true },
    );
    this.route = route;
    this.attempts = attempts;
    this.expected = expected;
    this.received = received;
  }
}

/** A success response lacked a required field or had the wrong JSON type for it. */
export class ScalewayDecodeError extends AppError {
  constructor(what: string, field: string, detail: string) {
    super('scaleway-decode', `cannot decode ${what}: field ${field} ${detail}`);
  }
}

export function isScalewayApiError(err: unknown): err is ScalewayApiError {
  return err instanceof ScalewayApiError;
}

/** True for a 404 `not_found` (or any 404) from the API. */
/** The quotas a `quotas_exceeded` error (here or among its causes) names; undefined for any other error. */
export function quotasExceeded(err: unknown): readonly QuotaDetail[] | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ScalewayApiError && e.info.type === 'quotas_exceeded') return e.info.details;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ScalewayApiError && (err.status === 404 || err.type === 'not_found');
}

export function isTransientState(err: unknown): boolean {
  return err instanceof ScalewayApiError && err.type === 'transient_state';
}

export function isPermissionDenied(err: unknown): boolean {
  return err instanceof ScalewayApiError && err.type === 'permissions_denied';
}

export function isRateLimited(err: unknown): boolean {
  return err instanceof ScalewayApiError && err.status === 429;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ScalewayApiError && err.type === 'already_exists';
}

export function isPreconditionFailed(err: unknown, precondition?: string): boolean {
  return (
    err instanceof ScalewayApiError &&
    err.info.type === 'precondition_failed' &&
    (precondition === undefined || err.info.precondition === precondition)
  );
}
