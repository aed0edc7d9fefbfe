import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpServerHandle, startHttpServer } from '../../src/daemon/http-server.js';
import { signGithubBody, verifyGithubSignature, verifyGitlabToken } from '../../src/daemon/webhooks.js';
import { resolveWebhookSecrets } from '../../src/daemon/webhooks.js';
import { Secret } from '../../src/model/secret.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';

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
  let server: HttpServerHandle | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(opts: { maxBodyBytes?: number; ready?: boolean } = {}) {
    const cap = createLogCapture();
    const triggers: { reason: string; detail: Record<string, string | undefined> }[] = [];
    server = await startHttpServer(
      {
        logger: cap.logger,
        webhooks: {
          github: new Secret(GH_SECRET),
          gitlab: new Secret(GL_TOKEN),
          gitSync: true,
          maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
        },
        metrics: () => '# HELP x X.\n# TYPE x gauge\nx 1\n',
        status: () => ({ ready: opts.ready ?? false }),
        ready: () => (opts.ready ? { ready: true } : { ready: false, reason: 'no listing yet' }),
        healthy: () => ({ healthy: true }),
        trigger: (reason, detail) => triggers.push({ reason, detail }),
      },
      { host: '127.0.0.1', port: 0 },
    );
    return { cap, triggers, url: server.url };
  }

  const push = JSON.stringify({ ref: 'refs/heads/main', after: 'b'.repeat(40), commits: [] });

  it('accepts a valid GitHub push (202) and requests a pass', async () => {
    const { url, triggers } = await start();
    const res = await send(url, 'POST', '/hooks/github', push, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'd-1',
      'x-hub-signature-256': signGithubBody(GH_SECRET, push),
    });
    expect(res.status).toBe(202);
    expect(triggers).toEqual([
      {
        reason: 'webhook-github',
        detail: { delivery: 'd-1', ref: 'refs/heads/main', after: 'b'.repeat(40) },
      },
    ]);
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
    expect(rejected.map((l) => l['reason'])).toEqual(['mismatch', 'missing']);
    expect(cap.raw.join('\n')).not.toContain(marker);
    assertNoSecrets(cap.raw, [GH_SECRET, GL_TOKEN]);
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
    const { url, triggers } = await start();
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
    expect(triggers.map((t) => t.reason)).toEqual(['webhook-gitlab', 'webhook-git-sync']);
    expect(triggers[1]!.detail).toEqual({ hash: 'c'.repeat(40) });
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
    const status = await send(url, 'GET', '/status');
    expect(JSON.parse(status.body)).toEqual({ ready: false });
    expect((await send(url, 'GET', '/nope')).status).toBe(404);
  });
});
