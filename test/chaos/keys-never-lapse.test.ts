/**
 * Chaos scenario of issue #13 (docs/concepts.md, "The invariants"): against the sandbox (real
 * client over loopback HTTP, two file sinks), three applications with short-lived keys (10m
 * lifetime, rotated 5m before expiry, 1m overlap), and, at random (seeded) instants, ownership
 * conflicts (an application's marker removed by hand, later put back), broken commits (a YAML
 * syntax error, later fixed) and secret moves (a key's `spec.sink.path` changed, or its
 * `spec.sink.name` to the other sink: docs/design/secret-moves.md), while the keys keep coming
 * due. Passes run every simulated minute, as the daemon's rotation check would, carrying the last
 * valid desired state like the daemon does.
 *
 * After every pass:
 * - I1 and I3: zero declared keys past expiry, exactly one current key each;
 * - I2: zero keys deleted inside their overlap: a key seen `ready` never disappears before being
 *   seen `retiring`, and a retiring key lives at least the overlap after it was first seen so;
 * - custody: each current key's record (access key and the secret issued for it) is at some place
 *   of the sinks, and at its declared place once nothing blocks it;
 * - consumers of every place ever declared: a place that holds a record holds a live key with the
 *   secret issued for it (the old place of a move keeps working until its key is deleted, and a
 *   record whose key is deleted is gone in the same pass), and a record disappears only with its
 *   key (never while the key it held is alive).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/model/desired.js';
import { reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { createRng } from '../../src/sandbox/prng.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import { remarkApplication, unmarkApplication } from '../fixtures/two-applications.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';
import { sandboxDeps } from '../reconciler/sandbox-deps.js';

const MIN = 60_000;
const OVERLAP = MIN;
const SUFFIXES = ['a', 'b', 'c'];
const SINKS = ['local', 'other'];
const PASSES = 60;
const SEED = 1313;

/** Where a key's record is declared: a sink of the scenario and a file in it. */
interface Place {
  readonly sink: string;
  readonly path: string;
}
const placeId = (p: Place) => `${p.sink}:${p.path}`;

/** `app-<x>` with `key-<x>` for each suffix, each key delivered to its declared place. */
function desiredYaml(places: ReadonlyMap<string, Place>): string {
  const apps = SUFFIXES.map(
    (x) => `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: app-${x}
spec:
  description: application app-${x}
`,
  );
  const keys = SUFFIXES.map(
    (x) => `---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: key-${x}
spec:
  application: app-${x}
  lifetime: 10m
  rotation:
    rotateBefore: 5m
    overlap: 1m
  sink:
    name: ${places.get(x)!.sink}
    path: ${places.get(x)!.path}
`,
  );
  return [...apps, ...keys].join('');
}

