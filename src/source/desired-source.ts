/**
 * Where a pass reads the desired state from: one small interface for a plain directory
 * (`source.dir`, git-sync's checkout) and for the built-in git source (`source.git`).
 * See docs/design/git-source.md ("One interface").
 *
 * Contract:
 * - `snapshot()` is cheap and never fetches: it returns the revision a pass should reconcile
 *   (`accepted`), plus what was refused or failed since. A pass takes one snapshot at its start
 *   and reads only `accepted.dir` (immutable for the git source: one directory per commit).
 * - `sync()` brings the source up to date (git: fetch, verify, check out) and says whether the
 *   snapshot changed. It never throws for a fetch, verification or checkout failure: those are
 *   in the snapshot (`error`, `refused`), and `accepted` stays what it was. Calls are serialised.
 * - `accepted` is undefined only before any revision was accepted (first fetch failed, or the
 *   first commit was refused under `verify.mode: enforce`): then there is nothing to reconcile.
 *
 * The "last valid desired state" of issue #13 plugs in above this interface: it receives
 * `accepted` (path, commit, signer, verification) and may decide to keep an older one when the
 * accepted tree does not load.
 */
import type { Verification } from './git-verify.js';

export interface SourceRevision {
  /** Absolute directory holding the desired state of this revision. */
  readonly dir: string;
  /** Commit hash, when known (git source, git-sync link, a checkout with `.git`). */
  readonly revision?: string;
  /** The ref it was fetched from (`refs/heads/main`, `refs/tags/v1.2.0`). */
  readonly ref?: string;
  /** Signature check of the commit (or tag); `not-checked` when verification is off. */
  readonly verification: Verification;
}

/** A revision that is not applied: why, by whom, and what is used instead. */
export interface SourceRefusal {
  readonly revision: string;
  /**
   * `unsigned`, `untrusted`, `bad-signature`, `expired-key`, `revoked-key` (verification under
   * `enforce`), `force-push` (history rewritten, `forcePush: refuse`), `path-not-found`.
   */
  readonly code: string;
  readonly reason: string;
  readonly verification?: Verification;
  /** ISO instant of the refusal. */
  readonly at: string;
}

export interface SourceSnapshot {
  /** What to reconcile from; undefined = nothing accepted yet. */
  readonly accepted?: SourceRevision;
  /** The newest revision refused (newer than `accepted`), until a later one is accepted. */
  readonly refused?: SourceRefusal;
  /** The last sync failed (fetch, checkout): scrubbed message and code. Cleared by a success. */
  readonly error?: { readonly code: string; readonly message: string; readonly at: string };
  /** ISO instant of the last successful fetch. */
  readonly fetchedAt?: string;
}

export interface SyncHint {
  /** The ref a push webhook reported (`refs/heads/main`). */
  readonly ref?: string;
  /** The commit it reported (`after`): fetched exactly, even if the branch lags. */
  readonly sha?: string;
}

export interface SyncResult {
  /** `accepted` or `refused` changed: a pass should run. */
  readonly changed: boolean;
  readonly snapshot: SourceSnapshot;
  /** A revision refused by this sync (report it once: log, commit status, metric). */
  readonly refusal?: SourceRefusal;
  readonly fetched: boolean;
}

export interface DesiredSource {
  readonly kind: 'dir' | 'git';
  snapshot(): Promise<SourceSnapshot>;
  sync(opts?: { readonly hint?: SyncHint; readonly signal?: AbortSignal }): Promise<SyncResult>;
  /** A JSON-able description for /status (no secret: URLs are shown without credentials). */
  status(): Record<string, unknown>;
  close(): Promise<void>;
}
