/**
 * Leader election on a `coordination.k8s.io/v1` Lease — a faithful port of client-go's
 * `tools/leaderelection` algorithm (docs/design/kubernetes.md §7.2/§7.3).
 *
 * - Mutual exclusion comes only from resourceVersion conflicts: every write is a PUT carrying the
 *   resourceVersion we read (or a POST when the Lease is absent); a 409 means someone else won.
 * - Expiry is judged on the local clock: `observedTime + leaseDurationSeconds`, where observedTime
 *   is when *we* last saw the record change — never by comparing the remote renewTime with our
 *   clock (skew-safe). A candidate thus waits a full lease duration after the last change it saw.
 * - Renew: every retryPeriod; when no renewal succeeds within renewDeadline, leadership is lost:
 *   `isLeader()` is false from that instant (fencing on the local clock), then onStoppedLeading
 *   fires. LeaseDuration > RenewDeadline guarantees the old leader stops before anyone else may
 *   take over.
 * - Graceful stop (releaseOnCancel, default true): PUT holderIdentity "" and leaseDurationSeconds 1
 *   so a successor takes over after ~1 s instead of a full lease duration.
 * - Times on the wire are MicroTime strings with exactly six fractional digits
 *   (`2006-01-02T15:04:05.000000Z`); the server rejects anything else. We send strings we format
 *   ourselves (client-node passes unknown types through) and read them back as raw strings.
 *
 * The clock (now + sleep) is injected so tests can interleave electors deterministically.
 */
import { randomBytes } from 'node:crypto';
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { ConfigError } from '../errors.js';
import { decodeK8sError, withTimeout } from './api-error.js';
import { loadKubeConfig } from './config.js';

export interface LeaderElectorOptions {
  readonly namespace: string;
  readonly leaseName: string;
  /** Base identity (pod name); a random suffix is appended unless `exactIdentity`. */
  readonly identity: string;
  readonly exactIdentity?: boolean;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly serviceAccountDir?: string;
  /** Ready client configuration (tests). */
  readonly kubeConfig?: KubeConfig;
  /** Default 15. */
  readonly leaseDurationSeconds?: number;
  /** Default 10. */
  readonly renewDeadlineSeconds?: number;
  /** Default 2. */
  readonly retryPeriodSeconds?: number;
  /** Acquire-loop jitter factor (default 1.2: wait retryPeriod × [1, 2.2)). */
  readonly jitterFactor?: number;
  /** Release the Lease on stop() (default true). */
  readonly releaseOnCancel?: boolean;
  /** Per-request timeout in ms (default: renewDeadline / 2). */
  readonly requestTimeoutMs?: number;
  readonly clock?: Clock;
  /** Random source in [0,1) for jitter (default Math.random). */
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly onNewLeader?: (identity: string) => void;
}

/** The Lease spec as client-go's LeaderElectionRecord; times are MicroTime strings. */
export interface LeaderElectionRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

/** `2006-01-02T15:04:05.000000Z` — exactly six fractional digits, UTC. */
export function formatMicroTime(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  return `${iso.slice(0, 23)}000Z`;
}

