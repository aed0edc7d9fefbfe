/**
 * Who may use an endpoint that is not public: one small guard, shared by every route that needs
 * one (docs/operations.md, "Threat model" and "Access to /status").
 *
 * A guard holds an optional token and one rule for requests without a token:
 *
 *   trust             token configured                    no token configured
 *   ---------------   ---------------------------------   -----------------------------------
 *   admin-listener    the token, on every listener        requests that reached the admin
 *                                                         listener (bound to loopback)
 *   local-peer        the token, from every peer          peers 127.0.0.1 and ::1 only
 *
 * - `/status` (and the dashboard's `/ui`) use the admin guard (`admin-listener`).
 * - `/hooks/git-sync` uses a `local-peer` guard: the git-sync sidecar shares the pod's network.
 *
 * The token is presented as `Authorization: Bearer <token>`, or as the password of
 * `Authorization: Basic` (what a client puts there for `http://user:<token>@host/…`, the only way
 * git-sync's `--webhook-url` can carry one). Both sides are hashed before a constant-time compare,
 * so neither the content nor the length of the token leaks through timing. A refusal never says
 * more than "missing" or "mismatch".
 *
 * Only 127.0.0.1 and ::1 count as local peers, not the whole 127/8 block: service-mesh sidecars
 * forward outside traffic from other loopback addresses (Istio uses 127.0.0.6), and that traffic
 * must not pass as the pod's own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Secret } from '../model/secret.js';

/** Which of the daemon's listeners a request arrived on. */
export type Listener = 'main' | 'admin';

/** What the guard needs to know about a request. */
export interface GuardedRequest {
  readonly headers: IncomingHttpHeaders;
  /** `socket.remoteAddress`. */
  readonly peer: string | undefined;
  readonly listener: Listener;
}

export type AccessDecision =
  | { readonly allowed: true; readonly via: 'token' | 'admin-listener' | 'local-peer' }
  | {
      readonly allowed: false;
      readonly reason: 'missing' | 'mismatch' | 'not-local' | 'not-admin-listener';
      /** Safe to send to the client: says how to get in, never anything about the token. */
      readonly message: string;
    };

export interface AccessGuardOptions {
  /** Name for messages and logs (`status`, `git-sync`). */
  readonly name: string;
  readonly token?: Secret | undefined;
  readonly trust: 'admin-listener' | 'local-peer';
  /** How to get in, for the 401 body (`the admin listener 127.0.0.1:8081 or a bearer token`). */
  readonly hint: string | (() => string);
}

export class AccessGuard {
  readonly name: string;
  readonly #token: Secret | undefined;
  readonly #trust: AccessGuardOptions['trust'];
  readonly #hint: string | (() => string);

  constructor(opts: AccessGuardOptions) {
    this.name = opts.name;
    this.#token = opts.token;
    this.#trust = opts.trust;
    this.#hint = opts.hint;
  }

  /** A token is configured (then it is required everywhere). */
  get requiresToken(): boolean {
    return this.#token !== undefined;
  }

  check(req: GuardedRequest): AccessDecision {
    if (this.#token !== undefined) {
      const given = presentedToken(headerValue(req.headers.authorization));
      if (given === undefined) return this.#deny('missing');
      return tokenMatches(this.#token, given) ? { allowed: true, via: 'token' } : this.#deny('mismatch');
    }
    if (this.#trust === 'admin-listener') {
      return req.listener === 'admin'
        ? { allowed: true, via: 'admin-listener' }
        : this.#deny('not-admin-listener');
    }
    return isLocalPeer(req.peer) ? { allowed: true, via: 'local-peer' } : this.#deny('not-local');
  }

  #deny(reason: Extract<AccessDecision, { allowed: false }>['reason']): AccessDecision {
    const why =
      reason === 'missing'
        ? 'a token is required'
        : reason === 'mismatch'
          ? 'the token does not match'
          : reason === 'not-local'
            ? 'only local peers are accepted'
            : 'not served on this listener without a token';
    const hint = typeof this.#hint === 'string' ? this.#hint : this.#hint();
    return { allowed: false, reason, message: `${this.name}: ${why}; use ${hint}` };
  }
}

/** 127.0.0.1 and ::1 (also as an IPv4-mapped address): the pod itself. */
export function isLocalPeer(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** The token of a `Bearer` or `Basic` (password) Authorization header, if any. */
export function presentedToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return undefined;
  if (m[1]!.toLowerCase() === 'bearer') return m[2]!;
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return password === '' ? undefined : password;
}

/** Constant-time comparison of a presented token with the expected one (lengths hidden too). */
export function tokenMatches(expected: Secret, given: string): boolean {
  const a = createHash('sha256').update(expected.reveal(), 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
