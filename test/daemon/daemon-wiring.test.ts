/**
 * Daemon wiring with a fake pass and a fake runtime: leader election gating, abort on loss of
 * leadership, graceful stop during a pass, rotation-check decisions and status/metrics updates.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, instrumentSinks, startDaemon } from '../../src/daemon/daemon.js';
import type { LeaderCallbacks, LeaderFactory } from '../../src/daemon/leader.js';
import {
  createDaemonMetrics,
  METRICS,
  METRICS_CONTENT_TYPE,
  PROCESS_METRICS,
  sampleValue,
} from '../../src/daemon/metrics.js';
import type { PassReport } from '../../src/daemon/pass-report.js';
import type { DaemonPassContext } from '../../src/daemon/reconcile-pass.js';
import { DaemonState } from '../../src/daemon/state.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../../src/model/plan.js';
import type { SecretRecord, SecretSink } from '../../src/sinks/sink.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { waitFor } from '../helpers/wait-for.js';
import { fakeRuntime } from './fake-runtime.js';
import { STATUS_EXTRA } from './status-extra.js';

function plan(keys: Plan['keys'] = [], steps = 0): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    organizationId: 'org-1',
    instance: 'default',
    liveFingerprint: 'x',
    fingerprintScope: {},
    steps: Array.from({ length: steps }, () => ({}) as Plan['steps'][number]),
    summary: { create: steps, update: 0, replace: 0, delete: 0, adopt: 0 },
    diagnostics: [],
    blocked: [],
    keys,
    upcoming: [],
  } as Plan;
}

describe('daemon wiring', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-wiring-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function settings(over: Partial<Settings> = {}): Settings {
    const d = defaultSettings();
    return { ...d, source: { dir }, server: { host: '127.0.0.1', port: 0 }, ...over };
  }

  it('runs passes only while leading and aborts the running pass when leadership is lost', async () => {
    let callbacks: LeaderCallbacks | undefined;
    let leading = false;
    let stoppedElector = false;
    const factory: LeaderFactory = async (_s, deps, cb) => {
      callbacks = cb;
      return {
        identity: `${deps.identity}_abcd`,
        isLeader: () => leading,
        start: () => undefined,
        stop: () => {
          stoppedElector = true;
        },
      };
    };
    const contexts: DaemonPassContext[] = [];
    let release!: () => void;
    const pass = async (ctx: DaemonPassContext): Promise<PassReport> => {
      contexts.push(ctx);
      await new Promise<void>((r) => {
        release = r;
      });
      return { verdict: 'success', result: 'converged', listed: true };
    };
    const cap = createLogCapture();
    const runtime = fakeRuntime();
    daemon = await startDaemon({
      settings: settings({
        leaderElection: { ...defaultSettings().leaderElection, enabled: true, identity: 'pod-0' },
      }),
      env: {},
      logger: cap.logger,
      clock: systemClock,
      runtime,
      pass,
      leaderFactory: factory,
      disable: { cron: true, watch: true },
    });
    // Not the leader: the startup request is held (the loop decides synchronously, no wait needed).
    const held = () => cap.find('not the leader; holding it').length;
    expect(held()).toBe(1);
    expect(daemon.loop.pending).toBe(true);
    expect(daemon.loop.running).toBe(false);
    expect(contexts).toHaveLength(0);
    let metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^scw_gitops_leader 0$/m);
    // a standby replica is ready (rolling updates must be able to proceed)
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    // Elected: the held request runs.
    leading = true;
    callbacks!.onStartedLeading();
    await waitFor(() => contexts.length === 1, { timeoutMs: 5000, what: 'pass after election' });
    expect(contexts[0]!.reasons).toEqual(['leader-elected', 'startup']);
    metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^scw_gitops_leader 1$/m);
    // Lost: the pass's signal is aborted (the executor stops between steps).
    leading = false;
    callbacks!.onStoppedLeading();
    expect(contexts[0]!.signal.aborted).toBe(true);
    release();
    await waitFor(() => !daemon!.loop.running, { timeoutMs: 5000, what: 'pass end' });
    // New triggers are held again while not leading.
    daemon.request('webhook-github');
    expect(held()).toBe(2);
    expect(daemon.loop.pending).toBe(true);
    expect(daemon.loop.running).toBe(false);
    expect(contexts).toHaveLength(1);
    const status = (await (await fetch(`${daemon.adminUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ leader: false, identity: 'pod-0_abcd' });
    await daemon.stop();
    expect(stoppedElector).toBe(true);
    expect(runtime.closed).toBe(true);
    daemon = undefined;
  });

  it('stop() lets the running pass finish before closing the runtime', async () => {
    const events: string[] = [];
    let release!: () => void;
    const runtime = fakeRuntime();
    const cap = createLogCapture();
    daemon = await startDaemon({
      settings: settings(),
      env: {},
      logger: cap.logger,
      clock: systemClock,
      runtime,
      pass: async (ctx) => {
        events.push('pass:start');
        await new Promise<void>((r) => {
          release = r;
        });
        events.push(ctx.signal.aborted ? 'pass:end(aborted between steps)' : 'pass:end');
        return { verdict: 'success', result: 'converged', listed: true };
      },
      disable: { cron: true, watch: true },
    });
    await waitFor(() => events.length === 1, { timeoutMs: 5000, what: 'pass start' });
    const url = daemon.url;
    const stopping = daemon.stop().then(() => events.push('stopped'));
    // stop() stopped the triggers and now waits for the pass (which waits for `release`).
    await waitFor(() => cap.find('waiting for the running pass to reach a safe point').length === 1, {
      timeoutMs: 5000,
    });
    // still serving probes while the pass finishes; liveness says stopping
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
    expect(runtime.closed).toBe(false);
    release();
    await stopping;
    expect(events).toEqual(['pass:start', 'pass:end(aborted between steps)', 'stopped']);
    expect(runtime.closed).toBe(true);
    daemon = undefined;
  });

  it('records pass results in status and metrics, readiness after the first listing', async () => {
    const reports: PassReport[] = [
      { verdict: 'terminal', result: 'invalid', listed: false, error: 'a.yaml:1:1: error' },
      {
        verdict: 'success',
        result: 'applied',
        listed: true,
        revision: 'f'.repeat(40),
        plan: plan(
          [
            {
              address: 'ApiKey/ci',
              accessKey: 'SCWAAAAAAAAAAAAAAAAA',
              expiresAt: '2026-03-01T00:00:00.000Z',
              secondsToExpiry: 3600,
              rotateAt: '2026-02-01T00:00:00.000Z',
            },
          ],
          2,
        ),
      },
    ];
    daemon = await startDaemon({
      settings: settings(),
      env: {},
      logger: createLogCapture().logger,
      clock: systemClock,
      runtime: fakeRuntime(),
      pass: async () => reports.shift()!,
      disable: { cron: true, watch: true },
    });
    await waitFor(() => daemon!.loop.passes === 1 && !daemon!.loop.running, {
      timeoutMs: 5000,
      what: 'first pass',
    });
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(503);
    daemon.request('file-change');
    await waitFor(() => daemon!.loop.passes === 2 && !daemon!.loop.running, {
      timeoutMs: 5000,
      what: 'second pass',
    });
    expect((await fetch(`${daemon.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toContain('scw_gitops_reconcile_total{result="invalid"} 1\n');
    expect(metrics).toContain('scw_gitops_reconcile_total{result="applied"} 1\n');
    expect(metrics).toContain('scw_gitops_plan_changes{action="create"} 2\n');
    expect(metrics).toContain('scw_gitops_key_seconds_to_expiry{key="ApiKey/ci"} 3600\n');
    expect(metrics).toMatch(/^scw_gitops_last_success_timestamp_seconds \d+(\.\d+)?$/m);
    const status = (await (await fetch(`${daemon.adminUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({
      ready: true,
      revision: 'f'.repeat(40),
      lastPass: { result: 'applied', reasons: ['file-change'] },
      nextRotations: [{ address: 'ApiKey/ci', rotateAt: '2026-02-01T00:00:00.000Z' }],
    });
    expect((status['errors'] as { message: string }[])[0]!.message).toBe('a.yaml:1:1: error');
  });

  it('serves /metrics from two daemons in one process, each with its own series', async () => {
    const key = (address: `ApiKey/${string}`): Plan['keys'][number] => ({
      address,
      accessKey: 'SCWAAAAAAAAAAAAAAAAA',
      expiresAt: '2026-03-01T00:00:00.000Z',
      secondsToExpiry: address === 'ApiKey/a' ? 100 : 200,
      rotateAt: '2026-02-01T00:00:00.000Z',
    });
    const start = (address: `ApiKey/${string}`) =>
      startDaemon({
        settings: settings(),
        env: {},
        logger: createLogCapture().logger,
        clock: systemClock,
        runtime: fakeRuntime(),
        pass: async () => ({
          verdict: 'success',
          result: 'applied',
          listed: true,
          plan: plan([key(address)], 1),
        }),
        disable: { cron: true, watch: true },
      });
    daemon = await start('ApiKey/a');
    const other = await start('ApiKey/b');
    try {
      const a = daemon;
      await waitFor(() => a.loop.passes === 1 && !a.loop.running, {
        timeoutMs: 5000,
        what: 'pass of daemon a',
      });
      await waitFor(() => other.loop.passes === 1 && !other.loop.running, {
        timeoutMs: 5000,
        what: 'pass of daemon b',
      });
      a.request('file-change');
      await waitFor(() => a.loop.passes === 2 && !a.loop.running, {
        timeoutMs: 5000,
        what: 'second pass of daemon a',
      });

      const scrape = async (url: string) => {
        const res = await fetch(`${url}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
        const families = parsePrometheusText(await res.text());
        for (const d of Object.values(METRICS)) expect(families.has(d.name), d.name).toBe(true);
        for (const n of PROCESS_METRICS) expect(families.has(n), n).toBe(true);
        const samples = [...families.values()].flatMap((f) => f.samples);
        return (name: string) => samples.filter((s) => s.name === name);
      };
      const [sa, sb] = [await scrape(a.url), await scrape(other.url)];
      expect(sa('scw_gitops_key_seconds_to_expiry')).toEqual([
        { name: 'scw_gitops_key_seconds_to_expiry', labels: { key: 'ApiKey/a' }, value: 100 },
      ]);
      expect(sb('scw_gitops_key_seconds_to_expiry')).toEqual([
        { name: 'scw_gitops_key_seconds_to_expiry', labels: { key: 'ApiKey/b' }, value: 200 },
      ]);
      expect(sa('scw_gitops_reconcile_total')).toEqual([
        { name: 'scw_gitops_reconcile_total', labels: { result: 'applied' }, value: 2 },
      ]);
      expect(sb('scw_gitops_reconcile_total')).toEqual([
        { name: 'scw_gitops_reconcile_total', labels: { result: 'applied' }, value: 1 },
      ]);
      expect(sa('scw_gitops_triggers_total').map((s) => s.labels['trigger'])).toContain('file-change');
      expect(sb('scw_gitops_triggers_total').map((s) => s.labels['trigger'])).not.toContain('file-change');
    } finally {
      await other.stop();
    }
  });
});

describe('daemon cron triggers', () => {
  it('requests resync passes and rotation passes when something is due', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'scw-cron-'));
    const reasons: string[][] = [];
    const d = defaultSettings();
    const daemon = await startDaemon({
      settings: {
        ...d,
        source: { dir },
        server: { host: '127.0.0.1', port: 0 },
        // every second (six-field form); the rotation check every second as well
        schedule: { resync: '* * * * * *', rotationCheck: '* * * * * *', debounceMs: 100 },
      },
      env: {},
      logger: createLogCapture().logger,
      clock: systemClock,
      runtime: fakeRuntime(),
      resyncJitterMs: 0,
      pass: async (ctx) => {
        reasons.push([...ctx.reasons]);
        // something became due a while ago: the rotation check must ask for a pass
        return { verdict: 'success', result: 'converged', listed: true, nextDueAt: Date.now() - 1000 };
      },
      disable: { watch: true },
    });
    try {
      await waitFor(() => reasons.some((r) => r.includes('resync')), {
        timeoutMs: 10_000,
        what: 'resync pass',
      });
      await waitFor(() => reasons.some((r) => r.includes('rotation-due')), {
        timeoutMs: 10_000,
        what: 'rotation pass',
      });
    } finally {
      await daemon.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('instrumentSinks', () => {
  it('counts verified deliveries and failures per sink, passing calls through', async () => {
    const metrics = createDaemonMetrics({ version: 't' });
    const calls: string[] = [];
    let verifyResult = true;
    const sink: SecretSink = {
      name: 'local',
      type: 'file',
      preflight: async () => {
        calls.push('preflight');
      },
      write: async (loc) => {
        calls.push(`write:${loc.path}`);
        if (loc.path === 'fail') throw new Error('disk full');
      },
      read: async () => undefined,
      list: async () => ({ records: [], incomplete: [] }),
      verify: async () => verifyResult,
      describe: (loc) => `file:${loc.path}`,
    };
    const wrapped = instrumentSinks(new Map([['local', sink]]), metrics).get('local')!;
    const record = {} as SecretRecord;
    expect(wrapped.name).toBe('local');
    expect(wrapped.describe({ sink: 'local', path: 'a' })).toBe('file:a');
    await wrapped.preflight({ sink: 'local' });
    await wrapped.write({ sink: 'local', path: 'a' }, record);
    expect(await wrapped.verify({ sink: 'local', path: 'a' }, record)).toBe(true);
    verifyResult = false;
    expect(await wrapped.verify({ sink: 'local', path: 'a' }, record)).toBe(false);
    await expect(wrapped.write({ sink: 'local', path: 'fail' }, record)).rejects.toThrow('disk full');
    expect(calls).toEqual(['preflight', 'write:a', 'write:fail']);
    expect(await sampleValue(metrics.secretDeliveries, { sink: 'local', result: 'success' })).toBe(1);
    expect(await sampleValue(metrics.secretDeliveries, { sink: 'local', result: 'failure' })).toBe(2);
  });
});

describe('DaemonState.rotationDue', () => {
  const state = () => new DaemonState(createDaemonMetrics({ version: 't' }), { leaderElection: false });
  const rec = { reconcileId: 'r', reasons: ['x'], attempt: 1, startedAt: '2026-01-01T00:00:00Z' };

  it('asks for a pass only when a known instant has passed', () => {
    const s = state();
    const now = new Date('2026-01-15T00:00:00Z');
    expect(s.rotationDue(now)).toBe(false); // nothing known yet
    s.passFinished(
      rec,
      {
        verdict: 'success',
        result: 'converged',
        listed: true,
        plan: plan([
          {
            address: 'ApiKey/a',
            accessKey: 'SCWA',
            expiresAt: '2026-03-01T00:00:00Z',
            secondsToExpiry: 1,
            rotateAt: '2026-02-01T00:00:00Z',
          },
        ]),
        nextDueAt: Date.parse('2026-01-20T00:00:00Z'),
      },
      now,
      10,
    );
    expect(s.rotationDue(now)).toBe(false);
    expect(s.rotationDue(new Date('2026-01-20T00:00:00Z'))).toBe(true); // overlap end (nextDueAt)
    const s2 = state();
    s2.passFinished(
      rec,
      {
        verdict: 'success',
        result: 'converged',
        listed: true,
        plan: plan([
          {
            address: 'ApiKey/a',
            accessKey: 'SCWA',
            expiresAt: null,
            secondsToExpiry: null,
            rotateAt: '2026-02-01T00:00:00Z',
          },
        ]),
      },
      now,
      10,
    );
    expect(s2.rotationDue(new Date('2026-01-31T23:59:59Z'))).toBe(false);
    expect(s2.rotationDue(new Date('2026-02-01T00:00:00Z'))).toBe(true);
  });

  it('uses the post-apply outlook over the applied plan (keys created by the pass)', () => {
    const s = state();
    const now = new Date('2026-01-15T00:00:00Z');
    const created = {
      address: 'ApiKey/a' as const,
      accessKey: 'SCWNEW',
      expiresAt: '2026-03-01T00:00:00Z',
      secondsToExpiry: 3_888_000,
      rotateAt: '2026-02-01T00:00:00Z',
    };
    s.passFinished(
      rec,
      {
        verdict: 'success',
        result: 'applied',
        listed: true,
        plan: plan([]), // made before the key existed
        outlook: { observedAt: now.toISOString(), keys: [created], upcoming: [], remainingSteps: 0 },
      },
      now,
      10,
    );
    expect(s.nextRotations()).toEqual([
      { address: 'ApiKey/a', accessKey: 'SCWNEW', rotateAt: created.rotateAt, expiresAt: created.expiresAt },
    ]);
    expect(s.rotationDue(new Date('2026-02-01T00:00:00Z'))).toBe(true);
    expect(s.status(STATUS_EXTRA).outlook).toEqual({ observedAt: now.toISOString(), remainingSteps: 0 });
  });
});
