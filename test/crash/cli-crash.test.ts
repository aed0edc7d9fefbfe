/**
 * Crash tests through the real command line: `scw-gitops reconcile DIR --config CFG` as a child
 * process against the sandbox (127.0.0.1) and a file sink, killed with SIGKILL at custody points
 * (SCW_GITOPS_CRASH_AT), then run again. Afterwards every owned key is delivered or gone,
 * `reconcile --dry-run` reports no pending change (exit 0), and no output holds a secret.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CrashPoint } from '../../src/executor/crash-points.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import {
  assertCustodyInvariants,
  assertNoSecretsIn,
  type ChildRun,
  type PassTarget,
  prepareEntry,
  runNode,
  trackIssuedSecrets,
} from './helpers.js';
import { ownedKeys, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const DESIRED = `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci
spec:
  description: CI runner
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: deployer
spec:
  application: ci
  description: deploys things
  lifetime: 30d
`;

describe('reconcile command killed mid-custody', { timeout: 60_000 }, () => {
  let cliDir: string;
  let cli: string[];
  let base: string;
  let sandbox: SandboxHandle;
  let t: PassTarget;
  let settingsFile: string;
  let secrets: Set<string>;
  const outputs: string[] = [];

  beforeAll(async () => {
    cliDir = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-cli-'));
    cli = await prepareEntry('src/cli/main.ts', cliDir);
  });

  afterAll(async () => {
    await rm(cliDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-'));
    sandbox = await startSandbox({ env: {}, seed: false });
    secrets = trackIssuedSecrets(sandbox);
    const desiredDir = join(base, 'desired');
    await mkdir(desiredDir);
    await writeFile(join(desiredDir, 'all.yaml'), DESIRED);
    settingsFile = join(base, 'settings.yaml');
    await writeFile(
      settingsFile,
      sandboxSettingsYaml(sandbox, {
        sourceDir: 'desired',
        sinkDir: 'secrets',
        extra: 'log:\n  level: debug\n',
      }),
    );
    t = { driver: cli, sandbox, desiredDir, sinkDir: join(base, 'secrets') };
    outputs.length = 0;
  });

  afterEach(async () => {
    await sandbox.close();
    await rm(base, { recursive: true, force: true });
  });

  async function reconcile(extra: string[], crashAt?: CrashPoint): Promise<ChildRun> {
    const r = await runNode(
      [...cli, 'reconcile', t.desiredDir, '--config', settingsFile, '--no-color', ...extra],
      {
        SCW_ACCESS_KEY: sandbox.adminAccessKey,
        SCW_SECRET_KEY: sandbox.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
        ...(crashAt ? { SCW_GITOPS_CRASH_AT: crashAt } : {}),
      },
    );
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  it.each<[CrashPoint]>([['key-created'], ['secret-verified'], ['key-ready']])(
    'killed at %s, the next reconcile restores custody',
    async (point) => {
      const crashed = await reconcile([], point);
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      expect(ownedKeys(sandbox, 'deployer')).toHaveLength(1);

      const before = ownedKeys(sandbox, 'deployer').map((k) => k.accessKey);
      const recovered = await reconcile([]);
      expect(recovered.code, `${recovered.stdout}\n${recovered.stderr}`).toBe(0);
      const minted = ownedKeys(sandbox, 'deployer').filter((k) => !before.includes(k.accessKey));
      expect(minted.length).toBeLessThanOrEqual(1);
      await assertCustodyInvariants(t, 'deployer');

      // The sink file is private and complete; nothing half-written is left behind.
      expect((await stat(join(t.sinkDir, 'deployer.env'))).mode & 0o777).toBe(0o600);
      expect(await readdir(t.sinkDir)).toEqual(['deployer.env']);

      // CI mode: converged, nothing pending.
      const check = await reconcile(['--dry-run']);
      expect(check.code, `${check.stdout}\n${check.stderr}`).toBe(0);
      assertNoSecretsIn(secrets, outputs);
    },
  );
});
