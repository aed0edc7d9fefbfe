/**
 * An independent mock of the IAM applications listing, in a process of its own: nothing of the
 * project's sandbox (no store, no validation, no request log), only what a listing needs, so the
 * listing benchmarks are checked against a second server that costs almost nothing per request.
 *
 *   GET /iam/v1alpha1/applications?page=N&page_size=M   (page_size ≤ 100, default 20)
 *   GET /iam/v1alpha1/applications/{id}
 *
 * X-Auth-Token must be the token given on the command line. Latency and a requests-per-second
 * limit (token bucket, burst = rps, 429 beyond it, no Retry-After) are set over IPC.
 *
 *   node --import tsx bench/servers/mock-iam.ts --applications 10000 --token T --org ORG
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serveRpc } from '../lib/proc.js';

const { values } = parseArgs({
  options: { applications: { type: 'string' }, token: { type: 'string' }, org: { type: 'string' } },
});
const n = Number(values.applications ?? '10000');
const token = values.token ?? 'token';
const org = values.org ?? '00000000-0000-4000-8000-000000000001';

const hex = (i: number, width: number) => i.toString(16).padStart(width, '0');
const apps = Array.from({ length: n }, (_, i) => {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace('Z', '000Z');
  return {
    id: `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`,
    name: `bench-${String(i + 1).padStart(5, '0')}`,
    description: '',
    created_at: t,
    updated_at: t,
    organization_id: org,
    editable: true,
    deletable: true,
    managed: false,
    nb_api_keys: 0,
    tags: [],
  };
});
const byId = new Map(apps.map((a) => [a.id, JSON.stringify(a)]));

let latencyMs = 0;
let rps = 0;
let tokens = 0;
let refilledAt = performance.now();
let requests = 0;
let limited = 0;

function overLimit(): boolean {
  if (rps <= 0) return false;
  const now = performance.now();
  tokens = Math.min(rps, tokens + ((now - refilledAt) / 1000) * rps);
  refilledAt = now;
  if (tokens >= 1) {
    tokens -= 1;
    return false;
  }
  return true;
}

const server = createServer((req, res) => {
  requests++;
  const answer = () => {
    const url = new URL(req.url ?? '/', 'http://mock');
    const send = (status: number, body: string) => {
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.headers['x-auth-token'] !== token)
      return send(401, '{"message":"authentication is denied","type":"denied_authentication"}');
    if (overLimit()) {
      limited++;
      res.writeHead(429, { 'X-Envoy-Ratelimited': 'true' });
      res.end();
      return;
    }
    const base = '/iam/v1alpha1/applications';
    if (url.pathname === base) {
      const page = Math.max(1, Number(url.searchParams.get('page') ?? '1'));
      const size = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? '20')));
      const items = apps.slice((page - 1) * size, page * size);
      return send(200, `{"applications":${JSON.stringify(items)},"total_count":${apps.length}}`);
    }
    if (url.pathname.startsWith(`${base}/`)) {
      const one = byId.get(url.pathname.slice(base.length + 1));
      return one ? send(200, one) : send(404, '{"message":"resource is not found","type":"not_found"}');
    }
    send(404, '{"message":"route not found","type":"not_found"}');
  };
  req.resume();
  req.on('end', () => (latencyMs > 0 ? setTimeout(answer, latencyMs) : answer()));
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as AddressInfo;

serveRpc(
  {
    url: `http://127.0.0.1:${port}`,
    organizationId: org,
    adminSecretKey: token,
    adminAccessKey: 'SCWBENCHMOCK00000000',
  },
  {
    faults: (a) => {
      latencyMs = (a['latencyMs'] as number | undefined) ?? 0;
      rps = (a['rps'] as number | undefined) ?? 0;
      tokens = rps;
      refilledAt = performance.now();
    },
    counters: () => ({ requests, limited }),
    applicationIds: () => apps.map((a) => a.id),
  },
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);
