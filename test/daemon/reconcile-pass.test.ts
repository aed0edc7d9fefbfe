import { describe, expect, it } from 'vitest';
import { changedSomething, toPassReport, withOutlook } from '../../src/daemon/reconcile-pass.js';
import type { ReconcileResult } from '../../src/reconciler/reconcile-once.js';

const base = { diagnostics: [], listed: true } as const;

describe('toPassReport (requeue verdict and metrics label)', () => {
  it.each([
    [{ ...base, kind: 'no-changes' }, 'success', 'converged'],
    [{ ...base, kind: 'applied' }, 'success', 'applied'],
    [{ ...base, kind: 'partial-failure', error: '1 step failed' }, 'transient', 'partial'],
    [{ ...base, kind: 'error', terminal: true, listed: false, error: 'invalid' }, 'terminal', 'invalid'],
    [
      { ...base, kind: 'error', terminal: false, listed: false, error: 'listing failed' },
      'transient',
      'failed',
    ],
  ] as [ReconcileResult, string, string][])('%o → %s / %s', (r, verdict, result) => {
    expect(toPassReport(r)).toMatchObject({ verdict, result, listed: r.listed });
  });

  it('keeps revision, next due instant and error', () => {
    const r: ReconcileResult = { ...base, kind: 'no-changes', nextDueAt: 42, revision: 'abc' };
    expect(toPassReport(r, 'fallback')).toEqual({
      verdict: 'success',
      result: 'converged',
      listed: true,
      revision: 'abc',
      nextDueAt: 42,
    });
    expect(toPassReport({ ...base, kind: 'no-changes' }, 'fallback').revision).toBe('fallback');
  });
});

describe('post-apply outlook', () => {
  const outcome = (result: string) => ({
    stepId: 's',
    address: 'ApiKey/k',
    action: 'create',
    result,
    durationMs: 1,
  });
  const withOutcomes = (...results: string[]): ReconcileResult =>
    ({
      ...base,
      kind: 'partial-failure',
      summary: { outcomes: results.map(outcome), counts: {}, ok: false },
    }) as unknown as ReconcileResult;

  it('re-observes only when a step changed something', () => {
    expect(changedSomething({ ...base, kind: 'no-changes' })).toBe(false);
    expect(changedSomething(withOutcomes('failed', 'skipped'))).toBe(false);
    expect(changedSomething(withOutcomes('failed', 'created'))).toBe(true);
    expect(changedSomething(withOutcomes('deleted'))).toBe(true);
  });

  it('replaces the next due instant and the keys used by the daemon state', () => {
    const key = {
      address: 'ApiKey/k' as const,
      accessKey: 'SCWNEW',
      expiresAt: '2026-03-01T00:00:00.000Z',
      secondsToExpiry: 100,
      rotateAt: '2026-02-01T00:00:00.000Z',
    };
    const report = withOutlook(
      { verdict: 'success', result: 'applied', listed: true, nextDueAt: 5 },
      { observedAt: '2026-01-01T00:00:00.000Z', keys: [key], upcoming: [], remainingSteps: 0 },
    );
    expect(report.nextDueAt).toBeUndefined();
    expect(report.outlook?.keys).toEqual([key]);
    const again = withOutlook(report, { ...report.outlook!, nextDueAt: 7 });
    expect(again.nextDueAt).toBe(7);
  });
});
