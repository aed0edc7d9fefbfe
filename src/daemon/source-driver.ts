/**
 * The daemon's side of the desired-state source (src/source/desired-source.ts): what a pass
 * reconciles, when the git source is fetched, and what is reported about it.
 *
 * - `begin()` at the start of a pass: the accepted revision (the first pass of a git source
 *   fetches first). No accepted revision (first fetch failed, first commit refused) → a
 *   terminal report: nothing is reconciled until a revision is accepted.
 * - The git source is fetched every `source.git.interval` (`poll`) and on push webhooks
 *   (`webhook`, with the pushed commit as a hint); a change of the accepted or refused revision
 *   requests a pass (reason `git-fetch` or the webhook's).
 * - Reporting: the accepted revision and signer as `scw_gitops_source_revision_info`; refusals
 *   (commit, signer, reason) in the log (by the source), `/status`, `scw_gitops_source_refusals_total`
 *   and `scw_gitops_source_refused_revision_info`, and as a failure status on the refused commit.
 * - Commit statuses (leader only): `pending` when the first pass on a commit starts, then
 *   `success` / `failure` with a one-line summary of the pass.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { assertSinksOutside, requireSourceDir } from '../config/source-dir.js';
import { toAppError } from '../errors.js';
import { CommitStatusReporter } from '../source/commit-status.js';
import type { DesiredSource, SourceRevision, SyncHint, SyncResult } from '../source/desired-source.js';
import { DirSource } from '../source/dir-source.js';
import { GitSource } from '../source/git-source.js';
import { formatSigner } from '../source/git-verify.js';
import type { DaemonMetrics } from './metrics.js';
import type { PassReport } from './pass-report.js';

export interface SourceDriverDeps {
  readonly settings: Settings;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: DaemonMetrics;
  /** Ask for a pass. */
  readonly request: (reason: string) => void;
  /** Only the leader posts commit statuses. */
  readonly isLeader: () => boolean;
  /** Prebuilt source / reporter (tests). */
  readonly source?: DesiredSource;
  readonly commitStatus?: CommitStatusReporter;
}

export type PassStart =
  | { readonly accepted: SourceRevision; readonly report?: undefined }
  | { readonly accepted?: undefined; readonly report: PassReport };

/** One line about a pass for the commit status. */
export function passSummary(report: PassReport): string {
  const c = report.apply?.counts;
  const counts = c
    ? [
        c.created && `${c.created} created`,
        c.updated && `${c.updated} updated`,
        c.replaced && `${c.replaced} replaced`,
        c.deleted && `${c.deleted} deleted`,
        c.adopted && `${c.adopted} adopted`,
      ].filter(Boolean)
    : [];
  switch (report.result) {
    case 'converged':
      return 'in sync: no changes';
    case 'applied':
      return `applied: ${counts.join(', ') || 'done'}`;
    case 'partial':
      return `partially applied: ${report.error ?? 'some steps failed'}`;
    case 'blocked':
      return `partially applied: ${report.error ?? 'some objects are blocked by errors'}`;
    case 'invalid':
      return `not applied: ${report.error ?? 'invalid desired state'}`;
    case 'failed':
      return `not applied: ${report.error ?? 'the pass failed'}`;
    case 'aborted':
      return 'interrupted: the next pass continues';
  }
}

