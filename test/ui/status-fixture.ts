/**
 * StatusDocuments for the dashboard's tests: a small organization (six keys, one blocked object,
 * one retiring key in overlap, one expired key) and a large one (300 keys).
 */
import type { KeyTimelineRow, ObjectStatus } from '../../src/model/inventory.js';
import type { StatusDocument } from '../../src/model/status.js';

export const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
const at = (days: number): string => new Date(NOW.getTime() + days * DAY).toISOString();

function keyRow(i: number): KeyTimelineRow {
  return {
    address: `ApiKey/key-${i}`,
    name: `key-${i}`,
    application: `app-${i % 7}`,
    location: { file: `keys/k${i}.yaml`, line: 4 + i, col: 9 },
    keys: [
      {
        accessKey: `SCW${String(i).padStart(17, '0')}`,
        role: 'current',
        state: 'ready',
        createdAt: at(-30 - (i % 20)),
        expiresAt: at(60 + (i % 50)),
        rotateAt: at(45 + (i % 50)),
      },
    ],
  };
}

export function smallStatus(): StatusDocument {
  const keys: KeyTimelineRow[] = [1, 2, 3, 4].map(keyRow);
  keys.push({
    address: 'ApiKey/rotating',
    name: 'rotating',
    application: 'app-1',
    keys: [
      {
        accessKey: 'SCWNEWNEWNEWNEWNEWNE',
        role: 'current',
        state: 'ready',
        createdAt: at(-1),
        expiresAt: at(89),
        rotateAt: at(75),
      },
      {
        accessKey: 'SCWOLDOLDOLDOLDOLDOL',
        role: 'retiring',
        state: 'retiring',
        createdAt: at(-80),
        expiresAt: at(3),
        rotateAt: null,
        retireAt: at(1),
      },
    ],
  });
  keys.push({
    address: 'ApiKey/lapsed',
    name: 'lapsed',
    application: 'app-2',
    keys: [
      {
        accessKey: 'SCWEXPIREDEXPIREDEX',
        role: 'current',
        state: 'ready',
        createdAt: at(-100),
        expiresAt: at(-2),
        rotateAt: at(-10),
      },
    ],
  });
  const objects: ObjectStatus[] = [
    { address: 'Project/shared', kind: 'Project', name: 'shared', state: 'in-sync', declared: true },
    {
      address: 'Application/app-1',
      kind: 'Application',
      name: 'app-1',
      state: 'conflict',
      declared: true,
      location: { file: 'apps/app-1.yaml', line: 6, col: 9 },
      diagnostics: [
        {
          severity: 'error',
          code: 'conflict',
          message: 'an application named app-1 exists and is not managed by scw-gitops',
          location: { file: 'apps/app-1.yaml', line: 6, col: 9 },
        },
      ],
    },
    {
      address: 'Policy/<script>alert(1)</script>',
      kind: 'Policy',
      name: '<script>alert(1)</script>',
      state: 'pending',
      declared: true,
      actions: [{ action: 'create', reason: 'missing' }],
    },
    {
      address: 'ApiKey/key-1',
      kind: 'ApiKey',
      name: 'key-1',
      state: 'blocked',
      declared: true,
      blockedBy: 'Application/app-1',
    },
  ];
  return {
    ready: true,
    leader: true,
    instance: 'prod-eu',
    organizationId: '11111111-2222-3333-4444-555555555555',
    version: '0.1.0',
    revision: 'abc1234',
    source: { kind: 'dir', dir: '/desired' },
    desiredState: { revision: 'abc1234', valid: true, revisionInUse: 'abc1234', errors: [] },
    schedule: {
      resync: '*/10 * * * *',
      rotationCheck: '0 * * * *',
      nextResyncAt: at(0.01),
      nextDueAt: at(1),
      retryAt: null,
    },
    queue: { running: false, pending: false, backingOff: false },
    running: null,
    lastPass: {
      reconcileId: 'r-2',
      reasons: ['file-change'],
      attempt: 1,
      startedAt: at(-0.001),
      finishedAt: at(0),
      durationMs: 1234,
      result: 'partial',
      failures: 1,
      summary: {
        plan: { create: 2, update: 1, replace: 0, delete: 0, adopt: 0 },
        applied: { created: 1, updated: 1, replaced: 0, deleted: 0, adopted: 0, skipped: 0, failed: 1 },
      },
      error: 'delivering the secret of ApiKey/key-2 failed',
    },
    lastSuccessAt: at(-1),
    passes: [],
    plan: null,
    nextRotations: [],
    inventory: { observedAt: NOW.toISOString(), objects, keys },
    errors: [],
  };
}

export function withPasses(doc: StatusDocument): StatusDocument {
  const passes = Array.from({ length: 20 }, (_, i) => ({
    ...doc.lastPass!,
    reconcileId: `r-${20 - i}`,
    reasons: i % 2 ? ['resync'] : ['file-change'],
    result: i === 0 ? 'partial' : 'converged',
  }));
  return { ...doc, passes };
}

export function largeStatus(n: number): StatusDocument {
  const doc = smallStatus();
  const keys = Array.from({ length: n }, (_, i) => keyRow(i));
  return { ...doc, inventory: { observedAt: NOW.toISOString(), objects: doc.inventory!.objects, keys } };
}
