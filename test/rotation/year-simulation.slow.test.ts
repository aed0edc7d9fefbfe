/**
 * Issue #5, "done when" 1: a year of simulated time, driven by an injected clock, through the
 * real reconcile pipeline (loadDesiredState → observeLive → observeSinks → buildPlan →
 * executePlan, see pass.ts) against the in-memory organization and sink. Four keys with different policies; a pass every
 * six simulated hours; crashes injected at every step of a rotation along the way.
 *
 * After every pass the invariants of the issue are checked:
 * - no owned key is ever expired, and the key the sink holds is always alive (checked at the
 *   start of each pass too, i.e. at the end of every interval without a pass);
 * - rotations happen once due (expiry − rotateBefore, or creation + maxAge) and before expiry;
 * - a key whose secret reached the sink is deleted only once `overlap` has elapsed since the sink
 *   stopped holding it, and promptly after that;
 * - one current (ready) key per name, held by the sink with its exact secret; other keys of the
 *   name only inside the current key's overlap; never two new keys of a name in one pass;
 * - a clean pass converges (planning again finds nothing) and nothing is due before the plan's
 *   `nextDueAt` (the daemon may sleep until then);
 * - no secret in any log line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { FileSinkSettings, Settings, SinkSettings } from '../../src/config/settings.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import type { ApiKey } from '../../src/model/live.js';
import { pass, type PassResult } from './pass.js';
import { unreachableVaultSink } from '../helpers/builders.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { CRASH_MODES, type CrashMode, World } from './world.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const START = Date.parse('2027-01-01T00:00:00.000Z');
/** Daemon-like cadence of reconcile passes. */
const CADENCE = 6 * HOUR;
/** A crashed process is back (restart) this long after the crash. */
const RESTART = 1 * MIN;
/** The settings' default overlap (a key without its own `rotation.overlap` gets this). */
const DEFAULT_OVERLAP = 2 * HOUR;

interface KeyPolicy {
  readonly name: string;
  readonly yaml: string;
  readonly lifetimeMs?: number;
  readonly rotateBeforeMs?: number;
  readonly maxAgeMs?: number;
  readonly overlapMs: number;
}

const POLICIES: readonly KeyPolicy[] = [
  {
    name: 'monthly',
    yaml: 'lifetime: 30d',
    lifetimeMs: 30 * DAY,
    rotateBeforeMs: 10 * DAY, // default: a third of the lifetime
    overlapMs: DEFAULT_OVERLAP,
  },
  {
    name: 'weekly',
    yaml: 'lifetime: 7d\n  rotation:\n    rotateBefore: 2d\n    overlap: 1d',
    lifetimeMs: 7 * DAY,
    rotateBeforeMs: 2 * DAY,
    overlapMs: DAY,
  },
  {
    name: 'ageing',
    yaml: 'rotation:\n    maxAge: 90d',
    maxAgeMs: 90 * DAY,
    overlapMs: DEFAULT_OVERLAP,
  },
  {
    name: 'quarterly',
    yaml: 'lifetime: 90d\n  rotation:\n    overlap: 3d',
    lifetimeMs: 90 * DAY,
    rotateBeforeMs: 30 * DAY,
    overlapMs: 3 * DAY,
  },
];
const POLICY = new Map(POLICIES.map((p) => [p.name, p]));

function desiredYaml(): string {
  const docs = [
    `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: sim-runner
spec:
  description: simulated consumer`,
    ...POLICIES.map(
      (p) => `apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: ${p.name}
spec:
  application: sim-runner
  description: ${p.name} key
  ${p.yaml}`,
    ),
  ];
  return `---\n${docs.join('\n---\n')}\n`;
}

/** When the issue says this key must be rotated (computed here, not with the planner's code). */
function expectedRotateAt(p: KeyPolicy, k: ApiKey): number {
  const created = Date.parse(k.createdAt);
  if (k.expiresAt !== null) return Date.parse(k.expiresAt) - p.rotateBeforeMs!;
  return created + p.maxAgeMs!;
}

const iso = (t: number) => new Date(t).toISOString();

