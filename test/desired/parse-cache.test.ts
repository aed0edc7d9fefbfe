/**
 * The daemon's parse cache: unchanged files are not parsed again, changed ones are, deleted ones
 * are forgotten, and the checks across files still see every file (a rename in one file breaks a
 * reference in another, cached, file). The input limits and the abort signal hold with the cache
 * as without it (docs/design/input-limits.md).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import { ParseCache } from '../../src/desired/parse-cache.js';
import { aliasBomb, largeValidFile } from '../fixtures/desired-inputs.js';

const H = 'apiVersion: scw-gitops/v1alpha1';
const app = (name: string) =>
  `${H}\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: d\n`;
const group = (member: string) =>
  `${H}\nkind: Group\nmetadata:\n  name: ops\nspec:\n  members:\n    applications: [${member}]\n`;
const opts = { instance: 'default', now: new Date('2026-01-01T00:00:00Z') };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parse-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ParseCache', () => {
  it('parses only what changed and still checks references across files', async () => {
    await writeFile(join(dir, 'apps.yaml'), app('api'));
    await writeFile(join(dir, 'groups.yaml'), group('api'));
    const cache = new ParseCache();
    const first = await loadDesiredState(dir, { ...opts, parseCache: cache });
    expect(first.diagnostics).toEqual([]);
    expect(cache.stats).toEqual({ hits: 0, misses: 2 });

    const second = await loadDesiredState(dir, { ...opts, parseCache: cache });
    expect(cache.stats).toEqual({ hits: 2, misses: 2 });
    expect(second).toEqual(first);

    // the application is renamed: groups.yaml comes from the cache, its reference is now broken
    await writeFile(join(dir, 'apps.yaml'), app('api-v2'));
    const third = await loadDesiredState(dir, { ...opts, parseCache: cache });
    expect(cache.stats).toEqual({ hits: 3, misses: 3 });
    expect(third.state).toBeUndefined();
    expect(third.diagnostics.map((d) => [d.location?.file, d.severity])).toEqual([['groups.yaml', 'error']]);
    expect(third.diagnostics[0]!.message).toContain('api');

    // the same result as a load without any cache
    expect(third).toEqual(await loadDesiredState(dir, opts));

    await rm(join(dir, 'groups.yaml'));
    const fourth = await loadDesiredState(dir, { ...opts, parseCache: cache });
    expect(fourth.diagnostics).toEqual([]);
    expect(cache.size).toBe(1);
  });

  it('gives the same state as an uncached load of the examples', async () => {
    const examples = resolve(import.meta.dirname, '../../examples/basic');
    const cache = new ParseCache();
    const plain = await loadDesiredState(examples, opts);
    expect(await loadDesiredState(examples, { ...opts, parseCache: cache })).toEqual(plain);
    expect(await loadDesiredState(examples, { ...opts, parseCache: cache })).toEqual(plain);
    expect(cache.stats.hits).toBe(cache.size);
  });

  it('reuses the checks across files while nothing changed, until the next expiry the checks depend on', async () => {
    const key = (expiresAt: string) =>
      `${H}\nkind: ApiKey\nmetadata:\n  name: k\nspec:\n  application: api\n  expiresAt: "${expiresAt}"\n`;
    await writeFile(join(dir, 'apps.yaml'), app('api'));
    await writeFile(join(dir, 'keys.yaml'), key('2026-01-02T00:00:00Z'));
    const cache = new ParseCache();
    const at = (iso: string) => ({
      ...opts,
      sinkNames: ['local'],
      defaultSink: 'local',
      now: new Date(iso),
      parseCache: cache,
    });
    const first = await loadDesiredState(dir, at('2026-01-01T00:00:00Z'));
    expect(first.diagnostics).toEqual([]);
    // same files, same options, a later instant before the expiry: the very same result
    expect(await loadDesiredState(dir, at('2026-01-01T12:00:00Z'))).toBe(first);
    // other options: checked again
    const other = await loadDesiredState(dir, { ...at('2026-01-01T12:00:00Z'), instance: 'other' });
    expect(other).not.toBe(first);
    expect(other).toEqual(
      await loadDesiredState(dir, {
        ...opts,
        instance: 'other',
        sinkNames: ['local'],
        defaultSink: 'local',
        now: new Date('2026-01-01T12:00:00Z'),
      }),
    );
    // the expiry passed: the same files are now an error
    const later = await loadDesiredState(dir, at('2026-01-02T00:00:00Z'));
    expect(later.state).toBeUndefined();
    expect(later.diagnostics.map((d) => d.code)).toEqual(['expired']);
    // an edit is never served from the memo
    await writeFile(join(dir, 'keys.yaml'), key('2027-01-01T00:00:00Z'));
    const edited = await loadDesiredState(dir, at('2026-01-02T00:00:00Z'));
    expect(edited.diagnostics).toEqual([]);
    expect(edited.state?.resources.find((r) => r.kind === 'ApiKey')).toMatchObject({
      expiresAt: '2027-01-01T00:00:00Z',
    });
  });

  it('applies the size limit on every load, cached file or not', async () => {
    await writeFile(join(dir, 'apps.yaml'), `${app('api')}# ${'x'.repeat(3000)}\n`);
    const cache = new ParseCache();
    expect((await loadDesiredState(dir, { ...opts, parseCache: cache })).diagnostics).toEqual([]);
    const limited = await loadDesiredState(dir, { ...opts, parseCache: cache, maxFileBytes: 2048 });
    expect(limited.state).toBeUndefined();
    expect(limited.diagnostics.map((d) => d.code)).toEqual(['file-too-large']);
    // the refused file was not read, so nothing of it came from the cache
    expect(cache.stats).toEqual({ hits: 0, misses: 1 });
    // and the checks remembered for the valid load are not served once it is readable again
    expect((await loadDesiredState(dir, { ...opts, parseCache: cache })).diagnostics).toEqual([]);
  });

  it('keys a parse by its alias budget: a file accepted under one budget is parsed again under another', async () => {
    await writeFile(join(dir, 'aliases.yaml'), aliasBomb(100)); // 100 aliases of a 100-item list
    const cache = new ParseCache();
    const roomy = await loadDesiredState(dir, { ...opts, parseCache: cache }); // default budget
    expect(roomy.diagnostics.map((d) => d.code)).not.toContain('alias-limit');
    const tight = await loadDesiredState(dir, { ...opts, parseCache: cache, maxAliasExpansion: 1000 });
    expect(tight.diagnostics.map((d) => d.code)).toContain('alias-limit');
    expect(cache.stats).toEqual({ hits: 0, misses: 2 });
    // the same answers as without a cache
    expect(tight).toEqual(await loadDesiredState(dir, { ...opts, maxAliasExpansion: 1000 }));
    expect(await loadDesiredState(dir, { ...opts, parseCache: cache })).toEqual(roomy);
  });

  it('parses a changed file in steps that yield and stop once aborted, and keeps nothing of it', async () => {
    await mkdir(join(dir, 'apps'));
    await writeFile(join(dir, 'apps/a.yaml'), largeValidFile('a', 300 * 1024));
    const cache = new ParseCache();
    const controller = new AbortController();
    let turns = 0;
    const pending = loadDesiredState(dir, { ...opts, parseCache: cache, signal: controller.signal }).then(
      () => 'loaded',
      (err: unknown) => err,
    );
    // the loader gives the event loop turns while it parses: abort at one of them
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        turns++;
        if (cache.stats.misses === 1)
          resolve(); // the file is being parsed
        else setImmediate(tick);
      };
      setImmediate(tick);
    });
    controller.abort(new Error('shutting down'));
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('shutting down');
    expect(turns).toBeGreaterThan(0);
    expect(cache.size).toBe(0); // an aborted parse is not stored
    // the next pass parses it whole
    const done = await loadDesiredState(dir, { ...opts, parseCache: cache });
    expect(done.diagnostics).toEqual([]);
    expect(cache.size).toBe(1);
  });
});
