/**
 * End to end: the daemon in-process on the built-in sandbox with a temp copy of examples/basic.
 * Bounded waits only (poll for a condition with a timeout), never duration assertions.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { signGithubBody } from '../../src/daemon/webhooks.js';
import { createLogger } from '../../src/logging/logger.js';
import { RECENT_CAPACITY, secretRegistrySize } from '../../src/model/secret.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const GH_SECRET = 'e2e-github-webhook-secret';

describe('daemon end to end (sandbox + examples/basic)', () => {
  let tmp: string;
  let dir: string;
  let daemon: Daemon;
  let scrubBefore: ReturnType<typeof secretRegistrySize>;
  const cap = createLogCapture();

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-daemon-e2e-'));
    dir = path.join(tmp, 'desired');
    await cp(process.env['SCW_GITOPS_E2E_EXAMPLES'] ?? path.join(ROOT, 'examples/basic'), dir, {
      recursive: true,
    });
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      instance: 'e2e',
      source: { dir },
      scaleway: { ...d.scaleway, sandbox: { enabled: true, port: 0 } },
      sinks: [{ name: 'local', type: 'file', dir: path.join(tmp, 'secrets'), format: 'dotenv' }],
      defaults: { sink: 'local', rotation: { overlapMs: 60_000 } },
      server: { host: '127.0.0.1', port: 0 },
      schedule: { ...d.schedule, debounceMs: 400 },
      webhooks: { github: { secretEnv: 'GH_WEBHOOK' }, maxBodyBytes: 64 * 1024 },
    };
    scrubBefore = secretRegistrySize();
    daemon = await startDaemon({
      settings,
      env: { GH_WEBHOOK: GH_SECRET },
      logger: createLogger({ level: 'debug', destination: cap.destination }),
      clock: systemClock,
      // No automatic retries inside the test window: every pass here is caused by the test.
      backoff: { baseMs: 600_000, maxMs: 600_000, factor: 2, jitter: 0 },
      disable: { cron: true },
    });
    await waitFor(() => daemon.state.lastPass !== undefined && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'startup pass',
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('applies the desired state at startup and becomes ready', async () => {
    expect(daemon.state.lastPass?.reasons).toEqual(['startup']);
    expect(daemon.state.ready).toBe(true);
    const res = await fetch(`${daemon.url}/readyz`);
    expect(res.status).toBe(200);
    const apps = await daemon.runtime.client.listApplications();
    expect(apps.map((a) => a.name)).toEqual(expect.arrayContaining(['api-backend', 'ci-runner']));
  });

  it('keeps no delivered secret in the live scrub registry (the metric shows it)', async () => {
    const created = (daemon.state.lastReport?.apply?.outcomes ?? []).filter(
      (o) => o.address.startsWith('ApiKey/') && o.result === 'created',
    );
    expect(created.length).toBeGreaterThan(3);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    const value = (state: string) =>
      Number(
        new RegExp(`^scw_gitops_secret_scrub_values\\{state="${state}"\\} (\\d+)$`, 'm').exec(metrics)?.[1],
      );
    // Live: only the daemon's own credentials (the sandbox's admin key, the webhook secret), however
    // many keys were delivered; the delivered ones are in the bounded recent set.
    expect(value('live')).toBe(scrubBefore.live + 2);
    expect(value('recent')).toBeGreaterThanOrEqual(scrubBefore.recent + created.length);
    expect(value('recent')).toBeLessThanOrEqual(RECENT_CAPACITY);
  });

  it('knows the new keys right after the pass that created them (expiry gauge, next rotations)', async () => {
    // The startup pass created every key; its plan was made before they existed.
    expect(daemon.state.lastPass?.result).toBe('applied');
    const created = (daemon.state.lastReport?.apply?.outcomes ?? []).filter(
      (o) => o.address.startsWith('ApiKey/') && o.result === 'created',
    );
    expect(created.length).toBeGreaterThan(0);
    const live = await daemon.runtime.client.listApiKeys();
    const byAccess = new Map(live.map((k) => [k.accessKey, k]));
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    const gauge = new Map(
      [...metrics.matchAll(/^scw_gitops_key_seconds_to_expiry\{key="([^"]+)"\} (\S+)$/gm)].map(
        (m) => [m[1], Number(m[2])] as const,
      ),
    );
    const status = (await (await fetch(`${daemon.adminUrl}/status`)).json()) as {
      nextRotations: { address: string; accessKey: string; expiresAt: string | null }[];
      outlook?: { remainingSteps: number };
    };
    expect(status.outlook).toEqual(expect.objectContaining({ remainingSteps: 0 }));
    for (const o of created) {
      const key = byAccess.get(o.accessKey ?? '');
      expect(key, o.address).toBeDefined();
      if (key?.expiresAt) {
        expect(gauge.get(o.address), o.address).toBeGreaterThan(0);
        const next = status.nextRotations.find((r) => r.address === o.address);
        expect(next, o.address).toMatchObject({ accessKey: o.accessKey, expiresAt: key.expiresAt });
      }
    }
    expect(created.some((o) => byAccess.get(o.accessKey ?? '')?.expiresAt)).toBe(true);
  });

  it('applies an edit within seconds, with exactly one coalesced pass for a burst of edits', async () => {
    const before = daemon.loop.passes;
    const changedBefore = cap.find('desired state changed').length;
    const file = path.join(dir, 'apps', 'api-backend.yaml');
    const original = await readFile(file, 'utf8');
    const marker = 'Public API servers; read assets and curated datasets';
    expect(original).toContain(marker);
    for (let i = 1; i <= 5; i++) {
      await writeFile(file, original.replace(marker, `Public API servers (edit ${i})`));
    }
    await writeFile(path.join(dir, 'apps', 'notes.yaml'), '# comment only\n');
    await waitFor(
      async () => {
        const apps = await daemon.runtime.client.listApplications({ name: 'api-backend' });
        return apps[0]?.description.startsWith('Public API servers (edit 5)') ?? false;
      },
      { timeoutMs: 15_000, what: 'the edit applied' },
    );
    await waitFor(() => !daemon.loop.running, { timeoutMs: 15_000, what: 'pass finished' });
    expect(daemon.loop.passes).toBe(before + 1);
    expect(daemon.state.lastPass?.reasons).toEqual(['file-change']);
    // A barrier instead of a quiet period: file events arrive in order, so a late event of the
    // burst would come before this one, as a pass of its own or in this change's paths.
    await writeFile(path.join(dir, 'apps', 'zz-barrier.yaml'), '# barrier\n');
    await waitFor(() => daemon.loop.passes === before + 2 && !daemon.loop.running, {
      timeoutMs: 15_000,
      what: 'the barrier pass',
    });
    const changes = cap.find('desired state changed').map((l) => l['paths']);
    expect(changes.slice(changedBefore)).toEqual([
      expect.arrayContaining(['apps/api-backend.yaml', 'apps/notes.yaml']),
      ['apps/zz-barrier.yaml'],
    ]);
  });

  it('runs a pass for a valid GitHub push webhook and refuses a forged one', async () => {
    const before = daemon.loop.passes;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) });
    const forged = await fetch(`${daemon.url}/hooks/github`, {
      method: 'POST',
      body,
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': signGithubBody('not-the-secret', body) },
    });
    expect(forged.status).toBe(401);
    const ok = await fetch(`${daemon.url}/hooks/github`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'e2e-1',
        'x-hub-signature-256': signGithubBody(GH_SECRET, body),
      },
    });
    expect(ok.status).toBe(202);
    await waitFor(() => daemon.loop.passes === before + 1 && !daemon.loop.running, {
      timeoutMs: 15_000,
      what: 'webhook pass',
    });
    expect(daemon.state.lastPass?.reasons).toEqual(['webhook-github']);
  });

  it('shows the passes in /metrics and /status, and never logs a secret', async () => {
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    const total = [...metrics.matchAll(/^scw_gitops_reconcile_total\{result="[a-z]+"\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(total).toBe(daemon.loop.passes);
    expect(metrics).toMatch(/^scw_gitops_reconcile_duration_seconds_count \d+$/m);
    expect(metrics).toMatch(
      /^scw_gitops_api_requests_total\{method="GET",route="[^"]+",status="200"\} \d+$/m,
    );
    expect(metrics).toMatch(/^scw_gitops_secret_deliveries_total\{sink="local",result="success"\} \d+$/m);
    expect(metrics).toMatch(/^scw_gitops_key_seconds_to_expiry\{key="ApiKey\/[^"]+"\} \d+/m);
    expect(metrics).toMatch(/^scw_gitops_leader 1$/m);
    const status = (await (await fetch(`${daemon.adminUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ ready: true, leader: true, instance: 'e2e' });
    expect(status['lastPass']).toMatchObject({ reasons: ['webhook-github'] });
    expect((status['plan'] as { summary: unknown }).summary).toBeDefined();
    expect(Array.isArray(status['nextRotations'])).toBe(true);
    // every line of a pass carries its reconcileId
    const passLines = cap.lines.filter((l) => l['msg'] === 'reconcile pass finished');
    expect(passLines.length).toBe(daemon.loop.passes);
    expect(passLines.every((l) => typeof l['reconcileId'] === 'string')).toBe(true);
    assertNoSecrets(cap.raw, [GH_SECRET]);
  });
});
