/**
 * Listings are hints (issue #12, "Pagination shift"). Another team works in the console while
 * scw-gitops lists the organization: between two page fetches one object of an earlier page is
 * deleted and another is created, so `total_count` stays the same, the count check passes, and
 * the object at the page boundary slides onto a page already read: the listing silently misses
 * it. The sandbox's `shift` fault does this on every listing, three passes in a row.
 *
 * Whatever the listings miss, every write is checked by a point read just before it: the
 * applications and keys converge with zero duplicates, zero double replacements and zero live
 * keys whose secret no sink holds.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { sandboxDeps } from './sandbox-deps.js';

const DESIRED = `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: ci-runner }
spec: { description: CI runners }
---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: deployer }
spec: { description: deploys }
---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: backup }
spec: { description: nightly backups }
---
apiVersion: scw-gitops/v1alpha1
kind: Group
metadata: { name: runners }
spec:
  members: { applications: [ci-runner, deployer] }
---
apiVersion: scw-gitops/v1alpha1
kind: Policy
metadata: { name: runners-storage }
spec:
  principal: { group: runners }
  rules:
    - permissionSets: [ObjectStorageReadOnly]
      projects: [default]
---
apiVersion: scw-gitops/v1alpha1
kind: Policy
metadata: { name: ci-runner-registry }
spec:
  principal: { application: ci-runner }
  rules:
    - permissionSets: [ContainerRegistryReadOnly]
      projects: [default]
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: ci-runner }
spec: { application: ci-runner, lifetime: 90d }
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: deployer }
spec: { application: deployer, lifetime: 90d }
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: backup }
spec: { application: backup, lifetime: 90d }
`;

const APPS = ['ci-runner', 'deployer', 'backup'];
const KEYS = ['ci-runner', 'deployer', 'backup'];

let sandbox: SandboxHandle;
let dir: string;
let now: Date;
const clock: Clock = { now: () => now, sleep: async () => {} };

beforeEach(async () => {
  now = new Date('2026-06-01T00:00:00.000Z');
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-shift-'));
  await writeFile(join(dir, 'desired.yaml'), DESIRED);
});

afterEach(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

async function setup() {
  return (await sandboxDeps(sandbox, dir, clock, {}, 'info')).deps;
}

/** Access keys of the keys carrying our marker for `name`, with their state. */
function ourKeys(name: string): { accessKey: string; state: string }[] {
  return [...sandbox.store.apiKeys.values()]
    .map((k) => ({ accessKey: k.access_key, marker: parseKeyDescription(k.description).marker }))
    .filter((k) => k.marker?.instance === 'default' && k.marker.name === name)
    .map((k) => ({ accessKey: k.accessKey, state: k.marker!.state }));
}

async function sinkHolds(name: string): Promise<string | undefined> {
  const text = await readFile(join(dir, 'secrets', `${name}.env`), 'utf8').catch(() => '');
  return /^SCW_ACCESS_KEY=(\S+)$/m.exec(text)?.[1];
}

describe('listings shifted by concurrent writers', { timeout: 60_000 }, () => {
  it.each([1, 2, 3])(
    'three passes with a shift on every listing converge: no duplicate, no double replacement, no key without its secret (seed %i)',
    async (seed) => {
      sandbox = await startSandbox({
        env: {},
        seed: false,
        randomSeed: seed,
        clock: () => now,
        maxPageSize: 4,
        faults: { shiftRate: 1, seed },
      });
      // Another team's objects around ours, on every page.
      sandbox.seedBulk({
        applications: 9,
        apiKeysPerApplication: 1,
        groups: 5,
        policies: 5,
        prefix: 'other',
      });
      const deps = await setup();
      const ids = new Map<string, string>();

      for (let pass = 1; pass <= 3; pass++) {
        now = new Date(now.getTime() + 60_000);
        const result = await reconcileOnce(deps, { dir, dryRun: false });
        expect(result.kind, `pass ${pass}: ${result.error}`).not.toBe('error');
        if (pass === 1) {
          for (const name of APPS) {
            ids.set(name, [...sandbox.store.applications.values()].find((a) => a.name === name)!.id);
          }
        }
      }

      // The shifts did hide objects of ours from the passes after the first.
      const ours = new Set<string>([...ids.values()]);
      for (const name of KEYS) for (const k of ourKeys(name)) ours.add(k.accessKey);
      const hidden = sandbox.faults.shifts().filter((s) => s.slid !== undefined && ours.has(s.slid));
      expect(hidden.length, 'no shift hid an object of ours: the scenario proves nothing').toBeGreaterThan(0);

      // Zero duplicates: each application exists once, the same one as after the first pass.
      for (const name of APPS) {
        const named = [...sandbox.store.applications.values()].filter((a) => a.name === name);
        expect(
          named.map((a) => a.id),
          name,
        ).toEqual([ids.get(name)]);
      }
      expect([...sandbox.store.groups.values()].filter((g) => g.name === 'runners')).toHaveLength(1);
      const group = [...sandbox.store.groups.values()].find((g) => g.name === 'runners')!;
      expect([...group.application_ids].sort()).toEqual([ids.get('ci-runner'), ids.get('deployer')].sort());
      const policy = [...sandbox.store.policies.values()].find((p) => p.name === 'ci-runner-registry')!;
      expect(policy.principal).toEqual({ application_id: ids.get('ci-runner') });

      // Zero double replacements: one key created per declared key, ever.
      const keyCreates = sandbox
        .requests()
        .filter((r) => r.method === 'POST' && r.path === '/iam/v1alpha1/api-keys' && r.status === 200);
      expect(keyCreates).toHaveLength(KEYS.length);

      // Zero live keys whose secret no sink holds.
      for (const name of KEYS) {
        const keys = ourKeys(name);
        expect(
          keys.map((k) => k.state),
          name,
        ).toEqual(['ready']);
        expect(await sinkHolds(name), name).toBe(keys[0]!.accessKey);
      }

      // With the console quiet again, the organization is converged.
      sandbox.faults.adjust({ shiftRate: undefined });
      now = new Date(now.getTime() + 60_000);
      const quiet = await reconcileOnce(deps, { dir, dryRun: true });
      expect(quiet.kind, JSON.stringify(quiet.plan?.steps.map((s) => s.id))).toBe('no-changes');
    },
  );
});
