import { describe, expect, it } from 'vitest';
import {
  accessKey,
  formatMicros,
  MicroClock,
  parseExpiry,
  parseMicros,
  uuidV4,
} from '../../src/sandbox/ids.js';
import { createRng } from '../../src/sandbox/prng.js';
import { ACCESS_KEY, TS_US, UUID_V4 } from './helpers.js';

describe('sandbox ids and timestamps', () => {
  it('generates lowercase UUID v4 and Crockford access keys', () => {
    const rng = createRng(1);
    for (let i = 0; i < 500; i++) {
      expect(uuidV4(rng)).toMatch(UUID_V4);
      const ak = accessKey(rng);
      expect(ak).toMatch(ACCESS_KEY);
      expect(ak).not.toMatch(/^SCW.*[ILOU]/);
    }
  });

  it('is deterministic for a seed', () => {
    expect(uuidV4(createRng(5))).toBe(uuidV4(createRng(5)));
    expect(uuidV4(createRng(5))).not.toBe(uuidV4(createRng(6)));
  });

  it('formats µs timestamps with exactly 6 digits and Z, keeping trailing zeros', () => {
    expect(formatMicros(Date.UTC(2019, 8, 30, 7, 52, 49, 358) * 1000 + 300)).toBe(
      '2019-09-30T07:52:49.358300Z',
    );
    expect(formatMicros(Date.UTC(2020, 0, 1) * 1000)).toBe('2020-01-01T00:00:00.000000Z');
    expect(parseMicros('2019-09-30T07:52:49.358300Z')).toBe(
      Date.UTC(2019, 8, 30, 7, 52, 49, 358) * 1000 + 300,
    );
  });

  it('echoes expires_at in UTC with the caller precision, truncated to µs (docs/design/scaleway-api.md §2)', () => {
    expect(parseExpiry('2035-07-06T11:00:00+02:00')?.text).toBe('2035-07-06T09:00:00Z');
    expect(parseExpiry('2023-04-21T11:49:57.648653377+02:00')?.text).toBe('2023-04-21T09:49:57.648653Z');
    expect(parseExpiry('2026-01-02T03:04:40.879Z')?.text).toBe('2026-01-02T03:04:40.879Z');
    expect(parseExpiry('2026-01-02T03:04:40.123456Z')?.text).toBe('2026-01-02T03:04:40.123456Z');
    expect(parseExpiry('2026-01-02T00:30:00-01:30')?.text).toBe('2026-01-02T02:00:00Z');
    expect(parseExpiry('2023-04-21T11:49:57.648653377+02:00')?.micros).toBe(
      Date.UTC(2023, 3, 21, 9, 49, 57, 648) * 1000 + 653,
    );
    expect(parseExpiry('tomorrow')).toBeUndefined();
    expect(parseExpiry('2026-13-01T00:00:00Z')).toBeUndefined();
  });

  it('MicroClock is strictly increasing even with a frozen clock', () => {
    const frozen = new Date('2026-06-01T00:00:00Z');
    const clock = new MicroClock(() => frozen, createRng(3));
    let prev = '';
    for (let i = 0; i < 2000; i++) {
      const ts = clock.timestamp();
      expect(ts).toMatch(TS_US);
      expect(ts > prev).toBe(true);
      prev = ts;
    }
  });
});
