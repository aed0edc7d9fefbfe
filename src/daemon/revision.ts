/**
 * Which commit the desired state came from ("applied revision"), carried into plans, logs,
 * sink metadata and /status.
 *
 * Two sources, tried in order:
 * 1. git-sync (docs/design/kubernetes.md §11): the desired-state directory is, or lies under, a symlink that
 *    git-sync swaps atomically; `basename(readlink(link))` is the commit (`<sha>`, or
 *    `rev-<sha>` for older layouts). Any symlink on the way from the directory up to `/` whose
 *    target's basename is a commit hash counts; so does a resolved path containing
 *    `.worktrees/<sha>`.
 *    A git-sync checkout is never edited in place, and has no git metadata of its own to ask:
 *    the link target is the whole answer.
 * 2. A git checkout: `.git` in the directory or a parent. `.git` may be a directory or a file
 *    (`gitdir: …`, worktrees/submodules); HEAD is either a detached hash or `ref: refs/…`,
 *    resolved through loose refs, then `packed-refs` (in the common dir for worktrees).
 *    When the source directory has uncommitted changes (edited, added, deleted or untracked
 *    files below it; ignored files do not count) the revision is `<sha>-dirty`: the desired
 *    state is not that commit. This asks `git status` (read-only: GIT_OPTIONAL_LOCKS=0); without
 *    a usable git binary (the container image has none) cleanliness is unknown and the
 *    revision is the commit alone.
 *
 * Never throws: an unreadable layout means "revision unknown".
 */
import { execFile } from 'node:child_process';
import { lstat, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const GIT_SYNC_NAME = /^(?:rev-)?([0-9a-f]{40}(?:[0-9a-f]{24})?)$/;

export interface RevisionInfo {
  /** What is reported: the commit, `<sha>-dirty` when the source directory has uncommitted changes. */
  readonly revision: string;
  /** Full commit hash (git checkouts). */
  readonly commit?: string;
  /** git checkouts: uncommitted changes below the source directory; absent when unknown. */
  readonly dirty?: boolean;
  readonly source: 'git-sync' | 'git';
  /** `refs/heads/main` when HEAD is symbolic. */
  readonly ref?: string;
  /** git-sync: the link path that was read. */
  readonly link?: string;
}

export async function readRevision(dir: string): Promise<RevisionInfo | undefined> {
  const abs = path.resolve(dir);
  return (await fromGitSync(abs)) ?? (await fromGit(abs));
}

/** The nearest symlink on the way from `dir` up to the root, if any (the git-sync link). */
export async function findLink(dir: string): Promise<string | undefined> {
  let p = path.resolve(dir);
  for (;;) {
    try {
      if ((await lstat(p)).isSymbolicLink()) return p;
    } catch {
      // missing component: keep walking up
    }
    const parent = path.dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

async function fromGitSync(abs: string): Promise<RevisionInfo | undefined> {
  let p = abs;
  for (;;) {
    try {
      if ((await lstat(p)).isSymbolicLink()) {
        const target = await readlink(p);
        const m = GIT_SYNC_NAME.exec(path.basename(target.replace(/\/+$/, '')));
        if (m) return { revision: m[1]!, source: 'git-sync', link: p };
      }
    } catch {
      // ignore and continue upwards
    }
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  try {
    const real = await realpath(abs);
    const m = /[/\\]\.worktrees[/\\]((?:rev-)?[0-9a-f]{40}(?:[0-9a-f]{24})?)(?:[/\\]|$)/.exec(real);
    const name = m ? GIT_SYNC_NAME.exec(m[1]!) : null;
    if (name) return { revision: name[1]!, source: 'git-sync' };
  } catch {
    // not resolvable
  }
  return undefined;
}

async function fromGit(abs: string): Promise<RevisionInfo | undefined> {
  let p = abs;
  for (;;) {
    const gitDir = await resolveGitDir(path.join(p, '.git'));
    if (gitDir) {
      const head = await readHead(gitDir);
      if (!head) return undefined;
      const dirty = await hasUncommittedChanges(abs);
      return {
        ...head,
        revision: dirty ? `${head.revision}-dirty` : head.revision,
        commit: head.revision,
        ...(dirty !== undefined ? { dirty } : {}),
      };
    }
    const parent = path.dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

const GIT_STATUS_TIMEOUT_MS = 10_000;

/**
 * `git status` of the source directory (or file): true when anything below it differs from
 * HEAD, staged or not, untracked included; undefined when git cannot tell (no git binary, not a
 * repository git accepts, a timeout).
 */
async function hasUncommittedChanges(abs: string): Promise<boolean | undefined> {
  const isDir = await stat(abs).then(
    (s) => s.isDirectory(),
    () => undefined,
  );
  if (isDir === undefined) return undefined;
  const cwd = isDir ? abs : path.dirname(abs);
  const pathspec = isDir ? '.' : path.basename(abs);
  return new Promise((resolve) => {
    execFile(
      'git',
      ['status', '--porcelain', '-z', '--untracked-files=all', '--ignore-submodules=all', '--', pathspec],
      {
        cwd,
        timeout: GIT_STATUS_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
        windowsHide: true,
      },
      (err, stdout) => resolve(err ? undefined : stdout.length > 0),
    );
  });
}

async function resolveGitDir(dotGit: string): Promise<string | undefined> {
  try {
    const s = await stat(dotGit);
    if (s.isDirectory()) return dotGit;
    if (s.isFile()) {
      const text = (await readFile(dotGit, 'utf8')).trim();
      const m = /^gitdir:\s*(.+)$/m.exec(text);
      if (m) return path.resolve(path.dirname(dotGit), m[1]!.trim());
    }
  } catch {
    // no .git here
  }
  return undefined;
}

async function readHead(gitDir: string): Promise<RevisionInfo | undefined> {
  const head = await readText(path.join(gitDir, 'HEAD'));
  if (head === undefined) return undefined;
  if (SHA.test(head)) return { revision: head, source: 'git' };
  const m = /^ref:\s*(\S+)$/.exec(head);
  if (!m) return undefined;
  const ref = m[1]!;
  // Worktrees keep shared refs in the common dir.
  const common = await readText(path.join(gitDir, 'commondir'));
  const dirs = [gitDir];
  if (common) dirs.push(path.resolve(gitDir, common));
  const revision = await resolveRef(dirs, ref, 0);
  return revision ? { revision, source: 'git', ref } : undefined;
}

async function resolveRef(dirs: readonly string[], ref: string, depth: number): Promise<string | undefined> {
  if (depth > 5 || ref.includes('..')) return undefined;
  for (const d of dirs) {
    const loose = await readText(path.join(d, ref));
    if (loose !== undefined) {
      if (SHA.test(loose)) return loose;
      const sym = /^ref:\s*(\S+)$/.exec(loose);
      if (sym) return resolveRef(dirs, sym[1]!, depth + 1);
    }
  }
  for (const d of dirs) {
    const packed = await readText(path.join(d, 'packed-refs'));
    if (packed === undefined) continue;
    for (const line of packed.split('\n')) {
      if (line.startsWith('#') || line.startsWith('^')) continue;
      const [sha, name] = line.trim().split(/\s+/);
      if (name === ref && sha && SHA.test(sha)) return sha;
    }
  }
  return undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}
