/**
 * The daemon's composition root: runtime (client + sinks), one reconcile loop, its triggers
 * (file watch, cron resync, rotation check, webhooks, startup, leadership), the HTTP server,
 * leader election and graceful shutdown.
 *
 * Shutdown order (`stop()`): triggers stop first (cron, watcher), then the loop (the running pass
 * is aborted between steps and awaited, so a secret delivery in progress completes), then the
 * lease is released, then the HTTP server and the runtime close.
 */
import type { Logger } from 'pino';
import type { ScheduledTask } from 'node-cron';
import { createRuntime, type Runtime } from '../app/runtime.js';
import type { Clock } from '../clock.js';
import { readSecretSource } from '../config/secret-source.js';
import {
  adminSettings,
  DEFAULT_EXPIRING_WITHIN_MS,
  DEFAULT_WEBHOOK_MIN_INTERVAL_MS,
  type Settings,
} from '../config/settings.js';
import { toAppError } from '../errors.js';
import { passLogger } from '../logging/logger.js';
import type { SecretRecord, SecretSink } from '../sinks/sink.js';
import type { CommitStatusReporter } from '../source/commit-status.js';
import type { DesiredSource } from '../source/desired-source.js';
import { formatSigner } from '../source/git-verify.js';
import { version } from '../version.js';
import type { BackoffPolicy } from './backoff.js';
import { secretRegistrySize } from '../model/secret.js';
import { AccessGuard } from './access-guard.js';
import { type HttpServerDeps, type HttpServerHandle, startHttpServer } from './http-server.js';
import { kubernetesLeaderFactory, type LeaderFactory, type LeaderHandle, leaderIdentity } from './leader.js';
import { createDaemonMetrics, type DaemonMetrics } from './metrics.js';
import type { PassReport } from './pass-report.js';
import { createReconcilePass, type DaemonPass } from './reconcile-pass.js';
import { ReconcileLoop } from './single-flight.js';
import { SourceDriver } from './source-driver.js';
import { type SourceWatcher, watchSource } from './source-watcher.js';
import type { ScheduleStatus, StatusDocument } from '../model/status.js';
import { type DeliveryFailure, Notifier } from '../notify/notifier.js';
import { renderDashboard } from '../ui/dashboard.js';
import { DaemonState, type PassRecord } from './state.js';
import { type DeliveryHold, deliveryHold } from './test-hooks.js';
import { resolveWebhookSecrets, WebhookIntake } from './webhooks.js';

export interface DaemonDeps {
  readonly settings: Settings;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rng?: () => number;
  readonly backoff?: BackoffPolicy;
  /** Prebuilt runtime (tests); default createRuntime(settings). Closed by stop() either way. */
  readonly runtime?: Runtime;
  /** The pass; default H4's reconcileOnce through createReconcilePass. */
  readonly pass?: DaemonPass;
  readonly leaderFactory?: LeaderFactory;
  /** Turn triggers off (tests): `watch`, `cron`. */
  readonly disable?: { readonly watch?: boolean; readonly cron?: boolean };
  /** Poll interval of the git-sync link (default 1000 ms). */
  readonly linkPollMs?: number;
  /** Random delay added to each resync tick so replicas and instances spread (default 5000 ms). */
  readonly resyncJitterMs?: number;
  /** Prebuilt desired-state source (tests); default from settings.source (dir or git). */
  readonly source?: DesiredSource;
  /** How often the dashboard's page refreshes its live part (default 10 s; tests go faster). */
  readonly dashboardRefreshMs?: number;
  /** Prebuilt commit status reporter (tests); default from source.git.commitStatus. */
  readonly commitStatus?: CommitStatusReporter;
}

export interface Daemon {
  readonly url: string;
  /** The admin listener (`/status` without a token), when enabled. */
  readonly adminUrl?: string;
  readonly runtime: Runtime;
  readonly metrics: DaemonMetrics;
  readonly state: DaemonState;
  readonly loop: ReconcileLoop<PassReport>;
  /** The desired-state source (git fetch, verification) as the daemon drives it. */
  readonly source: SourceDriver;
  request(reason: string): boolean;
  stop(): Promise<void>;
}

