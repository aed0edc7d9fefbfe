import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { formatMicroTime, LeaderElector, type LeaderElectorOptions } from '../../src/k8s/leader-election.js';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { kubeConfigFor, NAMESPACE, startEmulator, type Wire } from './fixtures.js';

const LEASE = 'scw-gitops-leader';
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const STEP_MS = 500;

interface Candidate {
  readonly elector: LeaderElector;
  readonly log: string[];
  readonly token: string;
}

describe('LeaderElector (client-go algorithm) against the Kubernetes emulator', () => {
  let emu: KubernetesEmulator;
  let clock: FakeClock;
  let running: LeaderElector[];

  beforeEach(async () => {
    emu = await startEmulator();
    clock = new FakeClock({ start: '2026-03-01T10:00:00.000Z', sleeps: 'manual' });
    running = [];
  });

  afterEach(async () => {
    for (const e of running) await e.stop();
    await emu.close();
  });

  async function candidate(name: string, extra: Partial<LeaderElectorOptions> = {}): Promise<Candidate> {
    const token = `token-${name}`;
    emu.control.setToken(token, { user: `system:serviceaccount:${NAMESPACE}:${name}`, rules: 'admin' });
    const log: string[] = [];
    const elector = new LeaderElector({
      namespace: NAMESPACE,
      leaseName: LEASE,
      identity: name,
      exactIdentity: true,
      kubeConfig: kubeConfigFor(await emu.writeKubeconfig(token)),
      clock,
      random: () => 0,
      onStartedLeading: () => log.push(`started@${clock.now().toISOString()}`),
      onStoppedLeading: () => log.push(`stopped@${clock.now().toISOString()}`),
      ...extra,
    });
    return { elector, log, token };
  }

  function start(...cs: Candidate[]): void {
    for (const c of cs) {
      c.elector.start();
      running.push(c.elector);
    }
  }

  /** Let every running elector finish its HTTP work and go back to sleep. */
  async function settle(): Promise<void> {
    await waitFor(() => clock.pending() === running.length, {
      intervalMs: 1,
      what: `${running.length} electors idle`,
    });
  }

  function lease(): Wire | undefined {
    return emu.control.get('leases', NAMESPACE, LEASE) as Wire | undefined;
  }

  /** Advance in small steps; at every observed instant at most one elector believes it leads. */
  async function run(ms: number, cs: Candidate[]): Promise<void> {
    for (let t = 0; t < ms; t += STEP_MS) {
      await settle();
      const leaders = cs.filter((c) => c.elector.isLeader());
      expect(leaders.length, `leaders at ${clock.now().toISOString()}`).toBeLessThanOrEqual(1);
      if (leaders.length === 1) expect(lease()?.spec.holderIdentity).toBe(leaders[0]?.elector.identity);
      clock.advance(STEP_MS);
    }
    await settle();
  }

  it('validates timing constraints like client-go', () => {
    const base = {
      namespace: NAMESPACE,
      leaseName: LEASE,
      identity: 'x',
      kubeConfig: kubeConfigFor(emu.kubeconfigPath),
    };
    expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 })).toThrow(
      ConfigError,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })).toThrow(
      /JitterFactor/,
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
    expect(new LeaderElector(base).identity).toMatch(/^x_[0-9a-f]{8}$/);
  });

  it('one candidate acquires, the other never leads while the holder renews', async () => {
    const a = await candidate('a');
    const b = await candidate('b');
    start(a);
    await settle();
    expect(a.elector.isLeader()).toBe(true);
    start(b);
    await run(60_000, [a, b]);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.log).toEqual([]);
    expect(a.log).toHaveLength(1);
    const l = lease() as Wire;
    expect(l.spec.holderIdentity).toBe('a');
    expect(l.spec.leaseTransitions).toBe(0);
    expect(l.spec.leaseDurationSeconds).toBe(15);
    expect(l.spec.acquireTime).toBe('2026-03-01T10:00:00.000000Z');
    expect(b.elector.getLeader()).toBe('a');
  });

  it('every Lease write carries MicroTime with exactly six fractional digits', async () => {
    const a = await candidate('a');
    start(a);
    await run(10_000, [a]);
    const writes = emu.control.requests.filter(
      (r) => r.path.includes('/leases') && (r.method === 'PUT' || r.method === 'POST'),
    );
    expect(writes.length).toBeGreaterThan(3);
    for (const w of writes) {
      expect(w.status).toBeLessThan(300);
      const spec = JSON.parse(w.body).spec;
      expect(spec.acquireTime).toMatch(MICRO);
      expect(spec.renewTime).toMatch(MICRO);
    }
    expect(formatMicroTime(new Date('2026-03-01T10:05:02.123Z'))).toBe('2026-03-01T10:05:02.123000Z');
  });

  it('takes over after the holder stops renewing, never overlapping', async () => {
    const a = await candidate('a');
    const b = await candidate('b');
    start(a);
    await settle();
    start(b);
    await run(10_000, [a, b]);
    expect(a.elector.isLeader()).toBe(true);
    // a's API access breaks (network partition): every Lease request fails from now on.
    emu.control.addFault({ token: a.token, path: '/leases/', status: 500, times: Number.POSITIVE_INFINITY });
    emu.control.addFault({ token: a.token, path: '/leases', status: 500, times: Number.POSITIVE_INFINITY });
    await run(40_000, [a, b]);
    expect(a.elector.isLeader()).toBe(false);
    expect(b.elector.isLeader()).toBe(true);
    const l = lease() as Wire;
    expect(l.spec.holderIdentity).toBe('b');
    expect(l.spec.leaseTransitions).toBe(1);
    // a's renew round started ~2 s after its last renewal and gave up 10 s later (onStoppedLeading),
    // b waited 15 s after it last saw the record change: a reports the loss before b starts (and the
    // run() invariant already showed isLeader() was fenced off at lastRenew + 10 s).
    const stoppedA = Date.parse((a.log[1] ?? '').split('@')[1] ?? '');
    const startedB = Date.parse((b.log[0] ?? '').split('@')[1] ?? '');
    expect(a.log[1]).toMatch(/^stopped@/);
    expect(b.log[0]).toMatch(/^started@/);
    expect(startedB).toBeGreaterThan(stoppedA);
  });

  it('stops acting on loss: isLeader() turns false at the renew deadline, then onStoppedLeading fires', async () => {
    const a = await candidate('a');
    start(a);
    await run(4_000, [a]);
    expect(a.elector.isLeader()).toBe(true);
    emu.control.addFault({ token: a.token, path: '/leases', status: 503, times: Number.POSITIVE_INFINITY });
    const lastRenew = Date.parse(lease()?.spec.renewTime);
    let sawFalse = false;
    for (let i = 0; i < 40; i++) {
      await settle();
      const now = clock.now().getTime();
      if (now < lastRenew + 10_000) expect(a.elector.isLeader()).toBe(true);
      else {
        // Fenced on the local clock even before the loop reports the loss.
        expect(a.elector.isLeader()).toBe(false);
        sawFalse = true;
      }
      clock.advance(STEP_MS);
    }
    await settle();
    expect(sawFalse).toBe(true);
    expect(a.log.filter((l) => l.startsWith('stopped@'))).toHaveLength(1);
    // The holder on the server is still a (nobody else competed), but a no longer acts on it.
    expect(lease()?.spec.holderIdentity).toBe('a');
    // Once the API recovers, a re-acquires its own (expired-by-now) lease.
    emu.control.clearFaults();
    await run(6_000, [a]);
    expect(a.elector.isLeader()).toBe(true);
  });

  it('releases the lease on stop so a successor takes over quickly', async () => {
    const a = await candidate('a');
    const b = await candidate('b');
    start(a);
    await settle();
    start(b);
    await run(6_000, [a, b]);
    await a.elector.stop();
    running = running.filter((e) => e !== a.elector);
    expect(a.log.at(-1)).toMatch(/^stopped@/);
    const released = lease() as Wire;
    expect(released.spec.holderIdentity).toBe('');
    expect(released.spec.leaseDurationSeconds).toBe(1);
    await run(4_000, [b]);
    expect(b.elector.isLeader()).toBe(true);
    expect((lease() as Wire).spec.leaseTransitions).toBe(1);
  });

  it('concurrent first acquisition: exactly one create wins', async () => {
    const a = await candidate('a');
    const b = await candidate('b');
    const [ra, rb] = await Promise.all([a.elector.tryAcquireOrRenew(), b.elector.tryAcquireOrRenew()]);
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
    const creates = emu.control.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/leases'));
    expect(creates.map((c) => c.status).sort()).toEqual([201, 409]);
  });

  it('stale resourceVersion: a write based on an old read loses with 409 and does not lead', async () => {
    const a = await candidate('a');
    const b = await candidate('b');
    expect(await a.elector.tryAcquireOrRenew()).toBe(true);
    expect(await b.elector.tryAcquireOrRenew()).toBe(false); // observes a as holder
    clock.advance(16_000); // a never renewed; b considers the lease expired
    // a renews right between b's GET and b's PUT.
    emu.control.beforeNextWrite('leases', NAMESPACE, LEASE, () => {
      emu.control.externalWrite(
        'leases',
        NAMESPACE,
        LEASE,
        (o: Wire) => {
          o.spec.renewTime = formatMicroTime(clock.now());
        },
        'a',
      );
    });
    expect(await b.elector.tryAcquireOrRenew()).toBe(false);
    const puts = emu.control.requests.filter((r) => r.method === 'PUT');
    expect(puts.at(-1)?.status).toBe(409);
    expect(lease()?.spec.holderIdentity).toBe('a');
  });
});
