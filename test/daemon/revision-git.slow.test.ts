/**
 * readRevision of real git checkouts (it runs `git status`, hence a slow test): a source directory
 * with uncommitted changes is `<sha>-dirty`; git-sync's link target stays the revision.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRevision } from '../../src/daemon/revision.js';

/** Runs git in `cwd` with a throw-away identity; resolves with stdout. */
function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
      { cwd, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } },
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
    );
  });
}

describe('readRevision of a checkout with uncommitted changes', () => {
  let repo: string;
  let head: string;
  beforeEach(async () => {
    repo = await mkdtemp(path.join(tmpdir(), 'scw-rev-git-'));
    await git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'iam'));
    await mkdir(path.join(repo, 'docs'));
    await writeFile(path.join(repo, 'iam', 'apps.yaml'), 'kind: Application\n');
    await writeFile(path.join(repo, 'docs', 'README.md'), '# docs\n');
    await writeFile(path.join(repo, '.gitignore'), 'iam/*.secret\n');
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-q', '-m', 'init');
    head = await git(repo, 'rev-parse', 'HEAD');
  });
  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('a clean source directory is the commit', async () => {
    expect(await readRevision(path.join(repo, 'iam'))).toMatchObject({
      revision: head,
      commit: head,
      dirty: false,
    });
  });

  it('an edited file makes it <sha>-dirty, until the edit is undone', async () => {
    await writeFile(path.join(repo, 'iam', 'apps.yaml'), 'kind: Application\nmetadata: {}\n');
    expect(await readRevision(path.join(repo, 'iam'))).toMatchObject({
      revision: `${head}-dirty`,
      commit: head,
      dirty: true,
    });
    await git(repo, 'checkout', '--', 'iam/apps.yaml');
    expect((await readRevision(path.join(repo, 'iam')))?.revision).toBe(head);
  });

  it('a new (untracked) file, a staged change or a deleted file are uncommitted edits too', async () => {
    await writeFile(path.join(repo, 'iam', 'keys.yaml'), 'kind: ApiKey\n');
    expect((await readRevision(path.join(repo, 'iam')))?.revision).toBe(`${head}-dirty`);
    await git(repo, 'add', 'iam/keys.yaml');
    expect((await readRevision(path.join(repo, 'iam')))?.revision).toBe(`${head}-dirty`);
    await git(repo, 'reset', '-q');
    await unlink(path.join(repo, 'iam', 'keys.yaml'));
    await unlink(path.join(repo, 'iam', 'apps.yaml'));
    expect((await readRevision(path.join(repo, 'iam')))?.revision).toBe(`${head}-dirty`);
  });

  it('changes outside the source directory, and ignored files, do not count', async () => {
    await writeFile(path.join(repo, 'docs', 'README.md'), '# changed\n');
    await writeFile(path.join(repo, 'iam', 'token.secret'), 'x');
    expect((await readRevision(path.join(repo, 'iam')))?.revision).toBe(head);
    // The repository root as the source directory sees the docs change.
    expect((await readRevision(repo))?.revision).toBe(`${head}-dirty`);
  });

  it('git-sync: the link target is the revision, whatever the worktree holds', async () => {
    const worktrees = path.join(repo, '.worktrees');
    await mkdir(path.join(worktrees, head, 'iam'), { recursive: true });
    await writeFile(path.join(worktrees, head, 'iam', 'apps.yaml'), 'changed in place\n');
    await symlink(path.join(worktrees, head), path.join(repo, 'current'));
    expect(await readRevision(path.join(repo, 'current', 'iam'))).toMatchObject({
      revision: head,
      source: 'git-sync',
    });
  });
});
