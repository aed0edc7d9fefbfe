/**
 * Prometheus text exposition (format 0.0.4), written by hand: counters, gauges and histograms
 * with labels, rendered with correct `# HELP` / `# TYPE` lines, label-value escaping
 * (`\\`, `"`, newline), HELP escaping (`\\`, newline) and `+Inf`/`-Inf`/`NaN` values.
 *
 * `createDaemonMetrics()` declares every metric scw-gitops exports (prefix `scw_gitops_`), in one
 * file, so names cannot drift between the code that updates them and the docs.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Labels = Readonly<Record<string, string | number>>;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`metric name '${name}' is invalid`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith('__') || l === 'le') throw new Error(`label name '${l}' is invalid`);
    }
  }

  protected key(labels: Labels = {}): { key: string; values: string[] } {
    const extra = Object.keys(labels).filter((k) => !this.labelNames.includes(k));
    if (extra.length) throw new Error(`${this.name}: unknown label(s) ${extra.join(', ')}`);
    const values = this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`${this.name}: label '${n}' missing`);
      return String(v);
    });
    return { key: JSON.stringify(values), values };
  }

  header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

export class Counter extends Metric {
  readonly type = 'counter' as const;
  readonly #series = new Map<string, { values: string[]; value: number }>();

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: counters only go up (got ${by})`);
    const { key, values } = this.key(labels);
    const s = this.#series.get(key);
    if (s) s.value += by;
    else this.#series.set(key, { values, value: by });
  }

  get(labels: Labels = {}): number {
    return this.#series.get(this.key(labels).key)?.value ?? 0;
  }

  render(): string {
    let out = this.header();
    for (const s of sorted(this.#series))
      out += `${this.name}${renderLabels(this.labelNames, s.values)} ${formatValue(s.value)}\n`;
    return out;
  }
}

export class Gauge extends Metric {
  readonly type = 'gauge' as const;
  readonly #series = new Map<string, { values: string[]; value: number }>();

  set(labels: Labels, value: number): void;
  set(value: number): void;
  set(a: Labels | number, b?: number): void {
    const [labels, value] = typeof a === 'number' ? [{}, a] : [a, b ?? 0];
    const { key, values } = this.key(labels);
    this.#series.set(key, { values, value });
  }

  get(labels: Labels = {}): number | undefined {
    return this.#series.get(this.key(labels).key)?.value;
  }

  /** Drop every series (e.g. before re-publishing per-key gauges after a pass). */
  reset(): void {
    this.#series.clear();
  }

  render(): string {
    let out = this.header();
    for (const s of sorted(this.#series))
      out += `${this.name}${renderLabels(this.labelNames, s.values)} ${formatValue(s.value)}\n`;
    return out;
  }
}

export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    const b = [...buckets].sort((x, y) => x - y);
    if (b.length === 0 || new Set(b).size !== b.length) throw new Error(`${name}: buckets must be distinct`);
    this.buckets = b;
  }

  observe(labels: Labels, value: number): void;
  observe(value: number): void;
  observe(a: Labels | number, b?: number): void {
    const [labels, value] = typeof a === 'number' ? [{}, a] : [a, b ?? 0];
    const { key, values } = this.key(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    this.buckets.forEach((le, i) => {
      if (value <= le) s.counts[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
  }

  count(labels: Labels = {}): number {
    return this.#series.get(this.key(labels).key)?.count ?? 0;
  }

  render(): string {
    let out = this.header();
    for (const s of sorted(this.#series)) {
      this.buckets.forEach((le, i) => {
        out += `${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', formatValue(le)])} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${renderLabels(this.labelNames, s.values, ['le', '+Inf'])} ${s.count}\n`;
      out += `${this.name}_sum${renderLabels(this.labelNames, s.values)} ${formatValue(s.sum)}\n`;
      out += `${this.name}_count${renderLabels(this.labelNames, s.values)} ${s.count}\n`;
    }
    return out;
  }
}

function sorted<T extends { values: string[] }>(m: Map<string, T>): T[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  register<M extends Metric>(m: M): M {
    if (this.#metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.#metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  /** The whole exposition, metrics in registration order. */
  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join('');
  }
}

/** Every metric the daemon exports. */
export interface DaemonMetrics {
  readonly registry: MetricsRegistry;
  readonly reconcileTotal: Counter;
  readonly reconcileDuration: Histogram;
  readonly planChanges: Gauge;
  readonly apiRequests: Counter;
  readonly apiRetries: Counter;
  readonly secretDeliveries: Counter;
  readonly keySecondsToExpiry: Gauge;
  readonly lastSuccess: Gauge;
  readonly leader: Gauge;
  readonly buildInfo: Gauge;
  readonly triggers: Counter;
  readonly triggersCoalesced: Counter;
  readonly webhookDeliveries: Counter;
  readonly httpRequests: Counter;
  readonly secretScrubValues: Gauge;
}

export function createDaemonMetrics(build: { version: string; node?: string }): DaemonMetrics {
  const r = new MetricsRegistry();
  const p = 'scw_gitops_';
  const m: DaemonMetrics = {
    registry: r,
    reconcileTotal: r.counter(`${p}reconcile_total`, 'Reconcile passes by result.', ['result']),
    reconcileDuration: r.histogram(
      `${p}reconcile_duration_seconds`,
      'Duration of reconcile passes in seconds.',
      [],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    ),
    planChanges: r.gauge(`${p}plan_changes`, 'Steps of the last plan by action.', ['action']),
    apiRequests: r.counter(`${p}api_requests_total`, 'Scaleway API requests by method, route and status.', [
      'method',
      'route',
      'status',
    ]),
    apiRetries: r.counter(`${p}api_retries_total`, 'Scaleway API requests that were retries.'),
    secretDeliveries: r.counter(
      `${p}secret_deliveries_total`,
      'API key secret deliveries by sink and result.',
      ['sink', 'result'],
    ),
    keySecondsToExpiry: r.gauge(
      `${p}key_seconds_to_expiry`,
      'Seconds until each owned API key expires (keys that never expire are absent).',
      ['key'],
    ),
    lastSuccess: r.gauge(
      `${p}last_success_timestamp_seconds`,
      'Unix time of the last successful reconcile pass.',
    ),
    leader: r.gauge(`${p}leader`, '1 when this replica is the leader (or leader election is off), else 0.'),
    buildInfo: r.gauge(`${p}build_info`, 'Build information; always 1.', ['version', 'node']),
    triggers: r.counter(`${p}triggers_total`, 'Pass requests by trigger.', ['trigger']),
    triggersCoalesced: r.counter(
      `${p}triggers_coalesced_total`,
      'Pass requests that got no pass of their own: merged into a queued pass, or into the one webhook pass allowed per webhooks.minInterval.',
      ['trigger'],
    ),
    webhookDeliveries: r.counter(
      `${p}webhook_deliveries_total`,
      'Webhook deliveries by hook and result (accepted, duplicate, unauthorized, ignored, invalid, too_large).',
      ['hook', 'result'],
    ),
    httpRequests: r.counter(
      `${p}http_requests_total`,
      'HTTP requests answered, by listener, route (a known path, hooks, unmatched, malformed) and status code.',
      ['listener', 'route', 'code'],
    ),
    secretScrubValues: r.gauge(
      `${p}secret_scrub_values`,
      "Secret values the log scrubber holds: live (in use, e.g. the daemon's own credentials and secrets being delivered) and recent (delivered, kept in a bounded set).",
      ['state'],
    ),
  };
  m.buildInfo.set({ version: build.version, node: build.node ?? process.version }, 1);
  for (const action of ['create', 'update', 'replace', 'delete', 'adopt']) m.planChanges.set({ action }, 0);
  return m;
}
