/**
 * Retry rules of the HTTP client against a throwaway local server (tiny backoffs).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import {
  AmbiguousWriteError,
  isNotFound,
  ScalewayApiError,
  TransportError,
} from '../../src/scaleway/errors.js';
import { createScalewayClient, type RequestEvent } from '../../src/scaleway/http-client.js';
import { parseRetryAfter } from '../../src/scaleway/retry-policy.js';
import { type Handler, json, type TestServer, startTestServer } from './helpers/test-server.js';
import { ORG, TOKEN, uuidFor, wireApp } from './helpers/wire.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, extra: Partial<Parameters<typeof createScalewayClient>[0]> = {}) {
  server = await startTestServer(handler);
  const events: RequestEvent[] = [];
  const client = createScalewayClient({
    apiUrl: server.url,
    secretKey: new Secret(TOKEN),
    organizationId: ORG,
    retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5 },
    timeoutMs: 2_000,
    onRequest: (e) => events.push(e),
    ...extra,
  });
  return { client, events, server };
}

/** Answers the queued responses in order, then the last one forever. */
function sequence(...steps: Array<(res: Parameters<Handler>[1]) => void>): Handler {
  let i = 0;
  return (_req, res) => {
    const step = steps[Math.min(i++, steps.length - 1)]!;
    step(res);
  };
}

const ok = (body: unknown) => (res: Parameters<Handler>[1]) => json(res, 200, body);
const status =
  (code: number, body?: unknown, headers?: Record<string, string>) => (res: Parameters<Handler>[1]) =>
    json(res, code, body, headers);
const empty429 = (res: Parameters<Handler>[1]) => {
  res.writeHead(429, { 'X-Envoy-Ratelimited': 'true' });
  res.end();
};
const reset = (res: Parameters<Handler>[1]) => {
  res.socket?.destroy();
};
const hang = () => {};

describe('request basics', () => {
  it('sends the token, JSON and a scw-gitops User-Agent', async () => {
    const { client, server } = await setup(sequence(ok(wireApp(1))));
    const app = await client.getApplication(uuidFor(1));
    expect(app.name).toBe('app-1');
    const h = server.requests[0]!.headers;
    expect(h['x-auth-token']).toBe(TOKEN);
    expect(h['user-agent']).toMatch(/^scw-gitops\/\d+\.\d+\.\d+/);
    expect(h['accept']).toBe('application/json');
  });

  it('errors name method, route, status and message but never the token', async () => {
    const body = {
      message: 'resource is not found',
      resource: 'application',
      resource_id: uuidFor(9),
      type: 'not_found',
    };
    const { client } = await setup(sequence(status(404, body, { 'X-Request-Id': 'req-1' })));
    const err = await client.getApplication(uuidFor(9)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScalewayApiError);
    const e = err as ScalewayApiError;
    expect(isNotFound(e)).toBe(true);
    expect(e.message).toContain('GET /iam/v1alpha1/applications/{application_id}');
    expect(e.message).toContain('HTTP 404');
    expect(e.message).toContain('resource is not found');
    expect(e.requestId).toBe('req-1');
    expect(e.message).not.toContain(TOKEN);
    expect(JSON.stringify(e.body)).not.toContain(TOKEN);
  });
});

describe('logging', () => {
  it('logs requests and retries at trace level without the token or bodies', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const logger = pino({ level: 'trace' }, stream);
    const denied = { details: [], message: 'insufficient permissions', type: 'permissions_denied' };
    const { client } = await setup(sequence(empty429, status(503, {}), ok(wireApp(1)), status(403, denied)), {
      logger,
    });
    await client.getApplication(uuidFor(1));
    await client.createApplication({ name: 'x', description: 'body text', tags: [] }).catch(() => undefined);
    const out = lines.join('');
    expect(out).toContain('scaleway: request');
    expect(out).toContain('scaleway: retrying');
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('body text');
  });
});

