/**
 * Issue #5, "done when" 2: against the sandbox (in-process, over HTTP, real client) with the CLI's
 * `reconcile` command and a file sink, a key with a 2-minute lifetime and a 1-minute rotateBefore
 * is created by a first reconcile, rotated by a second one a minute later (new key in the sink,
 * the old one alive and marked retiring), and the old key disappears after the overlap.
 *
 * No real minute passes: the CLI command gets an injected clock (CommandDeps.clock, used by the
 * planner, the executor and the sinks) and the sandbox the same clock (startSandbox `clock`, used
 * for timestamps and expiry), so both agree on time.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import type { CliIO } from '../../src/cli/io.js';
import type { Clock } from '../../src/clock.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';

const SEC = 1000;
const MIN = 60 * SEC;

let sandbox: SandboxHandle;
let dir: string;
let now: number;
const clock: Clock = {
  now: () => new Date(now),
  sleep: async (ms) => {
    now += ms;
  },
};
const cap = createLogCapture({ level: 'debug' });
const outputs: string[] = [];

beforeEach(async () => {
  now = Date.parse('2027-03-01T09:00:00.000Z');
  sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 5, clock: () => new Date(now) });
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-sandbox-'));
  await mkdir(join(dir, 'desired'));
  await writeFile(
    join(dir, 'desired', 'keys.yaml'),
    `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: deployer
spec:
  description: short-lived deployer
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: short
spec:
  application: deployer
  description: rotated every minute
  lifetime: 2m
  rotation:
    rotateBefore: 1m
    overlap: 30s
`,
  );
  await writeFile(
    join(dir, 'settings.yaml'),
    `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
source:
  dir: ${join(dir, 'desired')}
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
sinks:
  - name: local
    type: file
    dir: ${join(dir, 'secrets')}
    format: dotenv
defaults:
  sink: local
`,
  );
  cap.clear();
  outputs.length = 0;
});

afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

function io(): { io: CliIO; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (t) => {
        out.push(t);
        outputs.push(t);
      },
      stderr: (t) => {
        err.push(t);
        outputs.push(t);
      },
      env: {
        SCW_API_URL: sandbox.url,
        SCW_ACCESS_KEY: sandbox.adminAccessKey,
        SCW_SECRET_KEY: sandbox.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
      },
      cwd: dir,
      isTTY: false,
      signal: new AbortController().signal,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const deps = () => ({ clock, logger: cap.logger, homeDir: dir });

async function runReconcile(): Promise<string> {
  const t = io();
  const code = await reconcile(['--config', join(dir, 'settings.yaml')], t.io, deps());
  expect(code, `reconcile: ${t.out()}\n${t.err()}`).toBe(0);
  return t.out();
}

/** The owned keys named `short` in the sandbox, with their custody state. */
function keys() {
  return [...sandbox.store.apiKeys.values()]
    .map((k) => ({ k, m: parseKeyDescription(k.description).marker }))
    .filter((x) => x.m?.name === 'short')
    .map((x) => ({
      accessKey: x.k.access_key,
      state: x.m!.state,
      expiresAt: x.k.expires_at,
      expired: sandbox.store.isExpired(x.k),
    }));
}

/** The dotenv file the sink wrote: access key, previous access key, and whether the secret matches. */
async function sinkFile() {
  const text = await readFile(join(dir, 'secrets', 'short.env'), 'utf8');
  const accessKey = /^SCW_ACCESS_KEY=(\S+)$/m.exec(text)?.[1];
  const secret = /^SCW_SECRET_KEY=(\S+)$/m.exec(text)?.[1];
  const previous = /previousAccessKey=(SCW[A-Z0-9]+)/.exec(text)?.[1];
  const issued = accessKey ? sandbox.store.apiKeys.get(accessKey)?.secret_key : undefined;
  return { accessKey, previous, secretMatches: secret !== undefined && secret === issued, text };
}

describe('rotation against the sandbox, CLI reconcile, file sink, injected clock', () => {
  it('2m lifetime / 1m rotateBefore: created, rotated a minute later, old key deleted after the overlap', async () => {
    const t0 = now;
    // 1. First reconcile: the key is created with expires_at = now + 2m, secret in the file.
    expect(await runReconcile()).toContain('Apply complete! 2 created');
    const [a] = keys();
    expect(keys()).toHaveLength(1);
    expect(a!.state).toBe('ready');
    expect(Date.parse(a!.expiresAt!)).toBe(t0 + 2 * MIN);
    const s1 = await sinkFile();
    expect(s1.accessKey).toBe(a!.accessKey);
    expect(s1.secretMatches).toBe(true);

    // 30 s later: not due yet (rotation at expiry − 1m), nothing to do.
    now = t0 + 30 * SEC;
    const early = io();
    expect(await reconcile(['--config', join(dir, 'settings.yaml'), '--dry-run'], early.io, deps())).toBe(0);
    expect(early.out()).toContain('No changes');

    // 2. A minute (and a bit) later, a second reconcile rotates it.
    now = t0 + MIN + 1 * SEC;
    const rotated = await runReconcile();
    expect(rotated).toContain('ApiKey/short: replaced');
    const after = keys();
    expect(after).toHaveLength(2);
    const b = after.find((k) => k.accessKey !== a!.accessKey)!;
    expect(b.state).toBe('ready');
    expect(Date.parse(b.expiresAt!)).toBe(now + 2 * MIN);
    expect(after.find((k) => k.accessKey === a!.accessKey)).toMatchObject({
      state: 'retiring',
      expired: false,
    });
    const s2 = await sinkFile();
    expect(s2.accessKey).toBe(b.accessKey);
    expect(s2.previous).toBe(a!.accessKey);
    expect(s2.secretMatches).toBe(true);
    const rotatedAt = now;

    // Inside the overlap (30 s): the old key survives; the plan says when it goes.
    now = rotatedAt + 29 * SEC;
    const inside = io();
    expect(
      await plan(['--config', join(dir, 'settings.yaml'), '-o', 'json'], inside.io, deps()),
      inside.err(),
    ).toBe(0);
    const insidePlan = JSON.parse(inside.out()) as { steps: unknown[]; nextDueAt?: string };
    expect(insidePlan.steps).toEqual([]);
    expect(Date.parse(insidePlan.nextDueAt!)).toBeGreaterThanOrEqual(rotatedAt + 30 * SEC);
    expect(Date.parse(insidePlan.nextDueAt!)).toBeLessThan(rotatedAt + 31 * SEC);
    expect(await runReconcile()).not.toContain('deleted');
    expect(keys().map((k) => k.accessKey)).toContain(a!.accessKey);

    // 3. After the overlap: the old key is deleted (before it would have expired), the new one stays.
    now = rotatedAt + 31 * SEC;
    const cleanup = await runReconcile();
    expect(cleanup).toContain('ApiKey/short: deleted');
    expect(now).toBeLessThan(Date.parse(a!.expiresAt!));
    expect(keys().map((k) => [k.accessKey, k.state])).toEqual([[b.accessKey, 'ready']]);
    expect((await sinkFile()).accessKey).toBe(b.accessKey);

    // And the cycle goes on: the new key rotates a minute after its creation.
    now = rotatedAt + MIN + 1 * SEC;
    expect(await runReconcile()).toContain('ApiKey/short: replaced');
    expect(keys()).toHaveLength(2);

    assertNoSecrets(cap.lines);
    assertNoSecrets(outputs);
  });
});
