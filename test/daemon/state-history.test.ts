/**
 * What the daemon keeps for /status and the dashboard across passes: the last 20 passes (newest
 * first), the last inventory (kept by passes that could not plan), and the validity of the newest
 * desired state beside the revision still in use.
 */
import { describe, expect, it } from 'vitest';
import { createDaemonMetrics } from '../../src/daemon/metrics.js';
import type { PassReport } from '../../src/daemon/pass-report.js';
import { MAX_PASSES, DaemonState } from '../../src/daemon/state.js';
import type { Inventory } from '../../src/model/inventory.js';
import { Secret } from '../../src/model/secret.js';
import { plan } from '../helpers/builders.js';
import { STATUS_EXTRA } from './status-extra.js';

const T0 = Date.parse('2026-11-23T01:00:00Z');

function record(i: number) {
  return {
    reconcileId: `r-${i}`,
    reasons: ['resync'],
    attempt: 1,
    startedAt: new Date(T0 + i * 1000).toISOString(),
  };
}

const inventory: Inventory = {
  observedAt: new Date(T0).toISOString(),
  objects: [{ address: 'Project/p', kind: 'Project', name: 'p', state: 'in-sync', declared: true }],
  keys: [],
};

describe('daemon state for /status and the dashboard', () => {
  it('keeps the last 20 passes, newest first, with counts and failures', () => {
    const s = new DaemonState(createDaemonMetrics({ version: 't' }), { leaderElection: false });
    for (let i = 1; i <= 25; i++) {
      const report: PassReport = {
        verdict: 'success',
        result: i === 25 ? 'partial' : 'converged',
        listed: true,
        revision: `rev${i}`,
        desiredValid: true,
        plan: plan([], { revision: `rev${i}` }),
        ...(i === 25
          ? {
              apply: {
                outcomes: [],
                ok: false,
                counts: {
                  created: 1,
                  updated: 0,
                  replaced: 0,
                  deleted: 0,
                  adopted: 0,
                  skipped: 0,
                  failed: 2,
                },
              },
            }
          : {}),
      } as PassReport;
      s.passFinished(record(i), report, new Date(T0 + i * 1000 + 500), 500);
    }
    const doc = s.status(STATUS_EXTRA);
    expect(doc.passes).toHaveLength(MAX_PASSES);
    expect(doc.passes.map((p) => p.reconcileId).slice(0, 3)).toEqual(['r-25', 'r-24', 'r-23']);
    expect(doc.passes.at(-1)?.reconcileId).toBe('r-6');
    expect(doc.passes[0]).toMatchObject({
      result: 'partial',
      failures: 2,
      summary: { applied: { failed: 2 } },
    });
    expect(doc.passes[1]?.failures).toBeUndefined();
  });

  it('keeps the inventory and the revision in use when the newest desired state is invalid', () => {
    const s = new DaemonState(createDaemonMetrics({ version: 't' }), { leaderElection: false });
    s.passFinished(
      record(1),
      {
        verdict: 'success',
        result: 'converged',
        listed: true,
        revision: 'good1',
        desiredValid: true,
        plan: plan([], { revision: 'good1' }),
        inventory,
      } as PassReport,
      new Date(T0 + 1000),
      10,
    );
    const leaked = new Secret('a-secret-value-in-a-diagnostic-0123456789');
    s.passFinished(
      record(2),
      {
        verdict: 'terminal',
        result: 'invalid',
        listed: false,
        revision: 'bad2',
        desiredValid: false,
        error: 'desired state is invalid (1 error)',
        diagnostics: [
          {
            severity: 'error',
            code: 'yaml',
            message: `bad value ${leaked.reveal()}`,
            location: { file: 'a.yaml', line: 3, col: 5 },
          },
          { severity: 'warning', code: 'w', message: 'a warning' },
        ],
      } as PassReport,
      new Date(T0 + 2000),
      10,
    );
    const doc = s.status(STATUS_EXTRA);
    expect(doc.desiredState).toEqual({
      revision: 'bad2',
      valid: false,
      revisionInUse: 'good1',
      errors: [
        {
          severity: 'error',
          code: 'yaml',
          message: expect.not.stringContaining(leaked.reveal()),
          location: { file: 'a.yaml', line: 3, col: 5 },
        },
      ],
    });
    expect(doc.inventory).toEqual(inventory);
    expect(JSON.stringify(doc)).not.toContain(leaked.reveal());
  });
});
