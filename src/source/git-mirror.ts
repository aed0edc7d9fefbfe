/**
 * The local copy of the remote repository: a bare repository under the cache directory, fetched
 * into private refs (`refs/scw-gitops/…`, never the remote's names, so nothing the remote sends can
 * overwrite what the daemon keeps), and checked-out trees, one directory per commit.
 *
 *   <cacheDir>/<id>/repo.git           bare repository (full history: force-pushes are detected
 *                                      with `merge-base --is-ancestor`)
 *   <cacheDir>/<id>/trees/<sha>/       the desired-state sub-directory of commit <sha>, read-only
 *                                      by convention; written to a temporary name, then renamed
 *   <cacheDir>/<id>/state.json         the accepted revision (survives restarts)
 *
 * Trees are written with `read-tree <sha>:<path>` into a private index and `checkout-index`:
 * only the desired-state sub-directory, no `.git` inside, and symbolic links checked out as
 * plain files (`core.symlinks=false`), so a link in the repository cannot make the loader read
 * files outside the tree.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import { GitCommandError, type GitRunner } from './git-command.js';
import type { GitRemote } from './git-url.js';

export type GitSourceErrorCode =
  | 'ref-not-found'
  | 'repo-not-found'
  | 'auth-failed'
  | 'host-key'
  | 'path-not-found'
  | 'unreachable'
  | 'git-failed'
  | 'git-not-installed';

/** A fetch or checkout failed; `code` says what kind of failure, the message says what to do. */
export class GitSourceError extends AppError {
  constructor(
    readonly kind: GitSourceErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`git-${kind}`, message, options);
  }
}

