/**
 * End to end: the daemon with the built-in git source on the sandbox. The repository is served
 * over loopback HTTP (git http-backend), commits are signed with GnuPG, verification is
 * enforced, and commit statuses go to a GitHub status API emulator.
 *
 * - the first signed commit is applied at start (pending, then success on the commit);
 * - a push is fetched on the interval and applied;
 * - a push webhook makes the daemon fetch exactly the commit it names, and apply it;
 * - an unsigned commit is refused (log, /status, metrics, failure status on the commit) and
 *   nothing of it is applied, while a key that comes due is still rotated from the last verified
 *   revision.
 * The sandbox and the daemon share one clock that only the test moves.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { signGithubBody } from '../../src/daemon/webhooks.js';
import { createLogger } from '../../src/logging/logger.js';
import { type GitHttpServer, startGitHttpServer } from '../emulators/git-host/git-http-server.js';
import { type StatusApi, startStatusApi } from '../emulators/git-host/status-api.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { createGitFixture, type GitFixture } from '../source/git-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

type StatusDoc = {
  revision: string | null;
  source: { refused: Record<string, unknown> | null; accepted: Record<string, unknown> | null };
} & Record<string, unknown>;

const GH_SECRET = 'git-e2e-webhook-secret';
const STATUS_TOKEN = 'git-e2e-status-token-123456';
const DAY = 86_400_000;

const APP = (name: string) =>
  `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: ${name} from git\n`;
const KEY = `apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: git-key
spec:
  application: git-app
  description: key declared in git
  lifetime: 30d
  rotation:
    rotateBefore: 10d
    overlap: 1h
  sink:
    name: local
`;

describe('daemon with the built-in git source (signed commits enforced)', () => {
  let fx: GitFixture;
  let http: GitHttpServer;
  let api: StatusApi;
  let daemon: Daemon;
  let now = Date.parse('2026-06-01T00:00:00Z');
  const clock: Clock = { now: () => new Date(now), sleep: systemClock.sleep };
  const cap = createLogCapture();
  let first: string;

  const status = async () => (await (await fetch(`${daemon.adminUrl}/status`)).json()) as StatusDoc;
  const metrics = async () => (await fetch(`${daemon.url}/metrics`)).text();
  const apps = async () => (await daemon.runtime.client.listApplications()).map((a) => a.name);
  const passes = () => daemon.loop.passes;
  const idle = (what: string) => waitFor(() => !daemon.loop.running, { timeoutMs: 30_000, what: what });

  beforeAll(async () => {
    fx = await createGitFixture();
    first = await fx.commit(
      { 'iam/app.yaml': APP('git-app'), 'iam/key.yaml': KEY, 'docs/README.md': 'not desired state\n' },
      { sign: { gpg: 'alice' }, message: 'first' },
    );
    http = await startGitHttpServer({ root: fx.root });
    api = await startStatusApi({ token: STATUS_TOKEN, repositories: ['acme/iam'] });
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      instance: 'git-e2e',
      source: {
        dir: path.join(fx.root, 'cache'),
        git: {
          url: `${http.url}/origin.git`,
          ref: { branch: 'main' },
          path: 'iam',
          intervalMs: 500,
          timeoutMs: 30_000,
          cacheDir: path.join(fx.root, 'cache'),
          forcePush: 'refuse',
          auth: {},
          verify: { mode: 'enforce', openpgpKeys: [fx.keys.alicePublic] },
          commitStatus: {
            provider: 'github',
            apiUrl: api.url,
            repository: 'acme/iam',
            tokenEnv: 'STATUS_TOKEN',
            context: 'scw-gitops/git-e2e',
            publicUrl: 'https://gitops.example.com',
          },
        },
      },
      scaleway: { ...d.scaleway, sandbox: { enabled: true, port: 0 } },
      sinks: [{ name: 'local', type: 'file', dir: path.join(fx.root, 'secrets'), format: 'dotenv' }],
      defaults: { sink: 'local', rotation: { overlapMs: 3_600_000 } },
      server: { host: '127.0.0.1', port: 0 },
      webhooks: { github: { secretEnv: 'GH_WEBHOOK' }, maxBodyBytes: 64 * 1024 },
    };
    daemon = await startDaemon({
      settings,
      env: { GH_WEBHOOK: GH_SECRET, STATUS_TOKEN },
      logger: createLogger({ level: 'debug', destination: cap.destination }),
      clock,
      backoff: { baseMs: 600_000, maxMs: 600_000, factor: 2, jitter: 0 },
      disable: { cron: true },
    });
    await waitFor(() => daemon.state.lastPass !== undefined, { timeoutMs: 60_000, what: 'startup pass' });
    await idle('startup pass');
  });

  afterAll(async () => {
    await daemon?.stop();
    await http?.close();
    await api?.close();
    await fx?.close();
  });

  it('applies the first signed commit and reports it on the commit', async () => {
    expect(daemon.state.lastPass).toMatchObject({ result: 'applied', revision: first });
    expect(await apps()).toContain('git-app');
    const s = await status();
    expect(s['revision']).toBe(first);
    expect(s['source']).toMatchObject({
      type: 'git',
      url: `${http.url}/origin.git`,
      ref: 'branch main',
      verify: 'enforce',
      accepted: {
        revision: first,
        verification: 'verified',
        signer: { type: 'openpgp', key: fx.keys.aliceFingerprint, identity: 'Alice <alice@example.com>' },
      },
      refused: null,
    });
    const m = await metrics();
    expect(m).toContain(
      `scw_gitops_source_revision_info{revision="${first}",signer="Alice <alice@example.com> (openpgp ${fx.keys.aliceFingerprint})",verification="verified"} 1`,
    );
    await waitFor(() => api.statuses.filter((x) => x.sha === first).length >= 2, {
      timeoutMs: 10_000,
      what: 'statuses',
    });
    const mine = api.statuses.filter((x) => x.sha === first);
    expect(mine.map((x) => x.body['state'])).toEqual(['pending', 'success']);
    expect(mine[1]!.body).toMatchObject({
      context: 'scw-gitops/git-e2e',
      target_url: 'https://gitops.example.com/ui',
      description: expect.stringMatching(/^applied: \d+ created/),
    });
    expect(daemon.state.lastPlanReport?.plan).toMatchObject({
      revision: first,
      signer: `Alice <alice@example.com> (openpgp ${fx.keys.aliceFingerprint})`,
    });
    const line = cap.lines.find((l) => l['msg'] === 'reconcile pass finished')!;
    expect(line).toMatchObject({ revision: first, signer: expect.stringContaining('Alice') });
  });

  it('fetches a push on the interval and applies it', async () => {
    const sha = await fx.commit({ 'iam/second.yaml': APP('second') }, { sign: { gpg: 'alice' } });
    await waitFor(async () => (await apps()).includes('second'), {
      timeoutMs: 30_000,
      what: 'second applied',
    });
    await idle('interval pass');
    expect(daemon.state.lastPass).toMatchObject({ revision: sha, reasons: ['git-fetch'] });
  });

  it('fetches exactly the commit a push webhook names, and applies it', async () => {
    // The commit is on the host but the branch does not show it yet (a lagging replica).
    const sha = await fx.commit(
      { 'iam/third.yaml': APP('third') },
      { sign: { gpg: 'alice' }, branch: 'pending-third', pushRef: 'refs/pending/third' },
    );
    await fx.git(['checkout', '--quiet', 'main']);

    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
    const res = await fetch(`${daemon.url}/hooks/github`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'git-e2e-1',
        'x-hub-signature-256': signGithubBody(GH_SECRET, body),
      },
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await apps()).includes('third'), { timeoutMs: 30_000, what: 'third applied' });
    await idle('webhook pass');
    expect(daemon.state.lastPass).toMatchObject({ revision: sha, reasons: ['webhook-github'] });
    // the branch catches up: same commit, nothing new
    await fx.git(['merge', '--quiet', '--ff-only', sha]);
    await fx.git(['push', '--quiet', 'origin', 'main']);
  });

  it('refuses an unsigned commit, says so everywhere, and keeps rotating from the last verified revision', async () => {
    const verified = daemon.state.revision!;
    const keyBefore = await readFile(path.join(fx.root, 'secrets', 'git-key.env'), 'utf8');
    const accessBefore = /SCW_ACCESS_KEY=(\S+)/.exec(keyBefore)![1]!;
    const unsigned = await fx.commit(
      { 'iam/evil.yaml': APP('evil'), 'iam/key.yaml': null },
      { message: 'unsigned' },
    );

    await waitFor(async () => (await status()).source.refused?.['revision'] === unsigned, {
      timeoutMs: 30_000,
      what: 'refusal',
    });
    await idle('refusal pass');
    const s = await status();
    expect(s.source.refused).toMatchObject({
      revision: unsigned,
      code: 'unsigned',
      reason: 'the commit is not signed',
    });
    expect(s.source.accepted).toMatchObject({ revision: verified });
    const refusalLog = cap.lines.find(
      (l) => typeof l['msg'] === 'string' && l['msg'].startsWith(`refused revision ${unsigned.slice(0, 12)}`),
    );
    expect(refusalLog).toMatchObject({
      level: 'error',
      revision: unsigned,
      code: 'unsigned',
      accepted: verified,
    });
    const m = await metrics();
    expect(m).toContain('scw_gitops_source_refusals_total{reason="unsigned"} 1');
    expect(m).toContain(
      `scw_gitops_source_refused_revision_info{revision="${unsigned}",signer="",reason="unsigned"} 1`,
    );
    await waitFor(() => api.statuses.some((x) => x.sha === unsigned), {
      timeoutMs: 10_000,
      what: 'failure status',
    });
    expect(api.statuses.find((x) => x.sha === unsigned)!.body).toMatchObject({
      state: 'failure',
      description: `refused: the commit is not signed; still applying ${verified.slice(0, 12)}`,
    });
    expect(await apps()).not.toContain('evil');

    // 21 days later the key is due (lifetime 30d, rotateBefore 10d): the rotation check asks for a pass.
    now += 21 * DAY;
    const before = passes();
    daemon.request('rotation-due');
    await waitFor(() => passes() > before, { timeoutMs: 30_000, what: 'rotation pass' });
    await idle('rotation pass');
    expect(daemon.state.lastPass).toMatchObject({ revision: verified, result: 'applied' });
    const keyAfter = await readFile(path.join(fx.root, 'secrets', 'git-key.env'), 'utf8');
    const accessAfter = /SCW_ACCESS_KEY=(\S+)/.exec(keyAfter)![1]!;
    expect(accessAfter).not.toBe(accessBefore);
    expect(await apps()).not.toContain('evil');
    assertNoSecrets(cap.raw, [GH_SECRET, STATUS_TOKEN]);
    assertNoSecrets(
      api.statuses.map((x) => x.rawBody),
      [GH_SECRET, STATUS_TOKEN],
    );
  });
});
