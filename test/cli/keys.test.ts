/**
 * `scw-gitops keys`: the read-only view of every declared API key, against the sandbox emulator
 * with the file sink: text and JSON, exit 1 on an expired key or a secret missing from its sink.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as keys } from '../../src/cli/commands/keys.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { knownSecretValues } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, ownedKeys, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');
const DAY = 86_400_000;
const DECLARED = [
  'api-backend-prod',
  'api-backend-staging',
  'ci-runner',
  'etl-worker',
  'monitoring-agent',
  'web-deployer-ci',
];

let sandbox: SandboxHandle;
let dir: string;
let cfg: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'keys-cli-'));
  cfg = join(dir, 'settings.yaml');
  await writeFile(cfg, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES }));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const cap = createLogCapture();
const io = () => captureIO({ env: sandboxEnv(sandbox), cwd: dir });

interface Row {
  address: string;
  status: string;
  current: { accessKey: string; state: string; createdAt: string; expiresAt: string | null } | null;
  nextRotation: string | null;
  sink: { name: string; location: string } | null;
  inSink: boolean | null;
  retiring: unknown[];
}

async function converge(): Promise<void> {
  const t = io();
  expect(await reconcile(['--config', cfg], t.io, { homeDir: dir, logger: cap.logger }), t.err()).toBe(0);
}

describe('scw-gitops keys', () => {
  it('lists every declared key with its current access key and what its sink holds (text and JSON), exit 0', async () => {
    await converge();
    const writesBefore = sandbox.requests().filter((r) => r.method !== 'GET').length;
    const text = io();
    expect(await keys(['--config', cfg, '--no-color'], text.io, { homeDir: dir, logger: cap.logger })).toBe(
      0,
    );
    for (const name of DECLARED) {
      const [current] = ownedKeys(sandbox, name);
      expect(text.out()).toMatch(new RegExp(`ApiKey/${name}\\s+${current!.accessKey}\\s+ready`));
    }
    expect(text.out()).toContain('6 keys: 6 ok');

    const json = io();
    expect(await keys(['--config', cfg, '-o', 'json'], json.io, { homeDir: dir, logger: cap.logger })).toBe(
      0,
    );
    const rows = (JSON.parse(json.out()) as { keys: Row[] }).keys;
    expect(rows.map((r) => r.address)).toEqual(DECLARED.map((n) => `ApiKey/${n}`));
    for (const row of rows) {
      expect(row.status).toBe('ok');
      expect(row.current?.accessKey).toBe(
        ownedKeys(sandbox, row.address.slice('ApiKey/'.length))[0]!.accessKey,
      );
      expect(row.inSink).toBe(true);
      expect(row.sink?.name).toBe('local');
    }
    expect(rows.find((r) => r.address === 'ApiKey/ci-runner')?.current?.expiresAt).toBe(
      '2030-01-31T00:00:00Z',
    );
    expect(rows.find((r) => r.address === 'ApiKey/monitoring-agent')?.nextRotation).not.toBeNull();

    // Read-only, and no secret printed.
    expect(sandbox.requests().filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    for (const v of knownSecretValues()) expect(text.out() + json.out()).not.toContain(v);
  });

  it('exits 1 when a key has expired, naming it', async () => {
    await converge();
    const later = new FakeClock({ start: Date.now() + 20 * DAY, sleeps: 'manual' });
    const t = io();
    expect(
      await keys(['--config', cfg, '-o', 'json'], t.io, { homeDir: dir, logger: cap.logger, clock: later }),
    ).toBe(1);
    const rows = (JSON.parse(t.out()) as { keys: Row[] }).keys;
    expect(rows.find((r) => r.address === 'ApiKey/api-backend-staging')?.status).toBe('expired');
    expect(rows.find((r) => r.address === 'ApiKey/ci-runner')?.status).toBe('ok');
    const text = io();
    expect(await keys(['--config', cfg], text.io, { homeDir: dir, logger: cap.logger, clock: later })).toBe(
      1,
    );
    expect(text.out()).toMatch(/ApiKey\/api-backend-staging\s+\S+\s+ready\s.*expired/);
  });

  it('exits 1 when a secret is missing from its sink, and before anything was applied', async () => {
    const fresh = io();
    expect(await keys(['--config', cfg], fresh.io, { homeDir: dir, logger: cap.logger })).toBe(1);
    expect(fresh.out()).toContain('6 keys: 6 missing');

    await converge();
    await unlink(join(dir, 'secrets', 'etl-worker.env'));
    const t = io();
    expect(await keys(['--config', cfg, '-o', 'json'], t.io, { homeDir: dir, logger: cap.logger })).toBe(1);
    const row = (JSON.parse(t.out()) as { keys: Row[] }).keys.find((r) => r.address === 'ApiKey/etl-worker')!;
    expect(row.status).toBe('secret-missing');
    expect(row.inSink).toBe(false);
  });

  it('has its own help', async () => {
    const t = io();
    expect(await keys(['--help'], t.io, {})).toBe(0);
    expect(t.out()).toContain('Usage: scw-gitops keys [DIR]');
  });
});
