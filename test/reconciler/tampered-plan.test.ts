/**
 * A saved plan is a contract, not a script (issue #12, "Tampered plans"). `apply --plan` re-lists
 * the organization and compares every step's target with what the plan fingerprinted and what
 * this instance owns; the executor then checks each target again with a point read. A plan file
 * edited to delete something scw-gitops does not own (another team's application, the
 * organization owner's own API key) is refused, and nothing at all is written.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { applySavedPlan, reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { sandboxDeps } from './sandbox-deps.js';

const header = (kind: string, name: string) =>
  `---\napiVersion: scw-gitops/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\n`;

const KEEP = `${header('Application', 'ci')}spec: { description: CI }\n${header('ApiKey', 'ci')}spec: { application: ci, lifetime: 90d }\n`;
const GOING = `${header('Application', 'old-tool')}spec: { description: retired tool }\n${header('ApiKey', 'old-tool')}spec: { application: old-tool, lifetime: 90d }\n`;

let sandbox: SandboxHandle;
let dir: string;
let now: Date;
const clock: Clock = { now: () => now, sleep: async () => {} };

beforeEach(async () => {
  now = new Date('2026-06-01T00:00:00.000Z');
  sandbox = await startSandbox({ env: {}, clock: () => now, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-tamper-'));
});

afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

async function deps() {
  const settings = { safety: { maxDeletes: 10, maxDeletePercent: 100 } };
  return (await sandboxDeps(sandbox, dir, clock, settings, 'info')).deps;
}

/** A saved plan (JSON) that deletes the owned `old-tool` application and its key. */
async function savedPrunePlan(): Promise<{
  json: Record<string, unknown>;
  rd: Awaited<ReturnType<typeof deps>>;
}> {
  const rd = await deps();
  const desired = join(dir, 'desired');
  await rm(desired, { recursive: true, force: true });
  await mkdir(desired, { recursive: true });
  await writeFile(join(desired, 'all.yaml'), KEEP + GOING);
  const created = await reconcileOnce(rd, { dir: desired, dryRun: false });
  expect(created.kind).toBe('applied');
  await writeFile(join(desired, 'all.yaml'), KEEP);
  now = new Date(now.getTime() + 60_000);
  const planned = await reconcileOnce(rd, { dir: desired, dryRun: true, liveFingerprint: true });
  expect(planned.kind).toBe('changes-pending');
  expect(planned.plan!.steps.map((s) => `${s.action} ${s.address}`).sort()).toEqual([
    'delete ApiKey/old-tool',
    'delete Application/old-tool',
  ]);
  return { json: JSON.parse(renderPlanJson(planned.plan!)) as Record<string, unknown>, rd };
}

type JsonStep = { action: string; kind: string; before: { object: Record<string, unknown> } };

function writesSince(before: number): string[] {
  const n = sandbox.requestCount() - before;
  return sandbox
    .requests()
    .slice(-n)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path}`);
}

describe('apply --plan with a tampered plan file', { timeout: 30_000 }, () => {
  it('refuses a delete step pointed at an application this instance does not own, and writes nothing', async () => {
    const other = sandbox.store.createApplication({ name: 'billing-exporter', description: 'not ours' });
    const { json, rd } = await savedPrunePlan();
    const steps = json['steps'] as JsonStep[];
    const del = steps.find((s) => s.kind === 'Application')!;
    del.before.object['id'] = other.id;
    del.before.object['name'] = other.name;
    const tampered = parsePlanJson(JSON.stringify(json));

    const before = sandbox.requestCount();
    await expect(applySavedPlan(tampered, rd)).rejects.toThrow(/not owned by this instance|does not carry/);
    expect(writesSince(before)).toEqual([]);
    expect(sandbox.store.applications.has(other.id)).toBe(true);
  });

  it('refuses a delete step pointed at the organization owner’s own (unmarked) API key, and writes nothing', async () => {
    const { json, rd } = await savedPrunePlan();
    const steps = json['steps'] as JsonStep[];
    const del = steps.find((s) => s.kind === 'ApiKey')!;
    del.before.object['accessKey'] = sandbox.adminAccessKey;
    const tampered = parsePlanJson(JSON.stringify(json));

    const before = sandbox.requestCount();
    await expect(applySavedPlan(tampered, rd)).rejects.toThrow(/not owned by this instance|does not carry/);
    expect(writesSince(before)).toEqual([]);
    expect(sandbox.store.apiKeys.has(sandbox.adminAccessKey)).toBe(true);
  });

  it('refuses the same target even when the tamperer also lists it in fingerprintScope', async () => {
    const other = sandbox.store.createApplication({ name: 'payroll', description: 'not ours' });
    const { json, rd } = await savedPrunePlan();
    const steps = json['steps'] as JsonStep[];
    steps.find((s) => s.kind === 'Application')!.before.object['id'] = other.id;
    (json['fingerprintScope'] as Record<string, string[]>)['Application'] = [other.id];
    const tampered = parsePlanJson(JSON.stringify(json));

    const before = sandbox.requestCount();
    await expect(applySavedPlan(tampered, rd)).rejects.toThrow();
    expect(writesSince(before)).toEqual([]);
    expect(sandbox.store.applications.has(other.id)).toBe(true);
  });

  it('applies the untampered plan', async () => {
    const { json, rd } = await savedPrunePlan();
    const result = await applySavedPlan(parsePlanJson(JSON.stringify(json)), rd);
    expect(result.kind).toBe('applied');
    expect([...sandbox.store.applications.values()].some((a) => a.name === 'old-tool')).toBe(false);
  });
});
