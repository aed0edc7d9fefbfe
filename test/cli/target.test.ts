/**
 * `--target` end to end against the sandbox emulator: reconcile of one key creates it with its
 * application and default project and nothing else; a saved plan narrowed by `apply --target`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as apply } from '../../src/cli/commands/apply.js';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, ownedKeys, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let dir: string;
let cfg: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'target-cli-'));
  cfg = join(dir, 'settings.yaml');
  await writeFile(cfg, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES, prune: true }));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });
const io = () => captureIO({ env: sandboxEnv(sandbox), cwd: dir });
const created = () =>
  sandbox
    .requests()
    .filter((r) => r.method === 'POST')
    .map((r) => r.path);

describe('--target', () => {
  it('reconcile --target ApiKey/etl-worker creates the key, its application and project, nothing else', async () => {
    const t = io();
    expect(await reconcile(['--config', cfg, '--target', 'ApiKey/etl-worker'], t.io, deps())).toBe(0);
    expect(t.out()).toContain('Partial plan (--target ApiKey/etl-worker');
    expect(t.out()).toContain('Apply complete! 3 created');
    expect(created().filter((p) => p.endsWith('/applications'))).toHaveLength(1);
    expect(created().filter((p) => p.endsWith('/projects'))).toHaveLength(1);
    expect([...sandbox.store.applications.values()].map((a) => a.name)).toContain('etl-worker');
    expect(ownedKeys(sandbox, 'etl-worker')).toHaveLength(1);
    expect(ownedKeys(sandbox, 'api-backend-prod')).toHaveLength(0);
    expect(created().filter((p) => p.includes('/policies'))).toEqual([]);

    // The rest is still pending, and a full plan shows it.
    const rest = io();
    expect(await plan(['--config', cfg], rest.io, deps())).toBe(2);
    expect(rest.out()).not.toContain('+ ApiKey/etl-worker');
    expect(rest.out()).toContain('+ ApiKey/api-backend-prod');
  });

  it('apply --plan FILE --target applies only that part of a saved plan', async () => {
    expect(await plan(['--config', cfg, '-o', 'json', '--out', 'plan.json'], io().io, deps())).toBe(2);
    const t = io();
    expect(
      await apply(
        ['--config', cfg, '--plan', 'plan.json', '--target', 'Application/web-deployer'],
        t.io,
        deps(),
      ),
    ).toBe(0);
    expect(t.out()).toContain('Apply complete! 1 created');
    const missing = io();
    expect(
      await apply(
        ['--config', cfg, '--plan', 'plan.json', '--target', 'Application/nope'],
        missing.io,
        deps(),
      ),
    ).toBe(1);
    expect(missing.err()).toContain('the saved plan has no step for it');
  });

  it('refuses a malformed target with a usage error', async () => {
    const t = io();
    expect(await plan(['--config', cfg, '--target', 'etl-worker'], t.io, deps())).toBe(1);
    expect(t.err()).toContain('--target must be KIND/NAME');
  });
});
