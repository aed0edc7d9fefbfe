/**
 * The apply engine through the real HTTP client against the sandbox with faults switched on
 * (answers lost after commit, 5xx, resets, group 409 transient_state, 403 after policy changes).
 * Passes (observe → plan → apply) repeat until one has nothing to do; then every object exists
 * exactly once (no ambiguous create was ever re-sent), every key's secret is in its sink, and no
 * log line holds a secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDesiredFromTexts } from '../../src/desired/load.js';
import { executePlan } from '../../src/executor/execute-plan.js';
import { observeSinks } from '../../src/sinks/observe.js';
import type { DesiredState } from '../../src/model/desired.js';
import { Secret } from '../../src/model/secret.js';
import { buildPlan, defaultPlanOptions } from '../../src/planner/build-plan.js';
import { type FaultOptions, type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
import { assertCustodyInvariants, trackIssuedSecrets } from '../crash/helpers.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';

const YAML = `---
apiVersion: scw-gitops/v1alpha1
kind: Project
metadata: { name: web }
spec: { description: website }
---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: ci }
spec: { description: CI, tags: [team=platform] }
---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: web-deployer }
spec: { description: deploys the site }
---
apiVersion: scw-gitops/v1alpha1
kind: Group
metadata: { name: deployers }
spec:
  members: { applications: [ci, web-deployer] }
---
apiVersion: scw-gitops/v1alpha1
kind: Policy
metadata: { name: deployers-storage }
spec:
  principal: { group: deployers }
  rules:
    - permissionSets: [ObjectStorageFullAccess]
      projects: [web]
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: ci }
spec: { application: ci, lifetime: 30d, defaultProject: web }
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: web-deployer }
spec: { application: web-deployer, lifetime: 30d }
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: ci-nightly }
spec: { application: ci, description: nightly jobs }
`;

function desired(now: Date): DesiredState {
  const r = loadDesiredFromTexts('desired', [{ file: 'all.yaml', text: YAML }], {
    instance: 'default',
    now,
    sinkNames: ['local'],
    defaultSink: 'local',
  });
  if (!r.state) throw new Error(JSON.stringify(r.diagnostics));
  return r.state;
}

const CHAOS: FaultOptions = {
  ambiguousWriteRate: 0.2,
  rate5xx: 0.05,
  resetRate: 0.05,
  groupTransientWindowMs: 50,
};

describe('apply against a faulty sandbox', { timeout: 60_000 }, () => {
  let dir: string;
  let sandbox: SandboxHandle;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scw-gitops-chaos-'));
  });

  afterEach(async () => {
    await sandbox?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[number, FaultOptions]>([
    [11, CHAOS],
    [23, CHAOS],
    [42, CHAOS],
    // IAM propagation: every request is refused (403) for a moment after a policy change.
    [7, { transient403WindowMs: 150, transient403IncludesAdmin: true, groupTransientWindowMs: 50 }],
  ])('converges without duplicates or lost secrets (seed %i)', async (seed, faults) => {
    // One fake clock for the sandbox (timestamps, propagation and transient windows) and the
    // executor (its retry sleeps move time on at once): the windows close deterministically.
    const clock = new FakeClock();
    sandbox = await startSandbox({
      env: {},
      seed: false,
      randomSeed: seed,
      clock: clock.now,
      faults: { seed, ...faults },
    });
    const secrets = trackIssuedSecrets(sandbox);
    const logs = createLogCapture({ level: 'debug' });
    const client = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      logger: logs.logger,
      retry: { retries: 4, minTimeoutMs: 5, maxTimeoutMs: 20 },
      timeoutMs: 5_000,
    });
    const layout = { name: 'local', type: 'file', dir: join(dir, 'secrets'), format: 'dotenv' } as const;
    const sink = createFileSink(layout);
    const sinks = new Map([['local', sink]]);
    const state = desired(clock.now());

    let passes = 0;
    let lastSteps = -1;
    const failures: string[] = [];
    while (passes < 12 && lastSteps !== 0) {
      passes++;
      const live = await observeLive(client, { instance: 'default', now: clock.now });
      const sinkRecords = await observeSinks(state, sinks, { layouts: [layout], defaultSink: 'local' });
      const plan = buildPlan({
        desired: state,
        live,
        sinkRecords,
        options: defaultPlanOptions({ instance: 'default', sinks: [layout], defaultSink: 'local' }),
        now: clock.now(),
      });
      expect(plan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      lastSteps = plan.steps.length;
      if (lastSteps === 0) break;
      const summary = await executePlan(plan, {
        client,
        sinks,
        clock,
        logger: logs.logger,
        // Backoff outlasting the sandbox's 150 ms propagation window (which every further
        // permission change reopens): up to 20+40+80+160+200·5 ms.
        retry: { attempts: 10, baseDelayMs: 20, maxDelayMs: 200, sinkDelayMs: 5 },
        crashHook: () => undefined,
      });
      for (const o of summary.outcomes) if (o.result === 'failed') failures.push(o.error ?? '');
      // Let any propagation window close before the next listing.
      if (faults.transient403WindowMs) clock.advance(faults.transient403WindowMs);
      // Whatever failed, no key is ever left active without being marked pending or delivered.
      for (const name of ['ci', 'web-deployer', 'ci-nightly']) {
        for (const k of ownedKeys(sandbox, name)) expect(['pending', 'ready', 'retiring']).toContain(k.state);
      }
    }
    expect(lastSteps, `not converged after ${passes} passes; failures: ${failures.join(' | ')}`).toBe(0);
    // The faults did happen.
    const faulted = new Set(sandbox.requests().map((r) => r.fault));
    if (faults.ambiguousWriteRate) expect(faulted.has('ambiguous')).toBe(true);
    if (faults.transient403WindowMs) expect(faulted.has('403')).toBe(true);
    if (faulted.has('403')) {
      // Refused right after a permission change of this run: retried by the executor (how many
      // attempts that takes depends on timing; convergence above is the invariant).
      expect(logs.lines.some((l) => l.msg === 'retrying' && l.reason === 'iam-propagation')).toBe(true);
    }

    // Every named object exists exactly once.
    const count = (items: Iterable<{ name: string }>, name: string) =>
      [...items].filter((i) => i.name === name).length;
    expect(count(sandbox.store.projects.values(), 'web')).toBe(1);
    expect(count(sandbox.store.applications.values(), 'ci')).toBe(1);
    expect(count(sandbox.store.applications.values(), 'web-deployer')).toBe(1);
    expect(count(sandbox.store.groups.values(), 'deployers')).toBe(1);
    expect(count(sandbox.store.policies.values(), 'deployers-storage')).toBe(1);
    const group = [...sandbox.store.groups.values()].find((g) => g.name === 'deployers')!;
    expect(group.application_ids).toHaveLength(2);

    const t = { driver: [], sandbox, desiredDir: '', sinkDir: join(dir, 'secrets') };
    for (const name of ['ci', 'web-deployer', 'ci-nightly']) await assertCustodyInvariants(t, name);
    assertNoSecrets(logs.raw, [...secrets]);
  });
});
