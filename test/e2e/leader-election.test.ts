/**
 * Two daemons, one organization, leader election on a Lease of the Kubernetes emulator: they
 * never both act. Both watch the same desired-state directory and get the same triggers; every
 * pass start/end and every Scaleway API call of each daemon goes into one ordered event log
 * (one process, so the order is exact). The test asserts that
 *   - only the Lease holder runs passes, and the standby makes no Scaleway call at all;
 *   - no pass of one daemon overlaps a pass of the other, and every API call of a daemon falls
 *     inside one of its own passes;
 *   - when the leader stops (graceful: it releases the Lease), the standby takes over and acts
 *     (applies an edit made after the takeover).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { systemClock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { createReconcilePass, type DaemonPass } from '../../src/daemon/reconcile-pass.js';
import { createLogger } from '../../src/logging/logger.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import type { ScalewayClient } from '../../src/scaleway/port.js';
import { type KubernetesEmulator, startKubernetesEmulator } from '../emulators/kubernetes/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { ROOT } from './child.js';

const LEASE = 'scw-gitops-e2e';
const NS = 'default';

type Event =
  | {
      who: string;
      kind: 'pass-start';
      holder: string;
      reasons: readonly string[];
      /** Other daemons that believed they led at that instant. */
      othersLeading: string[];
    }
  | { who: string; kind: 'pass-end'; result: string }
  | { who: string; kind: 'call'; method: string }
  | { who: string; kind: 'stopped' };

