/**
 * Error-body decoding (docs/design/scaleway-api.md §9). Pure: takes the status and the raw body text, returns the
 * server message and a typed `ScalewayErrorInfo`. Never throws: a body that is empty, not JSON
 * or of an unknown type becomes `{type:'unknown'}` with the status line as message, which is
 * what both official SDKs do.
 */
import type { InvalidArgumentDetail, PermissionDetail, QuotaDetail, ScalewayErrorInfo } from './errors.js';

export interface DecodedErrorBody {
  readonly message: string;
  readonly info: ScalewayErrorInfo;
  /** Parsed JSON, when the body was JSON. */
  readonly body?: unknown;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, k: string): string {
  const v = o[k];
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function num(o: Obj, k: string): number | undefined {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function objs(o: Obj, k: string): Obj[] {
  const v = o[k];
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** Decode the known fields of a parsed JSON error body. */
export function decodeErrorInfo(body: Obj): ScalewayErrorInfo {
  const type = str(body, 'type');
  switch (type) {
    case 'invalid_arguments':
      return {
        type,
        details: objs(body, 'details').map(
          (d): InvalidArgumentDetail => ({
            argumentName: str(d, 'argument_name'),
            reason: str(d, 'reason'),
            helpMessage: str(d, 'help_message'),
          }),
        ),
      };
    case 'quotas_exceeded':
      return {
        type,
        details: objs(body, 'details').map(
          (d): QuotaDetail => ({
            resource: str(d, 'resource'),
            quota: num(d, 'quota') ?? 0,
            current: num(d, 'current') ?? 0,
          }),
        ),
      };
    case 'permissions_denied':
      return {
        type,
        details: objs(body, 'details').map(
          (d): PermissionDetail => ({ resource: str(d, 'resource'), action: str(d, 'action') }),
        ),
      };
    case 'denied_authentication':
      return { type, method: str(body, 'method'), reason: str(body, 'reason') };
    case 'precondition_failed':
      return { type, precondition: str(body, 'precondition'), helpMessage: str(body, 'help_message') };
    case 'transient_state':
      return {
        type,
        resource: str(body, 'resource'),
        resourceId: str(body, 'resource_id'),
        currentState: str(body, 'current_state'),
      };
    case 'not_found':
    case 'locked':
      return { type, resource: str(body, 'resource'), resourceId: str(body, 'resource_id') };
    case 'already_exists':
      return {
        type,
        resource: str(body, 'resource'),
        resourceId: str(body, 'resource_id'),
        helpMessage: str(body, 'help_message'),
      };
    case 'expired':
    case 'resource_expired':
      return {
        type: 'resource_expired',
        resource: str(body, 'resource'),
        resourceId: str(body, 'resource_id'),
        expiredSince: str(body, 'expired_since'),
      };
    case 'out_of_stock':
      return { type, resource: str(body, 'resource') };
    case 'too_many_requests': {
      const limit = isObj(body['limit']) ? body['limit'] : undefined;
      const resetSeconds = num(body, 'reset_seconds');
      const resetAt = str(body, 'reset_at');
      return {
        type,
        helpMessage: str(body, 'help_message'),
        ...(limit
          ? { limit: { quota: num(limit, 'quota') ?? 0, windowSeconds: num(limit, 'window_seconds') ?? 0 } }
          : {}),
        ...(resetSeconds !== undefined ? { resetSeconds } : {}),
        ...(resetAt ? { resetAt } : {}),
      };
    }
    case 'invalid_request_error': {
      const fields: Record<string, string[]> = {};
      const raw = body['fields'];
      if (isObj(raw)) {
        for (const [k, v] of Object.entries(raw)) {
          fields[k] = Array.isArray(v) ? v.map(String) : [String(v)];
        }
      }
      return { type, fields };
    }
    case 'unknown_resource':
      return { type };
    default:
      return type ? { type: 'unknown', rawType: type } : { type: 'unknown' };
  }
}

/**
 * Decode an error response. `statusText` is used as the message when the body has none
 * (empty 429 from the gateway, HTML from a proxy).
 */
export function decodeErrorBody(status: number, statusText: string, text: string): DecodedErrorBody {
  const fallback = `${status} ${statusText || defaultStatusText(status)}`.trim();
  const trimmed = text.trim();
  if (trimmed.length === 0) return { message: fallback, info: { type: 'unknown' } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { message: `${fallback}: non-JSON body`, info: { type: 'unknown' } };
  }
  if (!isObj(parsed)) return { message: fallback, info: { type: 'unknown' }, body: parsed };
  const message = str(parsed, 'message') || fallback;
  return { message, info: decodeErrorInfo(parsed), body: parsed };
}

function defaultStatusText(status: number): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 409:
      return 'Conflict';
    case 412:
      return 'Precondition Failed';
    case 429:
      return 'Too Many Requests';
    case 500:
      return 'Internal Server Error';
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Unavailable';
    case 504:
      return 'Gateway Timeout';
    default:
      return '';
  }
}
