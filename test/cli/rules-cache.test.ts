/**
 * The policy rules cache from the command line: a second `plan` reads no rules; the cache lives
 * under the data directory by default, under $SCW_GITOPS_CACHE_DIR, or under --cache-dir; and a
 * deleted or damaged cache only costs the rule reads again.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import type { CliIO } from '../../src/cli/io.js';
import { CACHE_DIR_NAME } from '../../src/config/load-settings.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let dir: string;
beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 11 });
  dir = await mkdtemp(join(tmpdir(), 'cli-rules-cache-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}): CliIO {
  return {
    stdout: () => {},
    stderr: () => {},
    env: { SCW_SECRET_KEY: sandbox.adminSecretKey, ...env },
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
}

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });

async function settingsFile(): Promise<string> {
  const file = join(dir, 'settings.yaml');
  await writeFile(
    file,
    `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
source:
  dir: ${EXAMPLES}
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
sinks:
  - name: local
    type: file
    dir: ./secrets
    format: dotenv
defaults:
  sink: local
`,
  );
  return file;
}

const ruleReads = () => sandbox.requests().filter((r) => r.path.startsWith('/iam/v1alpha1/rules')).length;

async function planReads(args: string[], env: Record<string, string> = {}): Promise<number> {
  const before = ruleReads();
  expect(await plan(args, io(env), deps())).toBe(0);
  return ruleReads() - before;
}

describe('rules cache between CLI runs', () => {
  it('lives under the data directory; a warm plan reads no rules; deleting it costs one cold run', async () => {
    const cfg = await settingsFile();
    expect(await reconcile(['--config', cfg], io(), deps())).toBe(0);
    const owned = sandbox.store.policies.size - 2; // the sandbox seeds two managed policies
    expect(owned).toBeGreaterThan(0);
    const cacheDir = join(dir, CACHE_DIR_NAME); // dataDir defaults to the settings file's directory
    await rm(cacheDir, { recursive: true, force: true });

    expect(await planReads(['--config', cfg])).toBe(owned);
    expect(await readdir(cacheDir)).toEqual([`rules-${sandbox.organizationId}.json`]);
    expect(await planReads(['--config', cfg])).toBe(0);

    await writeFile(join(cacheDir, `rules-${sandbox.organizationId}.json`), 'garbage');
    expect(await planReads(['--config', cfg])).toBe(owned);
    expect(await planReads(['--config', cfg])).toBe(0);
  });

  it('SCW_GITOPS_CACHE_DIR and --cache-dir move it', async () => {
    const cfg = await settingsFile();
    expect(await reconcile(['--config', cfg], io(), deps())).toBe(0);
    const owned = sandbox.store.policies.size - 2;
    const fromEnv = join(dir, 'env-cache');
    const fromFlag = join(dir, 'flag-cache');
    expect(await planReads(['--config', cfg], { SCW_GITOPS_CACHE_DIR: fromEnv })).toBe(owned);
    expect(await readdir(fromEnv)).toEqual([`rules-${sandbox.organizationId}.json`]);
    expect(await planReads(['--config', cfg], { SCW_GITOPS_CACHE_DIR: fromEnv })).toBe(0);
    // the flag wins over the environment
    expect(
      await planReads(['--config', cfg, '--cache-dir', 'flag-cache'], { SCW_GITOPS_CACHE_DIR: fromEnv }),
    ).toBe(owned);
    expect(await readdir(fromFlag)).toEqual([`rules-${sandbox.organizationId}.json`]);
  });
});
