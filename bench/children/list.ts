/**
 * One listing of the applications by one client, in a fresh process, timed from inside (the
 * process's start-up is not part of it), then a second listing in the same process (warm: JIT,
 * connections). Prints one JSON line.
 *
 *   node --import tsx bench/children/list.ts --variant NAME --url URL --org ORG --key SECRET
 *        [--ids FILE]   (per-item GETs: the ids to read, one per line)
 *
 * Variants: scw-gitops-8 (our client, at most 8 in flight), scw-gitops (our client, defaults:
 * 8 → 16), sdk-100 / sdk-default (@scaleway/sdk-iam `.all()` at page_size 100 / its default),
 * sequential (one page after the other), bounded-8 (a plain fetch loop, 8 pages at a time),
 * per-item (GET of each id, 10 at a time, as Terraform refreshes its state).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createAdvancedClient, withHTTPClient, withProfile } from '@scaleway/sdk-client';
import { Iamv1alpha1 } from '@scaleway/sdk-iam';
import { Secret } from '../../src/model/secret.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { nodeHttpFetch } from '../../src/scaleway/node-http-fetch.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string' },
    url: { type: 'string' },
    org: { type: 'string' },
    key: { type: 'string' },
    'access-key': { type: 'string' },
    ids: { type: 'string' },
  },
});
const url = values.url!;
const org = values.org!;
const key = values.key!;

/** Requests sent, answered 429, and in flight (from the call until the answer's headers). */
let requests = 0;
let limited = 0;
let inFlight = 0;
let maxInFlight = 0;
const counting =
  (f: typeof fetch): typeof fetch =>
  async (input, init) => {
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const res = await f(input, init);
      if (res.status === 429) limited++;
      return res;
    } finally {
      inFlight--;
    }
  };

const auth = { 'X-Auth-Token': key };
const pageUrl = (page: number, size: number) =>
  `${url}/iam/v1alpha1/applications?organization_id=${org}&page=${page}&page_size=${size}`;

async function page(f: typeof fetch, n: number): Promise<{ applications: unknown[]; total_count: number }> {
  const res = await f(pageUrl(n, 100), { headers: auth });
  if (!res.ok) throw new Error(`page ${n}: HTTP ${res.status}`);
  return (await res.json()) as { applications: unknown[]; total_count: number };
}

function ours(maxConcurrency: number): () => Promise<number> {
  const client = createScalewayClient({
    apiUrl: url,
    secretKey: new Secret(key),
    organizationId: org,
    listConcurrency: 8,
    maxConcurrency,
    fetch: counting(nodeHttpFetch),
  });
  return async () => (await client.listApplications()).length;
}

function sdk(pageSize: number | undefined): () => Promise<number> {
  const iam = new Iamv1alpha1.API(
    createAdvancedClient(
      withProfile({
        accessKey: values['access-key'] ?? 'SCWXXXXXXXXXXXXXXXXX',
        secretKey: key,
        apiURL: url,
        defaultOrganizationId: org,
      }),
      withHTTPClient(counting(globalThis.fetch)),
    ),
  );
  return async () =>
    (await iam.listApplications({ organizationId: org, ...(pageSize ? { pageSize } : {}) }).all()).length;
}

const sequential = async (): Promise<number> => {
  const f = counting(globalThis.fetch);
  let n = 0;
  for (let p = 1; ; p++) {
    const body = await page(f, p);
    n += body.applications.length;
    if (body.applications.length === 0 || n >= body.total_count) return n;
  }
};

const bounded8 = async (): Promise<number> => {
  const f = counting(globalThis.fetch);
  const first = await page(f, 1);
  const last = Math.ceil(first.total_count / 100);
  let next = 2;
  let n = first.applications.length;
  const worker = async () => {
    while (next <= last) {
      const body = await page(f, next++);
      n += body.applications.length;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return n;
};

const perItem = async (): Promise<number> => {
  const f = counting(globalThis.fetch);
  const ids = readFileSync(values.ids!, 'utf8').split('\n').filter(Boolean);
  let next = 0;
  let n = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const res = await f(`${url}/iam/v1alpha1/applications/${id}`, { headers: auth });
      if (!res.ok) throw new Error(`GET ${id}: HTTP ${res.status}`);
      await res.arrayBuffer();
      n++;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return n;
};

const VARIANTS: Record<string, () => () => Promise<number>> = {
  'scw-gitops-8': () => ours(8),
  'scw-gitops': () => ours(16),
  'sdk-100': () => sdk(100),
  'sdk-default': () => sdk(undefined),
  sequential: () => sequential,
  'bounded-8': () => bounded8,
  'per-item': () => perItem,
};

const make = VARIANTS[values.variant ?? ''];
if (!make) throw new Error(`unknown variant ${values.variant}`);
const list = make();

interface Listing {
  wallMs: number;
  items: number;
  requests: number;
  limited: number;
  maxInFlight: number;
  error?: string;
}

async function timed(): Promise<Listing> {
  requests = 0;
  limited = 0;
  maxInFlight = 0;
  const t0 = performance.now();
  try {
    const items = await list();
    return { wallMs: performance.now() - t0, items, requests, limited, maxInFlight };
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    return { wallMs: performance.now() - t0, items: 0, requests, limited, maxInFlight, error };
  }
}

const cold = await timed();
const warm = await timed();
process.stdout.write(`${JSON.stringify({ cold, warm })}\n`);
process.exit(0);
