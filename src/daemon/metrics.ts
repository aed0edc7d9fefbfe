/**
 * Every metric the daemon exports, declared in one table (`METRICS` below), exposed with
 * prom-client in the Prometheus text format 0.0.4.
 *
 * Adding a metric is a one-place change: add one entry to `METRICS` (its key becomes the typed
 * field of `DaemonMetrics`, e.g. `metrics.reconcileTotal.inc({ result })`), then regenerate the
 * reference page (`npx tsx scripts/gen-docs.ts`; docs/reference/metrics.md is generated from this
 * table and test/docs/docs.test.ts fails when it drifts). test/daemon/metrics.test.ts checks the
 * naming policy below for every entry.
 *
 * Naming policy (docs/reference/metrics.md):
 * - the daemon's own series start with `scw_gitops_`; prom-client's default process and Node.js
 *   metrics keep their standard names (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`),
 *   as every controller-runtime operator exports them, so stock dashboards and alerts work
 *   unchanged (each pod is scraped as its own target, so nothing collides);
 * - base units in the name (`_seconds`, `_bytes`), counters end in `_total`, timestamps in
 *   `_timestamp_seconds`; label names are snake_case;
 * - a gauge without labels has no sample until it is first set (a 0 would claim a measurement
 *   nobody made: `last_success_timestamp_seconds` = 0 would read as "failing since 1970").
 *
 * Each daemon has its own registry (tests start several daemons in one process; nothing is put
 * on prom-client's global default registry). The default process and Node.js collectors describe
 * the process, not a daemon, and have no teardown (a PerformanceObserver and an event-loop delay
 * monitor), so they are created once per process and merged into each daemon's registry.
 *
 * Only the daemon (`scw-gitops run`) imports this module: prom-client costs ~100 ms to load, and
 * the one-shot commands must not pay it (test/daemon/metrics.test.ts checks the import graph).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'scw_gitops_';

/** The exposition's Content-Type (Prometheus text format 0.0.4), as prom-client renders it. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface Declaration {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
}

export type MetricDeclaration =
  | (Declaration & { readonly type: 'counter' })
  | (Declaration & { readonly type: 'gauge' })
  | (Declaration & { readonly type: 'histogram'; readonly buckets: readonly number[] });

/** Every metric scw-gitops exports; the one place to declare one (see the file header). */
export const METRICS = {
  reconcileTotal: {
    type: 'counter',
    name: 'scw_gitops_reconcile_total',
    help: 'Reconcile passes by result.',
    labels: ['result'],
  },
  reconcileDuration: {
    type: 'histogram',
    name: 'scw_gitops_reconcile_duration_seconds',
    help: 'Duration of reconcile passes in seconds.',
    labels: [],
    // A pass over a small organization takes tens of milliseconds against the sandbox and a few
    // seconds against the API; large organizations, retries and backoff reach minutes.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  },
  planChanges: {
    type: 'gauge',
    name: 'scw_gitops_plan_changes',
    help: 'Steps of the last plan by action.',
    labels: ['action'],
  },
  apiRequests: {
    type: 'counter',
    name: 'scw_gitops_api_requests_total',
    help: 'Scaleway API requests by method, route and status.',
    labels: ['method', 'route', 'status'],
  },
  apiRetries: {
    type: 'counter',
    name: 'scw_gitops_api_retries_total',
    help: 'Scaleway API requests that were retries.',
    labels: [],
  },
  secretDeliveries: {
    type: 'counter',
    name: 'scw_gitops_secret_deliveries_total',
    help: 'API key secret deliveries by sink and result.',
    labels: ['sink', 'result'],
  },
  quotaExceeded: {
    type: 'counter',
    name: 'scw_gitops_quota_exceeded_total',
    help: 'API key creates refused by a Scaleway quota (quotas_exceeded), by declared key; the pass reports the keys that could go.',
    labels: ['key'],
  },
  keySecondsToExpiry: {
    type: 'gauge',
    name: 'scw_gitops_key_seconds_to_expiry',
    help: 'Seconds until each owned API key expires (keys that never expire are absent).',
    labels: ['key'],
  },
  lastSuccess: {
    type: 'gauge',
    name: 'scw_gitops_last_success_timestamp_seconds',
    help: 'Unix time of the last successful reconcile pass (absent until the first one).',
    labels: [],
  },
  leader: {
    type: 'gauge',
    name: 'scw_gitops_leader',
    help: '1 when this replica is the leader (or leader election is off), else 0.',
    labels: [],
  },
  buildInfo: {
    type: 'gauge',
    name: 'scw_gitops_build_info',
    help: 'Build information; always 1.',
    labels: ['version', 'node'],
  },
  triggers: {
    type: 'counter',
    name: 'scw_gitops_triggers_total',
    help: 'Pass requests by trigger.',
    labels: ['trigger'],
  },
  sourceFetches: {
    type: 'counter',
    name: 'scw_gitops_source_fetch_total',
    help: 'Fetches of the git source by result.',
    labels: ['result'],
  },
  sourceRevision: {
    type: 'gauge',
    name: 'scw_gitops_source_revision_info',
    help: 'The revision passes reconcile: commit, verified signer and verification result; always 1.',
    labels: ['revision', 'signer', 'verification'],
  },
  sourceRefusals: {
    type: 'counter',
    name: 'scw_gitops_source_refusals_total',
    help: 'Revisions of the git source that were not applied, by reason (unsigned, untrusted, force-push, ...).',
    labels: ['reason'],
  },
  sourceRefused: {
    type: 'gauge',
    name: 'scw_gitops_source_refused_revision_info',
    help: 'The newest refused revision while no later one is accepted: commit, signer and reason; always 1.',
    labels: ['revision', 'signer', 'reason'],
  },
  commitStatuses: {
    type: 'counter',
    name: 'scw_gitops_commit_status_posts_total',
    help: 'Commit status posts to the git host by state and result.',
    labels: ['state', 'result'],
  },
  triggersCoalesced: {
    type: 'counter',
    name: 'scw_gitops_triggers_coalesced_total',
    help: 'Pass requests that got no pass of their own: merged into a queued pass, or into the one webhook pass allowed per webhooks.minInterval.',
    labels: ['trigger'],
  },
  webhookDeliveries: {
    type: 'counter',
    name: 'scw_gitops_webhook_deliveries_total',
    help: 'Webhook deliveries by hook and result (accepted, duplicate, unauthorized, ignored, invalid, too_large).',
    labels: ['hook', 'result'],
  },
  httpRequests: {
    type: 'counter',
    name: 'scw_gitops_http_requests_total',
    help: 'HTTP requests answered, by listener (main, admin), route (a known path, hooks, unmatched, malformed) and status code.',
    labels: ['listener', 'route', 'code'],
  },
  secretScrubValues: {
    type: 'gauge',
    name: 'scw_gitops_secret_scrub_values',
    help: "Secret values the log scrubber holds: live (in use: the daemon's own credentials, secrets being delivered) and recent (released, a bounded set).",
    labels: ['state'],
  },
  blockedObjects: {
    type: 'gauge',
    name: 'scw_gitops_blocked_objects',
    help: 'Declared objects the last plan holds back because of an error (theirs or of what they depend on), by kind; blocked API keys are still kept alive.',
    labels: ['kind'],
  },
  desiredStateValid: {
    type: 'gauge',
    name: 'scw_gitops_desired_state_valid',
    help: 'Whether the newest desired state (revision) is valid (1) or not (0); revision_in_use is the revision the daemon plans from (the last valid one while the newest is invalid).',
    labels: ['revision', 'revision_in_use'],
  },
} as const satisfies Record<string, MetricDeclaration>;

/**
 * Default process and Node.js metric families present on every platform Node.js supports (the
 * reference page lists them; Linux adds `process_resident_memory_bytes`, file-descriptor and
 * heap-space families), under their standard names.
 */
export const PROCESS_METRICS = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
] as const;

