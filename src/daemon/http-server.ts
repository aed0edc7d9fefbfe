/**
 * The daemon's HTTP listeners (node:http): probes, metrics, webhooks, and the control endpoints.
 *
 *   route                 listener       access
 *   GET  /healthz         main, admin    open      200 while alive, 503 while stopping
 *   GET  /readyz          main           open      200 after the first successful listing
 *   GET  /metrics         main           open      Prometheus text exposition
 *   GET  /status          main, admin    admin     JSON status document (access-guard.ts)
 *   GET  /ui              main, admin    admin     the read-only dashboard (src/ui/), and its
 *        /ui/live, /ui/dashboard.js, /ui/dashboard.css   refreshed part, script and stylesheet
 *   POST /hooks/<hook>    main           per hook  webhooks.ts: github, gitlab, git-sync
 *
 * `admin` access is the one AccessGuard of the control endpoints: a bearer token on any listener,
 * or, without a token, the admin listener (bound to loopback). A route is added to the control
 * surface by declaring `access: 'admin'`; the guard is applied here and nowhere else.
 *
 * Input never throws out of a handler: a malformed request line, target, header or method is
 * answered 400 (431 for oversized headers, 408 for a client too slow to send them) by the
 * `clientError` handler, an unparsable target by the dispatcher, and anything a handler throws
 * becomes a 500 for that request only. Bodies above the limit get 413; a wrong method 405 with
 * `Allow`; a webhook that is not configured 404. Malformed requests are counted, and logged at
 * debug level only (a flood of them must not become a flood of log lines).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AccessGuard, Listener } from './access-guard.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from '../ui/assets.js';
import { DASHBOARD_CSP } from '../ui/dashboard.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { WebhookIntake, WebhookReply } from './webhooks.js';

export interface HttpServerDeps {
  readonly logger: Logger;
  readonly hooks: WebhookIntake;
  /** The guard of `access: 'admin'` routes. */
  readonly admin: AccessGuard;
  /** The Prometheus exposition (prom-client renders asynchronously). */
  readonly metrics: () => string | Promise<string>;
  readonly status: () => unknown;
  /** The dashboard (src/ui/dashboard.ts): the whole page, or the part its script refreshes. */
  readonly dashboard: (part: 'page' | 'live') => string;
  readonly ready: () => { ready: boolean; reason?: string };
  readonly healthy: () => { healthy: boolean; reason?: string };
  /** Counts every answered request (route: a known path, `hooks`, `unmatched` or `malformed`). */
  readonly onRequest?: (e: { listener: Listener; route: string; status: number }) => void;
}

export interface HttpServerHandle {
  readonly url: string;
  readonly port: number;
  readonly listener: Listener;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}
/** The client went away before its body was complete: nothing to answer, nothing to log. */
class ClientGone extends Error {}

interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly listener: Listener;
  readonly path: string;
}

interface Route {
  readonly methods: readonly string[];
  readonly access: 'open' | 'admin';
  readonly listeners: readonly Listener[];
  handle(ctx: RouteContext): Promise<void> | void;
}

const MAX_TARGET_LENGTH = 8 * 1024;
const HTML = 'text/html; charset=utf-8';

/** A dashboard route: read-only, behind the admin guard, under the dashboard's CSP. */
function uiRoute(body: () => string, type: string): Route {
  return {
    methods: ['GET', 'HEAD'],
    access: 'admin',
    listeners: ['main', 'admin'],
    handle: ({ res }) => {
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
      send(res, 200, body(), type);
    },
  };
}

