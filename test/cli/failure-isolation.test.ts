/**
 * Issue #13, done when (a), through the CLI against the sandbox: a conflict on application A (its
 * marker tag removed by hand, as a console edit would) while the keys of A and B come due. B's key
 * is rotated, A's key is kept alive on its live application, A is reported with its file:line in
 * text, JSON and Markdown; `plan` and `reconcile --dry-run` exit 1 (CI fails), `reconcile` applies
 * every unblocked step and exits 1. Nothing is written to A.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePlanJson } from '../../src/render/json.js';
import { isMarked, TWO_APPLICATIONS, unmarkApplication } from '../fixtures/two-applications.js';
import { type CliHarness, startCliHarness } from '../rotation/cli-harness.js';

const MIN = 60_000;
const T0 = Date.parse('2027-03-01T09:00:00.000Z');

let h: CliHarness;
beforeEach(async () => {
  h = await startCliHarness(TWO_APPLICATIONS, T0);
});
afterEach(async () => {
  await h.close();
});

describe('a conflict on one application does not stop the rotation of another (done when a)', () => {
  it('plan and reconcile --dry-run exit 1 and list A as blocked; reconcile rotates both keys, exits 1, never writes A', async () => {
    const first = await h.reconcile();
    expect(first.code, first.err).toBe(0);
    const [a0] = h.keys('key-a');
    const [b0] = h.keys('key-b');
    const appA = unmarkApplication(h.sandbox.store, 'app-a');

    h.setNow(T0 + 6 * MIN); // both keys are past their rotateAt (expiry − 5m), not expired
    const plan = await h.plan();
    expect(plan.code).toBe(1);
    expect(plan.out).toMatch(
      /error \[conflict\] Application\/app-a: a live application named "app-a" already exists/,
    );
    expect(plan.out).toContain('Blocked (2): not changed until the errors are fixed');
    expect(plan.out).toMatch(/desired\/keys\.yaml:\d+:\d+: Application\/app-a: \[conflict\]/);
    expect(plan.out).toMatch(
      /desired\/keys\.yaml:\d+:\d+: ApiKey\/key-a: depends on Application\/app-a, which is blocked \(conflict\); kept alive/,
    );
    expect(plan.out).toContain('# ApiKey/key-b will be replaced (rotation-due)');
    expect(plan.out).toContain('# ApiKey/key-a will be replaced (rotation-due)');
    expect(plan.err).toContain('scw-gitops plan: 2 objects blocked by 1 error; nothing was changed');

    const dry = await h.reconcile('--dry-run');
    expect(dry.code).toBe(1);
    expect(dry.out).toContain('Blocked (2)');

    const json = await h.plan('--output', 'json');
    expect(json.code).toBe(1);
    const saved = parsePlanJson(json.out, 'stdout');
    expect(saved.blocked.map((b) => [b.address, b.code, b.location?.file])).toEqual([
      ['Application/app-a', 'conflict', 'keys.yaml'],
      ['ApiKey/key-a', 'conflict', 'keys.yaml'],
    ]);
    expect(json.err).toMatch(/error \[conflict\] Application\/app-a/);

    const md = await h.plan('--output', 'markdown');
    expect(md.code).toBe(1);
    expect(md.out).toContain('<details open><summary>Blocked (2)</summary>');
    expect(md.out).toMatch(/\| `Application\/app-a` \| conflict: .* \| `desired\/keys\.yaml:\d+:\d+` +\|/);

    // Nothing was written by the plans.
    expect(h.keys('key-a').map((k) => k.accessKey)).toEqual([a0!.accessKey]);
    const before = h.sandbox.requests().length;
    const rec = await h.reconcile();
    expect(rec.code).toBe(1);
    expect(rec.err).toContain('2 objects blocked by 1 error; every other step was applied');
    expect(rec.out).toContain('Blocked (2)');

    // B rotated: a new ready key in the sink, the old one retiring in its overlap.
    const b = h.keys('key-b');
    expect(b.map((k) => k.state)).toEqual(['retiring', 'ready']);
    expect(b[0]!.accessKey).toBe(b0!.accessKey);
    expect((await h.sinkFile('key-b')).accessKey).toBe(b[1]!.accessKey);
    expect((await h.sinkFile('key-b')).secretMatches).toBe(true);
    // A's key kept alive on the live application A, which itself was not touched.
    const a = h.keys('key-a');
    expect(a.map((k) => [k.state, k.applicationId])).toEqual([
      ['retiring', appA],
      ['ready', appA],
    ]);
    expect((await h.sinkFile('key-a')).accessKey).toBe(a[1]!.accessKey);
    const writes = h.sandbox
      .requests()
      .slice(before)
      .filter((r) => r.method !== 'GET')
      .map((r) => `${r.method} ${r.path}`);
    expect(writes.some((w) => w.includes(`/applications/${appA}`))).toBe(false);
    expect(isMarked(h.sandbox.store, appA)).toBe(false);

    // After the overlap both previous keys go, A still blocked.
    h.setNow(T0 + 8 * MIN);
    const later = await h.reconcile();
    expect(later.code).toBe(1);
    expect(h.keys('key-a').map((k) => k.state)).toEqual(['ready']);
    expect(h.keys('key-b').map((k) => k.state)).toEqual(['ready']);
  });
});
