/**
 * What `npm start` does (`node dist/cli/main.js run --config config/sandbox.yaml`), run from the
 * TypeScript sources: the shipped sandbox settings, the shipped examples/basic, the in-process
 * sandbox. Only the port (SCW_GITOPS_PORT=0) and the data directory (SCW_GITOPS_DATA_DIR, the
 * container's override) are changed, so the test neither needs port 8080 nor touches the
 * working tree's .secrets/ and .sandbox/.
 *
 * Asserts: ready, every example resource applied in one pass (and logged: the plan and the
 * result), one secret file per API key with mode 0600, no secret in the logs, still running,
 * and a clean exit 0 on SIGTERM.
 *
 * The shipped schedule runs on the wall clock (resync every 5 minutes, rotation check every
 * minute), so a later pass may run at any moment of this test. Nothing here depends on which
 * pass finished last: the first pass applies everything, and every later pass must be a no-op
 * ("converged", nothing planned), which is the stronger property anyway.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { childEnv, type DaemonChild, parseDotenv, ROOT, spawnDaemon } from './child.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('npm start (config/sandbox.yaml on examples/basic)', () => {
  let data: string;
  let child: DaemonChild;
  let url: string;
  let adminUrl: string;

  beforeAll(async () => {
    data = await mkdtemp(path.join(tmpdir(), 'scw-e2e-npm-start-'));
    child = spawnDaemon(
      ['run', '--config', 'config/sandbox.yaml'],
      childEnv(data, { SCW_GITOPS_PORT: '0', SCW_GITOPS_DATA_DIR: data }),
    );
    const listening = await child.waitForLine(
      (l) => l['msg'] === 'http server listening' && l['listener'] === 'main',
      60_000,
      'listening',
    );
    url = String(listening['url']);
    const admin = await child.waitForLine(
      (l) => l['msg'] === 'http server listening' && l['listener'] === 'admin',
      60_000,
      'admin listener',
    );
    adminUrl = String(admin['url']);
    await child.waitForLine((l) => l['msg'] === 'reconcile pass finished', 60_000, 'the first pass');
  }, 120_000);

  afterAll(async () => {
    child?.kill();
    await rm(data, { recursive: true, force: true });
  });

  it('applies every example resource in its first pass, logging the plan and the result', async () => {
    const desired = await loadDesiredState(path.join(ROOT, 'examples/basic'), {
      instance: 'sandbox',
      now: new Date(),
      sinkNames: ['local'],
      defaultSink: 'local',
    });
    expect(desired.state).toBeDefined();
    const resources = desired.state!.resources;

    const finished = child.lines.find((l) => l['msg'] === 'reconcile pass finished')!;
    expect(finished).toMatchObject({ result: 'applied' });
    const plan = finished['plan'] as Record<string, number>;
    expect(plan['create']).toBe(resources.length);
    const applied = finished['applied'] as Record<string, number>;
    expect(applied).toMatchObject({ created: resources.length, failed: 0, skipped: 0 });
    // The plan, step by step, with each step's result.
    const changes = finished['changes'] as string[];
    expect(changes).toHaveLength(resources.length);
    for (const r of resources) {
      expect(
        changes.some((c) => c.startsWith(`create ${r.kind}/${r.name} `) && c.endsWith(': created')),
      ).toBe(true);
    }
    // Every line of the pass carries its reconcile id.
    const id = finished['reconcileId'];
    expect(typeof id).toBe('string');
    expect(
      child.lines
        .filter((l) => l['msg'] === 'secret delivered and verified')
        .every((l) => l['reconcileId'] === id),
    ).toBe(true);
    // The data paths moved to SCW_GITOPS_DATA_DIR.
    const sandboxLine = child.lines.find((l) => l['msg'] === 'sandbox started in-process');
    expect(sandboxLine?.['stateFile']).toBe(path.join(data, '.sandbox/state.json'));
  });

  it('is ready and reports the pass in /status and /metrics', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // /status is on the loopback admin listener; the main port wants a token for it.
    expect((await fetch(`${url}/status`)).status).toBe(401);
    const status = (await (await fetch(`${adminUrl}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ ready: true, instance: 'sandbox' });
    expect(status['revision']).toEqual(expect.any(String));
    expect((status['nextRotations'] as unknown[]).length).toBeGreaterThan(0);
    // The last pass is the first one (applied, nothing left to do after it) or a later no-op.
    const last = status['lastPass'] as { reconcileId: string; result: string };
    const first = child.lines.find((l) => l['msg'] === 'reconcile pass finished')!;
    if (last.reconcileId === first['reconcileId']) {
      expect(last.result).toBe('applied');
      expect(status['outlook']).toMatchObject({ remainingSteps: 0 });
    } else {
      expect(last.result).toBe('converged');
      expect(status['plan']).toMatchObject({ steps: [] });
    }
    // Any later pass (a resync or rotation check that came due meanwhile) changed nothing.
    const later = child.lines.filter((l) => l['msg'] === 'reconcile pass finished').slice(1);
    for (const l of later) {
      expect(l, JSON.stringify(l)).toMatchObject({ result: 'converged' });
      expect(l['changes']).toBeUndefined();
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^scw_gitops_reconcile_total\{result="applied"\} 1$/m);
    expect(metrics).not.toMatch(/^scw_gitops_reconcile_total\{result="(?!applied|converged)/m);
    expect(metrics).toMatch(/^scw_gitops_key_seconds_to_expiry\{key="ApiKey\/[^"]+"\} \d+/m);
  });

  it('holds one secret per API key in the file sink, mode 0600, and never logs one', async () => {
    const desired = await loadDesiredState(path.join(ROOT, 'examples/basic'), {
      instance: 'sandbox',
      now: new Date(),
      sinkNames: ['local'],
      defaultSink: 'local',
    });
    const keyNames = desired.state!.resources.filter((r) => r.kind === 'ApiKey').map((r) => r.name);
    expect(keyNames.length).toBeGreaterThan(0);
    const files = await filesUnder(path.join(data, '.secrets/sandbox'));
    const records = await Promise.all(
      files.map(async (f) => ({
        f,
        mode: (await stat(f)).mode & 0o777,
        ...parseDotenv(await readFile(f, 'utf8')),
      })),
    );
    expect(records.map((r) => r.meta['keyName']).sort()).toEqual([...keyNames].sort());
    for (const r of records) {
      expect(r.mode, r.f).toBe(0o600);
      expect(r.vars['SCW_ACCESS_KEY']).toMatch(/^SCW[0-9A-Z]{17}$/);
      expect(r.vars['SCW_SECRET_KEY']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(records.map((r) => r.vars['SCW_ACCESS_KEY'])).size).toBe(keyNames.length);
    assertNoSecrets(
      child.raw().split('\n'),
      records.map((r) => r.vars['SCW_SECRET_KEY']!),
    );
  });

  it('stays running, then stops cleanly on SIGTERM', async () => {
    expect(child.proc.exitCode).toBeNull();
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit, child.raw()).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)?.['msg']).toBe('stopped');
  });
});