export async function startHttpServer(
  deps: HttpServerDeps,
  listen: { host: string; port: number },
  listener: Listener = 'main',
): Promise<HttpServerHandle> {
  const log = deps.logger.child({ component: 'http', listener });
  const routes: Record<string, Route> = {
    '/healthz': {
      methods: ['GET', 'HEAD'],
      access: 'open',
      listeners: ['main', 'admin'],
      handle: ({ res }) => {
        const h = deps.healthy();
        send(res, h.healthy ? 200 : 503, h.healthy ? 'ok\n' : `unhealthy: ${h.reason ?? ''}\n`);
      },
    },
    '/readyz': {
      methods: ['GET', 'HEAD'],
      access: 'open',
      listeners: ['main'],
      handle: ({ res }) => {
        const r = deps.ready();
        send(res, r.ready ? 200 : 503, r.ready ? 'ok\n' : `not ready: ${r.reason ?? ''}\n`);
      },
    },
    '/metrics': {
      methods: ['GET', 'HEAD'],
      access: 'open',
      listeners: ['main'],
      handle: async ({ res }) => send(res, 200, await deps.metrics(), METRICS_CONTENT_TYPE),
    },
    '/status': {
      methods: ['GET', 'HEAD'],
      access: 'admin',
      listeners: ['main', 'admin'],
      handle: ({ res }) => sendJson(res, 200, deps.status()),
    },
    '/ui': uiRoute(() => deps.dashboard('page'), HTML),
    '/ui/live': uiRoute(() => deps.dashboard('live'), HTML),
    '/ui/dashboard.js': uiRoute(() => DASHBOARD_JS, 'text/javascript; charset=utf-8'),
    '/ui/dashboard.css': uiRoute(() => DASHBOARD_CSS, 'text/css; charset=utf-8'),
  };

  const hookRoute = (ctx: RouteContext): Promise<void> | void => {
    const { req, res } = ctx;
    const provider = deps.hooks.provider(ctx.path.slice('/hooks/'.length));
    if (!provider) {
      req.resume();
      return sendJson(res, 404, { error: `webhook ${ctx.path} is not configured` });
    }
    if (!provider.methods.includes(req.method ?? '')) {
      req.resume();
      res.setHeader('Allow', provider.methods.join(', '));
      return sendJson(res, 405, { error: `method ${req.method ?? ''} not allowed` });
    }
    const delivery = { headers: req.headers, peer: req.socket.remoteAddress, listener: ctx.listener };
    const early = deps.hooks.admit(provider, delivery);
    if (early) {
      req.resume();
      return reply(res, early);
    }
    return readBody(req, deps.hooks.maxBodyBytes).then(
      (body) => reply(res, deps.hooks.receive(provider, { ...delivery, body })),
      (err: unknown) => {
        if (err instanceof ClientGone) {
          res.destroy();
          return;
        }
        if (!(err instanceof BodyTooLarge)) throw err;
        deps.hooks.rejected(provider, 'too_large');
        log.debug({ path: ctx.path, limit: deps.hooks.maxBodyBytes }, 'request body too large');
        if (!res.headersSent) sendJson(res, 413, { error: `body exceeds ${deps.hooks.maxBodyBytes} bytes` });
      },
    );
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = targetPath(req.url);
    if (path === undefined) {
      req.resume();
      res.setHeader('Connection', 'close');
      return sendJson(res, 400, { error: 'malformed request target' });
    }
    const ctx: RouteContext = { req, res, listener, path };
    if (listener === 'main' && path.startsWith('/hooks/')) return hookRoute(ctx);
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route?.listeners.includes(listener)) {
      req.resume();
      return sendJson(res, 404, { error: 'not found' });
    }
    const method = req.method ?? '';
    if (!route.methods.includes(method)) {
      req.resume();
      res.setHeader('Allow', route.methods.join(', '));
      return sendJson(res, 405, { error: `method ${method} not allowed` });
    }
    if (route.access === 'admin') {
      const decision = deps.admin.check({ headers: req.headers, peer: req.socket.remoteAddress, listener });
      if (!decision.allowed) {
        req.resume();
        res.setHeader('WWW-Authenticate', 'Bearer realm="scw-gitops"');
        return sendJson(res, 401, { error: decision.message });
      }
    }
    req.resume();
    return route.handle(ctx);
  };

  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    const path = targetPath(req.url);
    res.on('finish', () =>
      deps.onRequest?.({ listener, route: routeLabel(path, routes), status: res.statusCode }),
    );
    let pending: Promise<void>;
    try {
      pending = Promise.resolve(dispatch(req, res));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: unknown) => {
      log.error({ err, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT'
          ? 408
          : 400;
    deps.onRequest?.({ listener, route: 'malformed', status });
    log.debug({ code: err.code, remote: socket.remoteAddress }, 'malformed request refused');
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const text =
      status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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
    listener,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

/**
 * The path of a request target, without query or fragment and without trailing slashes, or
 * undefined when the target is not one we can serve: neither origin-form (`/path?q`) nor a parsable
 * absolute-form (`http://host/path`), too long, or holding control characters.
 */
export function targetPath(target: string | undefined): string | undefined {
  if (target === undefined || target.length === 0 || target.length > MAX_TARGET_LENGTH) return undefined;
  if (hasControlOrSpace(target)) return undefined;
  let path: string;
  if (target.startsWith('/')) {
    path = target.split(/[?#]/, 1)[0]!;
  } else if (/^https?:\/\//i.test(target)) {
    if (!URL.canParse(target)) return undefined;
    path = new URL(target).pathname;
  } else {
    return undefined;
  }
  return path.replace(/\/+$/, '') || '/';
}

function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

function routeLabel(path: string | undefined, routes: Record<string, Route>): string {
  if (path === undefined) return 'malformed';
  if (Object.hasOwn(routes, path)) return path;
  return path.startsWith('/hooks/') ? 'hooks' : 'unmatched';
}

function reply(res: ServerResponse, r: WebhookReply): void {
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  sendJson(res, r.status, r.body);
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
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
    req.on('error', () => reject(tooLarge ? new BodyTooLarge() : new ClientGone()));
    req.on('close', () => {
      // After 'end' this settles nothing (the promise is already resolved).
      reject(tooLarge ? new BodyTooLarge() : new ClientGone());
    });
  });
}
