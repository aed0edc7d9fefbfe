/**
 * Vault token lifecycle for one sink (docs/design/vault.md §5.6):
 *
 * - `token` method: the token is read from an environment variable or a file (re-read whenever it
 *   has to be replaced, so a file kept fresh by Vault Agent is picked up), then checked with
 *   `lookup-self` (TTL, renewability).
 * - `kubernetes` method: `POST auth/<mount>/login` with the role and the service-account JWT,
 *   **re-read from the projected token file at every login** (it rotates).
 * - `approle` method: `POST auth/<mount>/login` with role_id and secret_id (env or file, re-read
 *   at every login).
 *
 * Upkeep is lazy and clock-driven (no timers): before each use, a token past 2/3 of its lease is
 * renewed with `renew-self`; a token whose renewal was capped by its max TTL, or refused, or that
 * is not renewable, is replaced by a fresh login at that point instead; an expired token is
 * replaced before use. A caller that gets 403 calls `invalidate()` and retries once with a fresh
 * token (Vault answers 403 both for an invalid token and a policy denial).
 *
 * Tokens are held as `Secret` so they never reach logs or error messages.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { VaultAuthSettings } from '../../config/settings.js';
import { SinkError } from '../../errors.js';
import { Secret } from '../../model/secret.js';
import type { VaultClient } from './client.js';
import { isPermissionDenied, VaultError } from './vault-error.js';

export interface TokenManagerDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Promise<string>;
  readonly clock: Clock;
  readonly logger?: Logger;
}

interface TokenState {
  readonly token: Secret;
  /** ms epoch; null = never expires. */
  expiresAt: number | null;
  /** ms epoch; null = no further renewal/refresh planned. */
  refreshAt: number | null;
  renewable: boolean;
  /** The last renewal came back shorter than requested: max TTL is near. */
  capped: boolean;
  /** Lease length to ask for at renewal (seconds). */
  leaseSeconds: number;
}

