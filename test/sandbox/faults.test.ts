import { afterEach, describe, expect, it } from 'vitest';
import { faultOptionsFromEnv } from '../../src/sandbox/faults.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Api, openSandbox } from './helpers.js';

describe('sandbox: fault injection', () => {
  let api: Api | undefined;
  afterEach(async () => {
    await api?.h.close();
    api = undefined;
  });

  it('429 like the gateway: empty body, no Content-Type, X-Envoy-Ratelimited, no Retry-After', async () => {
    api = await openSandbox({ faults: { rate429: 1 } });
    const r = await api.get('/iam/v1alpha1/applications');
    expect(r.status).toBe(429);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('x-envoy-ratelimited')).toBe('true');
    expect(r.headers.get('retry-after')).toBeNull();
    expect(api.h.requests().at(-1)).toMatchObject({ status: 429, fault: '429' });
    api.h.faults.adjust({ rate429: undefined });
    expect((await api.get('/iam/v1alpha1/applications')).status).toBe(200);
  });

  it('5xx and connection resets, counted in requestCount', async () => {
    api = await openSandbox({ faults: { rate5xx: 1, seed: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) statuses.add((await api.get('/iam/v1alpha1/applications')).status);
    expect([...statuses].every((s) => [500, 502, 503].includes(s))).toBe(true);
    api.h.faults.set({ resetRate: 1 });
    await expect(fetch(`${api.h.url}/iam/v1alpha1/applications`)).rejects.toThrow();
    expect(api.h.requestCount()).toBe(13);
    expect(api.h.faults.injectedCount()).toBe(13);
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const a = await openSandbox({
        faults: { rate429: 0.5, seed: 42 },
        randomSeed: 9,
      });
      const seq: number[] = [];
      for (let i = 0; i < 20; i++) seq.push((await a.get('/iam/v1alpha1/users')).status);
      const app = (await a.post('/iam/v1alpha1/applications', { name: 'x', organization_id: a.org })).json;
      await a.h.close();
      return { seq, org: a.org, status: app?.id ?? 'limited' };
    };
    const one = await run();
    const two = await run();
    expect(one.seq).toEqual(two.seq);
    expect(one.seq).toContain(429);
    expect(one.seq).toContain(200);
    expect(one.org).toBe(two.org);
  });

  it('limits requests per second with a token bucket', async () => {
    const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
    api = await openSandbox({ clock: clock.now, faults: { rps: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.get('/iam/v1alpha1/groups')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    clock.advance(1000);
    expect((await api.get('/iam/v1alpha1/groups')).status).toBe(200);
  });

  it('412 resource_not_usable on project DELETE, then the delete succeeds', async () => {
    api = await openSandbox({ faults: { projectDelete412Rate: 1 } });
    const p = (await api.post('/account/v3/projects', { name: 'flaky', organization_id: api.org })).json;
    const r = await api.del(`/account/v3/projects/${p.id}`);
    expect(r.status).toBe(412);
    expect(r.json).toEqual({
      help_message: `an unexpected error happened when checking if project "${p.id}" has resources, please retry later`,
      message: 'precondition is not respected',
      precondition: 'resource_not_usable',
      type: 'precondition_failed',
    });
    api.h.faults.adjust({ projectDelete412Rate: 0 });
    expect((await api.del(`/account/v3/projects/${p.id}`)).status).toBe(204);
  });

  it('ambiguous writes: the write is committed but the answer is lost', async () => {
    api = await openSandbox({ faults: { ambiguousWriteRate: 1, seed: 3 } });
    for (let i = 0; i < 4; i++) {
      try {
        const r = await api.post('/iam/v1alpha1/applications', {
          name: `amb-${i}`,
          organization_id: api.org,
        });
        expect(r.status).toBe(502);
      } catch {
        // connection reset: also an ambiguous outcome
      }
    }
    api.h.faults.clear();
    const list = (await api.get('/iam/v1alpha1/applications?editable=true')).json;
    expect(list.applications.map((a: { name: string }) => a.name)).toEqual([
      'amb-0',
      'amb-1',
      'amb-2',
      'amb-3',
    ]);
  });

  it('transient 403 after a policy change, for keys other than the admin key', async () => {
    const clock = new FakeClock({ start: '2026-06-01T12:00:00.000Z' });
    api = await openSandbox({ clock: clock.now, faults: { transient403WindowMs: 5000 } });
    const app = (await api.post('/iam/v1alpha1/applications', { name: 'ci', organization_id: api.org })).json;
    const key = (await api.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
    await api.post('/iam/v1alpha1/policies', {
      name: 'ci-iam',
      organization_id: api.org,
      application_id: app.id,
      rules: [{ permission_set_names: ['IAMManager'], organization_id: api.org }],
    });
    const early = await api.call('GET', '/iam/v1alpha1/applications', undefined, key.secret_key);
    expect(early.status).toBe(403);
    expect(early.json).toEqual({
      details: [{ action: 'read', resource: 'application' }],
      message: 'insufficient permissions',
      type: 'permissions_denied',
    });
    expect((await api.get('/iam/v1alpha1/applications')).status).toBe(200);
    clock.advance(5001);
    expect((await api.call('GET', '/iam/v1alpha1/applications', undefined, key.secret_key)).status).toBe(200);
  });

  it('calls the list hook before serving a page so tests can mutate mid-listing', async () => {
    api = await openSandbox({ seed: false });
    api.h.seedApplications(30);
    const seen: number[] = [];
    const handle = api.h;
    handle.faults.adjust({
      onListPage: ({ resource, page }) => {
        seen.push(page);
        if (resource === 'applications' && page === 2) {
          const first = [...handle.store.applications.values()][0]!;
          handle.store.deleteApplication(first.id);
        }
      },
    });
    const p1 = (await api.get('/iam/v1alpha1/applications?page=1')).json;
    const p2 = (await api.get('/iam/v1alpha1/applications?page=2')).json;
    expect(seen).toEqual([1, 2]);
    expect(p1.total_count).toBe(30);
    expect(p2.total_count).toBe(29);
    expect(p2.applications).toHaveLength(9);
  });

  it('reads SCW_SANDBOX_* variables and rejects bad values', () => {
    expect(
      faultOptionsFromEnv({
        SCW_SANDBOX_LATENCY_MS: '25',
        SCW_SANDBOX_429_RATE: '0.1',
        SCW_SANDBOX_5XX_RATE: '0.05',
        SCW_SANDBOX_RESET_RATE: '0.01',
        SCW_SANDBOX_RPS: '50',
        SCW_SANDBOX_SEED: '1234',
      }),
    ).toEqual({ latencyMs: 25, rate429: 0.1, rate5xx: 0.05, resetRate: 0.01, rps: 50, seed: 1234 });
    expect(() => faultOptionsFromEnv({ SCW_SANDBOX_429_RATE: 'lots' })).toThrow(/SCW_SANDBOX_429_RATE/);
    expect(() => faultOptionsFromEnv({ SCW_SANDBOX_429_RATE: '2' })).toThrow(/between 0 and 1/);
  });

  it('applies latency from the environment', async () => {
    api = await openSandbox({ env: { SCW_SANDBOX_LATENCY_MS: '30' } });
    expect(api.h.faults.get().latencyMs).toBe(30);
  });
  it('shift: between two page fetches one earlier object goes and one comes; total_count stays, one object is never seen', async () => {
    api = await openSandbox({ seed: false, maxPageSize: 5, faults: { shiftRate: 1, seed: 3 } });
    api.h.seedApplications(12, { prefix: 'other' });
    const marked = api.h.store.createApplication({ name: 'ours', tags: ['scw-gitops=default'] });
    const before = new Set(api.h.store.applications.keys());
    const seen = new Set<string>();
    const totals = new Set<number>();
    for (let page = 1; page <= 3; page++) {
      const r = await api.get(
        `/iam/v1alpha1/applications?page=${page}&page_size=100&order_by=created_at_asc`,
      );
      const body = r.json as { applications: { id: string }[]; total_count: number };
      expect(body.applications.length).toBeLessThanOrEqual(5);
      totals.add(body.total_count);
      for (const a of body.applications) seen.add(a.id);
    }
    const shifts = api.h.faults.shifts();
    expect(shifts.map((s) => s.page)).toEqual([2, 3]);
    expect(totals).toEqual(new Set([13]));
    expect(seen.size).toBe(13); // as many distinct objects as total_count says …
    const now = new Set(api.h.store.applications.keys());
    const missed = [...now].filter((id) => !seen.has(id));
    expect(missed.sort()).toEqual(shifts.map((s) => s.slid!).sort()); // … yet the slid ones were never seen
    for (const s of shifts) {
      expect(before.has(s.deleted) && !now.has(s.deleted)).toBe(true);
      expect(s.deleted).not.toBe(marked.id); // never an object scw-gitops marks as its own
    }
    // Filtered lookups (point reads) are never shifted.
    await api.get('/iam/v1alpha1/applications?page=2&page_size=1&name=ours');
    expect(api.h.faults.shifts()).toHaveLength(2);
  });
});
