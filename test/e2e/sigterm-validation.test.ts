/**
 * SIGTERM while the daemon validates a large desired state: `scw-gitops run` (a child process, the
 * real composition root and signal handling) loads eight files of almost 1 MiB each, about 48,000
 * documents, and is told to stop while its first pass is loading them. The loader gives the event
 * loop a turn at its safe points and checks the pass's abort signal there
 * (docs/design/input-limits.md), so the daemon stops the pass mid-validation and exits 0.
 *
 * Nothing here is timed beyond a generous bound on the exit (the measured latency is in
 * `npm run bench`, bench/scenarios/input-limits.ts): the assertions are on what the daemon did.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongValidation } from '../fixtures/desired-inputs.js';
import { childEnv, type DaemonChild, spawnDaemon } from './child.js';

const FILES = 8;

describe('SIGTERM during a long validation (daemon as a child process)', () => {
  let tmp: string;
  let child: DaemonChild | undefined;
  let settings: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-e2e-sigterm-validation-'));
    settings = await writeLongValidation(tmp, FILES);
  });

  afterAll(async () => {
    child?.kill();
    await rm(tmp, { recursive: true, force: true });
  });

  it('stops the pass while it validates and exits 0', { timeout: 120_000 }, async () => {
    child = spawnDaemon(['run', '--config', settings], childEnv(tmp, {}));
    await child.waitForLine((l) => l['msg'] === 'reconcile pass started', 60_000, 'the first pass');
    child.proc.kill('SIGTERM');

    const exit = await child.exitWithin(60_000);
    expect(exit, child.raw()).toEqual({ code: 0, signal: null });

    const msgs = child.lines.map((l) => l['msg']);
    expect(msgs).toContain('stop requested');
    expect(msgs.at(-1)).toBe('stopped');
    // The pass ended as aborted, before the desired state was ever complete: nothing was listed,
    // planned or applied.
    const failed = child.lines.find((l) => l['msg'] === 'reconcile pass failed');
    expect(failed, child.raw()).toMatchObject({ verdict: 'aborted' });
    expect(msgs).not.toContain('reconcile pass finished');
    expect(msgs).not.toContain('desired state is invalid; nothing planned');
    expect(child.lines.filter((l) => typeof l['plan'] === 'object')).toEqual([]);
  });
});
