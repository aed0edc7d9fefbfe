/**
 * Report back on the commit: a status on GitHub (`POST /repos/{owner}/{repo}/statuses/{sha}`)
 * or GitLab (`POST /projects/:id/statuses/:sha`): `pending` when a pass starts on a new commit,
 * then `success` or `failure` with a one-line summary and a link to the daemon's `/ui` when
 * `publicUrl` is set. See docs/design/git-source.md ("Commit statuses").
 *
 * Contract:
 * - `report()` never blocks and never throws: the status is queued and posted by one background
 *   worker, so a slow or failing host cannot hold up a pass (rotations go on).
 * - Posts are retried with exponential backoff on network errors, 429 and 5xx; other 4xx
 *   (bad token, unknown repository) are logged once and dropped.
 * - A newer status for a commit replaces a queued older one (only the latest state matters);
 *   the same state and description twice for one commit is posted once (hosts keep every
 *   status, GitHub at most 1000 per commit and context).
 * - The token travels only in the Authorization / PRIVATE-TOKEN header; payloads hold the state,
 *   the summary (scrubbed of every known secret), the context and the link, nothing else.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CommitStatusSettings } from '../config/settings.js';
import { readSecretRef } from '../config/secret-ref.js';
import { type Secret, scrubSecrets } from '../model/secret.js';
import { redactUrlText } from './git-url.js';

export type CommitState = 'pending' | 'success' | 'failure';

export interface CommitStatusBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts per status, the first included. */
  readonly attempts: number;
}

export interface CommitStatusDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly fetch?: typeof fetch;
  readonly backoff?: CommitStatusBackoff;
  /** Called after each post attempt settles (metrics): `result` is `success` or `failure`. */
  readonly onPosted?: (e: { state: CommitState; result: 'success' | 'failure'; status?: number }) => void;
  readonly readFile?: (file: string) => Promise<string>;
}

const DEFAULT_BACKOFF: CommitStatusBackoff = { baseMs: 1000, maxMs: 60_000, attempts: 6 };
const MAX_DESCRIPTION = 140;
const REQUEST_TIMEOUT_MS = 15_000;

interface Job {
  readonly sha: string;
  readonly state: CommitState;
  readonly description: string;
}

/** One line, no secret, at most 140 characters (GitHub's limit). */
export function statusDescription(text: string): string {
  const line = redactUrlText(scrubSecrets(text)).replace(/\s+/g, ' ').trim();
  return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
}

export class CommitStatusReporter {
  readonly settings: CommitStatusSettings;
  readonly #token: Secret;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #backoff: CommitStatusBackoff;
  readonly #onPosted: CommitStatusDeps['onPosted'];
  /** Latest wanted status per commit, in arrival order. */
  readonly #queue = new Map<string, Job>();
  /** Last status posted (or being posted) per commit: `state|description`. */
  readonly #posted = new Map<string, string>();
  readonly #stop = new AbortController();
  #worker: Promise<void> | undefined;
  #lastError = '';

  private constructor(settings: CommitStatusSettings, token: Secret, deps: CommitStatusDeps) {
    this.settings = settings;
    this.#token = token;
    this.#log = deps.logger.child({ component: 'commit-status', provider: settings.provider });
    this.#clock = deps.clock;
    this.#fetch = deps.fetch ?? fetch;
    this.#backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.#onPosted = deps.onPosted;
  }

  /** Read the token (env or file); ConfigError naming the variable or file when missing. */
  static async create(settings: CommitStatusSettings, deps: CommitStatusDeps): Promise<CommitStatusReporter> {
    const token = await readSecretRef(
      'source.git.commitStatus.token',
      { env: settings.tokenEnv, file: settings.tokenFile },
      deps,
    );
    return new CommitStatusReporter(settings, token, deps);
  }

