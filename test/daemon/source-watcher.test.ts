import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SourceWatcher, watchSource } from '../../src/daemon/source-watcher.js';
import { waitFor } from '../helpers/wait-for.js';

const silent = pino({ level: 'silent' });

describe('watchSource', () => {
  let root: string;
  let watcher: SourceWatcher | undefined;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'scw-watch-'));
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('debounces a burst of edits into one change', async () => {
    const dir = path.join(root, 'desired');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.yaml'), 'a: 1\n');
    const changes: { reason: string; paths: readonly string[] }[] = [];
    watcher = await watchSource({
      dir,
      debounceMs: 300,
      logger: silent,
      onChange: (reason, d) => changes.push({ reason, paths: d.paths }),
    });
    for (let i = 0; i < 5; i++) await writeFile(path.join(dir, 'a.yaml'), `a: ${i + 2}\n`);
    await writeFile(path.join(dir, 'b.yaml'), 'b: 1\n');
    await waitFor(() => changes.length >= 1, { timeoutMs: 10_000, what: 'a change' });
    expect(changes[0]!.reason).toBe('file-change');
    expect(changes[0]!.paths).toEqual(expect.arrayContaining(['a.yaml', 'b.yaml']));
    // A barrier instead of a quiet period: file events arrive in order, so a late event of the
    // burst would show up before the barrier's change or in its paths.
    await writeFile(path.join(dir, 'barrier-1.yaml'), 'x: 1\n');
    await waitFor(() => changes.length >= 2, { what: 'the first barrier' });
    expect(changes.map((c) => c.paths)).toEqual([
      expect.arrayContaining(['a.yaml', 'b.yaml']),
      ['barrier-1.yaml'],
    ]);
    // Hidden files are ignored: the next change is the next barrier alone.
    await writeFile(path.join(dir, '.hidden'), 'x');
    await writeFile(path.join(dir, 'barrier-2.yaml'), 'x: 2\n');
    await waitFor(() => changes.length >= 3, { what: 'the second barrier' });
    expect(changes.map((c) => c.paths).slice(2)).toEqual([['barrier-2.yaml']]);
  });

  it('follows a git-sync style atomic symlink swap and watches the new target', async () => {
    const A = 'a'.repeat(40);
    const B = 'b'.repeat(40);
    await mkdir(path.join(root, '.worktrees', A), { recursive: true });
    await writeFile(path.join(root, '.worktrees', A, 'x.yaml'), 'v: a\n');
    await symlink(`.worktrees/${A}`, path.join(root, 'repo'));
    const changes: string[] = [];
    watcher = await watchSource({
      dir: path.join(root, 'repo'),
      debounceMs: 100,
      linkPollMs: 200,
      logger: silent,
      onChange: (reason) => changes.push(reason),
    });
    expect(watcher.link).toBe(path.join(root, 'repo'));
    expect(watcher.target()).toContain(A);
    // publish a new commit: new worktree, tmp link, rename over the link
    await mkdir(path.join(root, '.worktrees', B), { recursive: true });
    await writeFile(path.join(root, '.worktrees', B, 'x.yaml'), 'v: b\n');
    await symlink(`.worktrees/${B}`, path.join(root, 'tmp-link'));
    await rename(path.join(root, 'tmp-link'), path.join(root, 'repo'));
    await rm(path.join(root, '.worktrees', A), { recursive: true, force: true });
    await waitFor(() => changes.includes('source-swapped'), { timeoutMs: 10_000, what: 'swap detected' });
    await waitFor(() => watcher!.target().includes(B), { timeoutMs: 10_000, what: 'new target watched' });
    const before = changes.length;
    // edits inside the new target are seen
    await writeFile(path.join(root, '.worktrees', B, 'x.yaml'), 'v: b2\n');
    await waitFor(() => changes.length > before, { timeoutMs: 10_000, what: 'change in new target' });
    expect(changes.at(-1)).toBe('file-change');
  });

  it('waits for a directory that does not exist yet (git-sync before its first sync)', async () => {
    const changes: string[] = [];
    const A = 'c'.repeat(40);
    watcher = await watchSource({
      dir: path.join(root, 'repo'),
      debounceMs: 100,
      linkPollMs: 100,
      logger: silent,
      onChange: (reason) => changes.push(reason),
    });
    expect(changes).toEqual([]);
    await mkdir(path.join(root, '.worktrees', A), { recursive: true });
    await symlink(`.worktrees/${A}`, path.join(root, 'repo'));
    await waitFor(() => changes.includes('source-appeared'), {
      timeoutMs: 10_000,
      what: 'directory appeared',
    });
    expect(watcher.link).toBe(path.join(root, 'repo'));
    await writeFile(path.join(root, '.worktrees', A, 'new.yaml'), 'x: 1\n');
    await waitFor(() => changes.includes('file-change'), {
      timeoutMs: 10_000,
      what: 'change after appearance',
    });
  });
});