describe('two daemons with leader election (Kubernetes emulator Lease, shared sandbox)', () => {
  let tmp: string;
  let desired: string;
  let emu: KubernetesEmulator;
  let sandbox: SandboxHandle;
  const events: Event[] = [];
  const daemons = new Map<string, Daemon>();
  const runtimes: Runtime[] = [];
  const cap = createLogCapture();

  const env = () => ({
    SCW_ACCESS_KEY: sandbox.adminAccessKey,
    SCW_SECRET_KEY: sandbox.adminSecretKey,
    SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
    SCW_CONFIG_PATH: path.join(tmp, 'no-scw-config.yaml'),
  });

  function holder(): string {
    const lease = emu.control.get('leases', NS, LEASE) as { spec?: { holderIdentity?: string } } | undefined;
    return lease?.spec?.holderIdentity ?? '';
  }

  /** Every Scaleway call of this daemon is logged with its name. */
  function recordCalls(who: string, client: ScalewayClient): ScalewayClient {
    return new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          events.push({ who, kind: 'call', method: String(prop) });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** Each daemon talks to the API server with its own token (so a fault can cut off one). */
  const tokens = new Map<string, string>();

  async function start(who: string): Promise<Daemon> {
    const token = `token-${who}`;
    tokens.set(who, token);
    emu.control.setToken(token, { user: `system:serviceaccount:${NS}:${who}`, rules: 'admin' });
    const kubeconfig = await emu.writeKubeconfig(token, NS);
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      instance: 'le-e2e',
      source: { dir: desired },
      scaleway: { ...d.scaleway, apiUrl: sandbox.url },
      sinks: [{ name: 'local', type: 'file', dir: path.join(tmp, 'secrets'), format: 'dotenv' }],
      defaults: { sink: 'local', rotation: { overlapMs: 60_000 } },
      server: { host: '127.0.0.1', port: 0 },
      schedule: { ...d.schedule, debounceMs: 300 },
      leaderElection: {
        enabled: true,
        namespace: NS,
        leaseName: LEASE,
        identity: who,
        kubeconfig,
        leaseDurationSeconds: 3,
        renewDeadlineSeconds: 2,
        retryPeriodSeconds: 1,
      },
    };
    const logger = createLogger({ level: 'debug', destination: cap.destination, base: { daemon: who } });
    const base = await createRuntime(settings, { env: env(), logger, clock: systemClock });
    runtimes.push(base);
    const runtime: Runtime = { ...base, client: recordCalls(who, base.client) };
    const real = createReconcilePass(runtime, settings, systemClock);
    const pass: DaemonPass = async (ctx) => {
      const othersLeading = [...daemons].filter(([w, d]) => w !== who && d.state.leader).map(([w]) => w);
      events.push({ who, kind: 'pass-start', holder: holder(), reasons: ctx.reasons, othersLeading });
      let result = 'threw';
      try {
        const report = await real(ctx);
        result = report.result;
        return report;
      } finally {
        events.push({ who, kind: 'pass-end', result });
      }
    };
    const daemon = await startDaemon({
      settings,
      env: env(),
      logger,
      clock: systemClock,
      runtime,
      pass,
      disable: { cron: true },
      backoff: { baseMs: 600_000, maxMs: 600_000, factor: 2, jitter: 0 },
    });
    daemons.set(who, daemon);
    return daemon;
  }

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-e2e-leader-'));
    desired = path.join(tmp, 'desired');
    await cp(path.join(ROOT, 'examples/basic'), desired, { recursive: true });
    emu = await startKubernetesEmulator();
    sandbox = await startSandbox({ port: 0 });
  });

  afterAll(async () => {
    for (const d of daemons.values()) await d.stop().catch(() => undefined);
    for (const r of runtimes) await r.close().catch(() => undefined);
    await emu?.close();
    await sandbox?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const passesOf = (who: string) => events.filter((e) => e.who === who && e.kind === 'pass-start');
  const idle = (d: Daemon) => !d.loop.running && !d.loop.pending;
  const appDescription = async (name: string) =>
    (await runtimes[0]!.client.listApplications({ name }))[0]?.description ?? '';

  async function editApp(file: string, marker: string, replacement: string): Promise<void> {
    const p = path.join(desired, 'apps', file);
    const text = await readFile(p, 'utf8');
    expect(text).toContain(marker);
    await writeFile(p, text.replace(marker, replacement));
  }

  it('only the Lease holder acts; the standby holds every trigger and never calls Scaleway', {
    timeout: 120_000,
  }, async () => {
    const [a, b] = await Promise.all([start('daemon-a'), start('daemon-b')]);
    await waitFor(() => a.state.leader !== b.state.leader, { timeoutMs: 20_000, what: 'one leader' });
    const [leader, standby] = a.state.leader ? ['daemon-a', 'daemon-b'] : ['daemon-b', 'daemon-a'];
    const L = daemons.get(leader)!;
    const S = daemons.get(standby)!;
    expect(holder()).toMatch(new RegExp(`^${leader}_`));
    const applied = () =>
      events.some((e) => e.who === leader && e.kind === 'pass-end' && e.result === 'applied');
    await waitFor(() => applied() && idle(L), { timeoutMs: 30_000, what: 'examples applied by the leader' });
    // The startup request waited for the lease and ran with 'leader-elected' as one pass.
    const firstPass = passesOf(leader)[0];
    expect(firstPass?.kind === 'pass-start' && firstPass.reasons).toEqual(['leader-elected', 'startup']);

    // The same triggers reach both: explicit requests, then a file edit both watchers see.
    for (let i = 0; i < 3; i++) {
      expect(L.request(`test-${i}`)).toBe(true);
      expect(S.request(`test-${i}`)).toBe(true);
      await waitFor(() => idle(L), { timeoutMs: 30_000, what: 'leader pass' });
    }
    await editApp('api-backend.yaml', 'Public API servers', 'Public API servers (leader edit)');
    await waitFor(
      async () => (await appDescription('api-backend')).startsWith('Public API servers (leader edit)'),
      { timeoutMs: 20_000, what: 'the edit applied by the leader' },
    );
    await waitFor(() => idle(L), { timeoutMs: 30_000, what: 'leader idle' });

    expect(passesOf(leader).length).toBeGreaterThanOrEqual(4);
    expect(passesOf(standby)).toEqual([]);
    expect(events.filter((e) => e.who === standby && e.kind === 'call')).toEqual([]);
    expect(S.state.leader).toBe(false);
    expect(S.loop.passes).toBe(0);
    // The standby kept the requests (held, coalesced) for when it leads; it is ready meanwhile.
    expect(S.loop.pending).toBe(true);
    expect((await fetch(`${S.url}/readyz`)).status).toBe(200);
    const status = (await (await fetch(`${S.adminUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ leader: false, lastPass: null });
  });

  it('the standby takes over when the leader stops, and acts', { timeout: 120_000 }, async () => {
    const [leader, standby] = daemons.get('daemon-a')!.state.leader
      ? ['daemon-a', 'daemon-b']
      : ['daemon-b', 'daemon-a'];
    const L = daemons.get(leader)!;
    const S = daemons.get(standby)!;
    await L.stop();
    events.push({ who: leader, kind: 'stopped' });

    await waitFor(() => S.state.leader, { timeoutMs: 20_000, what: 'takeover' });
    expect(holder()).toMatch(new RegExp(`^${standby}_`));
    await waitFor(() => S.loop.passes >= 1 && idle(S), {
      timeoutMs: 30_000,
      what: 'first pass of the new leader',
    });
    const first = passesOf(standby)[0];
    expect(first).toMatchObject({ kind: 'pass-start' });
    expect(first?.kind === 'pass-start' && first.reasons).toContain('leader-elected');

    // It acts: an edit made now is applied by the new leader.
    const before = passesOf(standby).length;
    await editApp('ci-runner.yaml', 'CI pipelines', 'CI (after takeover) pipelines');
    await waitFor(async () => (await appDescription('ci-runner')).includes('CI (after takeover)'), {
      timeoutMs: 20_000,
      what: 'the edit applied by the new leader',
    });
    await waitFor(() => idle(S), { timeoutMs: 30_000, what: 'new leader idle' });
    expect(passesOf(standby).length).toBeGreaterThan(before);
  });

  it('a partitioned leader stops acting before a standby takes over the expired lease', {
    timeout: 120_000,
  }, async () => {
    const leader = [...daemons].find(([, d]) => d.state.leader)?.[0];
    expect(leader).toBeDefined();
    const L = daemons.get(leader!)!;
    const C = await start('daemon-c');
    await waitFor(() => !C.state.leader && C.url !== '', { timeoutMs: 10_000, what: 'daemon-c standing by' });
    expect(holder()).toMatch(new RegExp(`^${leader}_`));

    // The leader can no longer renew (its Lease writes fail): it must stop leading on its own
    // clock at renewDeadline, before the lease expires for daemon-c.
    emu.control.addFault({
      method: 'PUT',
      path: 'leases',
      token: tokens.get(leader!)!,
      status: 503,
      times: Infinity,
    });
    await waitFor(() => C.state.leader, { timeoutMs: 30_000, what: 'daemon-c takes over the expired lease' });
    expect(L.state.leader).toBe(false);
    expect(holder()).toMatch(/^daemon-c_/);
    await waitFor(() => C.loop.passes >= 1 && idle(C), { timeoutMs: 30_000, what: 'daemon-c first pass' });

    // Triggers reach both; only daemon-c acts. Then the partition heals: the old leader stays a standby.
    const lPasses = passesOf(leader!).length;
    expect(L.request('after-partition')).toBe(true);
    emu.control.clearFaults();
    await editApp('etl-worker.yaml', 'description: ', 'description: (after partition) ');
    await waitFor(async () => (await appDescription('etl-worker')).startsWith('(after partition)'), {
      timeoutMs: 20_000,
      what: 'the edit applied by daemon-c',
    });
    await waitFor(() => idle(C), { timeoutMs: 30_000, what: 'daemon-c idle' });
    expect(passesOf(leader!).length).toBe(lPasses);
    expect(L.state.leader).toBe(false);
    expect(holder()).toMatch(/^daemon-c_/);
  });

  it('never both act: passes never overlap across daemons, calls happen only inside own passes, holders only', () => {
    const open = new Map<string, number>();
    for (const [i, e] of events.entries()) {
      if (e.kind === 'pass-start') {
        for (const [who] of open) expect(who, `event #${i}: ${e.who} started while ${who} ran`).toBe(e.who);
        expect(e.holder, `event #${i}`).toMatch(new RegExp(`^${e.who}_`));
        expect(e.othersLeading, `event #${i}: ${e.who} started a pass`).toEqual([]);
        open.set(e.who, i);
      } else if (e.kind === 'pass-end') {
        expect(open.has(e.who), `event #${i}`).toBe(true);
        open.delete(e.who);
      } else if (e.kind === 'call') {
        expect(open.has(e.who), `event #${i}: ${e.who} called ${e.method} outside a pass`).toBe(true);
      } else if (e.kind === 'stopped') {
        expect(open.has(e.who), `${e.who} stopped with a pass running`).toBe(false);
        // nothing of the stopped daemon after this point
        expect(events.slice(i + 1).filter((x) => x.who === e.who)).toEqual([]);
      }
    }
    expect(open.size).toBe(0);
    const whoPassed = new Set(events.filter((e) => e.kind === 'pass-start').map((e) => e.who));
    expect(whoPassed).toEqual(new Set(['daemon-a', 'daemon-b', 'daemon-c']));
    expect(events.filter((e) => e.kind === 'call').length).toBeGreaterThan(0);
  });
});
