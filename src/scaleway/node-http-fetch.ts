/**
 * A `fetch` for ky built on `node:http`/`node:https` with keep-alive agents, used by the Scaleway
 * transport instead of the global fetch.
 *
 * Why: the global fetch parses HTTP with a WebAssembly build of llhttp that V8 compiles in the
 * background on first use, and a one-shot command then waits for that compile before the process
 * can exit. `node:http` uses the native parser. bench/README.md ("Start-up") has the measurements
 * behind the choice (docs/design/performance.md).
 *
 * Scope: what the transport needs, nothing more. The request body is sent with a
 * Content-Length, the whole response body is read before the Response is returned (API answers
 * are small JSON documents), the request's AbortSignal aborts the exchange (the transport's
 * per-attempt timeout and the pass's abort both go through it), and network errors keep Node's
 * codes (`ECONNREFUSED`, `ECONNRESET`, …) for the transport's classification. Idle sockets are
 * closed after a few seconds (or the server's Keep-Alive hint) and never keep the process alive.
 */
import http from 'node:http';
import https from 'node:https';

/** Idle keep-alive sockets are closed after this long (like undici's default). */
const IDLE_SOCKET_MS = 4_000;

const agents = {
  http: new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  https: new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
};

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

function responseHeaders(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** The request's body as bytes (ky gives a Request whose body is a stream). */
async function bodyOf(request: Request): Promise<Buffer | undefined> {
  if (request.body === null) return undefined;
  return Buffer.from(await request.arrayBuffer());
}

export const nodeHttpFetch: typeof fetch = async (input, init) => {
  // ky passes its Request, and as `init` only options Request does not know (none of ours)
  const request = input instanceof Request ? input : new Request(input, init);
  const url = new URL(request.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`unsupported protocol ${url.protocol}`);
  }
  const body = await bodyOf(request);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== undefined) headers['content-length'] = String(body.byteLength);
  const signal = request.signal;
  signal.throwIfAborted();
  const secure = url.protocol === 'https:';
  return new Promise<Response>((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      { method: request.method, headers, agent: secure ? agents.https : agents.http, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) {
            reject(
              Object.assign(new Error('the connection closed before the answer was complete'), {
                code: 'ECONNRESET',
              }),
            );
            return;
          }
          const status = res.statusCode ?? 0;
          try {
            resolve(
              new Response(NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers: responseHeaders(res.rawHeaders),
              }),
            );
          } catch (err) {
            reject(err); // e.g. a status outside 200-599
          }
        });
      },
    );
    req.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    req.end(body);
  });
};
