/**
 * The daemon's HTTP server (node:http): probes, metrics, status and webhooks.
 *
 *   GET  /healthz          200 while the process is alive and its loop is not stopped
 *   GET  /readyz           200 after the first successful live listing, else 503
 *   GET  /metrics          Prometheus text exposition
 *   GET  /status           JSON status document
 *   POST /hooks/github     X-Hub-Signature-256 verified; push → 202 + pass, ping → 200
 *   POST /hooks/gitlab     X-Gitlab-Token verified; push / tag push → 202 + pass
 *   POST /hooks/git-sync   git-sync's --webhook-url (Gitsync-Hash header) → 200 + pass
 *
 * Bad signatures get 401 and are logged without the payload; bodies above the limit get 413;
 * a wrong method gets 405 with `Allow`. Webhooks that are not configured answer 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import { RecentIds, verifyGithubSignature, verifyGitlabToken, type WebhookSecrets } from './webhooks.js';

export interface HttpServerDeps {
  readonly logger: Logger;
  readonly webhooks: WebhookSecrets;
  /** The Prometheus exposition (prom-client renders asynchronously). */
  readonly metrics: () => string | Promise<string>;
  readonly status: () => unknown;
  readonly ready: () => { ready: boolean; reason?: string };
  readonly healthy: () => { healthy: boolean; reason?: string };
  /** A webhook asked for a pass. */
  readonly trigger: (reason: string, detail: Record<string, string | undefined>) => void;
}

