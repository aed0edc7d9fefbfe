/**
 * Chaos scenario of issue #13 (docs/concepts.md, "The invariants"): against the sandbox (real
 * client over loopback HTTP, file sink), three applications with short-lived keys (10m lifetime,
 * rotated 5m before expiry, 1m overlap), and, at random (seeded) instants, ownership conflicts
 * (an application's marker removed by hand, later put back) and broken commits (a YAML syntax
 * error, later fixed), while the keys keep coming due. Passes run every simulated minute, as the
 * daemon's rotation check would, carrying the last valid desired state like the daemon does.
 *
 * After every pass: zero declared keys past expiry (I1) with exactly one current key (I3), and
 * zero keys deleted inside their overlap (I2): a key seen `ready` never disappears before being
 * seen `retiring`, and a retiring key lives at least the overlap after it was first seen so.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/model/desired.js';
import { reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { createRng } from '../../src/sandbox/prng.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { applicationsWithKeys, remarkApplication, unmarkApplication } from '../fixtures/two-applications.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';
import { sandboxDeps } from '../reconciler/sandbox-deps.js';

const MIN = 60_000;
const OVERLAP = MIN;
const SUFFIXES = ['a', 'b', 'c'];
const PASSES = 60;
const SEED = 1313;

describe('chaos: keys never lapse and never die early (conflicts, broken commits)', {
  timeout: 120_000,
}, () => {
  const clock = new FakeClock({ start: '2027-03-01T09:00:00.000Z' });
  let sandbox: SandboxHandle;
  let tmp: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ env: {}, seed: false, randomSeed: SEED, clock: clock.now });
    tmp = await mkdtemp(join(tmpdir(), 'scw-gitops-chaos-13-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it(`${PASSES} passes with random conflicts and broken commits: zero violations`, async () => {
    const rng = createRng(SEED);
    const dir = join(tmp, 'desired');
    await mkdir(dir);
    const valid = applicationsWithKeys(SUFFIXES);
    await writeFile(join(dir, 'keys.yaml'), valid);
    const { deps } = await sandboxDeps(sandbox, tmp, clock, {}, 'warn');
    const violations: string[] = [];
    const unmarked = new Set<string>();
    let broken = false;
    let lastValid: DesiredState | undefined;
    /** Access key → last seen state, and when it was first seen retiring. */
    const seen = new Map<string, { state: string; retiringSince?: number }>();
    const events = { conflicts: 0, brokenCommits: 0, rotations: 0, overlapDeletes: 0 };

    for (let i = 0; i < PASSES; i++) {
      // Chaos, after a first clean pass.
      if (i > 0) {
        const x = SUFFIXES[rng.int(SUFFIXES.length)]!;
        const r = rng.next();
        if (r < 0.25 && !unmarked.has(x)) {
          unmarkApplication(sandbox.store, `app-${x}`);
          unmarked.add(x);
          events.conflicts++;
        } else if (r < 0.4 && unmarked.has(x)) {
          remarkApplication(sandbox.store, `app-${x}`, 'default');
          unmarked.delete(x);
        } else if (r < 0.6) {
          broken = !broken;
          if (broken) events.brokenCommits++;
          await writeFile(join(dir, 'keys.yaml'), broken ? `${valid}---\nkind: [unclosed\n` : valid);
        }
      }
      const result = await reconcileOnce(deps, { dir, dryRun: false, ...(lastValid ? { lastValid } : {}) });
      if (result.desired) lastValid = result.desired;
      for (const o of result.summary?.outcomes ?? []) {
        if (o.result === 'failed') violations.push(`pass ${i}: ${o.address} failed: ${o.error}`);
      }
      const now = clock.ms;

      // I1 and I3: every declared key has one current key, and nothing of ours is past expiry.
      const live = new Set<string>();
      for (const x of SUFFIXES) {
        const keys = ownedKeys(sandbox, `key-${x}`);
        const current = keys.filter((k) => k.state === 'ready');
        if (current.length !== 1) violations.push(`pass ${i}: key-${x} has ${current.length} current keys`);
        for (const k of keys) {
          live.add(k.accessKey);
          if (k.expiresAt !== null && Date.parse(k.expiresAt) <= now)
            violations.push(`pass ${i}: ${k.accessKey} (key-${x}, ${k.state}) is past its expiry`);
          const before = seen.get(k.accessKey);
          if (k.state === 'retiring' && before?.state !== 'retiring') events.rotations++;
          seen.set(k.accessKey, {
            state: k.state,
            ...(k.state === 'retiring' ? { retiringSince: before?.retiringSince ?? now } : {}),
          });
        }
      }
      // I2: what disappeared was retiring for at least the overlap.
      for (const [accessKey, s] of seen) {
        if (live.has(accessKey)) continue;
        if (s.state !== 'retiring') violations.push(`pass ${i}: ${accessKey} deleted while ${s.state}`);
        else if (now - s.retiringSince! < OVERLAP)
          violations.push(`pass ${i}: ${accessKey} deleted ${now - s.retiringSince!} ms into its overlap`);
        else events.overlapDeletes++;
        seen.delete(accessKey);
      }
      clock.advance(MIN);
    }

    expect(violations).toEqual([]);
    // The chaos happened, and so did the rotations it must not stop.
    expect(events.conflicts).toBeGreaterThan(2);
    expect(events.brokenCommits).toBeGreaterThan(2);
    expect(events.rotations).toBeGreaterThan(PASSES / 5);
    expect(events.overlapDeletes).toBeGreaterThan(PASSES / 5);
  });
});
