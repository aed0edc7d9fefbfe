/**
 * Fuzzing the daemon's HTTP server: 10,000 generated requests (random and mutated request lines,
 * methods, targets, headers, bodies, signatures, content lengths and chunked encodings), sent over
 * raw loopback sockets to a real daemon (startDaemon: the same listener, routes, access guard and
 * webhook intake as `scw-gitops run`; only the reconcile pass and the runtime are fakes).
 *
 * Some clients are slow (the request in pieces, one event-loop turn apart) and some stall (a
 * partial request, left open until the end of their batch). After each batch of 100, `/healthz`
 * must answer 200 while the stalled connections are still open.
 *
 * The property: no request is ever answered with a 5xx (a 5xx would mean a handler threw), no
 * `request failed` error is logged, and the process keeps serving. The generator is seeded
 * (reproducible), the daemon's clock is fake (so webhook deliveries that happen to be valid
 * cause at most one pass: the intake's minimum interval never elapses).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { sampleValue } from '../../src/daemon/metrics.js';
import { signGithubBody } from '../../src/daemon/webhooks.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { rawRequest } from '../helpers/raw-http.js';
import { waitFor } from '../helpers/wait-for.js';
import { fakeRuntime } from '../daemon/fake-runtime.js';

const SEED = 14_2026;
const TOTAL = 10_000;
const BATCH = 100;
const CONCURRENCY = 16;
const GH_SECRET = 'fuzz-github-webhook-secret';
const GL_TOKEN = 'fuzz-gitlab-webhook-token';

const PATHS = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/status',
  '/hooks/github',
  '/hooks/gitlab',
  '/hooks/git-sync',
  '/hooks/',
  '/hooks/nope',
  '/',
  '/healthz/',
  '/status?x=1',
  '/metrics#frag',
  '//',
  '/../status',
  '/%',
  '/%00',
  '/\u00e9t\u00e9',
  'http://[',
  'http://[::1',
  'http://x/status',
  'https://x:99999/',
  'http://a b/',
  '*',
  'status',
  '',
];
const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'CONNECT',
  'TRACE',
  'FROB',
  'get',
  '',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'HTTP/', 'http/1.1', ''];
const HEADER_NAMES = [
  'Host',
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Connection',
  'Authorization',
  'X-GitHub-Event',
  'X-GitHub-Delivery',
  'X-Hub-Signature-256',
  'X-Gitlab-Token',
  'X-Gitlab-Event',
  'X-Gitlab-Event-UUID',
  'Gitsync-Hash',
  'Expect',
  'Upgrade',
];
const HEADER_VALUES = [
  '',
  'x',
  'application/json',
  'application/x-www-form-urlencoded',
  'chunked',
  'close',
  'keep-alive',
  'push',
  'ping',
  'Push Hook',
  'Bearer x',
  'Basic Og==',
  '100-continue',
  'websocket',
  '-1',
  '18446744073709551616',
  'sha256=zz',
  'a'.repeat(64),
  'caf\u00e9',
  'x\u0000y',
  'x\ry',
  'x\r\nInjected: 1',
];

interface Generated {
  readonly bytes: Buffer;
  readonly chunks: number;
  readonly stall: boolean;
}

const body = fc.oneof(
  fc.constant(''),
  fc.constant(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40) })),
  fc.json({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a).toString('latin1')),
);

const header = fc.oneof(
  fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.constantFrom(...HEADER_VALUES)),
  fc.tuple(fc.constantFrom(...HEADER_NAMES), fc.string({ unit: 'binary', maxLength: 80 })),
  fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 })),
  fc.tuple(
    fc.constant('X-Long'),
    fc.integer({ min: 1, max: 24 }).map((k) => 'v'.repeat(k * 1024)),
  ),
);

const structured = fc
  .record({
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...METHODS) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
    ),
    target: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
      { weight: 1, arbitrary: fc.webUrl() },
    ),
    version: fc.oneof(
      { weight: 6, arbitrary: fc.constant('HTTP/1.1') },
      { weight: 2, arbitrary: fc.constantFrom(...VERSIONS) },
    ),
    headers: fc.array(header, { maxLength: 6 }),
    body,
    signature: fc.constantFrom('none', 'valid', 'garbage', 'gitlab', 'gitlab-wrong'),
    length: fc.constantFrom('exact', 'exact', 'none', 'short', 'long', 'junk', 'double'),
    chunked: fc.constantFrom('no', 'no', 'no', 'yes', 'broken'),
  })
  .map((r) => {
    const lines = [`${r.method} ${r.target} ${r.version}`, 'Host: fuzz'];
    for (const [n, v] of r.headers) lines.push(`${n}: ${v}`);
    const bodyBytes = Buffer.from(r.body, 'latin1');
    if (r.signature === 'valid') lines.push(`X-Hub-Signature-256: ${signGithubBody(GH_SECRET, bodyBytes)}`);
    if (r.signature === 'garbage') lines.push(`X-Hub-Signature-256: sha256=${'0'.repeat(64)}`);
    if (r.signature === 'gitlab') lines.push(`X-Gitlab-Token: ${GL_TOKEN}`);
    if (r.signature === 'gitlab-wrong') lines.push(`X-Gitlab-Token: ${GL_TOKEN}x`);
    let payload = bodyBytes;
    if (r.chunked === 'yes') {
      lines.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([
        Buffer.from(`${bodyBytes.length.toString(16)}\r\n`),
        bodyBytes,
        Buffer.from('\r\n0\r\n\r\n'),
      ]);
    } else if (r.chunked === 'broken') {
      lines.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([Buffer.from('zz\r\n'), bodyBytes]);
    } else if (r.length === 'exact') lines.push(`Content-Length: ${bodyBytes.length}`);
    else if (r.length === 'short') lines.push(`Content-Length: ${Math.max(0, bodyBytes.length - 3)}`);
    else if (r.length === 'long') lines.push(`Content-Length: ${bodyBytes.length + 50}`);
    else if (r.length === 'junk') lines.push('Content-Length: 12abc');
    else if (r.length === 'double') lines.push(`Content-Length: ${bodyBytes.length}`, 'Content-Length: 1');
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
  });

/** Well-formed webhook deliveries, correctly signed or not (the accepted/duplicate paths). */
const delivery = fc
  .record({
    hook: fc.constantFrom('github', 'gitlab', 'git-sync'),
    event: fc.constantFrom('push', 'ping', 'issues', 'Push Hook'),
    id: fc.constantFrom('d-1', 'd-2', 'd-3'),
    body,
    signed: fc.boolean(),
  })
  .map((r) => {
    const b = Buffer.from(r.body, 'latin1');
    const lines = [
      `POST /hooks/${r.hook} HTTP/1.1`,
      'Host: fuzz',
      `Content-Length: ${b.length}`,
      'Connection: close',
    ];
    if (r.hook === 'github') {
      lines.push(`X-GitHub-Event: ${r.event}`, `X-GitHub-Delivery: ${r.id}`);
      lines.push(`X-Hub-Signature-256: ${signGithubBody(r.signed ? GH_SECRET : 'nope', b)}`);
    } else if (r.hook === 'gitlab') {
      lines.push(
        `X-Gitlab-Event: ${r.event}`,
        `X-Gitlab-Event-UUID: ${r.id}`,
        `X-Gitlab-Token: ${r.signed ? GL_TOKEN : 'nope'}`,
      );
    } else {
      lines.push(`Gitsync-Hash: ${r.signed ? 'a'.repeat(40) : r.id}`);
    }
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
  });

