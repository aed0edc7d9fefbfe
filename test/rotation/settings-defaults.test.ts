/**
 * Rotation policies that come from the settings' `defaults.rotation` rather than the key's own
 * spec. The desired-state validation (src/desired/validate.ts) checks `rotateBefore < lifetime`
 * and `overlap < lifetime − rotateBefore` only for values written in the key's spec; these tests
 * run the real planner and executor (pass.ts) with the defaults doing the damage.
 *
 * Both cases below were bugs found by this suite and fixed in the planner: a default rotateBefore
 * that does not fit the key's lifetime now falls back to a third of the lifetime (with a warning),
 * and each previous key's overlap is measured from the delivery of the key that replaced it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { RotationDefaults, Settings } from '../../src/config/settings.js';
import { apiKeyYaml, applicationYaml, unreachableVaultSink, yamlFile } from '../helpers/builders.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { pass } from './pass.js';
import { World } from './world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2027-01-01T00:00:00.000Z');

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function simulate(lifetime: string, rotation: RotationDefaults, passes: number, cadenceMs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-defaults-'));
  dirs.push(dir);
  await writeFile(
    join(dir, 'k.yaml'),
    yamlFile(applicationYaml('app', 'consumer'), apiKeyYaml('k', 'app', `lifetime: ${lifetime}`)),
  );
  const world = new World(START);
  const settings: Settings = {
    ...defaultSettings(),
    sinks: [unreachableVaultSink()],
    defaults: { sink: 'fake', rotation },
  };
  const cap = createLogCapture();
  const history: { minted: number; owned: number; expiredOwned: number; errors: string[] }[] = [];
  for (let i = 0; i < passes; i++) {
    const before = new Set(world.keysOf('k').map((k) => k.accessKey));
    const r = await pass(world, settings, new Map([['fake', world.sink]]), cap.logger, dir);
    const after = world.keysOf('k');
    history.push({
      minted: after.filter((k) => !before.has(k.accessKey)).length,
      owned: after.length,
      expiredOwned: after.filter((k) => k.expiresAt !== null && Date.parse(k.expiresAt) <= world.now).length,
      errors: r.plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`),
    });
    world.advance(cadenceMs);
  }
  return history;
}

describe('rotation defaults from the settings', () => {
  // Was a bug (planner, src/planner/rotation.ts rotateAtMs + build-plan.ts apiKey): settings
  // `defaults.rotation.rotateBefore` (10d) ≥ the key's `lifetime` (7d) makes rotateAt = createdAt,
  // so every pass rotates the key again (a new key per pass, forever), with no diagnostic.
  // Expected: a plan error naming ApiKey/k and the rotateBefore/lifetime conflict (as validate.ts
  // does for spec values), or a clamped rotateBefore; never a new key at every pass.
  it('a default rotateBefore longer than the lifetime does not mint a key at every pass', async () => {
    const h = await simulate('7d', { overlapMs: HOUR, rotateBeforeMs: 10 * DAY }, 6, HOUR);
    const mintedAfterFirst = h.slice(1).reduce((n, p) => n + p.minted, 0);
    expect(h.some((p) => p.errors.length > 0) || mintedAfterFirst <= 1).toBe(true);
    expect(mintedAfterFirst).toBeLessThanOrEqual(1);
  });

  // Was a bug (planner, src/planner/build-plan.ts previousKeys): the overlap of every previous key is
  // measured from the delivery of the *current* key, so when the effective overlap (here the
  // settings default, 10h) exceeds the rotation interval (lifetime 3h − default rotateBefore 1h =
  // 2h), each rotation restarts the clock of all retiring keys: they are never deleted, pile up
  // and stay (expired) in the organization. Expected: a plan error for the overlap/lifetime
  // conflict, or each previous key deleted at the latest once it has expired (or once the overlap
  // has elapsed since the key that replaced *it* was delivered); the number of keys stays bounded.
  it('a default overlap longer than the rotation interval does not pile up retiring keys', async () => {
    const h = await simulate('3h', { overlapMs: 10 * HOUR }, 24, HOUR);
    const refused = h.some((p) => p.errors.length > 0);
    if (!refused) {
      expect(Math.max(...h.map((p) => p.owned))).toBeLessThanOrEqual(6);
      expect(h.every((p) => p.expiredOwned === 0)).toBe(true);
    }
  });

  it('valid defaults (rotateBefore < lifetime, overlap < rotation interval) rotate once per interval', async () => {
    const h = await simulate('7d', { overlapMs: HOUR, rotateBeforeMs: 2 * DAY }, 4 * 14, 6 * HOUR);
    // 14 days at 6h: rotations at day 5 and day 10 only.
    expect(h.slice(1).reduce((n, p) => n + p.minted, 0)).toBe(2);
    expect(Math.max(...h.map((p) => p.owned))).toBeLessThanOrEqual(2);
    expect(h.every((p) => p.expiredOwned === 0 && p.errors.length === 0)).toBe(true);
  });
});
