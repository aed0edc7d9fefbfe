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
import { ConfigError } from '../errors.js';

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

// Held in a variable: the module is written in parallel (H6) and loaded only when enabled.
const LEADER_MODULE = '../k8s/leader-election.js';

type ElectorInstance = {
  start(): unknown;
  stop(): unknown;
  isLeader(): boolean;
  on?: (event: string, fn: (...args: unknown[]) => void) => unknown;
};

/** Default factory: H6's LeaderElector on a coordination.k8s.io/v1 Lease. */
export const kubernetesLeaderFactory: LeaderFactory = async (settings, deps, callbacks) => {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(LEADER_MODULE)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(
      `leaderElection: cannot load the leader election module (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const create = mod['createLeaderElector'] as ((o: unknown) => ElectorInstance) | undefined;
  const Ctor = mod['LeaderElector'] as (new (o: unknown) => ElectorInstance) | undefined;
  const options = {
    namespace: settings.namespace,
    leaseName: settings.leaseName,
    name: settings.leaseName,
    identity: deps.identity,
    ...(settings.kubeconfig ? { kubeconfig: settings.kubeconfig } : {}),
    leaseDurationSeconds: settings.leaseDurationSeconds,
    renewDeadlineSeconds: settings.renewDeadlineSeconds,
    retryPeriodSeconds: settings.retryPeriodSeconds,
    leaseDurationMs: settings.leaseDurationSeconds * 1000,
    renewDeadlineMs: settings.renewDeadlineSeconds * 1000,
    retryPeriodMs: settings.retryPeriodSeconds * 1000,
    env: deps.env,
    logger: deps.logger,
    clock: deps.clock,
    onStartedLeading: callbacks.onStartedLeading,
    onStoppedLeading: callbacks.onStoppedLeading,
    onNewLeader: callbacks.onNewLeader,
    callbacks,
  };
  const elector = create ? create(options) : Ctor ? new Ctor(options) : undefined;
  if (!elector) throw new ConfigError('leaderElection: the leader election module exports no LeaderElector');
  return {
    identity: deps.identity,
    isLeader: () => elector.isLeader(),
    start: async () => {
      await elector.start();
    },
    stop: async () => {
      await elector.stop();
    },
  };
};