/** Flip, insert and delete bytes of a generated request. */
const mutated = fc
  .tuple(
    structured,
    fc.array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom('flip', 'insert', 'delete', 'crlf'),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([bytes, edits]) => {
    let out = Buffer.from(bytes);
    for (const e of edits) {
      const i = out.length === 0 ? 0 : e.at % out.length;
      const insert = (b: Buffer) => Buffer.concat([out.subarray(0, i), b, out.subarray(i)]);
      if (e.op === 'flip' && out.length > 0) out[i] = out[i]! ^ e.byte;
      else if (e.op === 'insert') out = insert(Buffer.from([e.byte]));
      else if (e.op === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
      else if (e.op === 'crlf') out = insert(Buffer.from('\r\n'));
    }
    return out;
  });

const generated: fc.Arbitrary<Generated> = fc.record({
  bytes: fc.oneof(
    { weight: 4, arbitrary: structured },
    { weight: 3, arbitrary: mutated },
    { weight: 1, arbitrary: delivery },
  ),
  chunks: fc.oneof(
    { weight: 4, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.integer({ min: 2, max: 8 }) },
  ),
  stall: fc.oneof({ weight: 39, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

/** A client that sends the start of a request and then waits (closed at the end of its batch). */
function stall(port: number, bytes: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
      resolve(socket);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
  });
}

describe('HTTP server fuzzing (a real daemon, raw sockets)', { timeout: 300_000 }, () => {
  let dir: string;
  let daemon: Daemon;
  let port: number;
  const passes: string[][] = [];
  const cap = createLogCapture({ level: 'info' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-http-fuzz-'));
    const d = defaultSettings();
    daemon = await startDaemon({
      settings: {
        ...d,
        source: { dir },
        server: { host: '127.0.0.1', port: 0 },
        webhooks: {
          ...d.webhooks,
          github: { secretEnv: 'GH' },
          gitlab: { tokenEnv: 'GL' },
          gitSync: { enabled: true },
          maxBodyBytes: 4096,
        },
      },
      env: { GH: GH_SECRET, GL: GL_TOKEN },
      logger: cap.logger,
      clock: new FakeClock({ sleeps: 'manual' }),
      runtime: fakeRuntime(),
      pass: async (ctx) => {
        passes.push([...ctx.reasons]);
        return { verdict: 'success', result: 'converged', listed: true };
      },
      disable: { cron: true, watch: true },
    });
    port = Number(new URL(daemon.url).port);
    await waitFor(() => passes.length === 1 && !daemon.loop.running);
  });

  afterAll(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`answers ${TOTAL} generated requests without a 5xx, serving /healthz after every batch of ${BATCH}`, async () => {
    const cases = fc.sample(generated, { seed: SEED, numRuns: TOTAL });
    expect(cases).toHaveLength(TOTAL);
    const statuses = new Map<number | 'none', number>();
    const fiveHundreds: string[] = [];
    let stalled = 0;
    for (let b = 0; b < TOTAL; b += BATCH) {
      const batch = cases.slice(b, b + BATCH);
      const open: Socket[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < batch.length) {
          const c = batch[next++]!;
          if (c.stall) {
            open.push(await stall(port, c.bytes));
            stalled++;
            continue;
          }
          const reply = await rawRequest(port, c.bytes, { chunks: c.chunks });
          const codes = [...reply.text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
          if (codes.length === 0) statuses.set('none', (statuses.get('none') ?? 0) + 1);
          for (const code of codes) {
            statuses.set(code, (statuses.get(code) ?? 0) + 1);
            if (code >= 500)
              fiveHundreds.push(`${code} for ${JSON.stringify(c.bytes.toString('latin1').slice(0, 120))}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const health = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(health.status, `after batch ${b / BATCH}`).toBe(200);
      for (const s of open) s.destroy();
    }
    expect(fiveHundreds).toEqual([]);
    expect(cap.find('request failed')).toEqual([]);
    // The mix reached the routes, the guards and the parser's refusals.
    for (const code of [200, 400, 401, 404, 405])
      expect(statuses.get(code) ?? 0, `status ${code}`).toBeGreaterThan(0);
    expect(stalled).toBeGreaterThan(0);
    // Valid signed deliveries were among them, and together caused at most one pass.
    const accepted = await sampleValue(daemon.metrics.webhookDeliveries, {
      hook: 'github',
      result: 'accepted',
    });
    expect(accepted ?? 0).toBeGreaterThan(0);
    expect(passes.filter((r) => r.some((x) => x.startsWith('webhook-'))).length).toBeLessThanOrEqual(1);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
  });
});
