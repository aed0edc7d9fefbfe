import { describe, expect, it } from 'vitest';
import {
  createDaemonMetrics,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  MetricsRegistry,
} from '../../src/daemon/metrics.js';

describe('Prometheus text exposition', () => {
  it('renders counters, gauges and histograms with HELP/TYPE and sorted series', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_requests_total', 'Requests.\nSecond line with \\ backslash.', [
      'method',
      'status',
    ]);
    const g = r.gauge('x_temperature', 'Temperature.');
    const h = r.histogram('x_duration_seconds', 'Durations.', ['op'], [0.1, 1, 10]);
    c.inc({ method: 'GET', status: '200' });
    c.inc({ method: 'GET', status: '200' }, 2);
    c.inc({ method: 'DELETE', status: '404' });
    g.set(-1.5);
    h.observe({ op: 'list' }, 0.05);
    h.observe({ op: 'list' }, 0.5);
    h.observe({ op: 'list' }, 100);
    expect(r.render()).toBe(
      [
        '# HELP x_requests_total Requests.\\nSecond line with \\\\ backslash.',
        '# TYPE x_requests_total counter',
        'x_requests_total{method="DELETE",status="404"} 1',
        'x_requests_total{method="GET",status="200"} 3',
        '# HELP x_temperature Temperature.',
        '# TYPE x_temperature gauge',
        'x_temperature -1.5',
        '# HELP x_duration_seconds Durations.',
        '# TYPE x_duration_seconds histogram',
        'x_duration_seconds_bucket{op="list",le="0.1"} 1',
        'x_duration_seconds_bucket{op="list",le="1"} 2',
        'x_duration_seconds_bucket{op="list",le="10"} 2',
        'x_duration_seconds_bucket{op="list",le="+Inf"} 3',
        'x_duration_seconds_sum{op="list"} 100.55',
        'x_duration_seconds_count{op="list"} 3',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text, formats special values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(escapeHelp('a\\b\nc"d')).toBe('a\\\\b\\nc"d');
    expect(
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1e21].map(formatValue),
    ).toEqual(['NaN', '+Inf', '-Inf', '0', '1e+21']);
    const r = new MetricsRegistry();
    r.gauge('k', 'Keys.', ['key']).set({ key: 'ApiKey/we"ird\\name\n' }, 3);
    expect(r.render()).toContain('k{key="ApiKey/we\\"ird\\\\name\\n"} 3\n');
  });

  it('rejects invalid names, unknown or missing labels, and decreasing counters', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid/);
    expect(() => r.counter('ok', 'x', ['le'])).toThrow(/invalid/);
    const c = r.counter('ok_total', 'x', ['a']);
    expect(() => c.inc({ a: '1', b: '2' })).toThrow(/unknown label/);
    expect(() => c.inc({})).toThrow(/missing/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/only go up/);
    expect(() => r.counter('ok_total', 'again')).toThrow(/twice/);
  });

  it('declares every daemon metric with the scw_gitops_ prefix', () => {
    const m = createDaemonMetrics({ version: '1.2.3', node: 'v20.20.0' });
    const text = m.registry.render();
    for (const name of [
      'reconcile_total',
      'reconcile_duration_seconds',
      'plan_changes',
      'api_requests_total',
      'api_retries_total',
      'secret_deliveries_total',
      'key_seconds_to_expiry',
      'last_success_timestamp_seconds',
      'leader',
      'build_info',
    ]) {
      expect(text).toContain(`# TYPE scw_gitops_${name} `);
    }
    expect(text).toContain('scw_gitops_build_info{version="1.2.3",node="v20.20.0"} 1\n');
    expect(text).toContain('scw_gitops_plan_changes{action="create"} 0\n');
    // every sample line belongs to a declared family
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)![1]!;
      const family = name.replace(/_(bucket|sum|count)$/, '');
      expect(families.has(name) || families.has(family), line).toBe(true);
    }
  });
});
