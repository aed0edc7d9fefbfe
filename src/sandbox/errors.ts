/**
 * Error bodies as the real API sends them (docs/design/scaleway-api.md §9): a JSON object with `type`, `message`
 * and type-specific keys, keys sorted alphabetically.
 */

export interface ArgumentDetail {
  argument_name: string;
  reason: 'required' | 'format' | 'constraint';
  help_message: string;
}

/** Thrown by the store and routes; the server turns it into the HTTP response. */
export class SandboxApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`);
    this.name = 'SandboxApiError';
  }
}

/** Deep copy with object keys in alphabetical order (arrays keep their order). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function err(status: number, body: Record<string, unknown>): SandboxApiError {
  return new SandboxApiError(status, sortKeys(body) as Record<string, unknown>);
}

export function notFound(resource: string, resourceId: string): SandboxApiError {
  return err(404, {
    message: 'resource is not found',
    resource,
    resource_id: resourceId,
    type: 'not_found',
  });
}

export function invalidArguments(details: readonly ArgumentDetail[]): SandboxApiError {
  return err(400, {
    details: details.map((d) => sortKeys(d)),
    message: 'invalid argument(s)',
    type: 'invalid_arguments',
  });
}

export function invalidArgument(
  argumentName: string,
  reason: ArgumentDetail['reason'],
  helpMessage: string,
): SandboxApiError {
  return invalidArguments([{ argument_name: argumentName, reason, help_message: helpMessage }]);
}

export function permissionsDenied(resource: string, action: string): SandboxApiError {
  return err(403, {
    details: [{ action, resource }],
    message: 'insufficient permissions',
    type: 'permissions_denied',
  });
}

export function deniedAuthentication(reason: 'not_found' | 'expired' | 'invalid_argument'): SandboxApiError {
  return err(401, {
    message: 'authentication is denied',
    method: 'api_key',
    reason,
    type: 'denied_authentication',
  });
}

export function transientState(
  resource: string,
  resourceId: string,
  currentState = 'updating',
): SandboxApiError {
  return err(409, {
    current_state: currentState,
    message: 'resource is in a transient state',
    resource,
    resource_id: resourceId,
    type: 'transient_state',
  });
}

export function alreadyExists(resource: string, resourceId: string, helpMessage: string): SandboxApiError {
  return err(409, {
    help_message: helpMessage,
    message: 'resource already exists',
    resource,
    resource_id: resourceId,
    type: 'already_exists',
  });
}

export function preconditionFailed(precondition: string, helpMessage: string): SandboxApiError {
  return err(412, {
    help_message: helpMessage,
    message: 'precondition is not respected',
    precondition,
    type: 'precondition_failed',
  });
}

/** 403 `quotas_exceeded` (docs/design/scaleway-api.md §9): one detail per quota reached. */
export function quotasExceeded(resource: string, quota: number, current: number): SandboxApiError {
  return err(403, {
    details: [{ current, quota, resource }],
    message: 'quota(s) exceeded for this resource',
    type: 'quotas_exceeded',
  });
}

export function invalidRequest(message: string): SandboxApiError {
  return err(400, { message, type: 'invalid_request_error' });
}

export function routeNotFound(method: string, path: string): SandboxApiError {
  return err(404, { message: `no route for ${method} ${path}`, type: 'not_found' });
}

export function methodNotAllowed(method: string, path: string): SandboxApiError {
  return err(405, { message: `method ${method} not allowed on ${path}`, type: 'method_not_allowed' });
}
