/**
 * A large desired state is parsed on a worker thread (one-shot commands list the organization
 * meanwhile): the same result as in-process, diagnostics included; a small one stays in-process.
 * The input limits apply in the worker as in-process, and the abort signal ends the worker.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PARALLEL_MIN_BYTES, workerStats } from '../../src/desired/in-worker.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { aliasBomb } from '../fixtures/desired-inputs.js';

const H = 'apiVersion: scw-gitops/v1alpha1';
const opts = { instance: 'default', now: new Date('2026-01-01T00:00:00Z'), sinkNames: ['local'] };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parallel-load-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeApps(n: number, extra = ''): Promise<number> {
  const text = Array.from(
    { length: n },
    (_, i) =>
      `---\n${H}\nkind: Application\nmetadata:\n  name: app-${i}\nspec:\n  description: application number ${i}\n  tags: [a, b]\n`,
  ).join('');
  await writeFile(join(dir, 'apps.yaml'), text + extra);
  return text.length + extra.length;
}

describe('parallel desired-state load', () => {
  it('parses a large state on a worker thread, with the same result as in-process', {
    timeout: 60_000,
  }, async () => {
    await writeApps(200);
    const before = workerStats.completed;
    const parallel = await loadDesiredState(dir, { ...opts, parallel: { minBytes: 1 } });
    expect(workerStats.completed).toBe(before + 1);
    expect(parallel).toEqual(await loadDesiredState(dir, opts));
    expect(parallel.state?.resources).toHaveLength(200);
  });

  it('diagnostics come back from the worker too', { timeout: 60_000 }, async () => {
    await writeApps(200, `---\n${H}\nkind: Application\nmetadata:\n  name: app-7\n`);
    const before = workerStats.completed;
    const parallel = await loadDesiredState(dir, { ...opts, parallel: { minBytes: 1 } });
    expect(workerStats.completed).toBe(before + 1);
    expect(parallel.state).toBeUndefined();
    expect(parallel.diagnostics.some((d) => d.code === 'duplicate-name')).toBe(true);
    expect(parallel).toEqual(await loadDesiredState(dir, opts));
  });

  it('a state below the size of a worker stays in-process', async () => {
    expect(await writeApps(10)).toBeLessThan(PARALLEL_MIN_BYTES);
    const before = { ...workerStats };
    await loadDesiredState(dir, { ...opts, parallel: true });
    expect(workerStats).toEqual(before);
  });

  it('applies the input limits in the worker', { timeout: 60_000 }, async () => {
    await writeApps(200);
    await writeFile(join(dir, 'big.yaml'), `# ${'x'.repeat(100_000)}\n`);
    await writeFile(join(dir, 'aliases.yaml'), aliasBomb(100)); // 100 aliases of a 100-item list
    const limits = { maxFileBytes: 64 * 1024, maxAliasExpansion: 1000 };
    const before = workerStats.completed;
    const parallel = await loadDesiredState(dir, { ...opts, ...limits, parallel: { minBytes: 1 } });
    expect(workerStats.completed).toBe(before + 1);
    const codes = parallel.diagnostics.map((d) => d.code);
    expect(codes).toContain('file-too-large');
    expect(codes).toContain('alias-limit');
    expect(parallel).toEqual(await loadDesiredState(dir, { ...opts, ...limits }));
  });

  it('rejects with the reason of an abort and ends the worker', { timeout: 60_000 }, async () => {
    await writeApps(2000);
    const controller = new AbortController();
    const pending = loadDesiredState(dir, {
      ...opts,
      signal: controller.signal,
      parallel: { minBytes: 1 },
    }).then(
      () => 'loaded',
      (err: unknown) => err,
    );
    controller.abort(new Error('shutting down'));
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('shutting down');
  });
});
