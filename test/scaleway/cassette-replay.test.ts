/**
 * Replays recorded responses through a local HTTP server: real pagination bodies (server
 * default page size 20, total_count 25) and the 2022 gateway 429 sequence of
 * iam-group-applications (empty body, X-Envoy-Ratelimited, no Retry-After).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { decodeApplication, decodeGroup, decodePolicy } from '../../src/scaleway/decode.js';
import { createScalewayClient, type RequestEvent } from '../../src/scaleway/http-client.js';
import { CASSETTE_DIR, type Interaction, loadCassette } from './helpers/cassettes.js';
import { type TestServer, startTestServer } from './helpers/test-server.js';
import { ORG, TOKEN } from './helpers/wire.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function respond(res: Parameters<Parameters<typeof startTestServer>[0]>[1], i: Interaction): void {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.headers)) {
    if (/^(content-length|transfer-encoding)$/i.test(k) || v[0] === undefined) continue;
    headers[k] = v[0];
  }
  res.writeHead(i.status, headers);
  res.end(i.body);
}

function client(url: string, events: RequestEvent[]) {
  return createScalewayClient({
    apiUrl: url,
    secretKey: new Secret(TOKEN),
    organizationId: ORG,
    retry: { retries: 3, minTimeoutMs: 1, maxTimeoutMs: 2 },
    onRequest: (e) => events.push(e),
  });
}

describe('cassette replay', () => {
  it('lists every policy across the recorded pages (page size 20 chosen by the server)', async () => {
    const { interactions } = loadCassette(
      join(CASSETTE_DIR, 'terraform/list-iam-policies-basic.cassette.yaml'),
    );
    const plain = interactions.filter(
      (i) =>
        i.method === 'GET' &&
        i.url.pathname === '/iam/v1alpha1/policies' &&
        [...i.url.searchParams.keys()].sort().join() === 'order_by,organization_id,page',
    );
    const byPage = new Map(plain.map((i) => [i.url.searchParams.get('page'), i]));
    expect([...byPage.keys()].sort()).toEqual(['1', '2']);
    server = await startTestServer((req, res) => {
      const rec = byPage.get(req.url.searchParams.get('page') ?? '1');
      if (!rec) {
        res.writeHead(500);
        res.end();
        return;
      }
      respond(res, rec);
    });
    const events: RequestEvent[] = [];
    const got = await client(server.url, events).listPolicies();
    const expected = [1, 2].flatMap(
      (p) => (JSON.parse(byPage.get(String(p))!.body) as { policies: unknown[] }).policies,
    );
    expect(expected).toHaveLength(25);
    expect(got).toEqual(expected.map(decodePolicy));
    expect(server.requests.map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2']);
    expect(server.requests.every((r) => r.url.searchParams.get('page_size') !== null)).toBe(true);
  });

  it('rides out the recorded gateway 429s', async () => {
    const { interactions } = loadCassette(
      join(CASSETTE_DIR, 'terraform/iam-group-applications.cassette.yaml'),
    );
    const gets = interactions.filter(
      (i) => i.method === 'GET' && /^\/iam\/v1alpha1\/(applications|groups)\/[^/]+$/.test(i.url.pathname),
    );
    const queues = new Map<string, Interaction[]>();
    for (const i of gets) queues.set(i.url.pathname, [...(queues.get(i.url.pathname) ?? []), i]);
    const limited = [...queues.entries()].filter(([, q]) => q.some((i) => i.status === 429));
    expect(limited.length).toBeGreaterThanOrEqual(2);
    const served = new Map<string, number>();
    server = await startTestServer((req, res) => {
      const q = queues.get(req.url.pathname) ?? [];
      const n = served.get(req.url.pathname) ?? 0;
      served.set(req.url.pathname, n + 1);
      const rec = q[Math.min(n, q.length - 1)];
      if (!rec) {
        res.writeHead(500);
        res.end();
        return;
      }
      respond(res, rec);
    });
    for (const [path, queue] of limited) {
      const events: RequestEvent[] = [];
      const c = client(server.url, events);
      const id = path.split('/').pop()!;
      const isApp = path.includes('/applications/');
      // replay the recorded sequence: each call consumes its 429s transparently
      const successes = queue.filter((i) => i.status !== 429);
      for (const rec of successes) {
        if (rec.status === 404) {
          await expect(isApp ? c.getApplication(id) : c.getGroup(id)).rejects.toMatchObject({ status: 404 });
          continue;
        }
        const got = isApp ? await c.getApplication(id) : await c.getGroup(id);
        expect(got).toEqual(
          isApp ? decodeApplication(JSON.parse(rec.body)) : decodeGroup(JSON.parse(rec.body)),
        );
      }
      expect(events.map((e) => e.status)).toEqual(queue.map((i) => i.status));
      expect(events.filter((e) => e.status === 429).length).toBe(
        queue.filter((i) => i.status === 429).length,
      );
    }
  });
});
