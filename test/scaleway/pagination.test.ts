/**
 * Complete listings: page_size=100, bounded concurrent pages (measured by the server),
 * de-duplication, total_count drift → re-list → fail loudly, empty page stop, exact name filter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { ListingInconsistentError } from '../../src/scaleway/errors.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Handler, json, type TestServer, startTestServer } from './helpers/test-server.js';
import { ORG, page, TOKEN, uuidFor, wireApp } from './helpers/wire.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, maxConcurrency?: number) {
  server = await startTestServer(handler);
  const client = createScalewayClient({
    apiUrl: server.url,
    secretKey: new Secret(TOKEN),
    organizationId: ORG,
    ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 2 },
  });
  return { client, server };
}

const apps = (n: number) => Array.from({ length: n }, (_, i) => wireApp(i + 1));

describe('listing', () => {
  it('lists >100 items with page_size=100 and bounded page concurrency', async () => {
    const all = apps(1050);
    // Pages after the first are held until 3 are in flight at once (or the last page arrived):
    // the client's concurrency shows without any latency.
    const { client, server } = await setup(async (req, res) => {
      if (req.url.searchParams.get('page') !== '1') {
        await waitFor(() => server.inFlight >= 3 || server.requests.length === 11, {
          intervalMs: 1,
          what: '3 pages in flight',
        });
      }
      json(res, 200, page(all, req.url));
    }, 3);
    const got = await client.listApplications();
    expect(got).toHaveLength(1050);
    expect(got.map((a) => a.id)).toEqual(all.map((a) => a['id']));
    expect(server.requests).toHaveLength(11);
    expect(server.requests.every((r) => r.url.searchParams.get('page_size') === '100')).toBe(true);
    expect(server.requests.map((r) => Number(r.url.searchParams.get('page'))).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(server.maxInFlight).toBe(3);
    expect(server.requests[0]!.url.searchParams.get('organization_id')).toBe(ORG);
  });

  it('starts at 8 requests in flight and grows to 16 while no 429 is seen', async () => {
    const all = apps(5000);
    const inFlightAt: number[] = [];
    const { client, server } = await setup((req, res) => {
      inFlightAt.push(server.inFlight);
      json(res, 200, page(all, req.url));
    });
    const got = await client.listApplications();
    expect(got).toHaveLength(5000);
    expect(server.requests).toHaveLength(50);
    // page 1 alone, then 8 pages; each answer lets one more request in (slow start) up to 16
    expect(Math.max(...inFlightAt.slice(0, 9))).toBeLessThanOrEqual(8);
    expect(client.limiter.maxInFlightSeen).toBe(16);
    expect(server.maxInFlight).toBeLessThanOrEqual(16);
    expect(client.limiter.effectiveLimit).toBe(16);
  });

  it('lists an empty organization with one request', async () => {
    const { client, server } = await setup((req, res) => json(res, 200, page([], req.url)));
    expect(await client.listGroups()).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('de-duplicates items repeated across pages', async () => {
    const all = apps(150);
    const { client } = await setup((req, res) => {
      const p = Number(req.url.searchParams.get('page'));
      // page 2 repeats the last item of page 1 (an item moved across the boundary)
      const items = p === 1 ? all.slice(0, 100) : [all[99], ...all.slice(100)];
      json(res, 200, { applications: items, total_count: 150 });
    });
    const got = await client.listApplications();
    expect(new Set(got.map((a) => a.id)).size).toBe(150);
    expect(got).toHaveLength(150);
  });

  it('re-lists when total_count drifts during the listing, then succeeds', async () => {
    const all = apps(250);
    let calls = 0;
    const { client, server } = await setup((req, res) => {
      calls++;
      // the first listing sees an insert between page 1 and the later pages
      const total = calls <= 3 && Number(req.url.searchParams.get('page')) > 1 ? 251 : 250;
      json(res, 200, page(all, req.url, 'applications', total));
    });
    const got = await client.listApplications();
    expect(got).toHaveLength(250);
    expect(server.requests).toHaveLength(6);
  });

  it('fails loudly when the listing never agrees with total_count', async () => {
    const all = apps(120);
    const { client, server } = await setup((req, res) =>
      // claims 121 but only 120 exist: items keep disappearing
      json(res, 200, page(all, req.url, 'applications', 121)),
    );
    const err = await client.listApplications().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListingInconsistentError);
    expect((err as ListingInconsistentError).attempts).toBe(3);
    expect((err as Error).message).toMatch(/total_count 121 but 120 unique items/);
    expect(server.requests).toHaveLength(6);
  });

  it('stops issuing pages after an empty page', async () => {
    const all = apps(150);
    const { client, server } = await setup(
      (req, res) => json(res, 200, page(all, req.url, 'applications', 1000)),
      1,
    );
    await expect(client.listApplications()).rejects.toBeInstanceOf(ListingInconsistentError);
    // per attempt: page 1, page 2 (50 items), page 3 (empty) → stop; 3 attempts
    expect(server.requests).toHaveLength(9);
  });

  it('follows a server that clamps the page size', async () => {
    const all = apps(95);
    const { client, server } = await setup((req, res) => {
      const p = Number(req.url.searchParams.get('page'));
      json(res, 200, { applications: all.slice((p - 1) * 20, p * 20), total_count: all.length });
    });
    expect(await client.listApplications()).toHaveLength(95);
    expect(server.requests).toHaveLength(5);
  });

  it('stops issuing pages once one page failed for good', async () => {
    const all = apps(2000);
    const { client, server } = await setup((req, res) => {
      if (req.url.searchParams.get('page') === '2') {
        json(res, 400, { message: 'invalid argument(s)', type: 'invalid_arguments', details: [] });
        return;
      }
      json(res, 200, page(all, req.url));
    }, 1);
    await expect(client.listApplications()).rejects.toMatchObject({ status: 400 });
    expect(server.requests).toHaveLength(2);
  });

  it('walks a legacy envelope without total_count until a short page', async () => {
    const all = apps(45);
    const { client, server } = await setup((req, res) => {
      const p = Number(req.url.searchParams.get('page'));
      json(res, 200, { applications: all.slice((p - 1) * 20, p * 20) });
    });
    expect(await client.listApplications()).toHaveLength(45);
    expect(server.requests).toHaveLength(3);
  });

  it('keeps only exact name matches and sends the filter', async () => {
    const items = [wireApp(1, { name: 'web' }), wireApp(2, { name: 'web-old' }), wireApp(3, { name: 'WEB' })];
    const { client, server } = await setup((_req, res) =>
      json(res, 200, { applications: items, total_count: items.length }),
    );
    const got = await client.listApplications({ name: 'web' });
    expect(got.map((a) => a.id)).toEqual([uuidFor(1)]);
    expect(server.requests[0]!.url.searchParams.get('name')).toBe('web');
  });

  it('keeps only element matches of a tag filter', async () => {
    const items = [wireApp(1, { tags: ['scw-gitops=prod'] }), wireApp(2, { tags: ['scw-gitops=prod-2'] })];
    const { client, server } = await setup((_req, res) =>
      json(res, 200, { applications: items, total_count: items.length }),
    );
    const got = await client.listApplications({ tag: 'scw-gitops=prod' });
    expect(got.map((a) => a.id)).toEqual([uuidFor(1)]);
    expect(server.requests[0]!.url.searchParams.get('tag')).toBe('scw-gitops=prod');
  });

  it('passes API key filters as query parameters', async () => {
    const { client, server } = await setup((_req, res) => json(res, 200, { api_keys: [], total_count: 0 }));
    await client.listApiKeys({
      bearerId: uuidFor(1),
      bearerType: 'application',
      expired: false,
      editable: true,
    });
    const q = server.requests[0]!.url.searchParams;
    expect(q.get('bearer_id')).toBe(uuidFor(1));
    expect(q.get('bearer_type')).toBe('application');
    expect(q.get('expired')).toBe('false');
    expect(q.get('editable')).toBe('true');
  });

  it('projects: reads total_count placed first and decodes the default project', async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        `{"total_count":2,"projects":[{"id":"${ORG}","name":"default","organization_id":"${ORG}","created_at":"2019-09-30T07:52:49.358300Z","updated_at":"2019-09-30T07:52:49.358300Z","description":"","qualification":{"architecture_type":"unknown_architecture_type"}},{"id":"${uuidFor(2)}","name":"p","organization_id":"${ORG}","created_at":"2026-01-01T00:00:00.000000Z","updated_at":"2026-01-01T00:00:00.000000Z","description":"d"}]}`,
      );
    });
    const got = await client.listProjects();
    expect(got.map((p) => [p.name, p.isDefault])).toEqual([
      ['default', true],
      ['p', false],
    ]);
  });
});
