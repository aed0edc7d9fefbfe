/**
 * Input limits of the desired-state loader (docs/design/input-limits.md): alias expansion counted
 * before anything expands it, a per-file size limit checked before reading, a cap on diagnostics
 * per file, and a loader that yields to the event loop and honours an abort signal. Each refusal
 * is a diagnostic naming the file, the limit and the count. Speed and memory of the same inputs
 * are measured in the benchmark (bench/scenarios/input-limits.ts), not here.
 */
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ALIAS_EXPANSION } from '../../src/desired/aliases.js';
import { capPerFile, loadDesiredState, MAX_DIAGNOSTICS_PER_FILE } from '../../src/desired/load.js';
import type { DesiredPolicy } from '../../src/model/desired.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';
import { aliasBomb, largeValidFile } from '../fixtures/desired-inputs.js';
import { load, NOW } from './helpers.js';

const opts = { instance: 'default', now: NOW };

describe('alias expansion', () => {
  it('refuses the 100 KB alias bomb (1,500 aliases of a 1,500-item list) by counting, naming file, limit and count', () => {
    const text = aliasBomb(1500);
    expect(text.length).toBeGreaterThan(90_000);
    expect(text.length).toBeLessThan(120_000);
    const r = load({ 'bomb.yaml': text });
    expect(r.state).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d).toMatchObject({ severity: 'error', code: 'alias-limit', location: { file: 'bomb.yaml' } });
    expect(d.message).toContain('bomb.yaml');
    expect(d.message).toContain('2,248,500 nodes'); // 1,499 aliases × 1,500 items
    expect(d.message).toContain(`limit is ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')}`);
  });

  it('measures an exponential bomb without expanding it', () => {
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 30; i++)
      levels.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const r = load({ 'laughs.yaml': `${levels.join('\n')}\n` });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['alias-limit']);
    expect(r.diagnostics[0]!.message).toMatch(/by about 1\.\de\+\d+ nodes/);
  });

  it('refuses an alias inside the value it names (a cycle) instead of recursing forever', () => {
    const text =
      'apiVersion: scw-gitops/v1alpha1\nkind: Group\nmetadata:\n  name: g\nspec:\n  members: &m [a, *m]\n';
    const r = load({ 'cycle.yaml': text });
    expect(r.diagnostics.map((d) => [d.code, d.location?.line])).toEqual([['alias-cycle', 6]]);
    expect(r.diagnostics[0]!.message).toContain('*m');
  });

  it('keeps aliases that stay within the limit working (a shared list of permission sets)', () => {
    const rule = (i: number) => `    - projects: [p${i}]\n      permissionSets: *common\n`;
    const text = [
      'apiVersion: scw-gitops/v1alpha1',
      'kind: Policy',
      'metadata:',
      '  name: shared',
      'spec:',
      '  principal: { application: app }',
      '  rules:',
      '    - organization: true',
      '      permissionSets: &common [IAMReadOnly, ProjectReadOnly]',
      ...Array.from({ length: 3 }, (_, i) => rule(i).trimEnd()),
      '---',
      'apiVersion: scw-gitops/v1alpha1',
      'kind: Application',
      'metadata: { name: app }',
      ...Array.from(
        { length: 3 },
        (_, i) => `---\napiVersion: scw-gitops/v1alpha1\nkind: Project\nmetadata: { name: p${i} }`,
      ),
    ].join('\n');
    const r = load({ 'ok.yaml': `${text}\n` });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const policy = r.state?.resources.find((x): x is DesiredPolicy => x.kind === 'Policy');
    expect(policy?.rules.map((x) => x.permissionSets)).toEqual(
      Array(4).fill(['IAMReadOnly', 'ProjectReadOnly']),
    );
  });

  it('counts per file, over all its documents', () => {
    const doc = (i: number) =>
      `---\nx${i}: &l${i} [${Array(400).fill('a').join(', ')}]\ny${i}: [${Array(100).fill(`*l${i}`).join(', ')}]\n`;
    // each document adds 100 × 400 = 40,000 nodes: the third crosses 100,000
    const r = load({ 'many.yaml': [0, 1, 2].map(doc).join('') });
    const limit = r.diagnostics.filter((d) => d.code === 'alias-limit');
    expect(limit.map((d) => d.location?.line)).toEqual([9]);
    expect(limit[0]!.message).toContain('120,000 nodes');
  });
});