describe('a year of rotations with an injected clock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-year-'));
    await writeFile(join(dir, 'keys.yaml'), desiredYaml());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['memory', 365],
    ['file', 120],
  ] as const)(
    '%s sink, %i days: rotates every key before expiry, honours every overlap, and resumes after a crash at any step',
    {
      timeout: 240_000,
    },
    async (kind, days) => {
      const world = new World(START);
      const cap = createLogCapture({ level: 'debug' });
      const fileSettings: FileSinkSettings = {
        name: 'local',
        type: 'file',
        dir: join(dir, `secrets-${kind}`),
        format: 'dotenv',
      };
      const vaultLike: SinkSettings = unreachableVaultSink();
      const sinkSettings = kind === 'file' ? fileSettings : vaultLike;
      const settings: Settings = {
        ...defaultSettings(),
        sinks: [sinkSettings],
        defaults: { sink: sinkSettings.name, rotation: { overlapMs: DEFAULT_OVERLAP } },
        prune: { Project: false, Application: false, Group: false, Policy: false, ApiKey: true },
      };
      const sink: SecretSink =
        kind === 'file' ? world.guardSink(createFileSink(fileSettings, { logger: cap.logger })) : world.sink;
      const sinks = new Map([[sinkSettings.name, sink]]);
      const location = (name: string) =>
        kind === 'file' ? { sink: 'local', path: `${name}.env` } : { sink: 'fake', path: name };
      const heldNow = (name: string) => sink.read(location(name));

      /** Per name: the access key the sink holds and since when. */
      const held = new Map<string, { accessKey: string; since: number }>();
      /** When the sink stopped holding a key (consumers were told to move on). */
      const released = new Map<string, number>();
      /** Last known state of every owned key, to notice deletions. */
      let known = new Map<string, ApiKey & { state: string; name: string }>();
      const rotations = new Map<string, number>(POLICIES.map((p) => [p.name, 0]));
      const crashCounts = new Map<CrashMode, number>();
      let cleanChangesSinceCrash = 0;
      let nextMode = 0;
      let passes = 0;

      const ownedNow = () => {
        const m = new Map<string, ApiKey & { state: string; name: string }>();
        for (const p of POLICIES)
          for (const k of world.keysOf(p.name)) m.set(k.accessKey, { ...k, name: p.name });
        return m;
      };

      /** Before a pass: nothing consumers can hold has expired or vanished during the interval. */
      const checkInterval = () => {
        const now = world.now;
        for (const k of ownedNow().values()) {
          expect(
            k.expiresAt === null || Date.parse(k.expiresAt) > now,
            `${k.name} key ${k.accessKey} (${k.state}) expired at ${k.expiresAt}, now ${iso(now)}`,
          ).toBe(true);
        }
        for (const [name, h] of held) {
          const k = world.client.apiKeys.get(h.accessKey);
          expect(
            k,
            `${name}: the key the sink holds (${h.accessKey}) no longer exists at ${iso(now)}`,
          ).toBeDefined();
        }
      };

      const runPass = async (): Promise<PassResult> => {
        passes++;
        const before = ownedNow();
        const result = await pass(world, settings, sinks, cap.logger, dir);
        const now = world.now;
        const crashed = world.dead;
        world.restart();
        const after = ownedNow();

        // Never two new keys of one name in one pass; each new key's expiry follows its policy.
        for (const p of POLICIES) {
          const minted = [...after.values()].filter((k) => k.name === p.name && !before.has(k.accessKey));
          expect(minted.length, `${p.name}: keys minted in one pass at ${iso(now)}`).toBeLessThanOrEqual(1);
          for (const k of minted) {
            if (p.lifetimeMs !== undefined) {
              expect(Date.parse(k.expiresAt!) - Date.parse(k.createdAt)).toBeGreaterThanOrEqual(
                p.lifetimeMs - 1000,
              );
              expect(Date.parse(k.expiresAt!) - Date.parse(k.createdAt)).toBeLessThanOrEqual(
                p.lifetimeMs + 1000,
              );
            } else {
              expect(k.expiresAt).toBeNull();
            }
          }
        }

        // What the sink holds now; a change releases the previous key (the overlap starts).
        for (const p of POLICIES) {
          const rec = await heldNow(p.name);
          if (!rec) continue;
          // Whatever the sink holds is a live key with exactly the secret the API issued for it.
          const live = world.client.apiKeys.get(rec.accessKey);
          expect(live, `${p.name}: sink holds ${rec.accessKey}, which does not exist`).toBeDefined();
          const issued = world.client.issuedSecrets.get(rec.accessKey);
          expect(
            issued && rec.secretKey?.equals(issued),
            `${p.name}: sink secret differs from the issued one`,
          ).toBe(true);
          world.everDelivered.add(rec.accessKey);
          const prev = held.get(p.name);
          if (prev?.accessKey === rec.accessKey) continue;
          held.set(p.name, { accessKey: rec.accessKey, since: now });
          if (!prev) continue;
          released.set(prev.accessKey, now);
          expect(rec.metadata.previousAccessKey).toBe(prev.accessKey);
          const old = known.get(prev.accessKey) ?? before.get(prev.accessKey);
          expect(old, `${p.name}: the released key ${prev.accessKey} was unknown`).toBeDefined();
          // Rotated before it expired, and not before it was due.
          if (old!.expiresAt !== null) expect(Date.parse(old!.expiresAt)).toBeGreaterThan(now);
          const step = result.plan?.steps.find((s) => s.id === `replace:ApiKey/${p.name}@${prev.accessKey}`);
          if (step?.reason === 'rotation-due') {
            const due = expectedRotateAt(p, old!);
            expect(now, `${p.name}: rotated at ${iso(now)}, due ${iso(due)}`).toBeGreaterThanOrEqual(due);
            expect(now, `${p.name}: rotated late at ${iso(now)}, due ${iso(due)}`).toBeLessThanOrEqual(
              due + CADENCE + RESTART,
            );
            rotations.set(p.name, rotations.get(p.name)! + 1);
          }
          if (!crashed) cleanChangesSinceCrash++;
        }

        // Deletions: a key whose secret reached consumers goes only after its overlap, and promptly.
        for (const [ak, k] of before) {
          if (after.has(ak)) continue;
          const p = POLICY.get(k.name)!;
          if (world.everDelivered.has(ak)) {
            const rel = released.get(ak);
            expect(rel, `${k.name}: ${ak} deleted at ${iso(now)} while the sink still held it`).toBeDefined();
            expect(
              now - rel!,
              `${k.name}: ${ak} deleted ${now - rel!} ms after release`,
            ).toBeGreaterThanOrEqual(p.overlapMs);
            expect(now - rel!).toBeLessThanOrEqual(p.overlapMs + 2 * (CADENCE + RESTART));
          } else {
            // Never delivered: its secret exists nowhere, so it may go at once; it was pending.
            expect(k.state, `${k.name}: ${ak} deleted without ever being delivered`).toBe('pending');
          }
        }

        if (crashed) {
          // A crash leaves at worst one pending key per name; the sink's key is intact (checked above).
          for (const p of POLICIES) {
            expect(world.keysOf(p.name).filter((k) => k.state === 'pending').length).toBeLessThanOrEqual(1);
          }
        } else {
          expect(result.refused, `pass at ${iso(now)}: plan refused`).toBe(false);
          expect(
            result.summary?.ok ?? true,
            `pass at ${iso(now)}: ${JSON.stringify(result.summary?.outcomes)}`,
          ).toBe(true);
          for (const p of POLICIES) {
            const keys = world.keysOf(p.name);
            const ready = keys
              .filter((k) => k.state === 'ready')
              .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
            expect(
              keys.filter((k) => k.state === 'pending'),
              `${p.name}: pending after a clean pass`,
            ).toEqual([]);
            const current = ready[0];
            expect(current, `${p.name}: no ready key at ${iso(now)}`).toBeDefined();
            expect((await heldNow(p.name))?.accessKey, `${p.name}: sink does not hold the current key`).toBe(
              current!.accessKey,
            );
            const since = held.get(p.name)!.since;
            const others = keys.filter((k) => k.accessKey !== current!.accessKey);
            expect(others.length).toBeLessThanOrEqual(2);
            for (const o of others) {
              expect(['ready', 'retiring']).toContain(o.state);
              expect(now, `${p.name}: ${o.accessKey} outlived the overlap of the current key`).toBeLessThan(
                since + p.overlapMs,
              );
            }
          }
        }
        if (!crashed) {
          // The daemon may sleep until nextDueAt: planning any earlier finds nothing to do.
          const plan =
            result.plan.steps.length === 0
              ? result.plan
              : (await pass(world, settings, sinks, cap.logger, dir, {}, { dryRun: true })).plan;
          expect(plan.steps, `steps left right after the pass at ${iso(now)}`).toEqual([]);
          expect(plan.nextDueAt, `no nextDueAt at ${iso(now)}`).toBeDefined();
          const due = Date.parse(plan.nextDueAt!);
          expect(due).toBeGreaterThan(now);
          const justBefore = await pass(
            world,
            settings,
            sinks,
            cap.logger,
            dir,
            {},
            { dryRun: true, at: new Date(due - 1) },
          );
          expect(justBefore.plan.steps, `steps before nextDueAt ${plan.nextDueAt}`).toEqual([]);
        }
        known = after;
        assertNoSecrets(cap.lines);
        cap.clear();
        return result;
      };

      for (; world.now <= START + days * DAY; ) {
        if (world.armed === undefined && cleanChangesSinceCrash >= 2) {
          world.armed = CRASH_MODES[nextMode++ % CRASH_MODES.length]!;
          cleanChangesSinceCrash = 0;
        }
        checkInterval();
        const crashesBefore = world.crashes.length;
        await runPass();
        if (world.crashes.length > crashesBefore) {
          const c = world.crashes.at(-1)!;
          crashCounts.set(c.mode, (crashCounts.get(c.mode) ?? 0) + 1);
          world.advance(RESTART);
          checkInterval();
          await runPass();
          world.advance(CADENCE - RESTART);
        } else {
          world.advance(CADENCE);
        }
      }

      // Not vacuous: every policy rotated all year long, every crash mode fired several times.
      expect(passes).toBeGreaterThan(days * 4);
      expect(rotations.get('weekly')).toBeGreaterThanOrEqual(Math.floor(days / 5) - 3); // every 5 days
      expect(rotations.get('monthly')).toBeGreaterThanOrEqual(Math.floor(days / 20) - 2); // every 20 days
      expect(rotations.get('quarterly')).toBeGreaterThanOrEqual(Math.floor(days / 60) - 1); // every 60 days
      expect(rotations.get('ageing')).toBeGreaterThanOrEqual(Math.floor(days / 90) - 1); // every 90 days
      for (const m of CRASH_MODES) {
        expect(crashCounts.get(m) ?? 0, `crashes at ${m}`).toBeGreaterThanOrEqual(days >= 365 ? 3 : 1);
      }
      expect(world.crashes.every((c) => c.at >= START)).toBe(true);
    },
  );
});