/** Classify git's stderr into an actionable error. */
export function classifyFetchError(err: unknown, what: string, remote: GitRemote): unknown {
  if (!(err instanceof GitCommandError)) return err;
  const s = err.stderr;
  const where = remote.display;
  if (
    /couldn't find remote ref|not our ref|no such remote ref|unadvertised object|did not match any/i.test(s)
  ) {
    return new GitSourceError('ref-not-found', `${what}: not found on ${where}`, { cause: err });
  }
  if (
    /authentication failed|could not read (?:username|password)|invalid username or password|HTTP (?:Basic: )?Access denied|returned error: 40[13]|permission denied \(publickey|terminal prompts disabled/i.test(
      s,
    )
  ) {
    return new GitSourceError(
      'auth-failed',
      `${what}: ${where} refused the credentials (check source.git.auth)`,
      { cause: err },
    );
  }
  if (/host key verification failed|no .* host key is known/i.test(s)) {
    return new GitSourceError(
      'host-key',
      `${what}: the host key of ${where} is not in source.git.auth.knownHostsFile`,
      { cause: err },
    );
  }
  if (
    /repository .* not found|does not appear to be a git repository|returned error: 404|not a git repository/i.test(
      s,
    )
  ) {
    return new GitSourceError('repo-not-found', `${what}: no repository at ${where}`, { cause: err });
  }
  return new GitSourceError(err.retryable ? 'unreachable' : 'git-failed', err.message, {
    retryable: err.retryable,
    cause: err,
  });
}

export interface MirrorState {
  /** The ref followed when the revision was accepted (`refs/heads/main`, `refs/tags/v1.2.0`). */
  readonly ref: string;
  readonly revision: string;
  /** The revision came from a webhook ahead of the branch (the host's branch lagged). */
  readonly aheadOfBranch?: boolean;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export class GitMirror {
  readonly root: string;
  readonly gitDir: string;
  readonly #git: GitRunner;
  readonly #remote: GitRemote;
  readonly #env: Readonly<Record<string, string>>;

  /** `cacheDir/<id>`, id from the URL and the path (two sources never share a directory). */
  constructor(
    git: GitRunner,
    cacheDir: string,
    remote: GitRemote,
    subPath: string,
    env: Readonly<Record<string, string>>,
  ) {
    const id = createHash('sha256').update(`${remote.fetchUrl}\0${subPath}`).digest('hex').slice(0, 16);
    this.root = path.join(cacheDir, id);
    this.gitDir = path.join(this.root, 'repo.git');
    this.#git = git;
    this.#remote = remote;
    this.#env = env;
  }

  async init(signal?: AbortSignal): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const exists = await stat(path.join(this.gitDir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await this.#git.run(['init', '--quiet', '--bare', this.gitDir], {
        ...(signal ? { signal } : {}),
        what: 'creating the local repository',
      });
    }
  }

  /** `git fetch <url> <refspecs…>`; errors classified (ref not found, auth, host key, …). */
  async fetch(refspecs: readonly string[], what: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#git.run(
        ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--', this.#remote.fetchUrl, ...refspecs],
        { gitDir: this.gitDir, env: this.#env, ...(signal ? { signal } : {}), what },
      );
    } catch (err) {
      throw classifyFetchError(err, what, this.#remote);
    }
  }

  /** Remote tags (`name → peeled commit`), for semver refs. */
  async listTags(signal?: AbortSignal): Promise<Map<string, string>> {
    let out: string;
    try {
      out = (
        await this.#git.run(['ls-remote', '--tags', '--', this.#remote.fetchUrl], {
          gitDir: this.gitDir,
          env: this.#env,
          ...(signal ? { signal } : {}),
          what: `listing the tags of ${this.#remote.display}`,
        })
      ).stdout;
    } catch (err) {
      throw classifyFetchError(err, `listing the tags of ${this.#remote.display}`, this.#remote);
    }
    const tags = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (!sha || !ref?.startsWith('refs/tags/') || !SHA.test(sha)) continue;
      const name = ref.slice('refs/tags/'.length);
      if (name.endsWith('^{}')) tags.set(name.slice(0, -3), sha);
      else if (!tags.has(name)) tags.set(name, sha);
    }
    return tags;
  }

  /** Full hash of `rev` (`refs/…`, `<sha>^{commit}`), or undefined when it does not exist. */
  async resolve(rev: string, signal?: AbortSignal): Promise<string | undefined> {
    const r = await this.#git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], {
      gitDir: this.gitDir,
      allowFailure: true,
      ...(signal ? { signal } : {}),
    });
    const sha = r.stdout.trim();
    return r.code === 0 && SHA.test(sha) ? sha : undefined;
  }

  /** Is `ancestor` reachable from `descendant` (or equal)? undefined when either is missing. */
  async isAncestor(ancestor: string, descendant: string, signal?: AbortSignal): Promise<boolean | undefined> {
    const r = await this.#git.run(['merge-base', '--is-ancestor', ancestor, descendant], {
      gitDir: this.gitDir,
      allowFailure: true,
      ...(signal ? { signal } : {}),
    });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    return undefined;
  }

  async setRef(name: string, sha: string, signal?: AbortSignal): Promise<void> {
    await this.#git.run(['update-ref', name, sha], { gitDir: this.gitDir, ...(signal ? { signal } : {}) });
  }

  treeDir(sha: string): string {
    return path.join(this.root, 'trees', sha);
  }

  /**
   * The desired-state sub-directory of `sha`, checked out once (later calls return the same
   * directory). GitSourceError `path-not-found` when `subPath` is not a directory in that commit.
   */
  async checkout(sha: string, subPath: string, signal?: AbortSignal): Promise<string> {
    const dir = this.treeDir(sha);
    if (await isDir(dir)) return dir;
    const rel = subPath.replace(/^\/+|\/+$/g, '');
    const treeish = rel === '' || rel === '.' ? `${sha}^{tree}` : `${sha}:${rel}`;
    const type = await this.#git.run(['cat-file', '-t', treeish], {
      gitDir: this.gitDir,
      allowFailure: true,
      ...(signal ? { signal } : {}),
    });
    if (type.code !== 0 || type.stdout.trim() !== 'tree') {
      throw new GitSourceError(
        'path-not-found',
        `source.git.path '${rel}' is not a directory in commit ${sha.slice(0, 12)}`,
      );
    }
    const tmp = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
    const index = path.join(this.root, `index-${process.pid}-${Date.now().toString(36)}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o755 });
    try {
      const env = { GIT_INDEX_FILE: index };
      const common = { gitDir: this.gitDir, env, ...(signal ? { signal } : {}) };
      await this.#git.run(['read-tree', treeish], {
        ...common,
        what: `reading the tree of ${sha.slice(0, 12)}`,
      });
      await this.#git.run(
        ['--work-tree', tmp, '-c', 'core.symlinks=false', 'checkout-index', '--all', '--force'],
        {
          ...common,
          what: `checking out ${sha.slice(0, 12)}`,
        },
      );
      await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
        // Another checkout of the same commit won the race: use it.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        await rm(tmp, { recursive: true, force: true });
      });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    } finally {
      await rm(index, { force: true });
    }
    return dir;
  }

  /** Remove checked-out trees other than `keep` (and leftovers of interrupted checkouts). */
  async pruneTrees(keep: ReadonlySet<string>): Promise<void> {
    const trees = path.join(this.root, 'trees');
    const names = await readdir(trees).catch(() => [] as string[]);
    for (const name of names) {
      if (keep.has(name)) continue;
      await rm(path.join(trees, name), { recursive: true, force: true });
    }
  }

  async readState(): Promise<MirrorState | undefined> {
    try {
      const json = JSON.parse(
        await readFile(path.join(this.root, 'state.json'), 'utf8'),
      ) as Partial<MirrorState>;
      if (typeof json.ref !== 'string' || typeof json.revision !== 'string' || !SHA.test(json.revision)) {
        return undefined;
      }
      return {
        ref: json.ref,
        revision: json.revision,
        ...(json.aheadOfBranch ? { aheadOfBranch: true } : {}),
      };
    } catch {
      return undefined;
    }
  }

  async writeState(state: MirrorState): Promise<void> {
    const file = path.join(this.root, 'state.json');
    const tmp = `${file}.tmp`;
    await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, file);
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
