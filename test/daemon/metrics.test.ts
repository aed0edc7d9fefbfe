/**
 * The daemon's metrics (src/daemon/metrics.ts): the declaration table follows the naming policy,
 * the whole exposition is valid Prometheus text (every line), every declared metric and the
 * default process metrics are in it, registries are per daemon, and only `run` loads prom-client.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  createDaemonMetrics,
  METRIC_PREFIX,
  METRICS,
  METRICS_CONTENT_TYPE,
  type MetricDeclaration,
  PROCESS_METRICS,
  sampleValue,
} from '../../src/daemon/metrics.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

const declared: [string, MetricDeclaration][] = Object.entries(METRICS);

/** Every metric exercised once, with label values that need escaping. */
function exercised() {
  const m = createDaemonMetrics({ version: '1.2.3', node: 'v20.20.0' });
  m.reconcileTotal.inc({ result: 'applied' });
  m.reconcileDuration.observe(0.07);
  m.reconcileDuration.observe(400);
  m.apiRequests.inc({ method: 'GET', route: '/iam/v1alpha1/api-keys', status: '200' });
  m.apiRetries.inc();
  m.secretDeliveries.inc({ sink: 'local', result: 'success' });
  m.quotaExceeded.inc({ key: 'ApiKey/reporter' });
  m.keySecondsToExpiry.set({ key: 'ApiKey/we"ird\\name\n' }, 3600);
  m.lastSuccess.set(1_767_225_600);
  m.leader.set(1);
  m.triggers.inc({ trigger: 'startup' });
  m.sourceFetches.inc({ result: 'success' });
  m.sourceRevision.set(
    { revision: 'a'.repeat(40), signer: 'Alice <a@x> (openpgp F00)', verification: 'verified' },
    1,
  );
  m.sourceRefusals.inc({ reason: 'unsigned' });
  m.sourceRefused.set({ revision: 'b'.repeat(40), signer: '', reason: 'unsigned' }, 1);
  m.commitStatuses.inc({ state: 'success', result: 'success' });
  m.triggersCoalesced.inc({ trigger: 'webhook-git-sync' });
  m.webhookDeliveries.inc({ hook: 'github', result: 'duplicate' });
  m.httpRequests.inc({ listener: 'main', route: '/healthz', code: '200' });
  m.secretScrubValues.set({ state: 'live' }, 2);
  m.blockedObjects.set({ kind: 'Application' }, 1);
  m.desiredStateValid.set({ revision: 'c'.repeat(40), revision_in_use: 'a'.repeat(40) }, 0);
  return m;
}

