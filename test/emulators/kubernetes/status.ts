/**
 * Kubernetes `Status` objects and the apiserver error catalogue (docs/design/kubernetes.md §1.2/§1.3).
 * Every error the emulator returns is built here so the wire format stays in one place.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** A resource as the error messages name it (plural + group). */
export interface ResourceRef {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
}

/** `secrets`, `leases.coordination.k8s.io`, `events.events.k8s.io`. */
export function qualified(ref: ResourceRef): string {
  return ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`;
}

export class StatusError extends Error {
  readonly code: number;
  readonly body: StatusBody;
  readonly headers: Record<string, string>;
  constructor(
    code: number,
    body: Omit<StatusBody, 'kind' | 'apiVersion' | 'metadata' | 'status' | 'code'>,
    headers: Record<string, string> = {},
  ) {
    super(body.message ?? `status ${code}`);
    this.code = code;
    this.headers = headers;
    const full: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' };
    if (body.message !== undefined) full.message = body.message;
    if (body.reason !== undefined) full.reason = body.reason;
    if (body.details !== undefined) full.details = body.details;
    full.code = code;
    this.body = full;
  }
}

function details(ref: ResourceRef, name?: string, extra: Partial<StatusDetails> = {}): StatusDetails {
  const d: StatusDetails = {};
  if (name !== undefined && name !== '') d.name = name;
  if (ref.group !== '') d.group = ref.group;
  d.kind = ref.resource;
  return { ...d, ...extra };
}

export const errors = {
  unauthorized(): StatusError {
    return new StatusError(401, { message: 'Unauthorized', reason: 'Unauthorized' });
  },
  forbidden(
    ref: ResourceRef,
    name: string | undefined,
    user: string,
    verb: string,
    namespace: string | undefined,
  ): StatusError {
    const subject = name ? `${qualified(ref)} "${name}"` : qualified(ref);
    const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
    const message = `${subject} is forbidden: User "${user}" cannot ${verb} resource "${ref.resource}" in API group "${ref.group}"${scope}`;
    return new StatusError(403, { message, reason: 'Forbidden', details: details(ref, name) });
  },
  notFound(ref: ResourceRef, name: string): StatusError {
    return new StatusError(404, {
      message: `${qualified(ref)} "${name}" not found`,
      reason: 'NotFound',
      details: details(ref, name),
    });
  },
  namespaceNotFound(namespace: string): StatusError {
    return new StatusError(404, {
      message: `namespaces "${namespace}" not found`,
      reason: 'NotFound',
      details: { name: namespace, kind: 'namespaces' },
    });
  },
  routeNotFound(): StatusError {
    return new StatusError(404, {
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
    });
  },
  methodNotAllowed(): StatusError {
    return new StatusError(405, {
      message: 'the server does not allow this method on the requested resource',
      reason: 'MethodNotAllowed',
      details: {},
    });
  },
  alreadyExists(ref: ResourceRef, name: string): StatusError {
    return new StatusError(409, {
      message: `${qualified(ref)} "${name}" already exists`,
      reason: 'AlreadyExists',
      details: details(ref, name),
    });
  },
  conflict(ref: ResourceRef, name: string, why: string): StatusError {
    return new StatusError(409, {
      message: `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`,
      reason: 'Conflict',
      details: details(ref, name),
    });
  },
  optimisticLock(ref: ResourceRef, name: string): StatusError {
    return errors.conflict(
      ref,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  },
  applyConflict(message: string, causes: StatusCause[]): StatusError {
    return new StatusError(409, { message, reason: 'Conflict', details: { causes } });
  },
  /** 422: `<Kind> "name" is invalid: field: msg; field: msg`. details.kind is the Kind here. */
  invalid(ref: ResourceRef, name: string, causes: StatusCause[]): StatusError {
    const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    const rendered = causes.length === 1 ? text : `[${text}]`;
    const d: StatusDetails = { name, kind: ref.kind, causes };
    if (ref.group !== '') d.group = ref.group;
    return new StatusError(422, {
      message: `${ref.kind} "${name}" is invalid: ${rendered}`,
      reason: 'Invalid',
      details: d,
    });
  },
  invalidOptions(kind: string, causes: StatusCause[]): StatusError {
    const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return new StatusError(422, {
      message: `${kind} "" is invalid: ${text}`,
      reason: 'Invalid',
      details: { group: 'meta.k8s.io', kind, causes },
    });
  },
  badRequest(message: string): StatusError {
    return new StatusError(400, { message, reason: 'BadRequest' });
  },
  undecodable(kind: string, apiVersion: string, why: string): StatusError {
    return errors.badRequest(`${kind} in version "${apiVersion}" cannot be handled as a ${kind}: ${why}`);
  },
  unsupportedMediaType(contentType: string): StatusError {
    return new StatusError(415, {
      message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      reason: 'UnsupportedMediaType',
      details: contentType ? { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] } : {},
    });
  },
  tooManyRequests(retryAfterSeconds: number): StatusError {
    return new StatusError(
      429,
      {
        message: 'Too many requests, please try again later.',
        reason: 'TooManyRequests',
        details: { retryAfterSeconds },
      },
      { 'Retry-After': String(retryAfterSeconds) },
    );
  },
  internal(message = 'Internal error occurred: etcd cluster is unavailable or misconfigured'): StatusError {
    return new StatusError(500, { message, reason: 'InternalError', details: { causes: [{ message }] } });
  },
  unavailable(message = 'the server is currently unable to handle the request'): StatusError {
    return new StatusError(503, { message, reason: 'ServiceUnavailable' });
  },
  timeout(): StatusError {
    return new StatusError(504, {
      message: 'Timeout: request did not complete within the allotted timeout',
      reason: 'Timeout',
      details: {},
    });
  },
};

/** The `Status` returned by a successful DELETE. */
export function deleteSuccess(ref: ResourceRef, name: string, uid: string): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: details(ref, name, { uid }),
  };
}
