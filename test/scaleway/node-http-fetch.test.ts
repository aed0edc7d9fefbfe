/**
 * The transport's fetch over node:http: answers, bodies, keep-alive, aborts and broken
 * connections, as the transport (ky) uses it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import ky from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeHttpFetch } from '../../src/scaleway/node-http-fetch.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]) {
  const sockets = new Set<Socket>();
  server = createServer(handler);
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => sockets.size };
}

const client = ky.create({ fetch: nodeHttpFetch, retry: 0, timeout: false, throwHttpErrors: false });

describe('nodeHttpFetch', () => {
  it('sends method, headers and body, returns status, headers and body, on one kept-alive connection', async () => {
    const seen: Array<{
      method?: string | undefined;
      auth?: string;
      length?: string | undefined;
      body: string;
    }> = [];
    const s = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        seen.push({
          method: req.method,
          auth: req.headers['x-auth-token'] as string,
          length: req.headers['content-length'],
          body,
        });
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-Id': 'r-1' });
        res.end(JSON.stringify({ id: 'é', n: seen.length }));
      });
    });
    for (let i = 1; i <= 3; i++) {
      const res = await client.post(`${s.url}/x?page=${i}`, {
        json: { name: 'ünïcode' },
        headers: { 'X-Auth-Token': 't' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-request-id')).toBe('r-1');
      expect(await res.json()).toEqual({ id: 'é', n: i });
    }
    expect(seen[0]).toEqual({
      method: 'POST',
      auth: 't',
      length: String(Buffer.byteLength('{"name":"ünïcode"}')),
      body: '{"name":"ünïcode"}',
    });
    expect(s.connections()).toBe(1);
  });

  it('answers without a body (204) and error statuses as they are', async () => {
    const s = await serve((req, res) => {
      if (req.url === '/gone') {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"type":"not_found"}');
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    const empty = await client.delete(`${s.url}/x`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    const gone = await client.get(`${s.url}/gone`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ type: 'not_found' });
  });

  it('an abort while waiting rejects with the reason and closes the exchange', async () => {
    let received = false;
    let closed = false;
    const s = await serve((req) => {
      received = true;
      req.on('close', () => {
        closed = true;
      });
    });
    const ctrl = new AbortController();
    const p = client.get(`${s.url}/slow`, { signal: ctrl.signal });
    await expect.poll(() => received).toBe(true);
    ctrl.abort(new Error('pass aborted'));
    await expect(p).rejects.toThrow('pass aborted');
    await expect.poll(() => closed).toBe(true);
  });

  it('a connection broken in the middle of the answer rejects with ECONNRESET', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"items": [');
      setImmediate(() => res.socket?.destroy());
    });
    const err = await client.get(`${s.url}/x`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('ECONNRESET');
  });

  it('a refused connection keeps its code', async () => {
    const s = await serve(() => {});
    const url = s.url;
    server!.close();
    server = undefined;
    const err = await client.get(`${url}/x`).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