/** Wrap sinks so every verified delivery (or failure) is counted per sink, and failures reported. */
export function instrumentSinks(
  sinks: Map<string, SecretSink>,
  metrics: DaemonMetrics,
  hold?: DeliveryHold,
  onFailure?: (f: DeliveryFailure) => void,
): Map<string, SecretSink> {
  const out = new Map<string, SecretSink>();
  for (const [name, sink] of sinks) {
    const failed = (record: SecretRecord, err: unknown): void => {
      metrics.secretDeliveries.inc({ sink: name, result: 'failure' });
      onFailure?.({
        sink: name,
        keyName: record.metadata.keyName,
        accessKey: record.accessKey,
        error: err === undefined ? 'the written secret did not verify' : toAppError(err).message,
      });
    };
    const wrapped: SecretSink = {
      name: sink.name,
      type: sink.type,
      preflight: (location, signal) => sink.preflight(location, signal),
      read: (location, signal) => sink.read(location, signal),
      list: (signal) => sink.list(signal),
      describe: (location) => sink.describe(location),
      write: async (location, record, signal) => {
        try {
          if (hold) await hold();
          await sink.write(location, record, signal);
        } catch (err) {
          failed(record, err);
          throw err;
        }
      },
      verify: async (location, record, signal) => {
        try {
          const ok = await sink.verify(location, record, signal);
          if (ok) metrics.secretDeliveries.inc({ sink: name, result: 'success' });
          else failed(record, undefined);
          return ok;
        } catch (err) {
          failed(record, err);
          throw err;
        }
      },
      ...(sink.close ? { close: () => sink.close!() } : {}),
    };
    out.set(name, wrapped);
  }
  return out;
}

const MAX_LOGGED_CHANGES = 100;

/** The plan's steps with their outcome, one short line each (`create Application/x: created`). */
export function planChanges(report: PassReport): string[] {
  const outcome = new Map((report.apply?.outcomes ?? []).map((o) => [o.stepId, o] as const));
  const steps = report.plan?.steps ?? [];
  const lines = steps.slice(0, MAX_LOGGED_CHANGES).map((step) => {
    const o = outcome.get(step.id);
    const result = o ? `: ${o.result}${o.error ? ` (${o.error})` : ''}` : '';
    return `${step.action} ${step.address} [${step.reason}]${result}`;
  });
  if (steps.length > MAX_LOGGED_CHANGES) lines.push(`… and ${steps.length - MAX_LOGGED_CHANGES} more`);
  return lines;
}

