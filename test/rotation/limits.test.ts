/**
 * Organization limits revealed by the API during a rotation (issue #5, part 1: "validate against
 * the organization's limits where the API reveals them"): a rotation refused by a quota or by an
 * `expires_at` constraint keeps the current key and its secret untouched, reports the API's
 * reason (resource, current/quota, argument), leaves no key behind, and the next pass rotates
 * once the limit is lifted — still before the current key expires.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { apiKeyYaml, applicationYaml, unreachableVaultSink, yamlFile } from '../helpers/builders.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { apiError, invalidArgument } from '../fakes/fake-scaleway.js';
import { pass } from './pass.js';
import { World } from './world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse('2027-04-01T00:00:00.000Z');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-limits-'));
  await writeFile(
    join(dir, 'k.yaml'),
    yamlFile(
      applicationYaml('app', 'consumer'),
      apiKeyYaml('k', 'app', 'lifetime: 7d\nrotation:\n  rotateBefore: 2d\n  overlap: 1d'),
    ),
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settings: Settings = {
  ...defaultSettings(),
  sinks: [unreachableVaultSink()],
  defaults: { sink: 'fake', rotation: { overlapMs: HOUR } },
};

async function setup() {
  const world = new World(START);
  const cap = createLogCapture({ level: 'debug' });
  const run = () => pass(world, settings, new Map([['fake', world.sink]]), cap.logger, dir);
  const first = await run();
  expect(first.summary?.ok).toBe(true);
  const [current] = world.keysOf('k');
  world.advance(5 * DAY + HOUR); // rotation due
  return { world, cap, run, current: current! };
}

describe('limits the API reveals during a rotation', () => {
  it.each([
    [
      'API key quota reached',
      () =>
        apiError(
          403,
          { type: 'quotas_exceeded', details: [{ resource: 'api_keys', quota: 20, current: 20 }] },
          'quota(s) exceeded for this resource',
        ),
      /quota reached \(api_keys: 20 of 20\)/,
    ],
    [
      'expires_at refused',
      () => invalidArgument('expires_at', 'must be at most 1 year from now'),
      /expires_at/,
    ],
  ])(
    '%s: the current key stays in custody, the reason is reported, the next pass rotates',
    async (_, error, reason) => {
      const { world, cap, run, current } = await setup();
      world.client.failNext('createApiKey', error);
      const refused = await run();
      expect(refused.plan.steps.map((s) => [s.action, s.reason])).toEqual([['replace', 'rotation-due']]);
      expect(refused.summary?.ok).toBe(false);
      const outcome = refused.summary!.outcomes[0]!;
      expect(outcome.result).toBe('failed');
      expect(outcome.error).toMatch(reason);
      expect(outcome.error).toContain('ApiKey/k');
      // Nothing changed: the same key, ready, in the sink with its secret; no stray key.
      expect(world.keysOf('k').map((k) => [k.accessKey, k.state])).toEqual([[current.accessKey, 'ready']]);
      expect(world.held('k')?.accessKey).toBe(current.accessKey);
      expect(world.held('k')?.secretKey.equals(world.client.issuedSecrets.get(current.accessKey)!)).toBe(
        true,
      );

      // The limit is lifted; six hours later the rotation goes through, still before expiry.
      world.advance(6 * HOUR);
      const ok = await run();
      expect(ok.summary?.ok).toBe(true);
      expect(Date.parse(current.expiresAt!)).toBeGreaterThan(world.now);
      const keys = world.keysOf('k');
      const next = keys.find((k) => k.accessKey !== current.accessKey)!;
      expect(next.state).toBe('ready');
      expect(world.held('k')?.accessKey).toBe(next.accessKey);
      expect(keys.find((k) => k.accessKey === current.accessKey)?.state).toBe('retiring');
      assertNoSecrets(cap.lines);
    },
  );
});
