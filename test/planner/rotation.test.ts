import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deliveredAtMs,
  effectiveRotation,
  rotateAtMs,
  rotationState,
  secondsToExpiry,
} from '../../src/planner/rotation.js';

const DAY = 86_400_000;
const t = (iso: string) => Date.parse(iso);

describe('effectiveRotation', () => {
  it('spec wins field by field over the settings; absolute expiry disables lifetime', () => {
    const defaults = { lifetimeMs: 90 * DAY, rotateBeforeMs: 30 * DAY, overlapMs: 3_600_000 };
    expect(effectiveRotation({ overlapMs: 60_000 }, defaults, false)).toEqual({
      lifetimeMs: 90 * DAY,
      rotateBeforeMs: 30 * DAY,
      overlapMs: 60_000,
    });
    expect(effectiveRotation({}, defaults, true)).toEqual({ rotateBeforeMs: 30 * DAY, overlapMs: 3_600_000 });
  });
});

describe('rotateAtMs', () => {
  it('expiry - rotateBefore; default a third of the lifetime', () => {
    const key = { createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-31T00:00:00Z' };
    expect(rotateAtMs(key, { lifetimeMs: 30 * DAY, rotateBeforeMs: 5 * DAY, overlapMs: 0 })).toBe(
      t('2026-01-26T00:00:00Z'),
    );
    expect(rotateAtMs(key, { lifetimeMs: 30 * DAY, overlapMs: 0 })).toBe(t('2026-01-21T00:00:00Z'));
    // no configured lifetime: a third of the key's own lifetime
    expect(rotateAtMs(key, { overlapMs: 0 })).toBe(t('2026-01-21T00:00:00Z'));
  });
  it('a rotateBefore not shorter than the lifetime falls back to a third of it (never due at birth)', () => {
    const key = { createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-04T00:00:00Z' };
    expect(rotateAtMs(key, { rotateBeforeMs: 10 * DAY, overlapMs: 0 })).toBe(t('2026-01-03T00:00:00Z'));
    expect(rotateAtMs(key, { rotateBeforeMs: 3 * DAY, overlapMs: 0 })).toBe(t('2026-01-03T00:00:00Z'));
    expect(rotateAtMs(key, { rotateBeforeMs: 2 * DAY, overlapMs: 0 })).toBe(t('2026-01-02T00:00:00Z'));
  });
  it('maxAge for keys without expiry, else never', () => {
    const key = { createdAt: '2026-01-01T00:00:00Z', expiresAt: null };
    expect(rotateAtMs(key, { maxAgeMs: 10 * DAY, overlapMs: 0 })).toBe(t('2026-01-11T00:00:00Z'));
    expect(rotateAtMs(key, { overlapMs: 0 })).toBeUndefined();
  });
  it('property: rotation is due strictly before expiry for any lifetime > 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 400 * DAY }), (lifetime) => {
        const created = t('2026-01-01T00:00:00Z');
        const key = {
          createdAt: new Date(created).toISOString(),
          expiresAt: new Date(created + lifetime).toISOString(),
        };
        const at = rotateAtMs(key, { lifetimeMs: lifetime, overlapMs: 0 })!;
        return at >= created && at < created + lifetime;
      }),
    );
  });
});

describe('rotationState', () => {
  const key = { createdAt: '2026-01-01T00:00:00Z', expiresAt: '2026-01-31T00:00:00Z' };
  const rot = { lifetimeMs: 30 * DAY, rotateBeforeMs: 10 * DAY, overlapMs: 0 };
  it('ok → rotation-due → expired', () => {
    expect(rotationState(key, rot, t('2026-01-20T23:59:59Z')).status).toBe('ok');
    expect(rotationState(key, rot, t('2026-01-21T00:00:00Z')).status).toBe('rotation-due');
    expect(rotationState(key, rot, t('2026-01-31T00:00:00Z')).status).toBe('expired');
  });
  it('secondsToExpiry', () => {
    expect(secondsToExpiry(key, t('2026-01-30T23:59:00Z'))).toBe(60);
    expect(secondsToExpiry({ expiresAt: null }, 0)).toBeNull();
  });
});

describe('deliveredAtMs', () => {
  it('later of updatedAt and the sink delivery time', () => {
    expect(deliveredAtMs({ updatedAt: '2026-01-01T00:00:00Z' })).toBe(t('2026-01-01T00:00:00Z'));
    expect(deliveredAtMs({ updatedAt: '2026-01-01T00:00:00Z' }, '2026-01-01T01:00:00Z')).toBe(
      t('2026-01-01T01:00:00Z'),
    );
    expect(deliveredAtMs({ updatedAt: '2026-01-01T02:00:00Z' }, '2026-01-01T01:00:00Z')).toBe(
      t('2026-01-01T02:00:00Z'),
    );
  });
});
