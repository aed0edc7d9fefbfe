/**
 * Issue #5, "done when" 2: against the sandbox (in-process, over HTTP, real client) with the CLI's
 * `reconcile` command and a file sink, a key with a 2-minute lifetime and a 1-minute rotateBefore
 * is created by a first reconcile, rotated by a second one a minute later (new key in the sink,
 * the old one alive and marked retiring), and the old key disappears after the overlap.
 *
 * No real minute passes: the CLI command gets an injected clock (CommandDeps.clock, used by the
 * planner, the executor and the sinks) and the sandbox the same clock (startSandbox `clock`, used
 * for timestamps and expiry), so both agree on time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { type CliHarness, startCliHarness } from './cli-harness.js';

const SEC = 1000;
const MIN = 60 * SEC;
const T0 = Date.parse('2027-03-01T09:00:00.000Z');

const DESIRED = `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: deployer
spec:
  description: short-lived deployer
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: short
spec:
  application: deployer
  description: rotated every minute
  lifetime: 2m
  rotation:
    rotateBefore: 1m
    overlap: 30s
`;

let h: CliHarness;
beforeEach(async () => {
  h = await startCliHarness(DESIRED, T0);
});
afterEach(async () => {
  await h.close();
});

async function runReconcile(): Promise<string> {
  const r = await h.reconcile();
  expect(r.code, `reconcile: ${r.out}\n${r.err}`).toBe(0);
  return r.out;
}

const keys = () =>
  h.keys('short').map((k) => ({
    accessKey: k.accessKey,
    state: k.state,
    expiresAt: k.expiresAt,
    expired: k.expiresAt !== null && Date.parse(k.expiresAt) <= h.now(),
  }));
const sinkFile = () => h.sinkFile('short');

describe('rotation against the sandbox, CLI reconcile, file sink, injected clock', () => {
  it('2m lifetime / 1m rotateBefore: created, rotated a minute later, old key deleted after the overlap', async () => {
    const t0 = h.now();
    // 1. First reconcile: the key is created with expires_at = now + 2m, secret in the file.
    expect(await runReconcile()).toContain('Apply complete! 2 created');
    const [a] = keys();
    expect(keys()).toHaveLength(1);
    expect(a!.state).toBe('ready');
    expect(Date.parse(a!.expiresAt!)).toBe(t0 + 2 * MIN);
    const s1 = await sinkFile();
    expect(s1.accessKey).toBe(a!.accessKey);
    expect(s1.secretMatches).toBe(true);

    // 30 s later: not due yet (rotation at expiry − 1m), nothing to do.
    h.setNow(t0 + 30 * SEC);
    const early = await h.reconcile('--dry-run');
    expect(early.code).toBe(0);
    expect(early.out).toContain('No changes');

    // 2. A minute (and a bit) later, a second reconcile rotates it.
    h.setNow(t0 + MIN + 1 * SEC);
    const rotated = await runReconcile();
    expect(rotated).toContain('ApiKey/short: replaced');
    const after = keys();
    expect(after).toHaveLength(2);
    const b = after.find((k) => k.accessKey !== a!.accessKey)!;
    expect(b.state).toBe('ready');
    expect(Date.parse(b.expiresAt!)).toBe(h.now() + 2 * MIN);
    expect(after.find((k) => k.accessKey === a!.accessKey)).toMatchObject({
      state: 'retiring',
      expired: false,
    });
    const s2 = await sinkFile();
    expect(s2.accessKey).toBe(b.accessKey);
    expect(s2.previous).toBe(a!.accessKey);
    expect(s2.secretMatches).toBe(true);
    const rotatedAt = h.now();

    // Inside the overlap (30 s): the old key survives; the plan says when it goes.
    h.setNow(rotatedAt + 29 * SEC);
    const inside = await h.plan('-o', 'json');
    expect(inside.code, inside.err).toBe(0);
    const insidePlan = JSON.parse(inside.out) as { steps: unknown[]; nextDueAt?: string };
    expect(insidePlan.steps).toEqual([]);
    expect(Date.parse(insidePlan.nextDueAt!)).toBeGreaterThanOrEqual(rotatedAt + 30 * SEC);
    expect(Date.parse(insidePlan.nextDueAt!)).toBeLessThan(rotatedAt + 31 * SEC);
    expect(await runReconcile()).not.toContain('deleted');
    expect(keys().map((k) => k.accessKey)).toContain(a!.accessKey);

    // 3. After the overlap: the old key is deleted (before it would have expired), the new one stays.
    h.setNow(rotatedAt + 31 * SEC);
    const cleanup = await runReconcile();
    expect(cleanup).toContain('ApiKey/short: deleted');
    expect(h.now()).toBeLessThan(Date.parse(a!.expiresAt!));
    expect(keys().map((k) => [k.accessKey, k.state])).toEqual([[b.accessKey, 'ready']]);
    expect((await sinkFile()).accessKey).toBe(b.accessKey);

    // And the cycle goes on: the new key rotates a minute after its creation.
    h.setNow(rotatedAt + MIN + 1 * SEC);
    expect(await runReconcile()).toContain('ApiKey/short: replaced');
    expect(keys()).toHaveLength(2);

    assertNoSecrets(h.logs.lines);
    assertNoSecrets(h.outputs);
  });
});
