import { describe, expect, it } from 'vitest';
import { toPassReport } from '../../src/daemon/reconcile-pass.js';
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
