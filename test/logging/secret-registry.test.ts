/**
 * The scrub registry of model/secret.ts: a released secret leaves the live set for a bounded
 * recent set, so the registry (and the cost of scrubbing a log line) stays bounded however many
 * keys a daemon rotates.
 */
import { describe, expect, it } from 'vitest';
import {
  knownSecretValues,
  RECENT_CAPACITY,
  Secret,
  scrubSecrets,
  secretRegistrySize,
} from '../../src/model/secret.js';
import { scrubSecrets as loggerScrub } from '../../src/logging/redact.js';

const uuid = (i: number) => `0000${i.toString(16)}`.slice(-8).padEnd(8, '0') + '-1111-4222-8333-444455556666';

describe('secret scrub registry', () => {
  it('scrubs a live value in every encoded form, through the logger too (one scrubber)', () => {
    const s = new Secret('live-value-for-scrubbing');
    const buf = Buffer.from('live-value-for-scrubbing');
    for (const form of [
      'live-value-for-scrubbing',
      buf.toString('base64'),
      buf.toString('base64').replace(/=+$/, ''),
      buf.toString('base64url'),
      buf.toString('hex'),
    ]) {
      expect(scrubSecrets(`a ${form} b`)).toBe('a [redacted] b');
    }
    expect(loggerScrub).toBe(scrubSecrets);
    s.release();
  });

  it('release() drops the plaintext: no reveal, the value moves to the recent set', () => {
    const before = secretRegistrySize();
    const s = new Secret('one-time-secret-value-1');
    expect(secretRegistrySize().live).toBe(before.live + 1);
    expect(s.reveal()).toBe('one-time-secret-value-1');
    s.release();
    s.release(); // idempotent
    expect(s.released).toBe(true);
    expect(() => s.reveal()).toThrow(/after release/);
    expect(String(s)).toBe('[redacted]');
    expect(secretRegistrySize().live).toBe(before.live);
    // still scrubbed for a while (a late log line)
    expect(scrubSecrets('x one-time-secret-value-1 y')).toBe('x [redacted] y');
    expect(knownSecretValues()).toContain('one-time-secret-value-1');
  });

  it('keeps a value live while another Secret still holds it', () => {
    const a = new Secret('shared-secret-value-22');
    const b = new Secret('shared-secret-value-22');
    const live = secretRegistrySize().live;
    a.release();
    expect(secretRegistrySize().live).toBe(live);
    expect(b.reveal()).toBe('shared-secret-value-22');
    b.release();
    expect(secretRegistrySize().live).toBe(live - 1);
  });

  it('stays bounded over thousands of deliveries, and forgets the oldest values', () => {
    const first = new Secret(uuid(0));
    first.release();
    const live = secretRegistrySize().live;
    for (let i = 1; i <= 5000; i++) new Secret(uuid(i)).release();
    expect(secretRegistrySize()).toEqual({ live, recent: RECENT_CAPACITY });
    expect(knownSecretValues()).not.toContain(uuid(0));
    expect(scrubSecrets(uuid(0))).toBe(uuid(0));
    expect(scrubSecrets(uuid(5000))).toBe('[redacted]');
  });

  it('does not scrub very short values (accidental matches)', () => {
    const s = new Secret('abc');
    expect(scrubSecrets('abcabc')).toBe('abcabc');
    s.release();
  });
});
