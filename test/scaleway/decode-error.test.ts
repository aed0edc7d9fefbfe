/** Every error body shape of docs/design/scaleway-api.md §9 decodes to its typed info. */
import { describe, expect, it } from 'vitest';
import { decodeErrorBody } from '../../src/scaleway/decode-error.js';
import { ScalewayApiError } from '../../src/scaleway/errors.js';

const cases: Array<[string, number, unknown, unknown]> = [
  [
    'invalid_arguments',
    400,
    {
      details: [
        { argument_name: 'project_id', help_message: 'value must be a valid UUID', reason: 'format' },
      ],
      message: 'invalid argument(s)',
      type: 'invalid_arguments',
    },
    {
      type: 'invalid_arguments',
      details: [{ argumentName: 'project_id', helpMessage: 'value must be a valid UUID', reason: 'format' }],
    },
  ],
  [
    'denied_authentication',
    401,
    {
      message: 'authentication is denied',
      method: 'api_key',
      reason: 'not_found',
      type: 'denied_authentication',
    },
    { type: 'denied_authentication', method: 'api_key', reason: 'not_found' },
  ],
  [
    'permissions_denied',
    403,
    {
      details: [{ action: 'read', resource: 'api_key' }],
      message: 'insufficient permissions',
      type: 'permissions_denied',
    },
    { type: 'permissions_denied', details: [{ action: 'read', resource: 'api_key' }] },
  ],
  [
    'quotas_exceeded',
    403,
    {
      details: [{ current: 10, quota: 10, resource: 'api_keys' }],
      message: 'quota exceeded',
      type: 'quotas_exceeded',
    },
    { type: 'quotas_exceeded', details: [{ current: 10, quota: 10, resource: 'api_keys' }] },
  ],
  [
    'not_found',
    404,
    { message: 'resource is not found', resource: 'project_id', resource_id: 'abc', type: 'not_found' },
    { type: 'not_found', resource: 'project_id', resourceId: 'abc' },
  ],
  [
    'transient_state',
    409,
    {
      current_state: 'updating',
      message: 'resource is in a transient state',
      resource: 'group',
      resource_id: 'g',
      type: 'transient_state',
    },
    { type: 'transient_state', resource: 'group', resourceId: 'g', currentState: 'updating' },
  ],
  [
    'already_exists',
    409,
    {
      help_message: 'pick another name',
      message: 'already exists',
      resource: 'group',
      resource_id: 'g',
      type: 'already_exists',
    },
    { type: 'already_exists', resource: 'group', resourceId: 'g', helpMessage: 'pick another name' },
  ],
  [
    'precondition_failed',
    412,
    {
      help_message: 'retry later',
      message: 'precondition is not respected',
      precondition: 'resource_not_usable',
      type: 'precondition_failed',
    },
    { type: 'precondition_failed', precondition: 'resource_not_usable', helpMessage: 'retry later' },
  ],
  [
    'locked',
    423,
    { message: 'resource is locked', resource: 'project', resource_id: 'p', type: 'locked' },
    { type: 'locked', resource: 'project', resourceId: 'p' },
  ],
  [
    'expired (JS name)',
    410,
    {
      expired_since: '2026-01-01T00:00:00Z',
      message: 'expired',
      resource: 'api_key',
      resource_id: 'k',
      type: 'expired',
    },
    { type: 'resource_expired', resource: 'api_key', resourceId: 'k', expiredSince: '2026-01-01T00:00:00Z' },
  ],
  [
    'resource_expired (Go name)',
    410,
    {
      expired_since: 'x',
      message: 'expired',
      resource: 'api_key',
      resource_id: 'k',
      type: 'resource_expired',
    },
    { type: 'resource_expired', resource: 'api_key', resourceId: 'k', expiredSince: 'x' },
  ],
  [
    'out_of_stock',
    409,
    { message: 'out of stock', resource: 'x', type: 'out_of_stock' },
    { type: 'out_of_stock', resource: 'x' },
  ],
  [
    'too_many_requests',
    429,
    {
      help_message: 'slow down',
      limit: { quota: 10, window_seconds: 1 },
      message: 'too many requests',
      reset_seconds: 2,
      type: 'too_many_requests',
    },
    {
      type: 'too_many_requests',
      helpMessage: 'slow down',
      limit: { quota: 10, windowSeconds: 1 },
      resetSeconds: 2,
    },
  ],
  [
    'legacy invalid_request_error',
    400,
    { fields: { name: ['is required'] }, message: 'Validation Error', type: 'invalid_request_error' },
    { type: 'invalid_request_error', fields: { name: ['is required'] } },
  ],
  [
    'legacy unknown_resource',
    404,
    { message: 'unknown resource', type: 'unknown_resource' },
    { type: 'unknown_resource' },
  ],
  ['unknown type', 418, { message: 'teapot', type: 'brewing' }, { type: 'unknown', rawType: 'brewing' }],
];

describe('decodeErrorBody', () => {
  for (const [name, status, body, info] of cases) {
    it(`decodes ${name}`, () => {
      // error bodies come with alphabetically sorted keys and either whitespace style
      const text = JSON.stringify(body, null, name.length % 2 ? undefined : 1);
      const d = decodeErrorBody(status, '', text);
      expect(d.info).toEqual(info);
      expect(d.message).toBe((body as { message: string }).message);
      const err = new ScalewayApiError({
        method: 'GET',
        route: '/x',
        status,
        message: d.message,
        info: d.info,
      });
      expect(err.type).toBe((info as { type: string }).type);
      expect(err.message).toContain(`GET /x: HTTP ${status}`);
    });
  }

  it('decodes the empty gateway 429 as unknown with the status line', () => {
    const d = decodeErrorBody(429, 'Too Many Requests', '');
    expect(d).toEqual({ message: '429 Too Many Requests', info: { type: 'unknown' } });
  });

  it('decodes a non-JSON body without throwing', () => {
    const d = decodeErrorBody(502, '', '<html>bad gateway</html>');
    expect(d.info).toEqual({ type: 'unknown' });
    expect(d.message).toBe('502 Bad Gateway: non-JSON body');
  });

  it('tolerates a JSON array or scalar body', () => {
    expect(decodeErrorBody(500, 'Internal Server Error', '[1]').info).toEqual({ type: 'unknown' });
    expect(decodeErrorBody(500, 'Internal Server Error', '"x"').message).toBe('500 Internal Server Error');
  });
});
