import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/model/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['90d', 90 * D],
    ['12h', 12 * H],
    ['30m', 30 * M],
    ['45s', 45 * S],
    ['1w', 7 * D],
    ['1d12h', D + 12 * H],
    ['2w3d4h5m6s', 17 * D + 4 * H + 5 * M + 6 * S],
    ['0s', 0],
    ['007h', 7 * H],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '1',
    'h',
    '1.5h',
    '-1h',
    '1h1d',
    '1d1d',
    '1 h',
    ' 1h',
    '1H',
    '1y',
    '1ms',
    'P1D',
    '99999999999999999w',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [90 * D, '90d'],
    [D + 12 * H, '1d12h'],
    [7 * D, '7d'],
    [45 * S, '45s'],
    [H + 500, '1h500ms'],
    [-2 * H, '-2h'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips whole seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 24 * 3600 }), (secs) => {
        expect(parseDuration(formatDuration(secs * S))).toBe(secs * S);
      }),
    );
  });
});