function recordOf(lease: V1Lease): LeaderElectionRecord {
  const s = lease.spec ?? {};
  // On reads client-node leaves MicroTime fields as raw strings despite the Date typing (§7.3).
  const t = (v: unknown) =>
    v === undefined || v === null ? '' : typeof v === 'string' ? v : formatMicroTime(v as Date);
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: t(s.acquireTime),
    renewTime: t(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

function recordKey(r: LeaderElectionRecord): string {
  return JSON.stringify([
    r.holderIdentity,
    r.leaseDurationSeconds,
    r.acquireTime,
    r.renewTime,
    r.leaseTransitions,
  ]);
}

export class LeaderElector {
  readonly identity: string;
  readonly #opts: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #leaseMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryMs: number;
  readonly #jitter: number;
  readonly #timeoutMs: number;
  readonly #log: Logger | undefined;
  #api: CoordinationV1Api | undefined;
  #observedRecord: LeaderElectionRecord | undefined;
  #observedKey: string | undefined;
  #observedTimeMs = 0;
  #observedLease: V1Lease | undefined;
  #reportedLeader: string | undefined;
  #leading = false;
  #lastRenewMs = 0;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    const lease = opts.leaseDurationSeconds ?? 15;
    const renew = opts.renewDeadlineSeconds ?? 10;
    const retry = opts.retryPeriodSeconds ?? 2;
    const jitter = opts.jitterFactor ?? 1.2;
    if (!(lease > 0 && renew > 0 && retry > 0))
      throw new ConfigError('leaderElection: durations must be > 0');
    if (!(lease > renew))
      throw new ConfigError('leaderElection: leaseDuration must be greater than renewDeadline');
    if (!(renew > jitter * retry))
      throw new ConfigError(
        `leaderElection: renewDeadline must be greater than retryPeriod*JitterFactor (${jitter})`,
      );
    if (!opts.identity) throw new ConfigError('leaderElection: identity must not be empty');
    if (!opts.namespace || !opts.leaseName)
      throw new ConfigError('leaderElection: namespace and leaseName are required');
    this.#opts = opts;
    this.identity = opts.exactIdentity ? opts.identity : `${opts.identity}_${randomBytes(4).toString('hex')}`;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#leaseMs = lease * 1000;
    this.#renewDeadlineMs = renew * 1000;
    this.#retryMs = retry * 1000;
    this.#jitter = jitter;
    this.#timeoutMs = opts.requestTimeoutMs ?? Math.max(1000, this.#renewDeadlineMs / 2);
    this.#log = opts.logger?.child({ lease: `${opts.namespace}/${opts.leaseName}`, identity: this.identity });
  }

  /**
   * True while this process holds the Lease *and* its last successful renewal is younger than
   * renewDeadline on the local clock — so it turns false the moment the deadline passes, even if
   * the renew loop has not noticed yet. Guard every leader-only step with it.
   */
  isLeader(): boolean {
    return this.#leading && this.#clock.now().getTime() < this.#lastRenewMs + this.#renewDeadlineMs;
  }

  /** Holder identity last observed on the Lease ('' when released or unknown). */
  getLeader(): string {
    return this.#observedRecord?.holderIdentity ?? '';
  }

  /** Start the acquire/renew loop in the background. Returns at once. */
  start(): void {
    if (this.#loop) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal).catch((e: unknown) => {
      this.#log?.error({ err: (e as Error).message }, 'leader election loop crashed');
    });
  }

  /** Stop the loop; release the Lease if held (releaseOnCancel); fire onStoppedLeading if leading. */
  async stop(): Promise<void> {
    if (!this.#loop) return;
    this.#abort?.abort(new Error('leader election stopped'));
    await this.#loop;
    this.#loop = undefined;
    this.#abort = undefined;
  }

  #client(): CoordinationV1Api {
    if (this.#api) return this.#api;
    const kc =
      this.#opts.kubeConfig ??
      loadKubeConfig({
        ...(this.#opts.kubeconfig !== undefined ? { kubeconfig: this.#opts.kubeconfig } : {}),
        ...(this.#opts.context !== undefined ? { context: this.#opts.context } : {}),
        env: this.#opts.env ?? {},
        ...(this.#opts.serviceAccountDir !== undefined
          ? { serviceAccountDir: this.#opts.serviceAccountDir }
          : {}),
      }).kubeConfig;
    this.#api = kc.makeApiClient(CoordinationV1Api);
    return this.#api;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.#acquire(signal))) break;
      this.#leading = true;
      this.#log?.info('acquired the lease');
      this.#safe(this.#opts.onStartedLeading);
      await this.#renew(signal);
      const wasLeading = this.#leading;
      this.#leading = false;
      if (signal.aborted) {
        if (this.#opts.releaseOnCancel ?? true) await this.#release();
        if (wasLeading) this.#safe(this.#opts.onStoppedLeading);
        break;
      }
      this.#log?.warn(
        { renewDeadlineMs: this.#renewDeadlineMs },
        'failed to renew the lease within the deadline; leadership lost',
      );
      this.#safe(this.#opts.onStoppedLeading);
    }
  }

  #safe(fn: (() => void) | undefined): void {
    try {
      fn?.();
    } catch (e) {
      this.#log?.error({ err: (e as Error).message }, 'leader election callback threw');
    }
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Acquire loop: try every retryPeriod × jitter until success; false when stopped. */
  async #acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      const wait = this.#retryMs * (1 + this.#random() * this.#jitter);
      if (!(await this.#sleep(wait, signal))) return false;
    }
    return false;
  }

  /** Renew loop: returns when a renewal round misses renewDeadline, or when stopped. */
  async #renew(signal: AbortSignal): Promise<void> {
    // wait.Until(…, RetryPeriod) in client-go: a round runs at once, then every RetryPeriod. Each
    // round polls tryAcquireOrRenew every RetryPeriod until it succeeds or RenewDeadline passes.
    while (!signal.aborted) {
      const deadline = this.#clock.now().getTime() + this.#renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted) {
        if (await this.tryAcquireOrRenew(signal)) {
          renewed = true;
          break;
        }
        if (this.#clock.now().getTime() >= deadline) break;
        if (!(await this.#sleep(this.#retryMs, signal))) return;
        if (this.#clock.now().getTime() >= deadline) break;
      }
      if (!renewed) return;
      if (!(await this.#sleep(this.#retryMs, signal))) return;
    }
  }

  #isLeaseValid(nowMs: number): boolean {
    const r = this.#observedRecord;
    if (!r) return false;
    return this.#observedTimeMs + r.leaseDurationSeconds * 1000 > nowMs;
  }

  #observedIsMe(): boolean {
    return this.#observedRecord?.holderIdentity === this.identity;
  }

  #setObserved(lease: V1Lease, nowMs: number): void {
    const record = recordOf(lease);
    const key = recordKey(record);
    if (key !== this.#observedKey) {
      this.#observedRecord = record;
      this.#observedKey = key;
      this.#observedTimeMs = nowMs;
    }
    this.#observedLease = lease;
    if (record.holderIdentity !== this.#reportedLeader) {
      this.#reportedLeader = record.holderIdentity;
      if (record.holderIdentity !== '') this.#safe(() => this.#opts.onNewLeader?.(record.holderIdentity));
    }
  }

  #leaseBody(record: LeaderElectionRecord, resourceVersion: string | undefined): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.#opts.leaseName,
        namespace: this.#opts.namespace,
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      },
      spec: {
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        // MicroTime strings, formatted by us with six digits (see header).
        acquireTime: record.acquireTime as unknown as Date,
        renewTime: record.renewTime as unknown as Date,
        leaseTransitions: record.leaseTransitions,
      },
    };
  }

  async #update(record: LeaderElectionRecord, signal: AbortSignal | undefined): Promise<V1Lease> {
    const rv = this.#observedLease?.metadata?.resourceVersion;
    return withTimeout(
      this.#client().replaceNamespacedLease({
        name: this.#opts.leaseName,
        namespace: this.#opts.namespace,
        body: this.#leaseBody(record, rv),
      }),
      this.#timeoutMs,
      signal,
    );
  }

  /**
   * One round of client-go's tryAcquireOrRenew. Public so tests can interleave electors step by
   * step; the loops started by start() call it.
   */
  async tryAcquireOrRenew(signal?: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const nowMs = now.getTime();
    const nowMicro = formatMicroTime(now);
    const leaseDurationSeconds = this.#leaseMs / 1000;
    let desired: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds,
      acquireTime: nowMicro,
      renewTime: nowMicro,
      leaseTransitions: 0,
    };

    // 1. Fast path: we are the observed holder and the lease is still valid — renew the cached object.
    if (this.#observedIsMe() && this.#isLeaseValid(nowMs) && this.#observedRecord) {
      const old = this.#observedRecord;
      const renewal = { ...desired, acquireTime: old.acquireTime, leaseTransitions: old.leaseTransitions };
      try {
        const updated = await this.#update(renewal, signal);
        this.#setObserved(updated, nowMs);
        this.#lastRenewMs = nowMs;
        return true;
      } catch (e) {
        this.#log?.debug({ err: decodeK8sError(e).message }, 'fast-path renew failed; re-reading the lease');
      }
    }

    // 2. Read the lease; create it when absent.
    let lease: V1Lease;
    try {
      lease = await withTimeout(
        this.#client().readNamespacedLease({ name: this.#opts.leaseName, namespace: this.#opts.namespace }),
        this.#timeoutMs,
        signal,
      );
    } catch (e) {
      const f = decodeK8sError(e);
      if (f.code !== 404) {
        this.#log?.warn({ code: f.code, err: f.message }, 'error retrieving the lease');
        return false;
      }
      try {
        const created = await withTimeout(
          this.#client().createNamespacedLease({
            namespace: this.#opts.namespace,
            body: this.#leaseBody(desired, undefined),
          }),
          this.#timeoutMs,
          signal,
        );
        this.#setObserved(created, nowMs);
        this.#lastRenewMs = nowMs;
        return true;
      } catch (ce) {
        const cf = decodeK8sError(ce);
        this.#log?.debug({ code: cf.code, err: cf.message }, 'error creating the lease');
        return false;
      }
    }

    // 3. Record what we saw; observedTime moves only when the record changed.
    this.#setObserved(lease, nowMs);
    const old = this.#observedRecord as LeaderElectionRecord;

    // 4. Held by someone else and still valid (by our clock): not our turn.
    if (old.holderIdentity !== '' && this.#isLeaseValid(nowMs) && !this.#observedIsMe()) {
      return false;
    }

    // 5. Take or keep it.
    if (this.#observedIsMe()) {
      desired = { ...desired, acquireTime: old.acquireTime, leaseTransitions: old.leaseTransitions };
    } else {
      desired = { ...desired, leaseTransitions: old.leaseTransitions + 1 };
    }
    try {
      const updated = await this.#update(desired, signal);
      this.#setObserved(updated, nowMs);
      this.#lastRenewMs = nowMs;
      return true;
    } catch (e) {
      const f = decodeK8sError(e);
      this.#log?.debug({ code: f.code, err: f.message }, 'failed to update the lease');
      return false;
    }
  }

  /** client-go release(): give the lease up if we still hold it. */
  async #release(): Promise<void> {
    if (!this.#observedIsMe() || !this.#observedRecord) return;
    const now = formatMicroTime(this.#clock.now());
    const record: LeaderElectionRecord = {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.#observedRecord.leaseTransitions,
    };
    // Retry once on a conflict (stale cache) after re-reading, if we are still the holder.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const updated = await this.#update(record, undefined);
        this.#setObserved(updated, this.#clock.now().getTime());
        this.#log?.info('released the lease');
        return;
      } catch (e) {
        const f = decodeK8sError(e);
        if (f.code !== 409 || attempt > 0) {
          this.#log?.warn({ err: f.message }, 'failed to release the lease');
          return;
        }
        try {
          const fresh = await withTimeout(
            this.#client().readNamespacedLease({
              name: this.#opts.leaseName,
              namespace: this.#opts.namespace,
            }),
            this.#timeoutMs,
          );
          this.#setObserved(fresh, this.#clock.now().getTime());
          if (!this.#observedIsMe()) return;
        } catch {
          return;
        }
      }
    }
  }
}

/** Factory form (the daemon accepts either). */
export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  return new LeaderElector(opts);
}
