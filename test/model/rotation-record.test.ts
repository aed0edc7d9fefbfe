/** The `rotation` metadata of a secret record (src/model/rotation-record.ts): format and parse. */
import { describe, expect, it } from 'vitest';
import { formatRecordedRotation, parseRecordedRotation } from '../../src/model/rotation-record.js';

const H = 3_600_000;
const D = 24 * H;

describe('rotation record', () => {
  it('writes only what the key spec said, in the spec words, in a fixed order', () => {
    expect(formatRecordedRotation({ rotation: {} })).toBe('none');
    expect(formatRecordedRotation({ expiresAt: '2030-01-31T00:00:00Z', rotation: {} })).toBe(
      'expiresAt=fixed',
    );
    expect(
      formatRecordedRotation({ rotation: { overlapMs: H, rotateBeforeMs: 10 * D, lifetimeMs: 30 * D } }),
    ).toBe('lifetime=30d rotateBefore=10d overlap=1h');
    expect(formatRecordedRotation({ rotation: { maxAgeMs: 180 * D, overlapMs: 2 * H } })).toBe(
      'maxAge=180d overlap=2h',
    );
    expect(
      formatRecordedRotation({ expiresAt: '2030-01-31T00:00:00Z', rotation: { overlapMs: 36 * H } }),
    ).toBe('expiresAt=fixed overlap=1d12h');
  });

  it('reads back what it wrote', () => {
    for (const key of [
      { rotation: {} },
      { expiresAt: 'x', rotation: { overlapMs: 90_000 } },
      { rotation: { lifetimeMs: 14 * D, rotateBeforeMs: 5 * D, maxAgeMs: 7 * D, overlapMs: 30 * 60_000 } },
    ]) {
      const parsed = parseRecordedRotation(formatRecordedRotation(key));
      expect(parsed).toEqual({ fixedExpiry: key.expiresAt !== undefined, ...key.rotation });
    }
  });

  it('treats anything else as not recorded', () => {
    for (const text of [
      '',
      'lifetime=30',
      'lifetime=30d lifetime=30d',
      'expiresAt=2030-01-31',
      'expiresAt=fixed lifetime=30d',
      'ttl=30d',
      'none overlap=1h',
      `overlap=${'9'.repeat(300)}d`,
    ]) {
      expect(parseRecordedRotation(text), text).toBeUndefined();
    }
  });
});