describe('diagnostics per file', () => {
  it('reports the first 100 of a file, then the count of the rest', () => {
    const docs = Array.from(
      { length: 250 },
      (_, i) =>
        `---\napiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata: { name: a${i} }\nspec: { bogus: 1 }\n`,
    );
    const r = load({ 'noisy.yaml': docs.join(''), 'other.yaml': 'kind: [\n' });
    const noisy = r.diagnostics.filter((d) => d.location?.file === 'noisy.yaml');
    expect(noisy).toHaveLength(MAX_DIAGNOSTICS_PER_FILE + 1);
    expect(noisy.slice(0, 100).every((d) => d.code === 'unknown-field')).toBe(true);
    const last = noisy[100]!;
    expect(last).toMatchObject({ severity: 'error', code: 'too-many-diagnostics' });
    expect(last.message).toBe(
      '150 more problems in noisy.yaml not shown (the first 100 are); fix these and validate again',
    );
    // the other file keeps its own diagnostics, after the summary
    expect(r.diagnostics.at(-1)!.location?.file).toBe('other.yaml');
  });

  it('caps by severity order within the file and keeps diagnostics without a file', () => {
    const d = (
      file: string | undefined,
      line: number,
      severity: Diagnostic['severity'] = 'warning',
    ): Diagnostic => ({
      severity,
      code: 'x',
      message: 'm',
      ...(file ? { location: { file, line, col: 1 } } : {}),
    });
    const out = capPerFile([d(undefined, 0), d('a', 1), d('a', 2), d('a', 3), d('b', 1)], 1);
    expect(out.map((x) => [x.location?.file, x.code])).toEqual([
      [undefined, 'x'],
      ['a', 'x'],
      ['a', 'too-many-diagnostics'],
      ['b', 'x'],
    ]);
    expect(out[2]!.severity).toBe('warning');
  });
});

describe('file size', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'scw-limits-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('refuses a 60 MB file from its size, without reading it', async () => {
    // A sparse file: 60 MB long, no data blocks. Reading it whole would allocate 60 MB.
    const h = await open(join(tmp, 'huge.yaml'), 'w');
    await h.truncate(60 * 1024 * 1024);
    await h.close();
    await writeFile(
      join(tmp, 'ok.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Project\nmetadata: { name: p }\n',
    );
    const r = await loadDesiredState(tmp, opts);
    expect(r.state).toBeUndefined();
    expect(r.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'file-too-large',
        message:
          'huge.yaml is 60.0 MiB (62914560 bytes); the limit is 1.0 MiB (1048576 bytes) per file (source.maxFileBytes), so it was not read',
        location: { file: 'huge.yaml', line: 1, col: 1 },
        hint: 'split it into several files',
      },
    ]);
  });

  it('applies the configured limit, to files on disk and to texts', async () => {
    await writeFile(join(tmp, 'a.yaml'), `# ${'x'.repeat(3000)}\n`);
    const r = await loadDesiredState(tmp, { ...opts, maxFileBytes: 2048 });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['file-too-large']);
    expect(r.diagnostics[0]!.message).toContain('the limit is 2.0 KiB (2048 bytes)');
    expect(
      (await loadDesiredState(tmp, { ...opts, maxFileBytes: 4096 })).diagnostics.map((d) => d.code),
    ).toEqual(['empty-state']);
    expect(load({ 't.yaml': `# ${'y'.repeat(5000)}` }, { maxFileBytes: 4096 }).diagnostics[0]!.code).toBe(
      'file-too-large',
    );
  });
});

describe('yielding and aborting', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'scw-yield-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('gives the event loop turns while it parses, and stops at the next pause once aborted', async () => {
    // A large file (about 1,800 documents): a long validation. A ticker counts event-loop turns.
    await mkdir(join(tmp, 'apps'));
    await writeFile(join(tmp, 'apps/a.yaml'), largeValidFile('a', 300 * 1024));
    await writeFile(join(tmp, 'apps/b.yaml'), largeValidFile('b', 2 * 1024));
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const done = await loadDesiredState(tmp, opts);
    ticking = false;
    expect(done.diagnostics).toEqual([]);
    expect(done.state?.resources.length).toBeGreaterThan(1800);
    // A turn at least every 256 documents (or 20 ms), whatever the machine: far more than files.
    expect(turns).toBeGreaterThanOrEqual(7);

    const controller = new AbortController();
    let loadedFiles = 0;
    const pending = loadDesiredState(tmp, { ...opts, signal: controller.signal }).then(
      () => (loadedFiles = 2),
      (err: unknown) => err,
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    controller.abort(new Error('shutting down'));
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('shutting down');
    expect(loadedFiles).toBe(0);
  });
});
