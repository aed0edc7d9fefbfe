/**
 * Webhook floods cannot burn the organization's rate limit: triggers go through the daemon's
 * webhook intake, which allows one pass per `webhooks.minInterval` (10 s by default) and merges
 * the rest, while the reconcile loop keeps at most one pass running and one queued. Time is a
 * fake clock; the passes are fakes that count themselves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import type { PassReport } from '../../src/daemon/pass-report.js';
import type { DaemonPassContext } from '../../src/daemon/reconcile-pass.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { fakeRuntime } from './fake-runtime.js';

const OK: PassReport = { verdict: 'success', result: 'converged', listed: true };

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('webhook-triggered passes', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-coalesce-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(pass: (ctx: DaemonPassContext) => Promise<PassReport>, clock: FakeClock) {
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      source: { dir },
      server: { host: '127.0.0.1', port: 0 },
      webhooks: { ...d.webhooks, gitSync: { enabled: true } },
    };
    daemon = await startDaemon({
      settings,
      env: {},
      logger: createLogCapture().logger,
      clock,
      runtime: fakeRuntime(),
      pass,
      disable: { cron: true, watch: true },
    });
    return daemon;
  }

  const gitSync = (url: string, i: number) =>
    fetch(`${url}/hooks/git-sync`, {
      method: 'POST',
      headers: { 'gitsync-hash': i.toString(16).padStart(40, '0') },
    });

  it('100 git-sync triggers in 10 s cause at most 2 passes, and the rest are counted as coalesced', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const passes: string[][] = [];
    const d = await start(async (ctx) => {
      passes.push([...ctx.reasons]);
      return OK;
    }, clock);
    await waitFor(() => passes.length === 1 && !d.loop.running);
    expect(passes[0]).toEqual(['startup']);

    for (let i = 0; i < 100; i++) {
      const res = await gitSync(d.url, i);
      expect(res.status).toBe(200);
      await clock.tick(99); // 100 deliveries within 9.9 s
    }
    await clock.tick(1000); // past the end of the interval
    await waitFor(() => !d.loop.running && !d.loop.pending);
    const webhookPasses = passes.filter((r) => r.includes('webhook-git-sync'));
    expect(webhookPasses.length).toBeLessThanOrEqual(2);
    expect(webhookPasses).toEqual([['webhook-git-sync'], ['webhook-git-sync']]);

    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metric(metrics, 'scw_gitops_triggers_total{trigger="webhook-git-sync"}')).toBe(100);
    expect(metric(metrics, 'scw_gitops_triggers_coalesced_total{trigger="webhook-git-sync"}')).toBe(98);
    expect(metric(metrics, 'scw_gitops_webhook_deliveries_total{hook="git-sync",result="accepted"}')).toBe(
      100,
    );
  });

  it('keeps at most one pass running and one queued however long a pass takes', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const passes: string[][] = [];
    let release: (() => void) | undefined;
    const d = await start(async (ctx) => {
      passes.push([...ctx.reasons]);
      if (ctx.reasons.includes('webhook-git-sync') && passes.length === 2) {
        await new Promise<void>((r) => {
          release = r;
        });
      }
      return OK;
    }, clock);
    await waitFor(() => passes.length === 1 && !d.loop.running);

    await gitSync(d.url, 1); // released at once: pass 2 starts and blocks
    await waitFor(() => release !== undefined);
    for (let t = 0; t < 6; t++) {
      // 60 s of deliveries while pass 2 runs: one release per 10 s, all joining one queued pass
      for (let i = 0; i < 10; i++) await gitSync(d.url, 100 + t * 10 + i);
      await clock.tick(10_000);
    }
    expect(passes).toHaveLength(2);
    expect(d.loop.running).toBe(true);
    expect(d.loop.pending).toBe(true);
    release!();
    await waitFor(() => passes.length === 3 && !d.loop.running && !d.loop.pending);
    await clock.tick(20_000);
    expect(passes).toHaveLength(3);
    const metrics = await (await fetch(`${d.url}/metrics`)).text();
    expect(metric(metrics, 'scw_gitops_triggers_total{trigger="webhook-git-sync"}')).toBe(61);
    expect(metric(metrics, 'scw_gitops_triggers_coalesced_total{trigger="webhook-git-sync"}')).toBe(59);
  });
});
