import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRevision } from '../../src/daemon/revision.js';

const A = 'a'.repeat(40);
const B = '0123456789abcdef0123456789abcdef01234567';

describe('readRevision', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'scw-rev-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads the commit from a git-sync link (v4 .worktrees/<sha>), also for a subdirectory', async () => {
    await mkdir(path.join(root, '.worktrees', A, 'iam'), { recursive: true });
    await symlink(`.worktrees/${A}`, path.join(root, 'repo'));
    expect(await readRevision(path.join(root, 'repo'))).toMatchObject({ revision: A, source: 'git-sync' });
    expect(await readRevision(path.join(root, 'repo', 'iam'))).toMatchObject({
      revision: A,
      source: 'git-sync',
    });
    // swap atomically like git-sync does
    await mkdir(path.join(root, '.worktrees', B), { recursive: true });
    await symlink(`.worktrees/${B}`, path.join(root, 'tmp-link'));
    await rename(path.join(root, 'tmp-link'), path.join(root, 'repo'));
    expect((await readRevision(path.join(root, 'repo')))?.revision).toBe(B);
  });

  it('reads rev-<sha> link targets', async () => {
    await mkdir(path.join(root, `rev-${B}`));
    await symlink(`rev-${B}`, path.join(root, 'current'));
    expect((await readRevision(path.join(root, 'current')))?.revision).toBe(B);
  });

  it('follows .git/HEAD to a loose ref', async () => {
    await mkdir(path.join(root, '.git', 'refs', 'heads'), { recursive: true });
    await writeFile(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(path.join(root, '.git', 'refs', 'heads', 'main'), `${A}\n`);
    await mkdir(path.join(root, 'examples', 'basic'), { recursive: true });
    expect(await readRevision(path.join(root, 'examples', 'basic'))).toEqual({
      revision: A,
      commit: A,
      source: 'git',
      ref: 'refs/heads/main',
    });
  });

  it('falls back to packed-refs and reads a detached HEAD', async () => {
    await mkdir(path.join(root, '.git'), { recursive: true });
    await writeFile(path.join(root, '.git', 'HEAD'), 'ref: refs/heads/release\n');
    await writeFile(
      path.join(root, '.git', 'packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${A} refs/heads/main\n${B} refs/heads/release\n^${A}\n`,
    );
    expect((await readRevision(root))?.revision).toBe(B);
    await writeFile(path.join(root, '.git', 'HEAD'), `${A}\n`);
    expect(await readRevision(root)).toEqual({ revision: A, commit: A, source: 'git' });
  });

  it('follows a .git file (worktree) and its commondir', async () => {
    const main = path.join(root, 'main');
    await mkdir(path.join(main, '.git', 'worktrees', 'wt'), { recursive: true });
    await mkdir(path.join(main, '.git', 'refs', 'heads'), { recursive: true });
    await writeFile(path.join(main, '.git', 'refs', 'heads', 'feature'), `${B}\n`);
    await writeFile(path.join(main, '.git', 'worktrees', 'wt', 'HEAD'), 'ref: refs/heads/feature\n');
    await writeFile(path.join(main, '.git', 'worktrees', 'wt', 'commondir'), '../..\n');
    const wt = path.join(root, 'wt');
    await mkdir(wt);
    await writeFile(path.join(wt, '.git'), `gitdir: ${path.join(main, '.git', 'worktrees', 'wt')}\n`);
    expect(await readRevision(wt)).toEqual({
      revision: B,
      commit: B,
      source: 'git',
      ref: 'refs/heads/feature',
    });
  });

  it('returns undefined when nothing is known', async () => {
    expect(await readRevision(root)).toBeUndefined();
  });
});
