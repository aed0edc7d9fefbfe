/**
 * `source.git`: the daemon fetches the repository itself, checks who signed what it fetched, and
 * offers the pass the newest acceptable revision. See docs/design/git-source.md.
 *
 * One sync:
 *   1. fetch the configured ref (branch, tag, highest tag in a semver range, pinned commit); a
 *      push webhook's commit is fetched exactly, even when the host's branch still lags;
 *   2. unchanged commit → nothing to do;
 *   3. history check (branch, tag): the new commit must descend from the accepted one; a rewrite
 *      (force-push, moved tag) is refused under `forcePush: refuse` (the default), followed with
 *      a warning under `follow`;
 *   4. verification (`verify.mode`): the commit (branch, commit) or the tag (tag, semver) must be
 *      signed by a trusted key; under `enforce` anything else is refused, under `warn` it is
 *      accepted with a warning;
 *   5. check out the desired-state sub-directory (a missing path is refused);
 *   6. accept: the snapshot's `accepted` becomes this revision (persisted in state.json).
 * A refused or failed revision never replaces the accepted one: passes keep reconciling the last
 * accepted revision (rotations, custody repairs) until a newer revision is accepted.
 *
 * A fetch failure (deleted branch, auth, network) keeps `accepted` and sets `error`; it is
 * logged once per distinct message, not at every interval.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import semver from 'semver';
import type { Clock } from '../clock.js';
import type { GitSourceSettings } from '../config/settings.js';
import { ConfigError, toAppError } from '../errors.js';
import { credentialEnv, resolveGitCredentials } from './git-auth.js';
import { cleanText, GitRunner } from './git-command.js';
import { classifyFetchError, GitMirror, GitSourceError, type MirrorState } from './git-mirror.js';
import { parseGitRemote, type GitRemote } from './git-url.js';
import { formatSigner, TrustStore, type Verification, verifyObject } from './git-verify.js';
import type {
  DesiredSource,
  SourceRefusal,
  SourceRevision,
  SourceSnapshot,
  SyncHint,
  SyncResult,
} from './desired-source.js';

export interface GitSourceDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The git runner (tests: a binary that does not exist). Default: `git` on PATH. */
  readonly git?: GitRunner;
  /** SSH without a key file uses the caller's agent (the CLI); the daemon never does. */
  readonly useSshAgent?: boolean;
}

const NOT_CHECKED: Verification = {
  status: 'not-checked',
  object: 'commit',
  reason: 'source.git.verify.mode is off',
};

/** Trees kept on disk: the accepted one and the previous ones a running pass may still read. */
const KEEP_TREES = 3;

interface Target {
  readonly sha: string;
  /** Ref followed (`refs/heads/main`, `refs/tags/v1.2.0`, or the commit). */
  readonly ref: string;
  /** Private ref holding the tag object (tag and semver refs). */
  readonly tagRef?: string;
  readonly aheadOfBranch?: boolean;
}

export function describeRef(ref: GitSourceSettings['ref']): string {
  if ('semver' in ref) return `semver ${ref.semver}`;
  if ('tag' in ref) return `tag ${ref.tag}`;
  if ('commit' in ref) return `commit ${ref.commit}${ref.branch ? ` on branch ${ref.branch}` : ''}`;
  return `branch ${ref.branch}`;
}

export class GitSource implements DesiredSource {
  readonly kind = 'git' as const;
  readonly settings: GitSourceSettings;
  readonly remote: GitRemote;
  readonly #git: GitRunner;
  readonly #mirror: GitMirror;
  readonly #trust: TrustStore | undefined;
  readonly #log: Logger;
  readonly #clock: Clock;
  #accepted: (SourceRevision & { aheadOfBranch?: boolean }) | undefined;
  #history: string[] = [];
  #refused: SourceRefusal | undefined;
  #error: SourceSnapshot['error'];
  #fetchedAt: string | undefined;
  #lastLogged = '';
  #queue: Promise<unknown> = Promise.resolve();
  #pendingHint: SyncHint | undefined;