type Table = typeof METRICS;
type LabelOf<D> = D extends { readonly labels: readonly (infer L extends string)[] } ? L : never;
type InstrumentOf<D> = D extends { readonly type: 'counter' }
  ? Counter<LabelOf<D>>
  : D extends { readonly type: 'gauge' }
    ? Gauge<LabelOf<D>>
    : Histogram<LabelOf<D>>;

/** The daemon's metrics: one typed instrument per `METRICS` entry, and its registry. */
export type DaemonMetrics = { readonly [K in keyof Table]: InstrumentOf<Table[K]> } & {
  /** This daemon's registry: its own metrics, then the process-wide default ones. */
  readonly registry: Registry;
};

let processRegistry: Registry | undefined;

/** The default process and Node.js collectors, created once per process (see the file header). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function instrument(d: MetricDeclaration, registry: Registry): Counter | Gauge | Histogram {
  const common = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [registry] };
  switch (d.type) {
    case 'counter':
      return new Counter(common);
    case 'histogram':
      return new Histogram({ ...common, buckets: [...d.buckets] });
    case 'gauge': {
      const g = new Gauge(common);
      if (d.labels.length === 0) g.remove({});
      return g;
    }
  }
}

/** A fresh registry with every declared metric, plus the process-wide default metrics. */
export function createDaemonMetrics(build: { version: string; node?: string }): DaemonMetrics {
  const own = new Registry();
  const instruments: Record<string, Counter | Gauge | Histogram> = {};
  for (const [key, d] of Object.entries(METRICS) as [string, MetricDeclaration][]) {
    instruments[key] = instrument(d, own);
  }
  const m = {
    ...instruments,
    registry: Registry.merge([own, processMetrics()]),
  } as unknown as DaemonMetrics;
  m.buildInfo.set({ version: build.version, node: build.node ?? process.version }, 1);
  for (const action of ['create', 'update', 'replace', 'delete', 'adopt']) m.planChanges.set({ action }, 0);
  return m;
}

/** The current value of one series (undefined when it has no sample), e.g. for tests and /status. */
export async function sampleValue(
  metric: Counter | Gauge,
  labels: Readonly<Record<string, string | number>> = {},
): Promise<number | undefined> {
  const { values } = await metric.get();
  const want = Object.entries(labels);
  const hit = values.find(
    (v) =>
      Object.keys(v.labels).length === want.length &&
      want.every(([k, x]) => String(v.labels[k]) === String(x)),
  );
  return hit?.value;
}
