/**
 * Minimal HTTP transport for the Vault client on node:http/node:https, so a private CA
 * (`caFile`) can be passed per sink without a global agent. One request, no redirects, no
 * retries: those are policy and live in ./client.ts.
 */
import http from 'node:http';
import https from 'node:https';

export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal: AbortSignal;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  close(): void;
}

export interface NodeTransportOptions {
  /** PEM bundle trusted for https addresses (in addition to nothing else: it replaces the default roots). */
  readonly ca?: string;
}

export function createNodeTransport(opts: NodeTransportOptions = {}): Transport {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    ...(opts.ca ? { ca: opts.ca } : {}),
  });
  return {
    request: (req) =>
      new Promise<TransportResponse>((resolve, reject) => {
        const isHttps = req.url.protocol === 'https:';
        const headers: Record<string, string> = { ...req.headers };
        if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
        const r = (isHttps ? https : http).request(
          req.url,
          { method: req.method, headers, agent: isHttps ? httpsAgent : httpAgent, signal: req.signal },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            );
            res.on('error', reject);
          },
        );
        r.on('error', reject);
        if (req.body !== undefined) r.write(req.body);
        r.end();
      }),
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
