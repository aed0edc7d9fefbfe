/** The rows of `scw-gitops keys` (src/planner/key-report.ts): current key, retiring keys, status. */
import { describe, expect, it } from 'vitest';
import type { SinkObservation } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { keyReport } from '../../src/planner/key-report.js';
import { defaultPlanOptions } from '../../src/planner/options.js';
import { renderKeysText } from '../../src/render/keys.js';
import { dApp, desired, dKey, lApp, liveState, lKey } from './builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/srv/secrets', format: 'dotenv' } as const;
const HOUR = 3_600_000;

function rows(sinks: Record<string, SinkObservation>, keys: ReturnType<typeof lKey>[]) {
  return keyReport({
    desired: desired(
      dApp('ci'),
      dKey('ci', { application: 'ci', rotation: { lifetimeMs: 30 * 24 * HOUR, overlapMs: 2 * HOUR } }),
    ),
    live: liveState({ applications: [lApp('ci')], apiKeys: keys }),
    sinkRecords: new Map(Object.entries(sinks)) as Map<Address, SinkObservation>,
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local' }),
    now: NOW,
  });
}

describe('keyReport', () => {
  const current = lKey('new', {
    name: 'ci',
    app: 'ci',
    createdAt: '2026-05-31T23:00:00.000000Z',
    updatedAt: '2026-05-31T23:00:00.000000Z',
    expiresAt: '2026-06-30T23:00:00Z',
  });
  const old = lKey('old', {
    name: 'ci',
    app: 'ci',
    state: 'retiring',
    createdAt: '2026-05-01T00:00:00.000000Z',
    expiresAt: '2026-05-31T00:00:00Z',
  });

  it('shows the current key, its sink, the next rotation and the retiring key with the end of its overlap', () => {
    const [row] = rows(
      { 'ApiKey/ci': { accessKey: current.accessKey, deliveredAt: '2026-05-31T23:30:00.000Z' } },
      [current, { ...old, expiresAt: '2026-07-01T00:00:00Z' }],
    );
    expect(row).toMatchObject({
      address: 'ApiKey/ci',
      status: 'ok',
      current: { accessKey: current.accessKey, state: 'ready', expiresAt: '2026-06-30T23:00:00Z' },
      nextRotation: '2026-06-20T23:00:00.000Z',
      sink: { name: 'local', location: 'file:/srv/secrets/ci.env' },
      inSink: true,
    });
    // Overlap: 2 h after the current key was delivered (the sink's deliveredAt).
    expect(row!.retiring).toEqual([
      expect.objectContaining({
        accessKey: old.accessKey,
        state: 'retiring',
        overlapEndsAt: '2026-06-01T01:30:00.000Z',
      }),
    ]);
    expect(renderKeysText(rows({ 'ApiKey/ci': { accessKey: current.accessKey } }, [current]))).toContain(
      '1 key: 1 ok',
    );
  });

  it('says secret-missing when the sink holds another key, missing when there is no current key', () => {
    expect(rows({ 'ApiKey/ci': { accessKey: old.accessKey } }, [current])[0]!.status).toBe('secret-missing');
    expect(rows({}, [])[0]).toMatchObject({ status: 'missing', current: null, inSink: null });
    expect(rows({ 'ApiKey/ci': { accessKey: null, error: 'EACCES' } }, [current])[0]).toMatchObject({
      status: 'sink-unreadable',
      sinkError: 'EACCES',
    });
  });
});
