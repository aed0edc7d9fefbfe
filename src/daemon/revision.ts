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
 * 2. A git checkout: `.git` in the directory or a parent. `.git` may be a directory or a file
 *    (`gitdir: …`, worktrees/submodules); HEAD is either a detached hash or `ref: refs/…`,
 *    resolved through loose refs, then `packed-refs` (in the common dir for worktrees).
 *
 * Never throws: an unreadable layout means "revision unknown".
 */
import { lstat, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const GIT_SYNC_NAME = /^(?:rev-)?([0-9a-f]{40}(?:[0-9a-f]{24})?)$/;

export interface RevisionInfo {
  /** Full commit hash. */
  readonly revision: string;
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
    if (gitDir) return readHead(gitDir);
    const parent = path.dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
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
