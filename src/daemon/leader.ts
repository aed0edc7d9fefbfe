/**
 * Leader election wiring. The Lease algorithm itself is H6's `LeaderElector`
 * (src/k8s/leader-election.ts); the daemon only needs this narrow view of it:
 * passes run only while `isLeader()` is true, `onStartedLeading` requests a pass and
 * `onStoppedLeading` aborts the running pass between steps.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LeaderElectionSettings } from '../config/settings.js';

export interface LeaderHandle {
  readonly identity: string;
  isLeader(): boolean;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface LeaderCallbacks {
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string) => void;
}

export type LeaderFactory = (
  settings: LeaderElectionSettings,
  deps: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly logger: Logger;
    readonly clock: Clock;
    readonly identity: string;
  },
  callbacks: LeaderCallbacks,
) => Promise<LeaderHandle>;

/** Identity of this replica: settings, else POD_NAME, else HOSTNAME, else the OS host name. */
export function leaderIdentity(
  settings: LeaderElectionSettings,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return settings.identity ?? env['POD_NAME'] ?? env['HOSTNAME'] ?? hostname();
}

/**
 * Default factory: H6's LeaderElector on a coordination.k8s.io/v1 Lease. Imported on first use:
 * the Kubernetes client takes longer to load than the rest of the daemon, and a daemon without
 * leader election (`npm start`, a single replica) never needs it.
 */
export const kubernetesLeaderFactory: LeaderFactory = async (settings, deps, callbacks) => {
  const { createLeaderElector } = await import('../k8s/leader-election.js');
  const elector = createLeaderElector({
    namespace: settings.namespace,
    leaseName: settings.leaseName,
    identity: deps.identity,
    ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
    env: deps.env,
    leaseDurationSeconds: settings.leaseDurationSeconds,
    renewDeadlineSeconds: settings.renewDeadlineSeconds,
    retryPeriodSeconds: settings.retryPeriodSeconds,
    clock: deps.clock,
    logger: deps.logger,
    onStartedLeading: callbacks.onStartedLeading,
    onStoppedLeading: callbacks.onStoppedLeading,
    ...(callbacks.onNewLeader ? { onNewLeader: callbacks.onNewLeader } : {}),
  });
  return {
    identity: elector.identity,
    isLeader: () => elector.isLeader(),
    start: () => elector.start(),
    stop: () => elector.stop(),
  };
};
