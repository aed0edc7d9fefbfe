import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { Settings, SinkSettings } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors.js';
import { createSinks, resolveSinkLocation } from '../../src/sinks/registry.js';
import { desiredKey } from '../helpers/builders.js';
import { createLogCapture } from '../helpers/log-capture.js';

function settings(sinks: SinkSettings[], defaultSink?: string): Settings {
  return {
    sinks,
    defaults: { ...(defaultSink ? { sink: defaultSink } : {}), rotation: { overlapMs: 3_600_000 } },
  } as unknown as Settings;
}

const vault: SinkSettings = {
  name: 'vault',
  type: 'vault',
  address: 'http://127.0.0.1:8200',
  mount: 'secret',
  pathPrefix: 'scw',
  auth: { method: 'token', tokenEnv: 'VAULT_TOKEN' },
  timeoutMs: 5000,
};
const k8s: SinkSettings = { name: 'k8s', type: 'kubernetes', namespace: 'apps', reloader: false, labels: {} };

describe('sink registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scw-gitops-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates file sinks by name', async () => {
    const s = settings([
      { name: 'a', type: 'file', dir: join(dir, 'a'), format: 'dotenv' },
      { name: 'b', type: 'file', dir: join(dir, 'b'), format: 'json' },
    ]);
    const sinks = await createSinks(s, { env: {}, logger: createLogCapture().logger, clock: systemClock });
    expect([...sinks.keys()]).toEqual(['a', 'b']);
    expect(sinks.get('b')!.type).toBe('file');
    expect(sinks.get('b')!.describe({ sink: 'b', path: 'x.json' })).toBe(`file:${join(dir, 'b', 'x.json')}`);
  });

  it('loads the vault and kubernetes sinks lazily, by type', async () => {
    const sinks = await createSinks(settings([vault, k8s]), {
      env: { VAULT_TOKEN: 'test-token-not-used' },
      logger: createLogCapture().logger,
      clock: systemClock,
    });
    expect([...sinks.values()].map((s) => [s.name, s.type])).toEqual([
      ['vault', 'vault'],
      ['k8s', 'kubernetes'],
    ]);
  });

  it('refuses duplicate names and an unknown default sink', async () => {
    const deps = { env: {}, logger: createLogCapture().logger, clock: systemClock };
    const f: SinkSettings = { name: 'a', type: 'file', dir, format: 'dotenv' };
    await expect(createSinks(settings([f, f]), deps)).rejects.toBeInstanceOf(ConfigError);
    await expect(createSinks(settings([f], 'zzz'), deps)).rejects.toThrow(/no sink named zzz/);
  });

  it('applies per-type location defaults', () => {
    const s = settings([{ name: 'local', type: 'file', dir, format: 'json' }, vault, k8s], 'local');
    expect(resolveSinkLocation(desiredKey('ci', 'app'), s)).toEqual({ sink: 'local', path: 'ci.json' });
    expect(resolveSinkLocation(desiredKey('ci', 'app', { sink: { path: 'team/ci.json' } }), s)).toEqual({
      sink: 'local',
      path: 'team/ci.json',
    });
    expect(resolveSinkLocation(desiredKey('ci', 'app', { sink: { sink: 'vault' } }), s)).toEqual({
      sink: 'vault',
      path: 'ci',
    });
    expect(resolveSinkLocation(desiredKey('ci', 'app', { sink: { sink: 'k8s' } }), s)).toEqual({
      sink: 'k8s',
      namespace: 'apps',
      secretName: 'ci',
    });
    expect(
      resolveSinkLocation(
        desiredKey('ci', 'app', { sink: { sink: 'k8s', namespace: 'x', secretName: 'y' } }),
        s,
      ),
    ).toEqual({ sink: 'k8s', namespace: 'x', secretName: 'y' });
  });

  it('uses the only sink when there is no default, and names the key when it cannot decide', () => {
    const one = settings([{ name: 'only', type: 'file', dir, format: 'dotenv' }]);
    expect(resolveSinkLocation(desiredKey('ci', 'app'), one)).toEqual({ sink: 'only', path: 'ci.env' });
    const two = settings([{ name: 'a', type: 'file', dir, format: 'dotenv' }, vault]);
    expect(() => resolveSinkLocation(desiredKey('ci', 'app'), two)).toThrow(
      /ApiKey\/ci: spec.sink.name: not set/,
    );
    expect(() => resolveSinkLocation(desiredKey('ci', 'app', { sink: { sink: 'nope' } }), two)).toThrow(
      /ApiKey\/ci: spec.sink.name: no sink named nope/,
    );
  });
});
