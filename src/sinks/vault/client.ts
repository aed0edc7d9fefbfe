/**
 * Vault HTTP client core: one logical request with Vault's conventions and failure policy
 * (docs/design/vault.md §1, §6, §7). No token management here (see ./token-manager.ts).
 *
 * - Headers: `X-Vault-Request: true`, `X-Vault-Namespace` when configured, `X-Vault-Token` when a
 *   token is given. JSON bodies.
 * - Every attempt has its own timeout and honours the caller's AbortSignal.
 * - Standby redirects (307/308) are followed with the same method and body (at most 5 hops).
 * - Retried with backoff (through the injected Clock): network failures and timeouts, 412
 *   (consistency), 429 (Retry-After honoured), 500/502/503/504 (sealed, standby without leader,
 *   overload) and the KV "Upgrading from non-versioned" 400. Data writes are always CAS-guarded
 *   by the caller, so replaying a write is safe. When retries run out the error is retryable.
 * - Everything else is returned (statuses in `accept`) or thrown as a non-retryable VaultError.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Transport, TransportResponse } from './transport.js';
import { flattenVaultErrors, VaultError } from './vault-error.js';

export interface RetryPolicy {
  /** Retries after the first attempt (default 3). */
  readonly retries: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, minDelayMs: 250, maxDelayMs: 5_000 };

export interface VaultClientOptions {
  /** Sink name, for error messages. */
  readonly sink: string;
  readonly address: string;
  readonly namespace?: string;
  readonly timeoutMs: number;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
}

export interface VaultRequest {
  /** Logical path without `/v1/`, e.g. `secret/data/a/b` (already URI-safe). */
  readonly path: string;
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string>>;
  readonly token?: string;
  /** Non-2xx statuses returned to the caller instead of thrown (e.g. 404 on reads). */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal;
  /**
   * Retry a 500 (default true). Logins pass false: there a 500 is a configuration problem
   * (AppRole `missing role_id`, Kubernetes `could not load backend configuration`).
   */
  readonly retryServerErrors?: boolean;
  /** Single attempt, no retries (best-effort calls such as revoke on shutdown). */
  readonly noRetry?: boolean;
}

export interface VaultResponse {
  readonly status: number;
  /** Parsed JSON body, undefined when empty or not JSON. */
  readonly body: unknown;
}

/** 473 (performance standby) and 472 normally come only from sys/health; retried if a proxy relays them. */
const RETRYABLE_STATUS = new Set([412, 429, 472, 473, 500, 502, 503, 504]);
const MAX_REDIRECTS = 5;

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Vault's `errors` array from a body, or [] (e.g. empty 404 bodies, raw envelopes). */
export function errorsOf(body: unknown): string[] {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)) {
    return ((body as { errors: unknown[] }).errors ?? []).filter((e): e is string => typeof e === 'string');
  }
  return [];
}

function retryAfterMs(res: TransportResponse): number | undefined {
  const h = res.headers['retry-after'];
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export class VaultClient {
  readonly #o: VaultClientOptions;
  readonly #retry: RetryPolicy;
  readonly #base: URL;

  constructor(options: VaultClientOptions) {
    this.#o = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#base = new URL(options.address.endsWith('/') ? options.address : `${options.address}/`);
  }

  get sink(): string {
    return this.#o.sink;
  }

  async request(method: string, req: VaultRequest): Promise<VaultResponse> {
    const label = `vault ${method} /v1/${req.path}`;
    let lastError: VaultError | undefined;
    const retries = req.noRetry ? 0 : this.#retry.retries;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const wait = lastError === undefined ? 0 : this.#delay(attempt, lastError.retryAfterMs);
        this.#o.logger?.debug(
          { sink: this.#o.sink, path: req.path, attempt, waitMs: wait, status: lastError?.status },
          'vault request retry',
        );
        await this.#o.clock.sleep(wait, req.signal);
      }
      const outcome = await this.#attempt(method, req, label);
      if (outcome instanceof VaultError) {
        if (!outcome.retryable) throw outcome;
        lastError = outcome;
        continue;
      }
      return outcome;
    }
    throw new VaultError(
      this.#o.sink,
      `${lastError?.message.replace(/^sink [^:]+: /, '') ?? label} (gave up after ${retries + 1} attempts)`,
      {
        retryable: true,
        vaultErrors: lastError?.vaultErrors ?? [],
        ...(lastError?.status === undefined ? {} : { status: lastError.status }),
        ...(lastError ? { cause: lastError } : {}),
      },
    );
  }

  #delay(attempt: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, 60_000);
    const exp = Math.min(this.#retry.maxDelayMs, this.#retry.minDelayMs * 2 ** (attempt - 1));
    // Jitter between 50% and 100% so replicas do not retry in lockstep.
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  /** One attempt including redirects. Returns the response, or a VaultError (retryable or not). */
  async #attempt(method: string, req: VaultRequest, label: string): Promise<VaultResponse | VaultError> {
    const headers: Record<string, string> = { 'X-Vault-Request': 'true', Accept: 'application/json' };
    if (this.#o.namespace) headers['X-Vault-Namespace'] = this.#o.namespace;
    if (req.token !== undefined) headers['X-Vault-Token'] = req.token;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['Content-Type'] = 'application/json';
    }
    let url = new URL(`v1/${req.path}`, this.#base);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);

    for (let hop = 0; ; hop++) {
      const timeout = AbortSignal.timeout(this.#o.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let res: TransportResponse;
      try {
        res = await this.#o.transport.request({
          method,
          url,
          headers,
          signal,
          ...(body === undefined ? {} : { body }),
        });
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason;
        const timedOut = timeout.aborted;
        const code = (err as { code?: string }).code;
        // A certificate problem is configuration (caFile), not a transient failure.
        const certificate = code !== undefined && /CERT|SELF_SIGNED|ERR_TLS/.test(code);
        const what = timedOut
          ? `no answer within ${this.#o.timeoutMs} ms`
          : `${code ?? 'network error'}${err instanceof Error && !code ? `: ${err.message}` : ''}`;
        return new VaultError(
          this.#o.sink,
          `${label}: ${what}${certificate ? ' (the server certificate is not trusted: check caFile)' : ''}`,
          { retryable: !certificate, cause: err },
        );
      }
      if ((res.status === 307 || res.status === 308) && hop < MAX_REDIRECTS) {
        const location = res.headers.location;
        if (typeof location === 'string' && location !== '') {
          url = new URL(location, url);
          this.#o.logger?.debug({ sink: this.#o.sink, to: url.origin }, 'vault standby redirect followed');
          continue;
        }
      }
      const parsed = parseBody(res.body);
      if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed };
      if (req.accept?.includes(res.status)) return { status: res.status, body: parsed };
      const errors = errorsOf(parsed);
      const flat = flattenVaultErrors(errors);
      const upgrading = res.status === 400 && flat.some((e) => e.startsWith('Upgrading from non-versioned'));
      const retryable =
        (RETRYABLE_STATUS.has(res.status) && !(res.status === 500 && req.retryServerErrors === false)) ||
        upgrading;
      const detail =
        flat.length > 0 ? flat.join('; ') : res.status === 307 ? 'too many redirects' : 'no error text';
      const after = res.status === 429 ? retryAfterMs(res) : undefined;
      return new VaultError(this.#o.sink, `${label}: HTTP ${res.status}: ${detail}`, {
        status: res.status,
        vaultErrors: errors,
        retryable,
        ...(after === undefined ? {} : { retryAfterMs: after }),
      });
    }
  }
}