describe('retries of idempotent calls', () => {
  it('retries 5xx and reports every attempt', async () => {
    const { client, events } = await setup(sequence(status(503, {}), status(502, {}), ok(wireApp(1))));
    await expect(client.getApplication(uuidFor(1))).resolves.toMatchObject({ id: uuidFor(1) });
    expect(events.map((e) => [e.status, e.attempt])).toEqual([
      [503, 1],
      [502, 2],
      [200, 3],
    ]);
    expect(events.every((e) => e.route === '/iam/v1alpha1/applications/{application_id}')).toBe(true);
  });

  it('does not retry 501', async () => {
    const { client, server } = await setup(sequence(status(501, { message: 'nope', type: 'x' })));
    await expect(client.getApplication(uuidFor(1))).rejects.toMatchObject({ status: 501 });
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after the configured retries with the last error', async () => {
    const { client, server } = await setup(sequence(status(503, {})));
    await expect(client.getApplication(uuidFor(1))).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(4);
  });

  it('retries the gateway 429 (empty body, X-Envoy-Ratelimited, no Retry-After)', async () => {
    const { client, events } = await setup(sequence(empty429, empty429, ok(wireApp(1))));
    await client.getApplication(uuidFor(1));
    expect(events.map((e) => e.status)).toEqual([429, 429, 200]);
  });

  it('honours a Retry-After on 429', async () => {
    const { client, server } = await setup(sequence(status(429, {}, { 'Retry-After': '0' }), ok(wireApp(1))));
    await client.getApplication(uuidFor(1));
    expect(server.requests).toHaveLength(2);
  });

  it('retries connection resets on GET', async () => {
    const { client, server } = await setup(sequence(reset, ok(wireApp(1))));
    await client.getApplication(uuidFor(1));
    expect(server.requests).toHaveLength(2);
  });

  it('retries timeouts on GET and ends with a TransportError', async () => {
    const { client, events } = await setup(sequence(hang), {
      timeoutMs: 100,
      retry: { retries: 1, minTimeoutMs: 1 },
    });
    const err = await client.getApplication(uuidFor(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).failure).toBe('timeout');
    expect(events.map((e) => [e.status, e.attempt])).toEqual([
      ['error', 1],
      ['error', 2],
    ]);
  });

  // One retry layer per failure class (docs/design/retries.md): refusals that mean "not now" are
  // waited for by the executor (test/executor/execute-plan.test.ts), never by the transport.
  it('does not retry 409 transient_state: one request, the error surfaces to the executor', async () => {
    const transient = {
      current_state: 'updating',
      message: 'resource is in a transient state',
      resource: 'group',
      resource_id: uuidFor(3),
      type: 'transient_state',
    };
    const group = { id: uuidFor(3), name: 'g', user_ids: [], application_ids: [uuidFor(1)], tags: [] };
    const { client, server } = await setup(sequence(status(409, transient), ok(group)));
    await expect(
      client.setGroupMembers(uuidFor(3), { applicationIds: [uuidFor(1)], userIds: [] }),
    ).rejects.toMatchObject({ status: 409, type: 'transient_state' });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry 412 resource_not_usable (project DELETE): the executor waits', async () => {
    const pre = {
      help_message: 'an unexpected error happened when checking if project has resources, please retry later',
      message: 'precondition is not respected',
      precondition: 'resource_not_usable',
      type: 'precondition_failed',
    };
    const { client, server } = await setup(sequence(status(412, pre), status(204)));
    await expect(client.deleteProject(uuidFor(5))).rejects.toMatchObject({ status: 412 });
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry 403 permissions_denied (IAM propagation is the executor’s to wait for)', async () => {
    const denied = {
      details: [{ action: 'read', resource: 'api_key' }],
      message: 'insufficient permissions',
      type: 'permissions_denied',
    };
    const { client, server } = await setup(sequence(status(403, denied), ok(wireApp(1))));
    await expect(client.getApplication(uuidFor(1))).rejects.toMatchObject({ type: 'permissions_denied' });
    expect(server.requests).toHaveLength(1);
  });

  it('treats DELETE 404 after an ambiguous attempt as success, but a first 404 as an error', async () => {
    const notFound = {
      message: 'resource is not found',
      resource: 'application',
      resource_id: 'x',
      type: 'not_found',
    };
    const a = await setup(sequence(status(503, {}), status(404, notFound)));
    await expect(a.client.deleteApplication(uuidFor(1))).resolves.toBeUndefined();
    await a.server.close();
    const b = await setup(sequence(reset, status(404, notFound)));
    await expect(b.client.deleteApplication(uuidFor(1))).resolves.toBeUndefined();
    await b.server.close();
    const c = await setup(sequence(status(404, notFound)));
    await expect(c.client.deleteApplication(uuidFor(1))).rejects.toSatisfy(isNotFound);
  });
});

