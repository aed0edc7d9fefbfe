/**
 * Issue #5, part 4 (consumers), at the level of a whole rotation through the real planner and
 * executor (pass.ts), with the in-memory organization and the sink emulators:
 * - Vault: during the overlap, consumers read the new key at the latest version and the previous
 *   key (with its exact secret) at version N-1; the previous key is still alive at the API.
 * - Kubernetes: the Secret carries the new key, the Reloader annotation (so consumers restart
 *   on the change) and the previous access key.
 * After the overlap, the previous key is deleted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings, SinkSettings } from '../../src/config/settings.js';
import {
  ANNOTATIONS,
  createKubernetesSink,
  DATA_ACCESS_KEY,
  DATA_SECRET_KEY,
  RELOADER_MATCH_ANNOTATION,
} from '../../src/sinks/kubernetes-sink.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import { VAULT_DATA_KEYS } from '../../src/sinks/vault-sink.js';
import { apiKeyYaml, applicationYaml, yamlFile } from '../helpers/builders.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { NAMESPACE, startEmulator } from '../k8s/fixtures.js';
import { createVaultFixture } from '../sinks/vault-fixtures.js';
import { pass } from './pass.js';
import { World } from './world.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2027-02-01T00:00:00.000Z');

const DESIRED = yamlFile(
  applicationYaml('app', 'consumer'),
  apiKeyYaml('weekly', 'app', 'lifetime: 7d\nrotation:\n  rotateBefore: 2d\n  overlap: 1d', 'weekly key'),
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Create at T0, rotate at T0+5d+1h, return the two access keys and a way to finish the overlap. */
async function rotateOnce(sinkSettings: SinkSettings, sink: SecretSink) {
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-consumers-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'keys.yaml'), DESIRED);
  const world = new World(T0);
  const cap = createLogCapture({ level: 'debug' });
  const settings: Settings = {
    ...defaultSettings(),
    sinks: [sinkSettings],
    defaults: { sink: sinkSettings.name, rotation: { overlapMs: HOUR } },
  };
  const sinks = new Map([[sinkSettings.name, sink]]);
  const run = async () => {
    const r = await pass(world, settings, sinks, cap.logger, dir);
    expect(r.refused).toBe(false);
    expect(r.summary?.ok ?? true, JSON.stringify(r.summary?.outcomes)).toBe(true);
    assertNoSecrets(cap.lines);
    return r;
  };
  await run();
  const [a] = world.keysOf('weekly');
  world.advance(5 * DAY + HOUR);
  const r = await run();
  expect(r.plan.steps.map((s) => [s.action, s.reason])).toEqual([['replace', 'rotation-due']]);
  const keys = world.keysOf('weekly');
  const b = keys.find((k) => k.accessKey !== a!.accessKey)!;
  expect(keys.find((k) => k.accessKey === a!.accessKey)?.state).toBe('retiring');
  return {
    world,
    a: a!.accessKey,
    b: b.accessKey,
    secretOf: (ak: string) => world.client.issuedSecrets.get(ak)!,
    finishOverlap: async () => {
      world.advance(DAY - HOUR);
      await run();
      expect(world.keysOf('weekly').map((k) => k.accessKey)).toContain(a!.accessKey); // 1h short
      world.advance(2 * HOUR);
      const last = await run();
      expect(last.plan.steps.map((s) => [s.action, s.reason])).toEqual([['delete', 'overlap-elapsed']]);
      expect(world.keysOf('weekly').map((k) => k.accessKey)).toEqual([b.accessKey]);
    },
  };
}

describe('consumers during the rotation overlap', () => {
  it('Vault: the new key is the latest version, the previous key stays readable at version N-1', async () => {
    const fx = await createVaultFixture({ method: 'token' });
    cleanups.push(() => fx.teardown());
    const r = await rotateOnce({ ...fx.settings, name: 'vault' }, fx.makeSink({ name: 'vault' }));

    const latest = (await fx.raw('GET', 'secret/data/scw/test/weekly')).body as {
      data: { data: Record<string, string>; metadata: { version: number } };
    };
    expect(latest.data.data[VAULT_DATA_KEYS.accessKey]).toBe(r.b);
    expect(r.secretOf(r.b).equals(latest.data.data[VAULT_DATA_KEYS.secretKey]!)).toBe(true);
    const n = latest.data.metadata.version;
    const previous = (await fx.raw('GET', `secret/data/scw/test/weekly?version=${n - 1}`)).body as {
      data: { data: Record<string, string> };
    };
    expect(previous.data.data[VAULT_DATA_KEYS.accessKey]).toBe(r.a);
    expect(r.secretOf(r.a).equals(previous.data.data[VAULT_DATA_KEYS.secretKey]!)).toBe(true);
    const meta = (await fx.raw('GET', 'secret/metadata/scw/test/weekly')).body as {
      data: { custom_metadata: Record<string, string> };
    };
    expect(meta.data.custom_metadata.previousAccessKey).toBe(r.a);
    expect(meta.data.custom_metadata.accessKey).toBe(r.b);
    // The previous key still works at the API during the overlap.
    expect(r.world.client.apiKeys.has(r.a)).toBe(true);

    await r.finishOverlap();
  });

  it('Kubernetes: the Secret holds the new key, the Reloader annotation and the previous access key', async () => {
    const emu = await startEmulator();
    cleanups.push(() => emu.close());
    const settings: SinkSettings = {
      name: 'cluster',
      type: 'kubernetes',
      namespace: NAMESPACE,
      kubeconfig: emu.kubeconfigPath,
      reloader: true,
      labels: {},
    };
    const r = await rotateOnce(settings, createKubernetesSink(settings));
    const secret = emu.control.get('secrets', NAMESPACE, 'weekly') as {
      metadata: { annotations: Record<string, string> };
      data: Record<string, string>;
    };
    const ann = secret.metadata.annotations;
    expect(ann[RELOADER_MATCH_ANNOTATION]).toBe('true');
    expect(ann[ANNOTATIONS.accessKey]).toBe(r.b);
    expect(ann[ANNOTATIONS.previousAccessKey]).toBe(r.a);
    const decode = (v: string | undefined) => Buffer.from(v ?? '', 'base64').toString('utf8');
    expect(decode(secret.data[DATA_ACCESS_KEY])).toBe(r.b);
    expect(r.secretOf(r.b).equals(decode(secret.data[DATA_SECRET_KEY]))).toBe(true);
    expect(r.world.client.apiKeys.has(r.a)).toBe(true);

    await r.finishOverlap();
  });
});
