import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SourceWatcher, watchSource } from '../../src/daemon/source-watcher.js';
import { waitFor } from './fake-clock.js';

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
    await waitFor(() => changes.length >= 1, 10_000, 'a change');
    // quiet period: nothing else comes
    await new Promise((r) => setTimeout(r, 600));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.reason).toBe('file-change');
    expect(changes[0]!.paths).toEqual(expect.arrayContaining(['a.yaml', 'b.yaml']));
    // ignores hidden files
    await writeFile(path.join(dir, '.hidden'), 'x');
    await new Promise((r) => setTimeout(r, 600));
    expect(changes).toHaveLength(1);
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
    await waitFor(() => changes.includes('source-swapped'), 10_000, 'swap detected');
    await waitFor(() => watcher!.target().includes(B), 10_000, 'new target watched');
    const before = changes.length;
    // edits inside the new target are seen
    await writeFile(path.join(root, '.worktrees', B, 'x.yaml'), 'v: b2\n');
    await waitFor(() => changes.length > before, 10_000, 'change in new target');
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
    await waitFor(() => changes.includes('source-appeared'), 10_000, 'directory appeared');
    expect(watcher.link).toBe(path.join(root, 'repo'));
    await writeFile(path.join(root, '.worktrees', A, 'new.yaml'), 'x: 1\n');
    await waitFor(() => changes.includes('file-change'), 10_000, 'change after appearance');
  });
});