export class SourceDriver {
  readonly source: DesiredSource;
  readonly #deps: SourceDriverDeps;
  readonly #log: Logger;
  readonly #statuses: CommitStatusReporter | undefined;
  #synced = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    deps: SourceDriverDeps,
    source: DesiredSource,
    statuses: CommitStatusReporter | undefined,
  ) {
    this.#deps = deps;
    this.source = source;
    this.#statuses = statuses;
    this.#log = deps.logger.child({ component: 'source' });
  }

  /** Open the configured source (ConfigError for missing credentials or keys, git not installed). */
  static async create(deps: SourceDriverDeps): Promise<SourceDriver> {
    const { settings } = deps;
    const git = settings.source.git;
    if (git) assertSinksOutside(settings, git.cacheDir, 'source.git.cacheDir');
    const source =
      deps.source ??
      (git
        ? await GitSource.open(git, { env: deps.env, logger: deps.logger, clock: deps.clock })
        : new DirSource(requireSourceDir(settings)));
    const statusSettings = git?.commitStatus;
    const statuses =
      deps.commitStatus ??
      (statusSettings
        ? await CommitStatusReporter.create(statusSettings, {
            env: deps.env,
            logger: deps.logger,
            clock: deps.clock,
            onPosted: (e) => deps.metrics.commitStatuses.inc({ state: e.state, result: e.result }),
          })
        : undefined);
    return new SourceDriver(deps, source, statuses);
  }

  get kind(): 'dir' | 'git' {
    return this.source.kind;
  }

  /** The directory a `dir` source reads (the file watcher's), undefined for the git source. */
  get dir(): string | undefined {
    return this.source instanceof DirSource ? this.source.dir : undefined;
  }

  /** Start fetching on the interval (git source). */
  start(): void {
    const git = this.#deps.settings.source.git;
    if (this.source.kind !== 'git' || !git) return;
    const tick = () => {
      this.#timer = setTimeout(() => {
        void this.sync('git-fetch').finally(() => {
          if (!this.#closed) tick();
        });
      }, git.intervalMs);
      this.#timer.unref();
    };
    tick();
  }

  /** Fetch now; request a pass when the accepted or refused revision changed. */
  async sync(reason: string, hint?: SyncHint): Promise<SyncResult | undefined> {
    try {
      const result = await this.source.sync(hint ? { hint } : {});
      this.#synced = true;
      this.#record(result);
      if (result.changed && !this.#closed) this.#deps.request(reason);
      return result;
    } catch (err) {
      this.#log.warn({ err: toAppError(err) }, 'syncing the desired-state source failed');
      return undefined;
    }
  }

  /** A push webhook: fetch that exact commit (git source); a plain pass otherwise. */
  webhook(
    reason: string,
    detail: { readonly ref?: string | undefined; readonly after?: string | undefined },
  ): void {
    if (this.source.kind !== 'git') {
      this.#deps.request(reason);
      return;
    }
    void this.sync(reason, {
      ...(detail.ref !== undefined ? { ref: detail.ref } : {}),
      ...(detail.after !== undefined ? { sha: detail.after } : {}),
    });
  }

  /** The revision a pass reconciles, or the report of a pass that cannot run. */
  async begin(signal: AbortSignal, log: Logger): Promise<PassStart> {
    if (this.source.kind === 'git' && !this.#synced) {
      const result = await this.source.sync({ signal });
      this.#synced = true;
      this.#record(result);
    }
    const snap = await this.source.snapshot();
    const accepted = snap.accepted;
    if (!accepted) {
      const why = snap.refused
        ? `revision ${snap.refused.revision.slice(0, 12)} was refused: ${snap.refused.reason}`
        : snap.error
          ? snap.error.message
          : 'nothing was fetched yet';
      const error = `no accepted revision of the desired state (${why})`;
      log.warn({ error }, 'nothing to reconcile');
      return { report: { verdict: 'terminal', result: 'invalid', listed: false, error } };
    }
    this.#publishRevision(accepted);
    if (
      accepted.revision &&
      this.#statuses &&
      this.#deps.isLeader() &&
      !this.#statuses.seen(accepted.revision)
    ) {
      this.#statuses.report(accepted.revision, 'pending', `reconciling ${accepted.revision.slice(0, 12)}`);
    }
    return { accepted };
  }

  /** After the pass: the commit status of the revision it reconciled. */
  finish(accepted: SourceRevision, report: PassReport): void {
    if (!accepted.revision || !this.#statuses || !this.#deps.isLeader()) return;
    if (report.result === 'aborted') return;
    const ok = report.verdict === 'success';
    this.#statuses.report(accepted.revision, ok ? 'success' : 'failure', passSummary(report));
  }

  status(): Record<string, unknown> {
    return this.source.status();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.source.close().catch(() => undefined);
    await this.#statuses?.close().catch(() => undefined);
  }

  #record(result: SyncResult): void {
    const m = this.#deps.metrics;
    if (this.source.kind === 'git') {
      m.sourceFetches.inc({ result: result.fetched && !result.snapshot.error ? 'success' : 'failure' });
    }
    if (result.snapshot.accepted) this.#publishRevision(result.snapshot.accepted);
    m.sourceRefused.reset();
    const refused = result.snapshot.refused;
    if (refused) {
      m.sourceRefused.set(
        {
          revision: refused.revision,
          signer: formatSigner(refused.verification?.signer) ?? '',
          reason: refused.code,
        },
        1,
      );
    }
    if (result.refusal) {
      m.sourceRefusals.inc({ reason: result.refusal.code });
      if (this.#statuses && this.#deps.isLeader()) {
        const current = result.snapshot.accepted?.revision;
        this.#statuses.report(
          result.refusal.revision,
          'failure',
          `refused: ${result.refusal.reason}${current ? `; still applying ${current.slice(0, 12)}` : ''}`,
        );
      }
    }
  }

  #publishRevision(rev: SourceRevision): void {
    const m = this.#deps.metrics.sourceRevision;
    m.reset();
    m.set(
      {
        revision: rev.revision ?? 'unknown',
        signer: formatSigner(rev.verification.signer) ?? '',
        verification: rev.verification.status,
      },
      1,
    );
  }
}
