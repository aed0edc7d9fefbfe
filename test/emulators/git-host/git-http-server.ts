/**
 * A git host on loopback for tests and benchmarks: Debian's `git http-backend` (the smart HTTP
 * protocol, v0 and v2) behind a small Node HTTP server on port 0, serving every bare repository
 * under `root` at `http://127.0.0.1:<port>/<name>.git`.
 *
 * - CGI by hand: the request becomes the CGI environment (`PATH_INFO`, `QUERY_STRING`,
 *   `CONTENT_TYPE`, `GIT_PROTOCOL`, `HTTP_CONTENT_ENCODING` for gzipped bodies), the body goes to
 *   the backend's stdin, and its `Status:` / header block is turned back into the response.
 * - `auth: { username, password }` requires HTTP Basic credentials (401 with a challenge
 *   otherwise), like a private repository on a real host.
 * - `requests` records what was asked (method, path, whether credentials were sent), never the
 *   credentials themselves.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHttpServerOptions {
  /** Directory holding the bare repositories (`<name>.git`). */
  readonly root: string;
  readonly auth?: { readonly username: string; readonly password: string };
}

export interface GitHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly authenticated: boolean;
  readonly status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: GitHttpRequest[];
  close(): Promise<void>;
}

const BACKEND = ['http-backend'];

export async function startGitHttpServer(opts: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpRequest[] = [];
  const expected = opts.auth
    ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`
    : undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const given = req.headers.authorization;
    const record = (status: number) =>
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        authenticated: given !== undefined,
        status,
      });
    if (expected !== undefined && given !== expected) {
      req.resume();
      record(401);
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: opts.root,
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
    };
    if (req.headers['content-type']) env['CONTENT_TYPE'] = req.headers['content-type'];
    if (req.headers['content-length']) env['CONTENT_LENGTH'] = req.headers['content-length'];
    if (req.headers['content-encoding']) env['HTTP_CONTENT_ENCODING'] = req.headers['content-encoding'];
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env['GIT_PROTOCOL'] = protocol;
    if (given !== undefined && opts.auth) env['REMOTE_USER'] = opts.auth.username;

    const child = spawn('git', BACKEND, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = end >= 0 ? end : head.indexOf('\n\n');
      if (endLf < 0) return;
      const sepLength = end >= 0 ? 4 : 2;
      const lines = head.subarray(0, endLf).toString('latin1').split(/\r?\n/);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      headersDone = true;
      record(status);
      res.writeHead(status, headers);
      const rest = head.subarray(endLf + sepLength);
      if (rest.length > 0) res.write(rest);
    });
    child.on('close', () => {
      if (!headersDone) {
        record(500);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      }
      res.end();
    });
    child.on('error', () => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