  private constructor(
    settings: GitSourceSettings,
    remote: GitRemote,
    git: GitRunner,
    mirror: GitMirror,
    trust: TrustStore | undefined,
    deps: GitSourceDeps,
  ) {
    this.settings = settings;
    this.remote = remote;
    this.#git = git;
    this.#mirror = mirror;
    this.#trust = trust;
    this.#log = deps.logger.child({ component: 'git-source' });
    this.#clock = deps.clock;
  }

  /**
   * Resolve credentials and trusted keys, prepare the local repository, and take back the
   * revision accepted before a restart (re-verified). Throws ConfigError for missing credentials
   * or keys, GitNotInstalledError when git (or gpg, for OpenPGP keys) is missing. Does not fetch.
   */
  static async open(settings: GitSourceSettings, deps: GitSourceDeps): Promise<GitSource> {
    let remote: GitRemote;
    try {
      remote = parseGitRemote(settings.url);
    } catch (err) {
      throw new ConfigError(`source.git.url: ${(err as Error).message}`);
    }
    const git =
      deps.git ?? new GitRunner({ home: settings.cacheDir, env: deps.env, timeoutMs: settings.timeoutMs });
    await git.version();
    const creds = await resolveGitCredentials(settings.auth, remote, { env: deps.env });
    const mirror = new GitMirror(
      git,
      settings.cacheDir,
      remote,
      settings.path,
      credentialEnv(creds, remote, { useAgent: deps.useSshAgent ?? false }),
    );
    await mirror.init();
    const trust =
      settings.verify.mode === 'off' ? undefined : await TrustStore.create(settings.verify, mirror.root, git);
    const source = new GitSource(settings, remote, git, mirror, trust, deps);
    await source.#restore();
    return source;
  }

  /** The remote's default branch (`HEAD`), for a URL given without a ref. */
  static async defaultBranch(
    settings: Pick<GitSourceSettings, 'url' | 'auth' | 'cacheDir'>,
    deps: GitSourceDeps,
  ): Promise<string> {
    const remote = parseGitRemote(settings.url);
    const git = deps.git ?? new GitRunner({ home: settings.cacheDir, env: deps.env });
    const creds = await resolveGitCredentials(settings.auth, remote, { env: deps.env });
    let out: string;
    try {
      out = (
        await git.run(['ls-remote', '--symref', '--', remote.fetchUrl, 'HEAD'], {
          env: credentialEnv(creds, remote, { useAgent: deps.useSshAgent ?? false }),
          what: `reading the default branch of ${remote.display}`,
        })
      ).stdout;
    } catch (err) {
      throw classifyFetchError(err, `reading the default branch of ${remote.display}`, remote);
    }
    const m = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
    if (!m)
      throw new GitSourceError(
        'ref-not-found',
        `${remote.display} has no default branch: give one (URL#BRANCH)`,
      );
    return m[1]!;
  }

  get mirror(): GitMirror {
    return this.#mirror;
  }

