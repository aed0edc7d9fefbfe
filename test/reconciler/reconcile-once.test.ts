/**
 * reconcileOnce / applySavedPlan end to end: the sandbox emulator over HTTP, the real client,
 * the real file sink, examples/basic as desired state.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import type { Clock } from '../../src/clock.js';
import type { Settings } from '../../src/config/settings.js';
import { StalePlanError } from '../../src/errors.js';
import { knownSecretValues } from '../../src/model/secret.js';
import { applySavedPlan, reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { renderPlanMarkdown } from '../../src/render/markdown.js';
import { renderPlanText } from '../../src/render/text.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { sandboxDeps } from './sandbox-deps.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let total: number;
let keys: number;

beforeAll(async () => {
  const loaded = await loadDesiredState(EXAMPLES, { instance: 'default', now: new Date() });
  total = loaded.state!.resources.length;
  keys = loaded.state!.resources.filter((r) => r.kind === 'ApiKey').length;
});
let dir: string;
let now: Date;
const clock: Clock = { now: () => now, sleep: async () => {} };

beforeEach(async () => {
  now = new Date('2026-06-01T00:00:00.000Z');
  sandbox = await startSandbox({ env: {}, clock: () => now, randomSeed: 42 });
  dir = await mkdtemp(join(tmpdir(), 'h4-reconcile-'));
});

afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

function setup(overrides: Partial<Settings> = {}) {
  return sandboxDeps(sandbox, dir, clock, overrides);
}

describe('reconcileOnce', () => {
  it('dry run → changes pending; apply → applied; again → no changes; no secret anywhere', async () => {
    const { deps, cap } = await setup();
    const dry = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: true, liveFingerprint: true });
    expect(dry.kind).toBe('changes-pending');
    expect(dry.plan!.summary).toEqual({ create: total, update: 0, replace: 0, delete: 0, adopt: 0 });

    const applied = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: false, liveFingerprint: true });
    expect(applied.summary?.outcomes.filter((o) => o.result !== 'created')).toEqual([]);
    expect(applied.kind).toBe('applied');
    expect(applied.summary!.counts.created).toBe(total);
    const files = await readdir(join(dir, 'secrets'), { recursive: true });
    expect(files.filter((f) => f.endsWith('.env')).length).toBe(keys);

    const again = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: true, liveFingerprint: true });
    expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(again.plan!.steps.map((s) => [s.id, s.changes])).toEqual([]);
    expect(again.kind).toBe('no-changes');
    expect(again.nextDueAt).toBeGreaterThan(now.getTime());

    // The renderings of a plan around created keys and the logs of the apply hold no secret.
    const renders = [dry, applied, again].flatMap((r) => [
      renderPlanText(r.plan!),
      renderPlanJson(r.plan!),
      renderPlanMarkdown(r.plan!),
      JSON.stringify(r),
    ]);
    const secrets = knownSecretValues();
    expect(secrets.length).toBeGreaterThanOrEqual(keys + 1); // admin key + the created keys
    for (const text of renders) for (const v of secrets) expect(text.includes(v)).toBe(false);
    assertNoSecrets(cap.lines);
  });

  it('rotates a key once it is due (time travel), then deletes the previous key after the overlap', async () => {
    const { deps } = await setup();
    expect((await reconcileOnce(deps, { dir: EXAMPLES, dryRun: false })).kind).toBe('applied');
    // api-backend-staging: lifetime 14d, rotateBefore default 1/3 → due after ~9.3 days.
    now = new Date('2026-06-11T00:00:00.000Z');
    const due = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: false });
    expect(
      due.plan!.steps.filter((s) => s.action === 'replace').map((s) => [s.address, s.reason]),
    ).toContainEqual(['ApiKey/api-backend-staging', 'rotation-due']);
    expect(due.kind).toBe('applied');
    now = new Date('2026-06-11T01:00:00.000Z'); // overlap of the staging key: 30m
    const after = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: true });
    expect(after.plan!.steps.filter((s) => s.reason === 'overlap-elapsed').map((s) => s.address)).toContain(
      'ApiKey/api-backend-staging',
    );
  });

  it('invalid desired state → terminal error with diagnostics, nothing listed', async () => {
    const { deps } = await setup();
    const bad = join(dir, 'bad');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(bad);
    await writeFile(
      join(bad, 'a.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata: {}\n',
    );
    const r = await reconcileOnce(deps, { dir: bad, dryRun: true });
    expect(r.kind).toBe('error');
    expect(r.terminal).toBe(true);
    expect(r.listed).toBe(false);
    expect(r.diagnostics.some((d) => d.severity === 'error' && d.location?.file === 'a.yaml')).toBe(true);
  });
});

describe('applySavedPlan', () => {
  it('applies an unchanged plan and refuses a stale one', async () => {
    const { deps } = await setup();
    // a plan that is not saved or rendered as JSON skips the fingerprint; one that is has it
    const unsaved = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: true });
    expect(unsaved.plan!.liveFingerprint).toBeUndefined();
    expect(() => renderPlanJson(unsaved.plan!)).toThrow(/no liveFingerprint/);
    const dry = await reconcileOnce(deps, { dir: EXAMPLES, dryRun: true, liveFingerprint: true });
    expect(dry.plan!.liveFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect({ ...unsaved.plan, liveFingerprint: dry.plan!.liveFingerprint }).toEqual(dry.plan);
    const saved = parsePlanJson(renderPlanJson(dry.plan!));
    // an in-memory plan without a fingerprint cannot be checked against the organization
    await expect(applySavedPlan(unsaved.plan!, deps)).rejects.toThrow(/no live fingerprint/);
    const future = { ...saved, createdAt: '2027-01-01T00:00:00.000Z' };
    await expect(applySavedPlan(future, deps)).rejects.toThrow(/in the future/);
    const ok = await applySavedPlan(saved, deps);
    expect(ok.kind).toBe('applied');

    // A new plan (an update), then someone changes an owned object before apply.
    const { writeFile, cp } = await import('node:fs/promises');
    const copy = join(dir, 'desired');
    await cp(EXAMPLES, copy, { recursive: true });
    await writeFile(
      join(copy, 'extra.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: extra\nspec:\n  description: one more\n',
    );
    const second = await reconcileOnce(deps, { dir: copy, dryRun: true, liveFingerprint: true });
    expect(second.plan!.summary.create).toBe(1);
    const apps = await deps.client.listApplications({ name: 'api-backend' });
    await deps.client.updateApplication(apps[0]!.id, { description: 'changed behind our back' });
    await expect(applySavedPlan(parsePlanJson(renderPlanJson(second.plan!)), deps)).rejects.toBeInstanceOf(
      StalePlanError,
    );
  });
});
