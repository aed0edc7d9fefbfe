/** The daemon's leader wiring (H8, src/daemon/leader.ts) drives our LeaderElector end to end. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesLeaderFactory } from '../../src/daemon/leader.js';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { NAMESPACE, startEmulator, type Wire } from './fixtures.js';

describe('daemon leader factory + LeaderElector', () => {
  let emu: KubernetesEmulator;

  beforeEach(async () => {
    emu = await startEmulator();
  });

  afterEach(async () => {
    await emu.close();
  });

  it('acquires the Lease, reports leadership, and releases it on stop', async () => {
    const clock = new FakeClock({ start: '2026-03-01T10:00:00.000Z', sleeps: 'manual' });
    const events: string[] = [];
    const handle = await kubernetesLeaderFactory(
      {
        enabled: true,
        namespace: NAMESPACE,
        leaseName: 'scw-gitops',
        kubeconfig: emu.kubeconfigPath,
        leaseDurationSeconds: 15,
        renewDeadlineSeconds: 10,
        retryPeriodSeconds: 2,
      },
      { env: {}, logger: pino({ level: 'silent' }), clock, identity: 'pod-0' },
      {
        onStartedLeading: () => events.push('started'),
        onStoppedLeading: () => events.push('stopped'),
        onNewLeader: (id) => events.push(`leader:${id.split('_')[0]}`),
      },
    );
    await handle.start();
    await waitFor(() => handle.isLeader(), { what: 'leadership' });
    const lease = emu.control.get('leases', NAMESPACE, 'scw-gitops') as Wire;
    expect(lease.spec.holderIdentity).toMatch(/^pod-0_[0-9a-f]{8}$/);
    await waitFor(() => clock.pending() === 1, { what: 'renew loop sleeping' });
    clock.advance(2_000);
    await waitFor(
      () => clock.pending() === 1 && emu.control.requests.filter((r) => r.method === 'PUT').length >= 1,
      { what: 'renewal' },
    );
    await handle.stop();
    expect(handle.isLeader()).toBe(false);
    expect(events).toEqual(['leader:pod-0', 'started', 'stopped']);
    expect((emu.control.get('leases', NAMESPACE, 'scw-gitops') as Wire).spec.holderIdentity).toBe('');
  });
});
