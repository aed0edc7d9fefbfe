/**
 * Crash tests of the custody protocol: a reconcile pass is killed with SIGKILL at each point of
 * the create → write → verify → mark-ready → dispose sequence (SCW_GITOPS_CRASH_AT), then run
 * again; the recovery pass must leave every owned key either delivered (its secret in the sink)
 * or gone, with no duplicates and no secret in any output.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CrashPoint } from '../../src/executor/crash-points.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import {
  assertCustodyInvariants,
  assertNoSecretsIn,
  type ChildRun,
  driverPass,
  type PassTarget,
  prepareDriver,
  sinkRecord,
  trackIssuedSecrets,
} from './helpers.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';

function desiredYaml(keyApp: string): string {
  return `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci
spec:
  description: CI runner
---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci-next
spec:
  description: CI runner, next generation
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: deployer
spec:
  application: ${keyApp}
  description: deploys things
  lifetime: 30d
`;
}

describe('custody survives a crash at any point', { timeout: 60_000 }, () => {
  let driverDir: string;
  let driver: string[];
  let base: string;
  let sandbox: SandboxHandle;
  let t: PassTarget;
  let secrets: Set<string>;
  const outputs: string[] = [];

  const collect = (r: ChildRun) => {
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    driverDir = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-driver-'));
    driver = await prepareDriver(driverDir);
  });

  afterAll(async () => {
    await rm(driverDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-'));
    sandbox = await startSandbox({ env: {}, seed: false });
    secrets = trackIssuedSecrets(sandbox);
    const desiredDir = join(base, 'desired');
    await mkdir(desiredDir);
    await writeFile(join(desiredDir, 'all.yaml'), desiredYaml('ci'));
    t = { driver, sandbox, desiredDir, sinkDir: join(base, 'secrets') };
    outputs.length = 0;
  });

  afterEach(async () => {
    await sandbox.close();
    await rm(base, { recursive: true, force: true });
  });

  const appId = (name: string) => [...sandbox.store.applications.values()].find((a) => a.name === name)!.id;

  async function crash(point: CrashPoint): Promise<void> {
    const r = collect(await driverPass(t, point));
    expect(r.signal, `killed at ${point}: ${r.stderr}`).toBe('SIGKILL');
    expect(r.result).toBeUndefined();
  }

  /** A clean pass; it mints at most one new key (never a second one while one is pending). */
  async function recover(): Promise<ChildRun> {
    const before = new Set(ownedKeys(sandbox, 'deployer').map((k) => k.accessKey));
    const r = collect(await driverPass(t));
    expect(r.code, `recovery pass: ${r.stderr}\n${JSON.stringify(r.result)}`).toBe(0);
    const minted = ownedKeys(sandbox, 'deployer').filter((k) => !before.has(k.accessKey));
    expect(minted.length).toBeLessThanOrEqual(1);
    return r;
  }

  it.each<[CrashPoint, string]>([
    ['before-create', 'nothing created'],
    ['key-created', 'key pending, sink empty'],
    ['secret-written', 'key pending, sink holds it unverified'],
    ['secret-verified', 'key pending, sink holds it verified'],
    ['key-ready', 'key ready'],
  ])('first delivery, killed at %s (%s)', async (point) => {
    await crash(point);
    const afterCrash = ownedKeys(sandbox, 'deployer');
    expect(afterCrash.length).toBeLessThanOrEqual(1);

    await recover();
    const current = await assertCustodyInvariants(t, 'deployer', { applicationId: appId('ci') });
    // A key the sink already held is kept for the overlap (consumers may use it); a key whose
    // secret never reached the sink is gone.
    for (const k of ownedKeys(sandbox, 'deployer')) {
      if (k.accessKey !== current.accessKey) {
        expect(['secret-written', 'secret-verified']).toContain(point);
        expect(k.state).toBe('retiring');
      }
    }
    for (const k of afterCrash) {
      const rec = await sinkRecord(t.sinkDir, 'deployer');
      if (point === 'key-created') expect(sandbox.store.apiKeys.has(k.accessKey)).toBe(false);
      if (point === 'key-ready') expect(rec?.accessKey).toBe(k.accessKey);
    }

    // (Convergence after recovery is checked through the CLI in cli-crash.test.ts.)
    assertNoSecretsIn(secrets, outputs);
  });

  it.each<[CrashPoint]>([['key-created'], ['secret-verified'], ['key-ready']])(
    'rotation to another application, killed at %s',
    async (point) => {
      await recover();
      const first = await assertCustodyInvariants(t, 'deployer', { applicationId: appId('ci') });
      await writeFile(join(t.desiredDir, 'all.yaml'), desiredYaml('ci-next'));

      await crash(point);
      await recover();
      const current = await assertCustodyInvariants(t, 'deployer', { applicationId: appId('ci-next') });
      expect(current.accessKey).not.toBe(first.accessKey);
      // The first key, still what consumers used before the rotation, survives the overlap.
      const keys = ownedKeys(sandbox, 'deployer');
      expect(keys.map((k) => k.accessKey)).toContain(first.accessKey);
      assertNoSecretsIn(secrets, outputs);
    },
  );
});