describe('metric declarations (METRICS)', () => {
  it.each(declared)('%s follows the naming policy', (_key, d) => {
    expect(d.name.startsWith(METRIC_PREFIX)).toBe(true);
    expect(d.name).toMatch(/^[a-z][a-z0-9_]*[a-z0-9]$/);
    expect(d.name.endsWith('_total')).toBe(d.type === 'counter');
    expect(d.help).toMatch(/^[A-Z0-9].*\.$/);
    for (const l of d.labels) {
      expect(l).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(l).not.toBe('le');
    }
    if (d.type === 'histogram') {
      expect(d.name).toMatch(/_(seconds|bytes)$/);
      expect(d.buckets.length).toBeGreaterThan(3);
      expect([...d.buckets].sort((a, b) => a - b)).toEqual(d.buckets);
      expect(new Set(d.buckets).size).toBe(d.buckets.length);
    }
  });

  it('declares each name once', () => {
    const names = declared.map(([, d]) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('the exposition', () => {
  it('is valid Prometheus text, line by line, with every declared and process metric', async () => {
    const m = exercised();
    const text = await m.registry.metrics();
    const families = parsePrometheusText(text);
    for (const [, d] of declared) {
      const f = families.get(d.name);
      expect(f, d.name).toBeDefined();
      expect(f!.type).toBe(d.type);
      expect(f!.help).toBe(d.help);
      expect(f!.samples.length, d.name).toBeGreaterThan(0);
    }
    for (const name of PROCESS_METRICS) expect(families.has(name), name).toBe(true);
    // our own series carry the prefix; only the standard process and Node.js families do not
    expect(
      [...families.keys()].filter((n) => !n.startsWith(METRIC_PREFIX) && !/^(process|nodejs)_/.test(n)),
    ).toEqual([]);
    // the samples, as a scraper reads them back
    const samples = [...families.values()].flatMap((f) => f.samples);
    const one = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    expect(one('scw_gitops_build_info', { version: '1.2.3', node: 'v20.20.0' })).toBe(1);
    expect(one('scw_gitops_plan_changes', { action: 'create' })).toBe(0);
    expect(one('scw_gitops_key_seconds_to_expiry', { key: 'ApiKey/we"ird\\name\n' })).toBe(3600);
    expect(one('scw_gitops_reconcile_duration_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(one('scw_gitops_reconcile_duration_seconds_bucket', { le: '300' })).toBe(1);
    expect(one('scw_gitops_reconcile_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(one('scw_gitops_reconcile_duration_seconds_sum')).toBeCloseTo(400.07);
    expect(one('scw_gitops_api_retries_total')).toBe(1);
    expect(one('scw_gitops_last_success_timestamp_seconds')).toBe(1_767_225_600);
  });

  it('has no sample for an unlabeled gauge until it is set', async () => {
    const m = createDaemonMetrics({ version: 't' });
    const before = parsePrometheusText(await m.registry.metrics());
    expect(before.get('scw_gitops_last_success_timestamp_seconds')!.samples).toEqual([]);
    expect(before.get('scw_gitops_leader')!.samples).toEqual([]);
    // counters and histograms without labels start at zero
    expect(before.get('scw_gitops_api_retries_total')!.samples).toEqual([
      { name: 'scw_gitops_api_retries_total', labels: {}, value: 0 },
    ]);
    m.lastSuccess.set(5);
    expect(await sampleValue(m.lastSuccess)).toBe(5);
    m.keySecondsToExpiry.set({ key: 'ApiKey/a' }, 1);
    m.keySecondsToExpiry.reset();
    expect(await sampleValue(m.keySecondsToExpiry, { key: 'ApiKey/a' })).toBeUndefined();
  });

  it('keeps each daemon in its own registry', async () => {
    const a = createDaemonMetrics({ version: 'a' });
    const b = createDaemonMetrics({ version: 'b' });
    a.triggers.inc({ trigger: 'startup' });
    expect(await sampleValue(a.triggers, { trigger: 'startup' })).toBe(1);
    expect(await sampleValue(b.triggers, { trigger: 'startup' })).toBeUndefined();
    const textB = await b.registry.metrics();
    expect(textB).toContain('scw_gitops_build_info{version="b",');
    expect(textB).not.toContain('version="a"');
    for (const text of [await a.registry.metrics(), textB]) {
      expect(parsePrometheusText(text).has('process_cpu_seconds_total')).toBe(true);
    }
  });

  it('is served as text format 0.0.4', () => {
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(createDaemonMetrics({ version: 't' }).registry.contentType).toBe(METRICS_CONTENT_TYPE);
  });
});

describe('the exposition checker', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\n';
  it('accepts a valid exposition', () => {
    expect(parsePrometheusText(ok).get('a_total')!.samples).toHaveLength(1);
  });
  it.each([
    ['no trailing newline', ok.trimEnd()],
    ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['an unquoted label', '# TYPE a gauge\na{x=1} 1\n'],
    ['a repeated label', '# TYPE a gauge\na{x="1",x="2"} 1\n'],
    ['a bad value', '# TYPE a gauge\na 1,5\n'],
    ['a repeated series', '# TYPE a gauge\na 1\na 2\n'],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['a split family', '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    [
      'non-cumulative buckets',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
  ])('rejects %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('prom-client loading', () => {
  /** Every module path a command's entry reaches, dynamic imports included. */
  async function reaches(command: string): Promise<string[]> {
    const out = await build({
      entryPoints: [resolve(import.meta.dirname, `../../src/cli/commands/${command}.ts`)],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    return Object.values(out.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
  }

  it('is loaded by the daemon only, never by the one-shot commands', async () => {
    expect(await reaches('run')).toContain('prom-client');
    for (const command of ['validate', 'plan', 'reconcile', 'apply', 'import', 'sandbox']) {
      expect(await reaches(command), command).not.toContain('prom-client');
    }
  });
});
