/**
 * A fast subset of `npm run bench` (bench/scenarios): a no-op reconcile of a small organization
 * created by scw-gitops, measured in a child process. Asserts the request-count targets (one list
 * request per 100 objects per kind, zero writes, one rules read per owned policy, and none of the
 * point reads that precede each write), never timing.
 */
import { describe, expect, it } from 'vitest';
import { measureNoop } from '../../bench/scenarios/noop-reconcile.js';

describe('bench smoke', { timeout: 120_000 }, () => {
  it('a no-op reconcile of a converged org lists each kind once per 100 objects and writes nothing', async () => {
    const size = { projects: 3, applications: 120, keys: 5, policies: 4, groups: 5 };
    const r = await measureNoop('smoke', size, 0);
    expect(r.passKind).toBe('no-changes');
    expect(r.writes).toBe(0);
    expect(r.pointReads).toBe(0); // exactly the listing requests: no GET by id, no lookup by name
    expect(r.byKind['applications']).toBe(2); // 122 applications (2 managed): two pages of 100
    for (const kind of ['projects', 'api_keys', 'policies', 'groups', 'permission_sets']) {
      expect(r.byKind[kind], kind).toBe(1);
    }
    expect(r.byKind['rules']).toBe(size.policies); // rules are read per owned policy
    expect(Object.keys(r.byKind).every((k) => !k.includes(' '))).toBe(true); // GETs only
    expect(r.items).toBe(137);
  });
});