  async snapshot(): Promise<SourceSnapshot> {
    return {
      ...(this.#accepted ? { accepted: publicRevision(this.#accepted) } : {}),
      ...(this.#refused ? { refused: this.#refused } : {}),
      ...(this.#error ? { error: this.#error } : {}),
      ...(this.#fetchedAt ? { fetchedAt: this.#fetchedAt } : {}),
    };
  }

  /** Serialised: a sync requested while one runs waits for it (hints are merged, last wins). */
  sync(opts: { readonly hint?: SyncHint; readonly signal?: AbortSignal } = {}): Promise<SyncResult> {
    if (opts.hint) this.#pendingHint = opts.hint;
    const run = this.#queue.then(() => {
      const hint = this.#pendingHint;
      this.#pendingHint = undefined;
      return this.#sync(hint, opts.signal);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  status(): Record<string, unknown> {
    return {
      type: 'git',
      url: this.remote.display,
      ref: describeRef(this.settings.ref),
      path: this.settings.path,
      intervalSeconds: Math.round(this.settings.intervalMs / 1000),
      verify: this.settings.verify.mode,
      forcePush: this.settings.forcePush,
      accepted: this.#accepted ? revisionStatus(publicRevision(this.#accepted)) : null,
      refused: this.#refused ? refusalStatus(this.#refused) : null,
      error: this.#error ?? null,
      fetchedAt: this.#fetchedAt ?? null,
    };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  async #restore(): Promise<void> {
    const state = await this.#mirror.readState();
    if (!state) return;
    if (state.ref !== this.#refName()) {
      this.#log.info(
        { previous: state.ref, now: this.#refName() },
        'source.git.ref changed since the last run: starting from the new ref',
      );
      return;
    }
    if ((await this.#mirror.resolve(`${state.revision}^{commit}`)) === undefined) return;
    try {
      const verification = await this.#verify(state.revision, undefined);
      if (this.settings.verify.mode === 'enforce' && verification.status !== 'verified') {
        this.#log.warn(
          { revision: state.revision, verification: verification.status, reason: verification.reason },
          'the revision accepted before the restart no longer verifies (trusted keys changed?); it is not used',
        );
        return;
      }
      const dir = await this.#mirror.checkout(state.revision, this.settings.path);
      this.#setAccepted({ dir, revision: state.revision, ref: state.ref, verification }, state.aheadOfBranch);
      this.#log.info(
        { revision: state.revision, signer: formatSigner(verification.signer) },
        'resuming from the revision accepted before the restart',
      );
    } catch (err) {
      this.#log.warn(
        { err, revision: state.revision },
        'cannot resume the revision accepted before the restart',
      );
    }
  }

  #refName(): string {
    const ref = this.settings.ref;
    if ('branch' in ref && !('commit' in ref)) return `refs/heads/${ref.branch}`;
    if ('tag' in ref) return `refs/tags/${ref.tag}`;
    if ('semver' in ref) return `semver:${ref.semver}`;
    return ref.commit;
  }

  #setAccepted(rev: SourceRevision, aheadOfBranch?: boolean): void {
    this.#accepted = { ...rev, ...(aheadOfBranch ? { aheadOfBranch } : {}) };
    if (rev.revision) {
      this.#history = [rev.revision, ...this.#history.filter((s) => s !== rev.revision)].slice(0, KEEP_TREES);
    }
  }

  async #sync(hint: SyncHint | undefined, signal: AbortSignal | undefined): Promise<SyncResult> {
    const before = this.#fingerprint();
    let refusal: SourceRefusal | undefined;
    let target: Target;
    try {
      target = await this.#fetch(hint, signal);
      this.#fetchedAt = this.#clock.now().toISOString();
    } catch (err) {
      if (signal?.aborted) throw err;
      this.#fail(err);
      return { changed: before !== this.#fingerprint(), snapshot: await this.snapshot(), fetched: false };
    }
    try {
      refusal = await this.#consider(target, signal);
      if (this.#error) {
        this.#log.info({ revision: this.#accepted?.revision }, 'the git source recovered');
      }
      this.#error = undefined;
      this.#lastLogged = '';
    } catch (err) {
      if (signal?.aborted) throw err;
      this.#fail(err);
    }
    return {
      changed: before !== this.#fingerprint(),
      snapshot: await this.snapshot(),
      ...(refusal ? { refusal } : {}),
      fetched: true,
    };
  }

  #fingerprint(): string {
    return `${this.#accepted?.revision ?? ''}|${this.#refused?.revision ?? ''}:${this.#refused?.code ?? ''}`;
  }