  /** Queue a status for `sha` (never blocks, never throws). */
  report(sha: string, state: CommitState, summary: string): void {
    if (this.#stop.signal.aborted) return;
    const description = statusDescription(summary);
    const key = `${state}|${description}`;
    const queued = this.#queue.get(sha);
    if (queued === undefined && this.#posted.get(sha) === key) return;
    if (queued && `${queued.state}|${queued.description}` === key) return;
    // Re-insert at the end: statuses go out in the order they were last wanted.
    this.#queue.delete(sha);
    this.#queue.set(sha, { sha, state, description });
    this.#worker ??= this.#drain().finally(() => {
      this.#worker = undefined;
      if (this.#queue.size > 0 && !this.#stop.signal.aborted) this.#worker = this.#drain();
    });
  }

  /** Has a pending status been queued or posted for this commit? */
  seen(sha: string): boolean {
    return this.#posted.has(sha) || this.#queue.has(sha);
  }

  /** Wait until the queue is empty (tests, shutdown); at most `timeoutMs`, then give up. */
  async flush(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.#worker || this.#queue.size > 0) && Date.now() < deadline) {
      await Promise.race([this.#worker, new Promise((r) => setTimeout(r, 50))]);
    }
  }

  /** Stop: what is still queued after `timeoutMs` is dropped (and logged). */
  async close(timeoutMs = 5000): Promise<void> {
    await this.flush(timeoutMs);
    this.#stop.abort(new Error('shutting down'));
    if (this.#queue.size > 0) {
      this.#log.warn({ dropped: this.#queue.size }, 'commit statuses not posted before shutdown');
    }
    this.#queue.clear();
  }

  url(sha: string): string {
    const s = this.settings;
    return s.provider === 'github'
      ? `${s.apiUrl}/repos/${s.repository.split('/').map(encodeURIComponent).join('/')}/statuses/${sha}`
      : `${s.apiUrl}/projects/${encodeURIComponent(s.repository)}/statuses/${sha}`;
  }

  async #drain(): Promise<void> {
    for (;;) {
      const next = this.#queue.values().next();
      if (next.done || this.#stop.signal.aborted) return;
      const job = next.value;
      this.#queue.delete(job.sha);
      this.#posted.set(job.sha, `${job.state}|${job.description}`);
      await this.#post(job);
    }
  }

  async #post(job: Job): Promise<void> {
    const s = this.settings;
    const body: Record<string, string> =
      s.provider === 'github'
        ? { state: job.state, description: job.description, context: s.context }
        : {
            state: job.state === 'failure' ? 'failed' : job.state,
            description: job.description,
            name: s.context,
          };
    if (s.publicUrl) body['target_url'] = `${s.publicUrl}/ui`;
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'scw-gitops',
      ...(s.provider === 'github'
        ? {
            Authorization: `Bearer ${this.#token.reveal()}`,
            Accept: 'application/vnd.github+json',
            'X-GitHub-Api-Version': '2022-11-28',
          }
        : { 'PRIVATE-TOKEN': this.#token.reveal() }),
    };
    for (let attempt = 1; ; attempt++) {
      // A newer status for the same commit arrived meanwhile: that one wins.
      if (this.#queue.has(job.sha) || this.#stop.signal.aborted) return;
      let status: number | undefined;
      let problem: string;
      try {
        const res = await this.#fetch(this.url(job.sha), {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.#onPosted?.({ state: job.state, result: 'success', status });
          this.#log.debug({ sha: job.sha, state: job.state, attempt }, 'commit status posted');
          if (this.#lastError) this.#log.info('commit statuses are posted again');
          this.#lastError = '';
          return;
        }
        problem = `HTTP ${status}`;
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        problem = scrubSecrets((err as Error).message);
      }
      this.#onPosted?.({ state: job.state, result: 'failure', ...(status !== undefined ? { status } : {}) });
      const retryable = status === undefined || status === 429 || status >= 500;
      if (!retryable || attempt >= this.#backoff.attempts) {
        const message = `${s.provider} commit status for ${job.sha.slice(0, 12)} not posted: ${problem}${
          retryable
            ? ` after ${attempt} attempts`
            : status === 401 || status === 403
              ? ' (check the token and its permissions)'
              : status === 404
                ? ` (check source.git.commitStatus.repository '${s.repository}')`
                : ''
        }`;
        if (message !== this.#lastError) this.#log.warn({ sha: job.sha, state: job.state, status }, message);
        this.#lastError = message;
        return;
      }
      const delay = Math.min(this.#backoff.maxMs, this.#backoff.baseMs * 2 ** (attempt - 1));
      try {
        await this.#clock.sleep(delay, this.#stop.signal);
      } catch {
        return;
      }
    }
  }
}