export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const { settings, logger, clock } = deps;
  const log = logger.child({ component: 'daemon' });
  const metrics = createDaemonMetrics({ version });
  const webhooks = await resolveWebhookSecrets(settings.webhooks, { env: deps.env });
  for (const hook of webhooks.absent ?? []) {
    log.info({ hook }, 'webhook secret absent (optional): this hook is off');
  }
  const admin = adminSettings(settings.server);
  const adminToken = await readSecretSource(
    'server.admin',
    { env: admin.tokenEnv, file: admin.tokenFile },
    { env: deps.env },
  );

  // Bound once the runtime (the organization id) is known; sinks report failed deliveries to it.
  let notifier: Notifier | undefined;
  const baseRuntime =
    deps.runtime ??
    (await createRuntime(settings, {
      env: deps.env,
      logger,
      clock,
      onRequest: (e) => {
        metrics.apiRequests.inc({ method: e.method, route: e.route, status: String(e.status) });
        if (e.attempt > 1) metrics.apiRetries.inc();
      },
    }));
  const runtime: Runtime = {
    ...baseRuntime,
    sinks: instrumentSinks(baseRuntime.sinks, metrics, deliveryHold(deps.env), (f) =>
      notifier?.deliveryFailed(f),
    ),
  };
  const closeRuntime = () => baseRuntime.close();
  notifier = await Notifier.create({
    targets: settings.notifications,
    env: deps.env,
    clock,
    logger,
    context: { instance: settings.instance, organizationId: runtime.organizationId },
    kubernetes: { env: deps.env },
  }).catch(async (err: unknown) => {
    await closeRuntime().catch(() => undefined);
    throw err;
  });
  const notify = notifier;

  const identity = leaderIdentity(settings.leaderElection, deps.env);
  const state = new DaemonState(metrics, {
    leaderElection: settings.leaderElection.enabled,
    ...(settings.leaderElection.enabled ? { identity } : {}),
  });
  const pass = deps.pass ?? createReconcilePass(runtime, settings, clock);
  const records = new Map<string, PassRecord>();
  let requestPass: (reason: string) => void = () => undefined;
  const source = await SourceDriver.create({
    settings,
    env: deps.env,
    logger,
    clock,
    metrics,
    request: (reason) => requestPass(reason),
    isLeader: () => state.leader && (leader?.isLeader() ?? true),
    ...(deps.source ? { source: deps.source } : {}),
    ...(deps.commitStatus ? { commitStatus: deps.commitStatus } : {}),
  }).catch(async (err: unknown) => {
    await closeRuntime().catch(() => undefined);
    throw err;
  });

  const loop = new ReconcileLoop<PassReport>({
    clock,
    logger: log,
    ...(deps.rng ? { rng: deps.rng } : {}),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
    // The elector's own isLeader() also fences on the local clock (renew deadline passed).
    gate: () => state.leader && (leader?.isLeader() ?? true),
    pass: async (ctx) => {
      const plog = passLogger(logger, ctx.reconcileId);
      const start = await source.begin(ctx.signal, plog);
      if (start.report) return start.report;
      const { accepted } = start;
      const revision = accepted.revision;
      const signer = formatSigner(accepted.verification.signer);
      const rec = records.get(ctx.reconcileId);
      if (rec && revision) rec.revision = revision;
      plog.info(
        {
          reasons: ctx.reasons,
          attempt: ctx.attempt,
          revision,
          ...(signer ? { signer } : {}),
          ...(source.kind === 'git' ? { verification: accepted.verification.status } : {}),
        },
        'reconcile pass started',
      );
      const raw = await pass({
        ...ctx,
        logger: plog,
        dir: accepted.dir,
        ...(revision ? { revision } : {}),
        ...(signer ? { signer } : {}),
      });
      // Stopped between steps (shutdown, lost leadership): the skipped steps are not a failure.
      const report: PassReport =
        ctx.signal.aborted && raw.verdict !== 'success'
          ? { ...raw, verdict: 'aborted', result: 'aborted' }
          : raw;
      const withRev = report.revision || !revision ? report : { ...report, revision };
      plog.info(
        {
          result: withRev.result,
          revision: withRev.revision,
          ...(signer ? { signer } : {}),
          plan: withRev.plan?.summary,
          ...(withRev.plan?.steps.length ? { changes: planChanges(withRev) } : {}),
          applied: withRev.apply?.counts,
          ...(withRev.outlook ? { remainingSteps: withRev.outlook.remainingSteps } : {}),
          error: withRev.error,
        },
        'reconcile pass finished',
      );
      source.finish(accepted, withRev);
      return withRev;
    },
    onStart: (ctx) => {
      const rec: PassRecord = {
        reconcileId: ctx.reconcileId,
        reasons: ctx.reasons,
        attempt: ctx.attempt,
        startedAt: clock.now().toISOString(),
      };
      records.set(ctx.reconcileId, rec);
      state.passStarted(rec);
    },
    onFinish: (ctx, outcome, ms) => {
      const rec = records.get(ctx.reconcileId) ?? {
        reconcileId: ctx.reconcileId,
        reasons: ctx.reasons,
        attempt: ctx.attempt,
        startedAt: clock.now().toISOString(),
      };
      records.delete(ctx.reconcileId);
      if ('error' in outcome && !('result' in outcome)) {
        const message = toAppError(outcome.error).message;
        passLogger(logger, ctx.reconcileId).error(
          { err: outcome.error, verdict: outcome.verdict },
          'reconcile pass failed',
        );
        const report: PassReport = {
          verdict: outcome.verdict,
          result:
            outcome.verdict === 'aborted' ? 'aborted' : outcome.verdict === 'terminal' ? 'invalid' : 'failed',
          listed: false,
          ...(rec.revision ? { revision: rec.revision } : {}),
          error: message,
        };
        state.passFinished(rec, report, clock.now(), ms);
        notify.passFinished(report);
      } else {
        state.passFinished(rec, outcome as PassReport, clock.now(), ms);
        notify.passFinished(outcome as PassReport);
      }
    },
  });

  /** Hand reasons to the loop; a request that joins an already queued pass is coalesced. */
  const enqueue = (reasons: readonly string[]): boolean => {
    if (loop.pending) for (const r of reasons) metrics.triggersCoalesced.inc({ trigger: r });
    const accepted = loop.request(reasons);
    log.debug({ reasons, accepted, running: loop.running }, 'pass requested');
    return accepted;
  };
  const request = (reason: string): boolean => {
    metrics.triggers.inc({ trigger: reason });
    return enqueue([reason]);
  };

  const adminGuard = new AccessGuard({
    name: 'status',
    token: adminToken,
    trust: 'admin-listener',
    hint: () =>
      adminToken
        ? 'Authorization: Bearer <token> (server.admin.tokenEnv/tokenFile)'
        : adminServer
          ? `the admin listener ${adminServer.url} (loopback: kubectl port-forward), or set server.admin.tokenEnv/tokenFile`
          : 'a bearer token: set server.admin.tokenEnv/tokenFile',
  });
  // Webhooks: authenticated, de-duplicated, and at most one pass per minInterval (webhooks.ts).
  const hooks = new WebhookIntake({
    secrets: webhooks,
    clock,
    logger: log.child({ component: 'webhooks' }),
    ...(settings.webhooks.minIntervalMs !== undefined
      ? { minIntervalMs: settings.webhooks.minIntervalMs }
      : {}),
    // A git source fetches the pushed commit first (and asks for a pass if it changed); a
    // directory source just asks for the pass.
    release: (reasons, detail) => {
      if (source.kind === 'git') source.webhook(reasons[0]!, detail);
      else enqueue(reasons);
    },
    onDelivery: (hook, result) => metrics.webhookDeliveries.inc({ hook, result }),
    onTrigger: (reason, outcome) => {
      metrics.triggers.inc({ trigger: reason });
      if (outcome === 'coalesced') metrics.triggersCoalesced.inc({ trigger: reason });
    },
  });
  const renderMetrics = (): Promise<string> => {
    const size = secretRegistrySize();
    metrics.secretScrubValues.set({ state: 'live' }, size.live);
    metrics.secretScrubValues.set({ state: 'recent' }, size.recent);
    return metrics.registry.metrics();
  };
  // The source asks for passes after a fetch (git) or directly (dir). A webhook's reason was
  // counted when its delivery arrived (the intake's onTrigger), so it is not counted again.
  requestPass = (reason) => {
    if (reason.startsWith('webhook-')) void enqueue([reason]);
    else void request(reason);
  };

  let server: HttpServerHandle | undefined;
  let adminServer: HttpServerHandle | undefined;
  let watcher: SourceWatcher | undefined;
  const tasks: ScheduledTask[] = [];
  let leader: LeaderHandle | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    state.stopping = true;
    log.info('shutting down: stopping triggers');
    hooks.stop();
    for (const t of tasks) await t.destroy();
    await watcher?.close().catch((err: unknown) => log.warn({ err }, 'closing the watcher failed'));
    if (loop.running) log.info('waiting for the running pass to reach a safe point');
    await loop.stop();
    await source.close();
    if (leader) {
      await Promise.resolve(leader.stop()).catch((err: unknown) =>
        log.warn({ err }, 'releasing the lease failed'),
      );
    }
    await Promise.all([server?.close(), adminServer?.close()]);
    await notify.stop();
    await closeRuntime().catch((err: unknown) => log.warn({ err }, 'closing the runtime failed'));
    log.info('stopped');
  };

  const scheduleStatus = (): ScheduleStatus => {
    const resyncTask = tasks.find((t) => t.name === 'resync');
    const retryAt = loop.retryAt;
    return {
      resync: settings.schedule.resync,
      rotationCheck: settings.schedule.rotationCheck,
      nextResyncAt: resyncTask?.getNextRun()?.toISOString() ?? null,
      nextDueAt: state.nextDueAt(),
      retryAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
    };
  };

  const statusDocument = (): StatusDocument =>
    state.status({
      instance: settings.instance,
      organizationId: runtime.organizationId,
      source: source.status(),
      version,
      queue: { running: loop.running, pending: loop.pending, backingOff: loop.backingOff },
      schedule: scheduleStatus(),
    });

  try {
    const httpDeps: HttpServerDeps = {
      logger,
      hooks,
      admin: adminGuard,
      metrics: renderMetrics,
      status: statusDocument,
      dashboard: (part) =>
        renderDashboard(part, statusDocument(), {
          now: clock.now(),
          expiringWithinMs: Math.min(
            DEFAULT_EXPIRING_WITHIN_MS,
            ...settings.notifications.map((n) => n.expiringWithinMs),
          ),
          ...(deps.dashboardRefreshMs !== undefined ? { refreshMs: deps.dashboardRefreshMs } : {}),
        }),
      // A standby replica (leader election, not leading) is ready: it serves probes and waits
      // for the lease; otherwise rolling updates would never finish while the old pod leads.
      ready: () =>
        state.ready || (settings.leaderElection.enabled && !state.leader)
          ? { ready: true }
          : { ready: false, reason: state.readyReason },
      healthy: () => (state.stopping ? { healthy: false, reason: 'stopping' } : { healthy: true }),
      onRequest: (e) =>
        metrics.httpRequests.inc({ listener: e.listener, route: e.route, code: String(e.status) }),
    };
    server = await startHttpServer(httpDeps, settings.server, 'main');
    if (admin.enabled) adminServer = await startHttpServer(httpDeps, admin, 'admin');

    if (settings.leaderElection.enabled) {
      const factory = deps.leaderFactory ?? kubernetesLeaderFactory;
      leader = await factory(
        settings.leaderElection,
        { env: deps.env, logger: logger.child({ component: 'leader-election' }), clock, identity },
        {
          onStartedLeading: () => {
            log.info({ identity }, 'became the leader');
            state.setLeader(true);
            request('leader-elected');
          },
          onStoppedLeading: () => {
            log.warn({ identity }, 'lost leadership; stopping work between steps');
            state.setLeader(false);
            loop.abortCurrent('leadership lost');
          },
          onNewLeader: (id) => log.info({ leader: id }, 'leader observed'),
        },
      );
      state.leaderIdentity = leader.identity;
      // Held by the gate until this replica leads, then coalesced with 'leader-elected': one pass.
      request('startup');
      await leader.start();
    }

    if (!deps.disable?.watch && source.kind === 'git') source.start();
    if (!deps.disable?.watch && source.kind === 'dir') {
      watcher = await watchSource({
        dir: source.dir!,
        debounceMs: settings.schedule.debounceMs,
        logger,
        ...(deps.linkPollMs !== undefined ? { linkPollMs: deps.linkPollMs } : {}),
        onChange: (reason, detail) => {
          log.info({ trigger: reason, paths: detail.paths.slice(0, 10) }, 'desired state changed');
          request(reason);
        },
      });
    }

    if (!deps.disable?.cron) {
      // loaded here: only a daemon with its schedule enabled needs node-cron
      const { schedule } = await import('node-cron');
      tasks.push(
        schedule(settings.schedule.resync, () => void request('resync'), {
          name: 'resync',
          noOverlap: true,
          ...((deps.resyncJitterMs ?? 5000) > 0 ? { maxRandomDelay: deps.resyncJitterMs ?? 5000 } : {}),
        }),
        schedule(
          settings.schedule.rotationCheck,
          () => {
            if (state.rotationDue(clock.now())) request('rotation-due');
          },
          { name: 'rotation-check', noOverlap: true },
        ),
      );
    }
  } catch (err) {
    await stop();
    throw err;
  }

  if (!settings.leaderElection.enabled) request('startup');
  log.info(
    {
      url: server.url,
      adminUrl: adminServer?.url,
      statusAccess: adminToken
        ? 'bearer token'
        : adminServer
          ? 'admin listener'
          : 'none (no token, no admin listener)',
      source: source.status(),
      instance: settings.instance,
      sinks: [...runtime.sinks.keys()],
      notifications: notify.targets,
      leaderElection: settings.leaderElection.enabled,
      webhooks: {
        github: Boolean(webhooks.github),
        gitlab: Boolean(webhooks.gitlab),
        gitSync: webhooks.gitSync,
        minIntervalMs: settings.webhooks.minIntervalMs ?? DEFAULT_WEBHOOK_MIN_INTERVAL_MS,
      },
      resync: settings.schedule.resync,
      rotationCheck: settings.schedule.rotationCheck,
    },
    'daemon started',
  );

  return {
    url: server.url,
    ...(adminServer ? { adminUrl: adminServer.url } : {}),
    runtime,
    metrics,
    state,
    loop,
    source,
    request,
    stop,
  };
}

