/**
 * Issue #13 item 7: a key create refused by the API-key quota is counted by
 * `scw_gitops_quota_exceeded_total{key}` (one METRICS entry, src/daemon/metrics.ts), from the
 * pass's quota-exceeded diagnostics (src/reconciler/quota-report.ts).
 */
import { describe, expect, it } from 'vitest';
import { createDaemonMetrics, sampleValue } from '../../src/daemon/metrics.js';
import { DaemonState } from '../../src/daemon/state.js';
import type { ApplySummary } from '../../src/model/plan.js';
import { QUOTA_EXCEEDED, quotaDiagnostics } from '../../src/reconciler/quota-report.js';
import { lKey, liveState } from '../planner/builders.js';

const rec = { reconcileId: 'r', reasons: ['x'], attempt: 1, startedAt: '2026-01-01T00:00:00Z' };

describe('quota-exceeded: diagnostic and metric', () => {
  const expired = lKey('gone', { expiresAt: '2025-12-01T00:00:00Z' });
  const retiring = lKey('old', { name: 'deployer', state: 'retiring' });
  const current = lKey('cur', { name: 'deployer' });
  const foreign = lKey('theirs', { instance: 'other', expiresAt: '2025-12-02T00:00:00Z' });
  const summary: ApplySummary = {
    ok: false,
    counts: { created: 0, updated: 0, replaced: 0, deleted: 0, adopted: 0, skipped: 0, failed: 1 },
    outcomes: [
      {
        stepId: 'create:ApiKey/reporter',
        address: 'ApiKey/reporter',
        action: 'create',
        result: 'failed',
        code: 'quotas-exceeded',
        error: 'ApiKey/reporter: quota reached (api_keys: 4 of 4); no key was created',
        durationMs: 1,
      },
    ],
  };

  it('names the quota and the keys that could go, not the current ones', () => {
    const [d] = quotaDiagnostics(
      summary,
      liveState({ apiKeys: [expired, retiring, current, foreign] }),
      'default',
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(d).toMatchObject({ severity: 'error', code: QUOTA_EXCEEDED, resource: 'ApiKey/reporter' });
    expect(d!.message).toContain('api_keys: 4 of 4');
    expect(d!.details).toEqual(
      [
        `${expired.accessKey} (ApiKey/gone): expired 2025-12-01T00:00:00Z, authenticates nothing`,
        `${foreign.accessKey} (scw-gitops instance "other"): expired 2025-12-02T00:00:00Z, authenticates nothing`,
        `${retiring.accessKey} (ApiKey/deployer): retiring, deleted by scw-gitops once its overlap ends`,
      ].sort(),
    );
  });

  it('is counted per declared key by the daemon', async () => {
    const metrics = createDaemonMetrics({ version: 't' });
    const state = new DaemonState(metrics, { leaderElection: false });
    const diagnostics = quotaDiagnostics(summary, liveState({ apiKeys: [expired] }), 'default', Date.now());
    state.passStarted(rec);
    state.passFinished(
      rec,
      { verdict: 'transient', result: 'partial', listed: true, apply: summary, diagnostics },
      new Date('2026-01-01T00:00:00Z'),
      10,
    );
    expect(await sampleValue(metrics.quotaExceeded, { key: 'ApiKey/reporter' })).toBe(1);
  });
});