export interface HttpServerHandle {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

type Route = {
  methods: readonly string[];
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
};

export async function startHttpServer(
  deps: HttpServerDeps,
  listen: { host: string; port: number },
): Promise<HttpServerHandle> {
  const log = deps.logger.child({ component: 'http' });
  const deliveries = new RecentIds();

  const routes: Record<string, Route> = {
    '/healthz': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res) => {
        const h = deps.healthy();
        send(res, h.healthy ? 200 : 503, h.healthy ? 'ok\n' : `unhealthy: ${h.reason ?? ''}\n`);
      },
    },
    '/readyz': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res) => {
        const r = deps.ready();
        send(res, r.ready ? 200 : 503, r.ready ? 'ok\n' : `not ready: ${r.reason ?? ''}\n`);
      },
    },
    '/metrics': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res) => send(res, 200, await deps.metrics(), METRICS_CONTENT_TYPE),
    },
    '/status': {
      methods: ['GET', 'HEAD'],
      handle: async (_req, res) => sendJson(res, 200, deps.status()),
    },
    '/hooks/github': {
      methods: ['POST'],
      handle: async (req, res) => {
        const secret = deps.webhooks.github;
        if (!secret) return sendJson(res, 404, { error: 'github webhook is not configured' });
        const body = await readBody(req, deps.webhooks.maxBodyBytes);
        const event = header(req, 'x-github-event');
        const delivery = header(req, 'x-github-delivery');
        const check = verifyGithubSignature(secret, body, header(req, 'x-hub-signature-256'));
        if (!check.ok) {
          log.warn(
            { hook: 'github', event, delivery, reason: check.reason, remote: req.socket.remoteAddress },
            'webhook rejected: bad signature',
          );
          return sendJson(res, 401, { error: `signature ${check.reason}` });
        }
        if (event === 'ping') return sendJson(res, 200, { ok: true, event: 'ping' });
        if (event !== 'push') return sendJson(res, 200, { ok: true, ignored: `event ${event ?? '(none)'}` });
        if (delivery && deliveries.seen(`github:${delivery}`)) {
          return sendJson(res, 200, { ok: true, duplicate: delivery });
        }
        const push = parsePush(body, header(req, 'content-type'));
        deps.trigger('webhook-github', { delivery, ref: push.ref, after: push.after });
        return sendJson(res, 202, { ok: true, accepted: 'push' });
      },
    },
    '/hooks/gitlab': {
      methods: ['POST'],
      handle: async (req, res) => {
        const token = deps.webhooks.gitlab;
        if (!token) return sendJson(res, 404, { error: 'gitlab webhook is not configured' });
        const body = await readBody(req, deps.webhooks.maxBodyBytes);
        const event = header(req, 'x-gitlab-event');
        const delivery = header(req, 'x-gitlab-event-uuid') ?? header(req, 'idempotency-key');
        const check = verifyGitlabToken(token, header(req, 'x-gitlab-token'));
        if (!check.ok) {
          log.warn(
            { hook: 'gitlab', event, delivery, reason: check.reason, remote: req.socket.remoteAddress },
            'webhook rejected: bad token',
          );
          return sendJson(res, 401, { error: `token ${check.reason}` });
        }
        if (event !== 'Push Hook' && event !== 'Tag Push Hook') {
          return sendJson(res, 200, { ok: true, ignored: `event ${event ?? '(none)'}` });
        }
        if (delivery && deliveries.seen(`gitlab:${delivery}`)) {
          return sendJson(res, 200, { ok: true, duplicate: delivery });
        }
        const push = parsePush(body, header(req, 'content-type'));
        deps.trigger('webhook-gitlab', { delivery, ref: push.ref, after: push.after });
        return sendJson(res, 202, { ok: true, accepted: event });
      },
    },
    '/hooks/git-sync': {
      methods: ['POST', 'PUT'],
      handle: async (req, res) => {
        if (!deps.webhooks.gitSync) return sendJson(res, 404, { error: 'git-sync webhook is not enabled' });
        await readBody(req, deps.webhooks.maxBodyBytes);
        const hash = header(req, 'gitsync-hash');
        if (hash !== undefined && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(hash)) {
          return sendJson(res, 400, { error: 'Gitsync-Hash is not a commit hash' });
        }
        deps.trigger('webhook-git-sync', { hash });
        // git-sync counts the hook delivered only on its success status (default 200).
        return sendJson(res, 200, { ok: true });
      },
    },
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes[url.pathname.replace(/\/+$/, '') || '/'];
    if (!route) {
      req.resume();
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const method = req.method ?? 'GET';
    if (!route.methods.includes(method)) {
      req.resume();
      res.setHeader('Allow', route.methods.join(', '));
      sendJson(res, 405, { error: `method ${method} not allowed` });
      return;
    }
    route.handle(req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) {
        log.warn({ path: url.pathname, limit: deps.webhooks.maxBodyBytes }, 'request body too large');
        if (!res.headersSent)
          sendJson(res, 413, { error: `body exceeds ${deps.webhooks.maxBodyBytes} bytes` });
        return;
      }
      log.error({ err, path: url.pathname }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
  log.info({ url, host: listen.host, port: addr.port }, 'http server listening');
  return {
    url,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, `${JSON.stringify(body, null, 2)}\n`, 'application/json; charset=utf-8');
}

/** Read a request body up to `limit` bytes; BodyTooLarge beyond (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > limit * 16) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    req.on('close', () => {
      if (tooLarge) reject(new BodyTooLarge());
    });
  });
}

/** Best effort: `ref` and `after` of a push payload (JSON or GitHub's form encoding). */
function parsePush(body: Buffer, contentType: string | undefined): { ref?: string; after?: string } {
  try {
    let text = body.toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      text = new URLSearchParams(text).get('payload') ?? '{}';
    }
    const json = JSON.parse(text) as { ref?: unknown; after?: unknown; checkout_sha?: unknown };
    const out: { ref?: string; after?: string } = {};
    if (typeof json.ref === 'string') out.ref = json.ref.slice(0, 200);
    const after = typeof json.after === 'string' ? json.after : json.checkout_sha;
    if (typeof after === 'string' && /^[0-9a-f]{7,64}$/.test(after)) out.after = after;
    return out;
  } catch {
    return {};
  }
}