describe('chaos: keys never lapse and never die early (conflicts, broken commits, secret moves)', {
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

  it(`${PASSES} passes with random conflicts, broken commits and secret moves: zero violations`, async () => {
    const rng = createRng(SEED);
    const dir = join(tmp, 'desired');
    await mkdir(dir);
    /** Declared places, per suffix, in git (the last commit, broken or not). */
    const places = new Map(SUFFIXES.map((x) => [x, { sink: 'local', path: `key-${x}/0.env` }]));
    /** Every place ever declared: what consumers may read. */
    const declared = new Map<string, Place>([...places.values()].map((p) => [placeId(p), p]));
    let valid = desiredYaml(places);
    await writeFile(join(dir, 'keys.yaml'), valid);
    const { deps } = await sandboxDeps(
      sandbox,
      tmp,
      clock,
      {
        sinks: SINKS.map((name) => ({
          name,
          type: 'file',
          dir: join(tmp, `secrets-${name}`),
          format: 'dotenv',
        })),
      },
      'warn',
    );
    const sink = (name: string) => deps.sinks.get(name) as SecretSink;
    const violations: string[] = [];
    const unmarked = new Set<string>();
    let broken = false;
    let lastValid: DesiredState | undefined;
    /** Access key → last seen state, and when it was first seen retiring. */
    const seen = new Map<string, { state: string; retiringSince?: number }>();
    /** Place → the access key its record held after the previous pass. */
    const records = new Map<string, string>();
    const events = {
      conflicts: 0,
      brokenCommits: 0,
      moves: 0,
      sinkChanges: 0,
      rotations: 0,
      overlapDeletes: 0,
    };
    const removedRecords = new Set<string>();

    for (let i = 0; i < PASSES; i++) {
      // Chaos, after a first clean pass.
      if (i > 0) {
        const x = SUFFIXES[rng.int(SUFFIXES.length)]!;
        const r = rng.next();
        if (r < 0.2 && !unmarked.has(x)) {
          unmarkApplication(sandbox.store, `app-${x}`);
          unmarked.add(x);
          events.conflicts++;
        } else if (r < 0.3 && unmarked.has(x)) {
          remarkApplication(sandbox.store, `app-${x}`, 'default');
          unmarked.delete(x);
        } else if (r < 0.45) {
          broken = !broken;
          if (broken) events.brokenCommits++;
        } else if (r < 0.65) {
          // A secret move: a new path, in the same sink or the other one.
          const from = places.get(x)!;
          const to = { sink: SINKS[rng.int(SINKS.length)]!, path: `key-${x}/${i}.env` };
          if (to.sink !== from.sink) events.sinkChanges++;
          places.set(x, to);
          declared.set(placeId(to), to);
          valid = desiredYaml(places);
          events.moves++;
        }
        await writeFile(join(dir, 'keys.yaml'), broken ? `${valid}---\nkind: [unclosed\n` : valid);
      }
      const result = await reconcileOnce(deps, { dir, dryRun: false, ...(lastValid ? { lastValid } : {}) });
      if (result.desired) lastValid = result.desired;
      for (const o of result.summary?.outcomes ?? []) {
        if (o.result === 'failed') violations.push(`pass ${i}: ${o.address} failed: ${o.error}`);
      }
      const now = clock.ms;

      // I1 and I3: every declared key has one current key, and nothing of ours is past expiry.
      const live = new Set<string>();
      const current = new Map<string, string>();
      for (const x of SUFFIXES) {
        const keys = ownedKeys(sandbox, `key-${x}`);
        const ready = keys.filter((k) => k.state === 'ready');
        if (ready.length !== 1) violations.push(`pass ${i}: key-${x} has ${ready.length} current keys`);
        else current.set(x, ready[0]!.accessKey);
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

      // Consumers: every place ever declared holds a live key with its issued secret, or nothing;
      // a record goes only with its key.
      const held = new Map<string, string>();
      for (const [id, p] of declared) {
        const stored = await sink(p.sink).read({ sink: p.sink, path: p.path });
        const before = records.get(id);
        if (!stored) {
          if (before !== undefined) {
            if (live.has(before)) violations.push(`pass ${i}: ${id} lost the record of live ${before}`);
            else removedRecords.add(id);
            records.delete(id);
          }
          continue;
        }
        const issued = sandbox.store.apiKeys.get(stored.accessKey)?.secret_key;
        const secretIssued = issued !== undefined && stored.secretKey?.equals(issued) === true;
        stored.secretKey?.release();
        if (!live.has(stored.accessKey))
          violations.push(`pass ${i}: ${id} holds ${stored.accessKey}, a deleted key (or not ours)`);
        else if (!secretIssued)
          violations.push(`pass ${i}: ${id} holds ${stored.accessKey} without its secret`);
        if (
          before !== undefined &&
          before !== stored.accessKey &&
          live.has(before) &&
          seen.get(before)?.state === 'ready'
        )
          violations.push(`pass ${i}: ${id} overwrote ${before} while it was current`);
        records.set(id, stored.accessKey);
        held.set(stored.accessKey, id);
      }
      // Custody: each current key is held somewhere, and at its declared place once nothing blocks it.
      for (const [x, accessKey] of current) {
        if (!held.has(accessKey))
          violations.push(`pass ${i}: current key of key-${x} (${accessKey}) is in no sink`);
        const at = placeId(places.get(x)!);
        if (!broken && !unmarked.has(x) && records.get(at) !== accessKey)
          violations.push(`pass ${i}: key-${x}'s current key is not at its declared place ${at}`);
      }
      clock.advance(MIN);
    }

    expect(violations).toEqual([]);
    // The chaos happened, and so did the rotations it must not stop.
    expect(events.conflicts).toBeGreaterThan(2);
    expect(events.brokenCommits).toBeGreaterThan(2);
    expect(events.moves).toBeGreaterThan(4);
    expect(events.sinkChanges).toBeGreaterThan(1);
    expect(events.rotations).toBeGreaterThan(PASSES / 5);
    expect(events.overlapDeletes).toBeGreaterThan(PASSES / 5);
    // Old places were cleaned up after their overlap, not left holding dead keys.
    expect(removedRecords.size).toBeGreaterThan(2);
  });
});