describe('non-idempotent POST', () => {
  it('is never re-sent after a 5xx', async () => {
    const { client, server } = await setup(sequence(status(500, {}), ok(wireApp(1))));
    const err = await client
      .createApplication({ name: 'a', description: '', tags: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousWriteError);
    expect((err as Error).message).toContain('POST /iam/v1alpha1/applications');
    expect(server.requests).toHaveLength(1);
  });

  it('is never re-sent after a timeout', async () => {
    const { client, server, events } = await setup(sequence(hang), { timeoutMs: 100 });
    await expect(client.createApiKey({ applicationId: uuidFor(1), description: 'k' })).rejects.toBeInstanceOf(
      AmbiguousWriteError,
    );
    expect(events).toHaveLength(1);
    expect(server.requests.length).toBeLessThanOrEqual(1);
  });

  it('is never re-sent after a connection reset', async () => {
    const { client, server } = await setup(sequence(reset, ok(wireApp(1))));
    await expect(client.createGroup({ name: 'g', description: '', tags: [] })).rejects.toBeInstanceOf(
      AmbiguousWriteError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('reports a processed POST with an unreadable body as ambiguous', async () => {
    const { client, server } = await setup((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"id": "trunc');
    });
    await expect(client.createApplication({ name: 'a', description: '', tags: [] })).rejects.toBeInstanceOf(
      AmbiguousWriteError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('is retried after a clear 429', async () => {
    const { client, server } = await setup(sequence(empty429, ok(wireApp(1))));
    await client.createApplication({ name: 'app-1', description: '', tags: [] });
    expect(server.requests).toHaveLength(2);
  });

  it('is not retried on a 4xx refusal', async () => {
    const bad = {
      details: [{ argument_name: 'name', help_message: 'too long', reason: 'constraint' }],
      message: 'invalid argument(s)',
      type: 'invalid_arguments',
    };
    const { client, server } = await setup(sequence(status(400, bad)));
    const err = (await client
      .createApplication({ name: 'x', description: '', tags: [] })
      .catch((e: unknown) => e)) as ScalewayApiError;
    expect(err.info).toEqual({
      type: 'invalid_arguments',
      details: [{ argumentName: 'name', helpMessage: 'too long', reason: 'constraint' }],
    });
    expect(err.message).toContain('name: constraint (too long)');
    expect(server.requests).toHaveLength(1);
  });
});

describe('abort', () => {
  it('rejects with the caller reason and does not retry', async () => {
    const ctrl = new AbortController();
    const reason = new Error('caller gave up');
    // the caller gives up while the server holds the request
    const { client, server } = await setup(() => ctrl.abort(reason));
    await expect(client.getApplication(uuidFor(1), { signal: ctrl.signal })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects at once with an already aborted signal', async () => {
    const { client, server } = await setup(sequence(ok(wireApp(1))));
    const reason = new Error('already');
    await expect(client.getApplication(uuidFor(1), { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('secret key on create', () => {
  it('wraps the one-time secret and never exposes it in the decoded key', async () => {
    const secret = '3c1f0a5e-7b2d-4e8f-9a6c-1d2e3f4a5b6c';
    const key = {
      access_key: 'SCW0123456789ABCDEFG',
      secret_key: secret,
      description: 'k',
      created_at: '2026-06-01T10:00:00.000000Z',
      updated_at: '2026-06-01T10:00:00.000000Z',
      expires_at: null,
      default_project_id: ORG,
      editable: true,
      deletable: true,
      managed: false,
      creation_ip: '127.0.0.1',
      application_id: uuidFor(1),
    };
    const { client, server } = await setup(sequence(ok(key)));
    const created = await client.createApiKey({
      applicationId: uuidFor(1),
      description: 'k',
      expiresAt: null,
    });
    expect(created.secretKey.reveal()).toBe(secret);
    expect(JSON.stringify(created)).not.toContain(secret);
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ application_id: uuidFor(1), description: 'k' });
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