const DEFAULT_TOKEN_ENV = 'VAULT_TOKEN';

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export class TokenManager {
  readonly #client: VaultClient;
  readonly #auth: VaultAuthSettings;
  readonly #deps: TokenManagerDeps;
  #state: TokenState | undefined;
  #pending: Promise<TokenState> | undefined;

  constructor(client: VaultClient, auth: VaultAuthSettings, deps: TokenManagerDeps) {
    this.#client = client;
    this.#auth = auth;
    this.#deps = deps;
  }

  /** Whether a new token can be obtained by logging in (not for the static token method). */
  get canLogin(): boolean {
    return this.#auth.method !== 'token';
  }

  /** A usable token, obtaining / renewing / replacing it first when due. */
  async token(signal?: AbortSignal): Promise<Secret> {
    if (this.#pending) return (await this.#pending).token;
    const s = this.#state;
    const now = this.#deps.clock.now().getTime();
    if (s && (s.expiresAt === null || now < s.expiresAt) && (s.refreshAt === null || now < s.refreshAt)) {
      return s.token;
    }
    this.#pending = (
      s && (s.expiresAt === null || now < s.expiresAt) ? this.#refresh(s, signal) : this.#acquire(signal)
    )
      .then((next) => {
        this.#state = next;
        return next;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return (await this.#pending).token;
  }

  /** Forget the current token (after a 403): the next `token()` obtains a fresh one. */
  invalidate(): void {
    this.#state = undefined;
  }

  /**
   * Revoke a token this manager obtained by logging in (best effort, one attempt): called on
   * shutdown so restarts do not leave live tokens behind. Static tokens are never revoked: they
   * belong to whoever issued them.
   */
  async revoke(): Promise<void> {
    const s = this.#state;
    this.#state = undefined;
    if (!s || !this.canLogin) return;
    try {
      await this.#client.request('POST', {
        path: 'auth/token/revoke-self',
        token: s.token.reveal(),
        noRetry: true,
      });
      this.#deps.logger?.debug({ sink: this.#client.sink }, 'vault token revoked');
    } catch (err) {
      this.#deps.logger?.warn(
        { sink: this.#client.sink, status: err instanceof VaultError ? err.status : undefined },
        'vault token revocation failed (it expires at its TTL)',
      );
    }
  }

  /** Seconds left on the current token (undefined if none or never expiring). For tests and health. */
  remainingSeconds(): number | undefined {
    const s = this.#state;
    if (!s || s.expiresAt === null) return undefined;
    return Math.max(0, Math.floor((s.expiresAt - this.#deps.clock.now().getTime()) / 1000));
  }

  // ------------------------------------------------------------------ obtaining

  async #acquire(signal?: AbortSignal): Promise<TokenState> {
    const auth = this.#auth;
    switch (auth.method) {
      case 'token':
        return this.#fromStaticToken(auth, signal);
      case 'kubernetes': {
        let jwt: string;
        try {
          jwt = (await this.#deps.readFile(auth.tokenPath)).trim();
        } catch (err) {
          throw new SinkError(
            this.#client.sink,
            `cannot read the service-account token file ${auth.tokenPath} for Kubernetes auth: ${(err as Error).message}`,
            { cause: err },
          );
        }
        if (jwt === '') {
          throw new SinkError(this.#client.sink, `service-account token file ${auth.tokenPath} is empty`);
        }
        return this.#login(auth.mount || 'kubernetes', { role: auth.role, jwt: new Secret(jwt) }, signal);
      }
      case 'approle': {
        const secretId = await this.#readCredential(
          'AppRole secret_id',
          auth.secretIdEnv,
          auth.secretIdFile,
          false,
        );
        return this.#login(
          auth.mount || 'approle',
          { role_id: auth.roleId, ...(secretId ? { secret_id: secretId } : {}) },
          signal,
        );
      }
    }
  }

  async #readCredential(
    what: string,
    envName: string | undefined,
    file: string | undefined,
    required: boolean,
  ): Promise<Secret | undefined> {
    if (file) {
      let text: string;
      try {
        text = (await this.#deps.readFile(file)).trim();
      } catch (err) {
        throw new SinkError(
          this.#client.sink,
          `cannot read ${what} from file ${file}: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
      if (text === '') throw new SinkError(this.#client.sink, `${what} file ${file} is empty`);
      return new Secret(text);
    }
    if (envName) {
      const v = this.#deps.env[envName]?.trim();
      if (!v) throw new SinkError(this.#client.sink, `${what}: environment variable ${envName} is not set`);
      return new Secret(v);
    }
    if (required)
      throw new SinkError(this.#client.sink, `${what}: neither an environment variable nor a file is set`);
    return undefined;
  }

  async #fromStaticToken(
    auth: Extract<VaultAuthSettings, { method: 'token' }>,
    signal?: AbortSignal,
  ): Promise<TokenState> {
    const envName = auth.tokenEnv ?? (auth.tokenFile ? undefined : DEFAULT_TOKEN_ENV);
    const source = auth.tokenFile ? `file ${auth.tokenFile}` : `environment variable ${envName}`;
    const token = (await this.#readCredential('Vault token', envName, auth.tokenFile, true))!;
    let data: Record<string, unknown>;
    try {
      const res = await this.#client.request('GET', {
        path: 'auth/token/lookup-self',
        token: token.reveal(),
        ...(signal ? { signal } : {}),
      });
      data = asRecord(asRecord(res.body).data);
    } catch (err) {
      if (isPermissionDenied(err)) {
        throw new SinkError(
          this.#client.sink,
          `the Vault token from ${source} is invalid, expired or revoked (lookup-self: permission denied)`,
          { cause: err },
        );
      }
      throw err;
    }
    const ttl = typeof data.ttl === 'number' ? data.ttl : 0;
    const renewable = data.renewable === true;
    const now = this.#deps.clock.now().getTime();
    this.#deps.logger?.info({ sink: this.#client.sink, ttlSeconds: ttl, renewable }, 'vault token checked');
    return this.#stateFor(
      token,
      ttl,
      renewable,
      now,
      typeof data.creation_ttl === 'number' ? data.creation_ttl : ttl,
    );
  }

  async #login(mount: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<TokenState> {
    const wire: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) wire[k] = v instanceof Secret ? v.reveal() : v;
    let auth: Record<string, unknown>;
    try {
      const res = await this.#client.request('POST', {
        path: `auth/${mount}/login`,
        body: wire,
        retryServerErrors: false,
        ...(signal ? { signal } : {}),
      });
      auth = asRecord(asRecord(res.body).auth);
    } catch (err) {
      if (err instanceof VaultError && !err.retryable) {
        // A plain SinkError on purpose: a refused login is not a 403 on a data path, so callers
        // must not answer it with yet another login.
        throw new SinkError(
          this.#client.sink,
          `${this.#auth.method} login at auth/${mount} refused: ${err.message.replace(/^sink [^:]+: /, '')}`,
          { cause: err },
        );
      }
      throw err;
    }
    const clientToken = auth.client_token;
    if (typeof clientToken !== 'string' || clientToken === '') {
      throw new SinkError(
        this.#client.sink,
        `${this.#auth.method} login at auth/${mount} returned no client token`,
      );
    }
    const lease = typeof auth.lease_duration === 'number' ? auth.lease_duration : 0;
    const renewable = auth.renewable === true;
    this.#deps.logger?.info(
      { sink: this.#client.sink, method: this.#auth.method, mount, leaseSeconds: lease, renewable },
      'vault login succeeded',
    );
    return this.#stateFor(new Secret(clientToken), lease, renewable, this.#deps.clock.now().getTime(), lease);
  }

  #stateFor(token: Secret, ttl: number, renewable: boolean, now: number, leaseSeconds: number): TokenState {
    if (ttl <= 0) {
      return { token, expiresAt: null, refreshAt: null, renewable, capped: false, leaseSeconds: 0 };
    }
    const refreshable = renewable || this.canLogin;
    return {
      token,
      expiresAt: now + ttl * 1000,
      refreshAt: refreshable ? now + Math.floor((ttl * 1000 * 2) / 3) : null,
      renewable,
      capped: false,
      leaseSeconds: Math.max(ttl, leaseSeconds),
    };
  }

  // ------------------------------------------------------------------ upkeep

  async #refresh(s: TokenState, signal?: AbortSignal): Promise<TokenState> {
    if (this.canLogin && (!s.renewable || s.capped)) {
      this.#deps.logger?.info({ sink: this.#client.sink }, 'vault token near its max TTL: logging in again');
      return this.#acquire(signal);
    }
    if (!s.renewable) return { ...s, refreshAt: null };
    const now = this.#deps.clock.now().getTime();
    try {
      const res = await this.#client.request('POST', {
        path: 'auth/token/renew-self',
        token: s.token.reveal(),
        body: { increment: `${s.leaseSeconds}s` },
        // A 500 here is the plugin refusing (e.g. "role … does not exist during renewal"): log in again.
        retryServerErrors: false,
        ...(signal ? { signal } : {}),
      });
      const auth = asRecord(asRecord(res.body).auth);
      const granted = typeof auth.lease_duration === 'number' ? auth.lease_duration : 0;
      if (granted <= 0) return this.canLogin ? this.#acquire(signal) : { ...s, refreshAt: null };
      const capped = granted < s.leaseSeconds;
      this.#deps.logger?.debug(
        { sink: this.#client.sink, leaseSeconds: granted, capped },
        'vault token renewed',
      );
      return {
        ...s,
        expiresAt: now + granted * 1000,
        refreshAt: now + Math.floor((granted * 1000 * 2) / 3),
        capped,
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      const retryable = err instanceof VaultError && err.retryable && err.status !== 500;
      this.#deps.logger?.warn(
        { sink: this.#client.sink, status: err instanceof VaultError ? err.status : undefined },
        'vault token renewal failed',
      );
      if (retryable) {
        // Vault unreachable for now; keep the still-valid token and try again a little later.
        const retryAt = now + 30_000;
        return { ...s, refreshAt: s.expiresAt === null ? retryAt : Math.min(retryAt, s.expiresAt) };
      }
      if (this.canLogin || isPermissionDenied(err)) return this.#acquire(signal);
      // Static token that cannot be renewed (400 lease is not renewable / lease not found): use it
      // until it expires.
      return { ...s, refreshAt: null };
    }
  }
}