/** `run --once`: one pass with the same wiring, no server, no triggers, no leader election. */
export async function runOnce(
  deps: Omit<DaemonDeps, 'leaderFactory' | 'disable'> & { readonly signal?: AbortSignal },
): Promise<PassReport> {
  const { settings, logger, clock } = deps;
  const runtime = deps.runtime ?? (await createRuntime(settings, { env: deps.env, logger, clock }));
  let source: SourceDriver | undefined;
  try {
    const pass = deps.pass ?? createReconcilePass(runtime, settings, clock);
    const reconcileId = `once-${clock.now().getTime().toString(36)}`;
    const plog = passLogger(logger, reconcileId);
    const signal = deps.signal ?? new AbortController().signal;
    try {
      source = await SourceDriver.create({
        settings,
        env: deps.env,
        logger,
        clock,
        metrics: createDaemonMetrics({ version }),
        request: () => undefined,
        isLeader: () => true,
        ...(deps.source ? { source: deps.source } : {}),
        ...(deps.commitStatus ? { commitStatus: deps.commitStatus } : {}),
      });
      const start = await source.begin(signal, plog);
      if (start.report) return start.report;
      const { accepted } = start;
      const signer = formatSigner(accepted.verification.signer);
      const report = await pass({
        reconcileId,
        reasons: ['once'],
        signal,
        attempt: 1,
        logger: plog,
        dir: accepted.dir,
        ...(accepted.revision ? { revision: accepted.revision } : {}),
        ...(signer ? { signer } : {}),
      });
      plog.info(
        {
          result: report.result,
          revision: report.revision ?? accepted.revision,
          ...(signer ? { signer } : {}),
          plan: report.plan?.summary,
          ...(report.plan?.steps.length ? { changes: planChanges(report) } : {}),
          applied: report.apply?.counts,
          error: report.error,
        },
        'reconcile pass finished',
      );
      source.finish(accepted, report);
      return report;
    } catch (err) {
      const e = toAppError(err);
      plog.error({ err }, 'reconcile pass failed');
      return {
        verdict: e.code === 'config-invalid' ? 'terminal' : 'transient',
        result: 'failed',
        listed: false,
        error: e.message,
      };
    }
  } finally {
    await source?.close();
    await runtime.close();
  }
}
