import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { AccessGuard, type Listener, presentedToken } from '../../src/daemon/access-guard.js';
import {
  type HttpServerDeps,
  type HttpServerHandle,
  startHttpServer,
  targetPath,
} from '../../src/daemon/http-server.js';
import {
  resolveWebhookSecrets,
  signGithubBody,
  verifyGithubSignature,
  verifyGitlabToken,
  WebhookIntake,
} from '../../src/daemon/webhooks.js';
import { Secret } from '../../src/model/secret.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { rawRequest } from '../helpers/raw-http.js';

const GH_SECRET = 'gh-webhook-secret-for-tests';
const GL_TOKEN = 'gl-webhook-token-for-tests';

describe('signature checks', () => {
  it('matches the GitHub documentation test vector', () => {
    const secret = new Secret("It's a Secret to Everybody");
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyGithubSignature(secret, Buffer.from('Hello, World!'), header)).toEqual({ ok: true });
    expect(signGithubBody("It's a Secret to Everybody", 'Hello, World!')).toBe(header);
    expect(verifyGithubSignature(secret, Buffer.from('Hello, World?'), header)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyGithubSignature(secret, Buffer.from('x'), undefined)).toEqual({
      ok: false,
      reason: 'missing',
    });
    expect(verifyGithubSignature(secret, Buffer.from('x'), 'sha1=abc')).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyGithubSignature(secret, Buffer.from('x'), `sha256=${'0'.repeat(63)}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('compares GitLab tokens', () => {
    const t = new Secret(GL_TOKEN);
    expect(verifyGitlabToken(t, GL_TOKEN)).toEqual({ ok: true });
    expect(verifyGitlabToken(t, `${GL_TOKEN}x`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyGitlabToken(t, undefined)).toEqual({ ok: false, reason: 'missing' });
  });

  it('resolves secrets from env or file and names what is missing', async () => {
    const s = await resolveWebhookSecrets(
      { github: { secretEnv: 'GH' }, gitlab: { tokenFile: '/x/token' }, maxBodyBytes: 10 },
      { env: { GH: ` ${GH_SECRET}\n` }, readFile: async () => `${GL_TOKEN}\n` },
    );
    expect(s.github?.reveal()).toBe(GH_SECRET);
    expect(s.gitlab?.reveal()).toBe(GL_TOKEN);
    expect(s.gitSync).toBe(false);
    await expect(
      resolveWebhookSecrets({ github: { secretEnv: 'MISSING' }, maxBodyBytes: 10 }, { env: {} }),
    ).rejects.toThrow(/MISSING is not set/);
  });
});

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function send(
  url: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe('HTTP server', () => {
  const servers: HttpServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(
    opts: {
      maxBodyBytes?: number;
      ready?: boolean;
      adminToken?: string;
      gitSyncToken?: string;
      listeners?: readonly Listener[];
    } = {},
  ) {
    const cap = createLogCapture();
    const triggers: { reasons: readonly string[] }[] = [];
    const received: { reason: string; outcome: string }[] = [];
    const deliveries: string[] = [];
    const hooks = new WebhookIntake({
      secrets: {
        github: new Secret(GH_SECRET),
        gitlab: new Secret(GL_TOKEN),
        gitSync: true,
        ...(opts.gitSyncToken ? { gitSyncToken: new Secret(opts.gitSyncToken) } : {}),
        maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
      },
      clock: systemClock,
      logger: cap.logger,
      minIntervalMs: 0,
      release: (reasons) => triggers.push({ reasons }),
      onDelivery: (hook, result) => deliveries.push(`${hook}:${result}`),
      onTrigger: (reason, outcome) => received.push({ reason, outcome }),
    });
    const admin = new AccessGuard({
      name: 'status',
      token: opts.adminToken ? new Secret(opts.adminToken) : undefined,
      trust: 'admin-listener',
      hint: 'the admin listener or a bearer token',
    });
    const requests: { listener: string; route: string; status: number }[] = [];
    const deps: HttpServerDeps = {
      logger: cap.logger,
      hooks,
      admin,
      metrics: () => '# HELP x X.\n# TYPE x gauge\nx 1\n',
      status: () => ({ ready: opts.ready ?? false }),
      dashboard: (part) => (part === 'page' ? '<!doctype html><p>page</p>' : '<div id="live"></div>'),
      ready: () => (opts.ready ? { ready: true } : { ready: false, reason: 'no listing yet' }),
      healthy: () => ({ healthy: true }),
      onRequest: (e) => requests.push(e),
    };
    const handles: Partial<Record<Listener, HttpServerHandle>> = {};
    for (const listener of opts.listeners ?? ['main']) {
      const h = await startHttpServer(deps, { host: '127.0.0.1', port: 0 }, listener);
      servers.push(h);
      handles[listener] = h;
    }
    const main = handles.main ?? handles.admin!;
    return { cap, triggers, received, deliveries, requests, url: main.url, port: main.port, handles };
  }

  const push = JSON.stringify({ ref: 'refs/heads/main', after: 'b'.repeat(40), commits: [] });

  it('accepts a valid GitHub push (202) and requests a pass', async () => {
    const { url, triggers, cap } = await start();
    const res = await send(url, 'POST', '/hooks/github', push, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': signGithubBody(GH_SECRET, push),
    });
    expect(res.status).toBe(202);
    expect(triggers).toEqual([{ reasons: ['webhook-github'] }]);
    expect(cap.find('webhook received')[0]).toMatchObject({
      hook: 'github',
      delivery: 'd-1',
      ref: 'refs/heads/main',
      after: 'b'.repeat(40),
    });
    // the same delivery again is a no-op
    const again = await send(url, 'POST', '/hooks/github', push, {
      'x-github-event': 'push',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': signGithubBody(GH_SECRET, push),
    });
    expect(again.status).toBe(200);
    expect(triggers).toHaveLength(1);
  });

  it('answers ping without a pass and ignores other events', async () => {
    const { url, triggers } = await start();
    const ping = await send(url, 'POST', '/hooks/github', '{}', {
      'x-github-event': 'ping',
      'x-hub-signature-256': signGithubBody(GH_SECRET, '{}'),
    });
    expect(ping.status).toBe(200);
    const issue = await send(url, 'POST', '/hooks/github', '{}', {
      'x-github-event': 'issues',
      'x-hub-signature-256': signGithubBody(GH_SECRET, '{}'),
    });
    expect(issue.status).toBe(200);
    expect(JSON.parse(issue.body)).toMatchObject({ ignored: 'event issues' });
    expect(triggers).toEqual([]);
  });

  it('rejects forged or unsigned GitHub payloads with 401 and logs without the payload', async () => {
    const { url, triggers, cap } = await start();
    const marker = 'payload-marker-should-not-be-logged';
    const forged = JSON.stringify({ ref: marker });
    const bad = await send(url, 'POST', '/hooks/github', forged, {
      'x-github-event': 'push',
      'x-hub-signature-256': signGithubBody('wrong-secret', forged),
    });
    expect(bad.status).toBe(401);
    const unsigned = await send(url, 'POST', '/hooks/github', forged, { 'x-github-event': 'push' });
    expect(unsigned.status).toBe(401);
    expect(triggers).toEqual([]);
    const rejected = cap.find('webhook rejected');
    expect(rejected.map((l) => l['reason'])).toEqual(['signature mismatch', 'signature missing']);
    expect(cap.raw.join('\n')).not.toContain(marker);
    assertNoSecrets(cap.raw, [GH_SECRET, GL_TOKEN]);
  });

  it('logs a flood of forged deliveries once, not once per delivery', async () => {
    const { url, cap, deliveries } = await start();
    for (let i = 0; i < 30; i++) {
      const body = JSON.stringify({ i });
      const res = await send(url, 'POST', '/hooks/github', body, {
        'x-github-event': 'push',
        'x-hub-signature-256': signGithubBody('forged', body),
      });
      expect(res.status).toBe(401);
    }
    expect(cap.find('webhook rejected')).toHaveLength(1);
    expect(deliveries.filter((d) => d === 'github:unauthorized')).toHaveLength(30);
  });

  it('limits body size (413) and method (405)', async () => {
    const { url, triggers } = await start({ maxBodyBytes: 1024 });
    const big = 'x'.repeat(5000);
    const res = await send(url, 'POST', '/hooks/github', big, {
      'x-github-event': 'push',
      'x-hub-signature-256': signGithubBody(GH_SECRET, big),
    });
    expect(res.status).toBe(413);
    // chunked (no content-length) too
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/hooks/gitlab`,
        { method: 'POST', headers: { 'x-gitlab-token': GL_TOKEN } },
        (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('y'.repeat(800));
      req.write('y'.repeat(800));
      req.end();
    });
    expect(chunked).toBe(413);
    const get = await send(url, 'GET', '/hooks/github');
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    const post = await send(url, 'POST', '/metrics', 'x');
    expect(post.status).toBe(405);
    expect(triggers).toEqual([]);
  });

  it('verifies GitLab tokens and accepts git-sync hooks', async () => {
    const { url, triggers, cap } = await start();
    const ok = await send(url, 'POST', '/hooks/gitlab', push, {
      'x-gitlab-token': GL_TOKEN,
      'x-gitlab-event': 'Push Hook',
    });
    expect(ok.status).toBe(202);
    const bad = await send(url, 'POST', '/hooks/gitlab', push, {
      'x-gitlab-token': 'nope',
      'x-gitlab-event': 'Push Hook',
    });
    expect(bad.status).toBe(401);
    const mr = await send(url, 'POST', '/hooks/gitlab', '{}', {
      'x-gitlab-token': GL_TOKEN,
      'x-gitlab-event': 'Merge Request Hook',
    });
    expect(mr.status).toBe(200);
    const gs = await send(url, 'POST', '/hooks/git-sync', undefined, { 'gitsync-hash': 'c'.repeat(40) });
    expect(gs.status).toBe(200);
    const gsBad = await send(url, 'POST', '/hooks/git-sync', undefined, { 'gitsync-hash': 'not-a-hash' });
    expect(gsBad.status).toBe(400);
    expect(triggers.map((t) => t.reasons)).toEqual([['webhook-gitlab'], ['webhook-git-sync']]);
    expect(cap.find('webhook received')[1]).toMatchObject({ hook: 'git-sync', hash: 'c'.repeat(40) });
  });

  it('serves probes, metrics and status', async () => {
    const { url } = await start({ ready: false });
    expect((await send(url, 'GET', '/healthz')).status).toBe(200);
    const notReady = await send(url, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toContain('no listing yet');
    const metrics = await send(url, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toBe('# HELP x X.\n# TYPE x gauge\nx 1\n');
    expect((await send(url, 'GET', '/nope')).status).toBe(404);
  });

  it('answers a malformed request target with 400 and keeps serving (curl --request-target "http://[")', async () => {
    const { port, cap } = await start();
    for (const target of [
      'http://[',
      'http://[::1',
      'http://a b/',
      'foo',
      '*',
      'http:x',
      '//',
      '/%',
      '/\u00ff',
    ]) {
      const reply = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(reply.status, target).toBeGreaterThanOrEqual(400);
      expect(reply.status, target).toBeLessThan(500);
    }
    const reply = await rawRequest(port, 'GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(reply.text).toContain('malformed request target');
    expect(
      (await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status,
    ).toBe(200);
    expect(cap.find('request failed')).toEqual([]);
  });

  it('answers malformed request lines, methods and headers with 4xx', async () => {
    const { port, requests } = await start();
    const cases: [string, number][] = [
      ['GARBAGE\r\n\r\n', 400],
      ['GET / HTTP/9.9\r\nHost: x\r\n\r\n', 400],
      ['FROB /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n', 400],
      ['GET /healthz HTTP/1.1\r\nX: a\u0000b\r\n\r\n', 400],
      ['POST /hooks/git-sync HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
      [`GET /healthz HTTP/1.1\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405],
    ];
    for (const [bytes, status] of cases) {
      expect((await rawRequest(port, bytes)).status, JSON.stringify(bytes.slice(0, 40))).toBe(status);
    }
    expect(requests.filter((r) => r.route === 'malformed').length).toBeGreaterThanOrEqual(6);
  });

  it('treats a replayed signed GitHub body with a new delivery id as a duplicate (no pass)', async () => {
    const { url, triggers, deliveries } = await start();
    const headers = (id: string) => ({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': id,
      'x-hub-signature-256': signGithubBody(GH_SECRET, push),
    });
    expect((await send(url, 'POST', '/hooks/github', push, headers('d-1'))).status).toBe(202);
    const replay = await send(url, 'POST', '/hooks/github', push, headers('d-2-forged'));
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ duplicate: true });
    expect(triggers).toHaveLength(1);
    // a different push (another body) under the first id is a redelivery too
    const other = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) });
    const sameId = await send(url, 'POST', '/hooks/github', other, {
      ...headers('d-1'),
      'x-hub-signature-256': signGithubBody(GH_SECRET, other),
    });
    expect(JSON.parse(sameId.body)).toMatchObject({ duplicate: true });
    expect(deliveries).toEqual(['github:accepted', 'github:duplicate', 'github:duplicate']);
    // GitLab: the same body again, another event uuid
    const gl = (uuid: string) => ({
      'x-gitlab-token': GL_TOKEN,
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-event-uuid': uuid,
    });
    expect((await send(url, 'POST', '/hooks/gitlab', push, gl('u-1'))).status).toBe(202);
    expect(JSON.parse((await send(url, 'POST', '/hooks/gitlab', push, gl('u-2'))).body)).toMatchObject({
      duplicate: true,
    });
    expect(triggers).toHaveLength(2);
  });

  it('accepts git-sync triggers from the pod itself only (401 from another address)', async () => {
    const { port, triggers, deliveries } = await start();
    const hook = 'POST /hooks/git-sync HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
    // 127.0.0.2 is loopback traffic, but not the pod's own address (a mesh proxy forwards from such).
    const remote = await rawRequest(port, hook, { localAddress: '127.0.0.2' });
    expect(remote.status).toBe(401);
    expect(remote.text).toMatch(/only local peers/);
    expect(remote.text).toMatch(/WWW-Authenticate: Bearer/i);
    expect(triggers).toEqual([]);
    expect((await rawRequest(port, hook)).status).toBe(200);
    expect(triggers).toHaveLength(1);
    expect(deliveries).toEqual(['git-sync:unauthorized', 'git-sync:accepted']);
  });

  it('requires the git-sync token from everyone once one is configured (Bearer or Basic)', async () => {
    const token = 'git-sync-hook-token-0123';
    const { port, triggers, cap } = await start({ gitSyncToken: token });
    const hook = (auth?: string) =>
      `POST /hooks/git-sync HTTP/1.1\r\nHost: x\r\n${auth ? `Authorization: ${auth}\r\n` : ''}Content-Length: 0\r\nConnection: close\r\n\r\n`;
    expect((await rawRequest(port, hook())).status).toBe(401);
    expect((await rawRequest(port, hook('Bearer nope'), { localAddress: '127.0.0.2' })).status).toBe(401);
    expect((await rawRequest(port, hook(`Bearer ${token}`), { localAddress: '127.0.0.2' })).status).toBe(200);
    const basic = Buffer.from(`git-sync:${token}`).toString('base64');
    expect((await rawRequest(port, hook(`Basic ${basic}`))).status).toBe(200);
    expect(triggers).toHaveLength(2);
    assertNoSecrets(cap.raw, [token]);
  });

  it('guards /status: 401 without its token on the main listener, open on the loopback admin listener', async () => {
    const { url, handles } = await start({ listeners: ['main', 'admin'] });
    const denied = await send(url, 'GET', '/status');
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="scw-gitops"');
    expect(denied.body).not.toContain('ready');
    const viaAdmin = await send(handles.admin!.url, 'GET', '/status');
    expect(viaAdmin.status).toBe(200);
    expect(JSON.parse(viaAdmin.body)).toEqual({ ready: false });
    // probes, metrics and hooks stay where they are: open on main, not on admin
    expect((await send(url, 'GET', '/metrics')).status).toBe(200);
    expect((await send(url, 'GET', '/readyz')).status).toBe(503);
    expect((await send(handles.admin!.url, 'GET', '/metrics')).status).toBe(404);
    expect((await send(handles.admin!.url, 'POST', '/hooks/git-sync')).status).toBe(404);
    expect((await send(handles.admin!.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('guards /status with a bearer token on every listener once one is configured', async () => {
    const token = 'status-token-0123456789';
    const { url, handles, cap } = await start({ listeners: ['main', 'admin'], adminToken: token });
    expect((await send(url, 'GET', '/status')).status).toBe(401);
    expect((await send(url, 'GET', '/status', undefined, { authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    expect((await send(handles.admin!.url, 'GET', '/status')).status).toBe(401);
    const ok = await send(url, 'GET', '/status', undefined, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ready: false });
    expect(
      (await send(handles.admin!.url, 'GET', '/status', undefined, { authorization: `Bearer ${token}` }))
        .status,
    ).toBe(200);
    assertNoSecrets(cap.raw, [token]);
  });
  it('serves the dashboard under the same guard as /status, read-only, with a strict CSP', async () => {
    const token = 'ui-token-0123456789';
    const { url, handles, cap } = await start({ listeners: ['main', 'admin'], adminToken: token });
    const paths = ['/ui', '/ui/', '/ui/live', '/ui/dashboard.js', '/ui/dashboard.css'];
    for (const p of paths) {
      expect((await send(url, 'GET', p)).status, p).toBe(401);
      expect((await send(handles.admin!.url, 'GET', p)).status, p).toBe(401);
    }
    const auth = { authorization: `Bearer ${token}` };
    const types: Record<string, RegExp> = {
      '/ui': /^text\/html; charset=utf-8$/,
      '/ui/live': /^text\/html; charset=utf-8$/,
      '/ui/dashboard.js': /^text\/javascript; charset=utf-8$/,
      '/ui/dashboard.css': /^text\/css; charset=utf-8$/,
    };
    for (const [p, type] of Object.entries(types)) {
      const res = await send(url, 'GET', p, undefined, auth);
      expect(res.status, p).toBe(200);
      expect(res.headers['content-type'], p).toMatch(type);
      expect(res.headers['content-security-policy'], p).toMatch(/^default-src 'self';/);
      expect(res.headers['x-frame-options'], p).toBe('DENY');
      expect(res.headers['referrer-policy'], p).toBe('no-referrer');
      expect(res.headers['x-content-type-options'], p).toBe('nosniff');
    }
    expect((await send(url, 'GET', '/ui', undefined, auth)).body).toContain('<p>page</p>');
    expect((await send(url, 'GET', '/ui/live', undefined, auth)).body).toBe('<div id="live"></div>');
    // Nothing in it changes state: only GET and HEAD.
    expect((await send(url, 'POST', '/ui', '', auth)).status).toBe(405);
    expect((await send(url, 'GET', '/ui/other', undefined, auth)).status).toBe(404);
    assertNoSecrets(cap.raw, [token]);
  });

  it('opens the dashboard on the loopback admin listener when no token is configured', async () => {
    const { url, handles } = await start({ listeners: ['main', 'admin'] });
    expect((await send(url, 'GET', '/ui')).status).toBe(401);
    expect((await send(handles.admin!.url, 'GET', '/ui')).status).toBe(200);
  });
});

describe('request targets and tokens', () => {
  it('parses origin-form and absolute-form targets, and refuses the rest', () => {
    expect(targetPath('/status?x=1')).toBe('/status');
    expect(targetPath('/hooks/github/')).toBe('/hooks/github');
    expect(targetPath('/')).toBe('/');
    expect(targetPath('http://example/status#x')).toBe('/status');
    for (const bad of ['http://[', '*', 'status', '', undefined, '/a b', `/${'a'.repeat(9000)}`]) {
      expect(targetPath(bad), String(bad)).toBeUndefined();
    }
  });

  it('reads Bearer tokens and Basic passwords', () => {
    expect(presentedToken('Bearer abc')).toBe('abc');
    expect(presentedToken(`Basic ${Buffer.from('u:p:w').toString('base64')}`)).toBe('p:w');
    expect(presentedToken(`Basic ${Buffer.from('user').toString('base64')}`)).toBeUndefined();
    expect(presentedToken('Digest x')).toBeUndefined();
    expect(presentedToken(undefined)).toBeUndefined();
  });
});