  #fail(err: unknown): void {
    const e = toAppError(err);
    const message = cleanText(e.message);
    const code = e instanceof GitSourceError ? e.kind : e.code;
    this.#error = { code, message, at: this.#clock.now().toISOString() };
    if (message !== this.#lastLogged) {
      this.#lastLogged = message;
      this.#log.error(
        {
          code,
          error: message,
          url: this.remote.display,
          ref: describeRef(this.settings.ref),
          revision: this.#accepted?.revision ?? null,
        },
        this.#accepted
          ? `git source: ${message}; still reconciling revision ${this.#accepted.revision?.slice(0, 12)}`
          : `git source: ${message}; no revision to reconcile yet`,
      );
    }
  }

  /** Fetch the configured ref; the commit to consider. */
  async #fetch(hint: SyncHint | undefined, signal: AbortSignal | undefined): Promise<Target> {
    const ref = this.settings.ref;
    if ('semver' in ref) {
      const tags = await this.#mirror.listTags(signal);
      const versions = [...tags.keys()]
        .map((name) => ({ name, version: semver.clean(name, { loose: true }) }))
        .filter((t): t is { name: string; version: string } => t.version !== null)
        .filter((t) => semver.satisfies(t.version, ref.semver));
      versions.sort((a, b) => semver.rcompare(a.version, b.version));
      const best = versions[0];
      if (!best) {
        throw new GitSourceError(
          'ref-not-found',
          `no tag of ${this.remote.display} is a version in the range ${ref.semver}`,
        );
      }
      return this.#fetchTag(best.name, signal);
    }
    if ('tag' in ref) return this.#fetchTag(ref.tag, signal);
    if ('commit' in ref) {
      const commit = ref.commit.toLowerCase();
      if (ref.branch !== undefined) {
        const head = await this.#fetchBranch(ref.branch, signal);
        if (!(await this.#mirror.isAncestor(commit, head, signal))) {
          throw new GitSourceError(
            'ref-not-found',
            `commit ${commit} is not on branch ${ref.branch} of ${this.remote.display}`,
          );
        }
        return { sha: commit, ref: commit };
      }
      if ((await this.#mirror.resolve(`${commit}^{commit}`, signal)) === undefined) {
        await this.#mirror.fetch([`${commit}:refs/scw-gitops/pinned`], `fetching commit ${commit}`, signal);
      }
      return { sha: commit, ref: commit };
    }
    const head = await this.#fetchBranch(ref.branch, signal);
    const refName = `refs/heads/${ref.branch}`;
    // A deleted ref's push names the all-zero commit: nothing to fetch exactly.
    const wanted = hint?.sha && !/^0+$/.test(hint.sha) ? hint.sha.toLowerCase() : undefined;
    if (wanted && wanted !== head && (hint?.ref === undefined || hint.ref === refName)) {
      // A push webhook names the commit: fetch exactly that one when the branch does not have it
      // yet (hosts may answer with the previous head for a moment after the push).
      const known = (await this.#mirror.resolve(`${wanted}^{commit}`, signal)) !== undefined;
      if (!known || !(await this.#mirror.isAncestor(wanted, head, signal))) {
        try {
          if (!known) {
            await this.#mirror.fetch(
              [`${wanted}:refs/scw-gitops/webhook`],
              `fetching commit ${wanted}`,
              signal,
            );
          }
          if (await this.#mirror.isAncestor(head, wanted, signal)) {
            this.#log.info(
              { commit: wanted, branchHead: head },
              'the branch lags the push webhook: using the pushed commit',
            );
            return { sha: wanted, ref: refName, aheadOfBranch: true };
          }
        } catch (err) {
          this.#log.warn(
            { err, commit: wanted },
            'cannot fetch the commit named by the webhook; using the branch head',
          );
        }
      }
    }
    return { sha: head, ref: refName };
  }

  async #fetchBranch(branch: string, signal: AbortSignal | undefined): Promise<string> {
    const local = `refs/scw-gitops/heads/${branch}`;
    try {
      await this.#mirror.fetch([`+refs/heads/${branch}:${local}`], `fetching branch ${branch}`, signal);
    } catch (err) {
      if (err instanceof GitSourceError && err.kind === 'ref-not-found') {
        throw new GitSourceError(
          'ref-not-found',
          `branch '${branch}' does not exist on ${this.remote.display} (deleted or renamed?)`,
          { cause: err },
        );
      }
      throw err;
    }
    const sha = await this.#mirror.resolve(`${local}^{commit}`, signal);
    if (!sha) throw new GitSourceError('ref-not-found', `branch '${branch}' did not resolve to a commit`);
    return sha;
  }

  async #fetchTag(tag: string, signal: AbortSignal | undefined): Promise<Target> {
    const local = `refs/scw-gitops/tags/${tag}`;
    try {
      await this.#mirror.fetch([`+refs/tags/${tag}:${local}`], `fetching tag ${tag}`, signal);
    } catch (err) {
      if (err instanceof GitSourceError && err.kind === 'ref-not-found') {
        throw new GitSourceError('ref-not-found', `tag '${tag}' does not exist on ${this.remote.display}`, {
          cause: err,
        });
      }
      throw err;
    }
    const sha = await this.#mirror.resolve(`${local}^{commit}`, signal);
    if (!sha) throw new GitSourceError('ref-not-found', `tag '${tag}' does not point at a commit`);
    return { sha, ref: `refs/tags/${tag}`, tagRef: local };
  }

  /** Steps 2-6 of the module comment. Returns the refusal made by this call, if any. */
  async #consider(target: Target, signal: AbortSignal | undefined): Promise<SourceRefusal | undefined> {
    const accepted = this.#accepted;
    if (accepted?.revision === target.sha) {
      if (this.#refused && this.#refused.revision !== target.sha) {
        // The branch went back to the accepted commit (the refused one was reverted by a push).
        this.#refused = undefined;
      }
      if (!target.aheadOfBranch && accepted.aheadOfBranch) this.#setAccepted(accepted);
      return undefined;
    }
    if (this.#refused?.revision === target.sha) return undefined;

    // 3. history: a branch must move forward; a tag must not move at all.
    const rewrite =
      accepted?.revision && accepted.ref === target.ref
        ? await this.#rewrite(accepted, target, signal)
        : undefined;
    if (rewrite === 'lagging') return undefined;
    if (rewrite !== undefined) {
      if (this.settings.forcePush === 'refuse') {
        return this.#refuse(target.sha, 'force-push', `${rewrite}; refused (source.git.forcePush: refuse)`);
      }
      this.#log.warn(
        { revision: target.sha, previous: accepted?.revision ?? null },
        `${rewrite}; following it (source.git.forcePush: follow)`,
      );
    }

    // 4. verification
    const verification = await this.#verify(target.sha, target.tagRef, signal);
    if (this.settings.verify.mode === 'enforce' && verification.status !== 'verified') {
      return this.#refuse(target.sha, verification.status, verification.reason, verification);
    }
    if (this.settings.verify.mode === 'warn' && verification.status !== 'verified') {
      this.#log.warn(
        {
          revision: target.sha,
          verification: verification.status,
          signer: formatSigner(verification.signer) ?? null,
          reason: verification.reason,
        },
        `${verification.object} ${short(target.sha)} is not signed by a trusted key (${verification.reason}); applying it anyway (source.git.verify.mode: warn)`,
      );
    }

    // 5. checkout
    let dir: string;
    try {
      dir = await this.#mirror.checkout(target.sha, this.settings.path, signal);
    } catch (err) {
      if (err instanceof GitSourceError && err.kind === 'path-not-found') {
        return this.#refuse(target.sha, 'path-not-found', err.message, verification);
      }
      throw err;
    }

    // 6. accept
    const previous = accepted?.revision;
    this.#setAccepted({ dir, revision: target.sha, ref: target.ref, verification }, target.aheadOfBranch);
    this.#refused = undefined;
    await this.#mirror.setRef('refs/scw-gitops/accepted', target.sha, signal);
    await this.#mirror.writeState({
      ref: this.#refName(),
      revision: target.sha,
      ...(target.aheadOfBranch ? { aheadOfBranch: true } : {}),
    } satisfies MirrorState);
    await this.#mirror.pruneTrees(new Set(this.#history));
    this.#log.info(
      {
        revision: target.sha,
        previous: previous ?? null,
        ref: target.ref,
        verification: verification.status,
        signer: formatSigner(verification.signer) ?? null,
      },
      `accepted revision ${short(target.sha)}${verification.status === 'verified' ? ` signed by ${formatSigner(verification.signer)}` : ''}`,
    );
    return undefined;
  }

  /** How the history was rewritten (a message), 'lagging', or undefined when it moved forward. */
  async #rewrite(
    accepted: SourceRevision & { aheadOfBranch?: boolean },
    target: Target,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const from = accepted.revision!;
    if (target.ref.startsWith('refs/tags/')) {
      return `tag ${target.ref.slice('refs/tags/'.length)} moved from ${short(from)} to ${short(target.sha)}`;
    }
    if (!target.ref.startsWith('refs/heads/')) return undefined;
    if ((await this.#mirror.isAncestor(from, target.sha, signal)) !== false) return undefined;
    if (accepted.aheadOfBranch && (await this.#mirror.isAncestor(target.sha, from, signal))) {
      // The host's branch still lags the commit a webhook gave us: keep it.
      return 'lagging';
    }
    const branch = target.ref.slice('refs/heads/'.length);
    return `branch ${branch} was rewritten (force-push): ${short(target.sha)} does not descend from the applied ${short(from)}`;
  }

  async #verify(sha: string, tagRef: string | undefined, signal?: AbortSignal): Promise<Verification> {
    if (!this.#trust) return NOT_CHECKED;
    const isTagRef = 'tag' in this.settings.ref || 'semver' in this.settings.ref;
    if (isTagRef && tagRef !== undefined) {
      return verifyObject(this.#git, this.#mirror.gitDir, this.#trust, 'tag', tagRef, signal);
    }
    return verifyObject(this.#git, this.#mirror.gitDir, this.#trust, 'commit', sha, signal);
  }

  #refuse(revision: string, code: string, reason: string, verification?: Verification): SourceRefusal {
    const refusal: SourceRefusal = {
      revision,
      code,
      reason,
      ...(verification ? { verification } : {}),
      at: this.#clock.now().toISOString(),
    };
    this.#refused = refusal;
    const current = this.#accepted?.revision;
    this.#log.error(
      {
        revision,
        code,
        reason,
        signer: formatSigner(verification?.signer) ?? null,
        verification: verification?.status ?? null,
        accepted: current ?? null,
      },
      `refused revision ${short(revision)}: ${reason}; ${current ? `still reconciling ${short(current)}` : 'no accepted revision yet: nothing is reconciled'}`,
    );
    return refusal;
  }
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

function publicRevision(rev: SourceRevision & { aheadOfBranch?: boolean }): SourceRevision {
  const { aheadOfBranch: _ahead, ...rest } = rev;
  return rest;
}

/** /status view of a revision (no directory paths of the cache). */
export function revisionStatus(rev: SourceRevision): Record<string, unknown> {
  return {
    revision: rev.revision ?? null,
    ref: rev.ref ?? null,
    verification: rev.verification.status,
    signer: rev.verification.signer ?? null,
    reason: rev.verification.reason,
  };
}

export function refusalStatus(r: SourceRefusal): Record<string, unknown> {
  return {
    revision: r.revision,
    code: r.code,
    reason: r.reason,
    signer: r.verification?.signer ?? null,
    at: r.at,
  };
}

/** The cache directory of a source under the data directory (settings default). */
export function defaultCacheDir(dataDir: string): string {
  return path.join(dataDir, 'git-source');
}
