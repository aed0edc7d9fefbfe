/**
 * A Vault HTTP emulator for tests (a test double; docs/design/vault.md §8 is its checklist). One node:http
 * server on 127.0.0.1, port 0. It implements the parts of Vault scw-gitops uses, with Vault's
 * envelopes, status codes and error texts:
 *
 * - KV v2 (and a KV v1 mode) mounts: data/metadata/delete/undelete/destroy/subkeys/config/list,
 *   versions and trimming, check-and-set, custom_metadata rules (see ./kv.ts).
 * - `sys/internal/ui/mounts/<path>`, `sys/capabilities-self`, `sys/health`, `sys/seal-status`.
 * - Token auth (root token, lookup-self, renew-self with max-TTL capping), Kubernetes auth and
 *   AppRole auth, with TTLs driven by an injectable clock.
 * - ACL policies (./acl.ts): a denied path answers 403 "permission denied".
 * - Modes and faults: sealed, standby (307 redirect / no leader), quota 429 with Retry-After,
 *   one-shot errors (500/502/412/...), KV "upgrading", a hung server (hold), connection drop after commit,
 *   strict namespaces.
 *
 * Known gaps (on purpose): no response wrapping, no leases for dynamic secrets, no entity/identity
 * system, no token creation API (tokens are minted through `control.createToken`), JWT signatures
 * are not verified (the TokenReview outcome is configured by the test).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  allows,
  type Capability,
  capabilitiesFor,
  hasMountAccess,
  type Policies,
  type PolicyRule,
} from './acl.js';
import {
  envelope,
  fail,
  goDuration,
  INVALID_TOKEN,
  ACL_DENIED,
  notFound,
  ok,
  parseVaultDuration,
  type Reply,
  rfc3339Nano,
} from './format.js';
import { createRequestHold } from '../hold.js';
import { type KvConfig, KvMount, type KvOperation } from './kv.js';

const SYSTEM_MAX_TTL = 2_764_800; // 768h

export interface EmulatorClock {
  now(): Date;
}

export interface MountSpec {
  readonly path: string;
  readonly version: 1 | 2;
  readonly config?: Partial<KvConfig>;
  /** Namespace the mount lives in (strict namespace mode); default root. */
  readonly namespace?: string;
}

export interface VaultEmulatorOptions {
  readonly clock?: EmulatorClock;
  readonly rootToken?: string;
  /** Default: one KV v2 mount at `secret`. */
  readonly mounts?: readonly MountSpec[];
  /**
   * Enterprise-style namespaces. Absent: `X-Vault-Namespace` is ignored (Vault CE). Present: strict
   * mode, unknown namespaces get `404 namespace not found` and mounts are looked up per namespace.
   */
  readonly namespaces?: readonly string[];
  readonly version?: string;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 made by `openssl` (PEM in `caPem`). */
  readonly tls?: boolean;
}

export interface TokenSpec {
  readonly policies?: readonly string[];
  /** Seconds; 0 = no expiry (like root). Default 3600. */
  readonly ttl?: number;
  /** Seconds; default system max 768h. */
  readonly maxTtl?: number;
  readonly renewable?: boolean;
  readonly id?: string;
  readonly path?: string;
  readonly displayName?: string;
  readonly meta?: Record<string, string> | null;
}

export interface KubernetesRoleSpec {
  readonly name: string;
  readonly boundServiceAccountNames: readonly string[];
  readonly boundServiceAccountNamespaces: readonly string[];
  readonly policies: readonly string[];
  readonly ttl?: number;
  readonly maxTtl?: number;
  readonly audience?: string;
}

export interface ServiceAccountIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
}

export interface AppRoleSpec {
  readonly mount?: string;
  readonly roleName: string;
  readonly roleId?: string;
  readonly secretId?: string;
  readonly bindSecretId?: boolean;
  readonly policies: readonly string[];
  readonly ttl?: number;
  readonly maxTtl?: number;
}

export type StandbyMode =
  | { readonly mode: 'redirect'; readonly activeUrl: string }
  | { readonly mode: 'no-leader' }
  | { readonly mode: 'performance' };

export interface FaultSpec {
  readonly status: number;
  readonly errors?: readonly string[];
  /** How many matching requests fail (default 1). */
  readonly count?: number;
  /** Only requests whose logical path starts with this (e.g. `secret/data/`). */
  readonly pathPrefix?: string;
  readonly method?: string;
  readonly retryAfterSeconds?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly hasToken: boolean;
  readonly namespace: string | undefined;
  readonly vaultRequestHeader: string | undefined;
}

export interface VaultEmulatorControl {
  seal(): void;
  unseal(): void;
  isSealed(): boolean;
  setStandby(mode: StandbyMode | null): void;
  /** Queue a fault for the next matching request(s). */
  failNext(fault: FaultSpec): void;
  /** Rate-limit quota: the next `count` requests get 429 + Retry-After. */
  quota(count: number, retryAfterSeconds?: number): void;
  /** Hang: hold every request from now on, unanswered, until the returned function is called. */
  hold(): () => void;
  /** Requests held right now. */
  readonly held: number;
  /** The next `count` write requests are committed, then the connection is dropped without a reply. */
  dropAfterCommit(count?: number): void;
  setKvUpgrading(mount: string, upgrading: boolean): void;
  addMount(spec: MountSpec): KvMount;
  mount(path: string, namespace?: string): KvMount | undefined;
  putPolicy(name: string, rules: readonly PolicyRule[]): void;
  createToken(spec?: TokenSpec): string;
  revokeToken(token: string): void;
  /** Revoke every token except the root token (simulates revocation / a Vault restore). */
  revokeAllTokens(): void;
  /** Live non-root tokens. */
  tokenCount(): number;
  configureKubernetes(opts: { mount?: string; roles: readonly KubernetesRoleSpec[] }): void;
  /** Map a JWT to the service account its TokenReview returns. */
  registerJwt(jwt: string, sa: ServiceAccountIdentity): void;
  /** Make every TokenReview fail (→ 403 permission denied). */
  setTokenReviewFails(fails: boolean): void;
  addAppRole(spec: AppRoleSpec): { roleId: string; secretId: string };
  deleteRole(kind: 'kubernetes' | 'approle', name: string, mount?: string): void;
  requests(): readonly RecordedRequest[];
  clearRequests(): void;
  logins(mount?: string): number;
  /** JWTs presented to kubernetes logins, in order. */
  jwtsSeen(): readonly string[];
}

export interface VaultEmulator {
  readonly url: string;
  /** The self-signed certificate (PEM) when started with `tls: true`. */
  readonly caPem?: string;
  readonly rootToken: string;
  readonly control: VaultEmulatorControl;
  close(): Promise<void>;
}

interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  path: string;
  displayName: string;
  meta: Record<string, string> | null;
  issuedAt: number;
  creationTtl: number;
  /** ms; null = never. */
  expiresAt: number | null;
  /** ms; null = never. */
  maxExpiresAt: number | null;
  renewable: boolean;
  entityId: string;
  /** Role behind a login token, re-checked at renewal. */
  role?: { kind: 'kubernetes' | 'approle'; mount: string; name: string };
}

interface K8sMount {
  roles: Map<string, KubernetesRoleSpec>;
}

interface AppRoleEntry {
  spec: AppRoleSpec;
  roleId: string;
  secretIds: Set<string>;
}

function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'LIST', 'PATCH', 'OPTIONS']);
/** sys paths that answer while sealed / on a standby without redirect. */
const BOOTSTRAP_PATHS = new Set(['sys/health', 'sys/seal-status', 'sys/leader', 'sys/init', 'sys/unseal']);

function decodeJwtClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isPlainObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Service-account identity from legacy or projected token claims. */
function identityFromClaims(claims: Record<string, unknown>): ServiceAccountIdentity | undefined {
  const k8s = claims['kubernetes.io'];
  if (isPlainObject(k8s) && typeof k8s.namespace === 'string' && isPlainObject(k8s.serviceaccount)) {
    const sa = k8s.serviceaccount;
    if (typeof sa.name === 'string') {
      return {
        name: sa.name,
        namespace: k8s.namespace,
        ...(typeof sa.uid === 'string' ? { uid: sa.uid } : {}),
      };
    }
  }
  const name = claims['kubernetes.io/serviceaccount/service-account.name'];
  const ns = claims['kubernetes.io/serviceaccount/namespace'];
  if (typeof name === 'string' && typeof ns === 'string') return { name, namespace: ns };
  const sub = claims.sub;
  if (typeof sub === 'string') {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub);
    if (m?.[1] && m[2]) return { name: m[2], namespace: m[1] };
  }
  return undefined;
}

export async function startVaultEmulator(opts: VaultEmulatorOptions = {}): Promise<VaultEmulator> {
  const clock: EmulatorClock = opts.clock ?? { now: () => new Date() };
  const now = (): number => clock.now().getTime();
  const rootToken = opts.rootToken ?? randomToken('hvs.root');
  const strictNamespaces = opts.namespaces
    ? new Set(opts.namespaces.map((n) => n.replace(/^\/+|\/+$/g, '')))
    : null;

  let sealed = false;
  let standby: StandbyMode | null = null;
  const requestHold = createRequestHold();
  let dropWrites = 0;
  let tokenReviewFails = false;
  const faults: { spec: FaultSpec; left: number }[] = [];
  const policies: Policies = new Map();
  const tokens = new Map<string, TokenEntry>();
  const mounts = new Map<string, KvMount>(); // key: `${ns}|${path}`
  const k8sMounts = new Map<string, K8sMount>();
  const appRoleMounts = new Map<string, Map<string, AppRoleEntry>>();
  const jwtMap = new Map<string, ServiceAccountIdentity>();
  const jwtLog: string[] = [];
  const loginCount = new Map<string, number>();
  const log: RecordedRequest[] = [];

  const mountKey = (ns: string, path: string) => `${ns}|${path}`;

  function issueToken(spec: TokenSpec): TokenEntry {
    const t = now();
    const ttl = spec.ttl ?? 3600;
    const maxTtl = spec.maxTtl ?? SYSTEM_MAX_TTL;
    const entry: TokenEntry = {
      id: spec.id ?? randomToken('hvs.'),
      accessor: randomToken(''),
      policies: [...new Set(spec.policies ?? ['default'])].sort(),
      path: spec.path ?? 'auth/token/create',
      displayName: spec.displayName ?? 'token',
      meta: spec.meta ?? null,
      issuedAt: t,
      creationTtl: ttl,
      expiresAt: ttl > 0 ? t + Math.min(ttl, maxTtl) * 1000 : null,
      maxExpiresAt: ttl > 0 ? t + maxTtl * 1000 : null,
      renewable: spec.renewable ?? ttl > 0,
      entityId: randomUUID(),
    };
    tokens.set(entry.id, entry);
    return entry;
  }

  tokens.set(rootToken, {
    id: rootToken,
    accessor: randomToken(''),
    policies: ['root'],
    path: 'auth/token/root',
    displayName: 'root',
    meta: null,
    issuedAt: now(),
    creationTtl: 0,
    expiresAt: null,
    maxExpiresAt: null,
    renewable: false,
    entityId: '',
  });

  const control: VaultEmulatorControl = {
    seal: () => {
      sealed = true;
    },
    unseal: () => {
      sealed = false;
    },
    isSealed: () => sealed,
    setStandby: (mode) => {
      standby = mode;
    },
    failNext: (spec) => {
      faults.push({ spec, left: spec.count ?? 1 });
    },
    quota: (count, retryAfterSeconds = 1) => {
      faults.push({
        spec: { status: 429, errors: ['__quota__'], retryAfterSeconds },
        left: count,
      });
    },
    hold: () => requestHold.hold(),
    get held() {
      return requestHold.held;
    },
    dropAfterCommit: (count = 1) => {
      dropWrites = count;
    },
    setKvUpgrading: (mount, upgrading) => {
      const m = mounts.get(mountKey('', mount));
      if (!m) throw new Error(`no mount ${mount}`);
      m.upgrading = upgrading;
    },
    addMount: (spec) => {
      const m = new KvMount(spec.path.replace(/^\/+|\/+$/g, ''), spec.version, spec.config);
      mounts.set(mountKey(spec.namespace ?? '', m.path), m);
      return m;
    },
    mount: (path, namespace = '') => mounts.get(mountKey(namespace, path)),
    putPolicy: (name, rules) => {
      policies.set(name, rules);
    },
    createToken: (spec = {}) => issueToken(spec).id,
    revokeToken: (token) => {
      tokens.delete(token);
    },
    revokeAllTokens: () => {
      for (const id of [...tokens.keys()]) if (id !== rootToken) tokens.delete(id);
    },
    tokenCount: () =>
      [...tokens.values()].filter((t) => t.id !== rootToken && liveToken(t.id) !== undefined).length,
    configureKubernetes: ({ mount = 'kubernetes', roles }) => {
      k8sMounts.set(mount, { roles: new Map(roles.map((r) => [r.name, r])) });
    },
    registerJwt: (jwt, sa) => {
      jwtMap.set(jwt, sa);
    },
    setTokenReviewFails: (f) => {
      tokenReviewFails = f;
    },
    addAppRole: (spec) => {
      const mount = spec.mount ?? 'approle';
      const roles = appRoleMounts.get(mount) ?? new Map<string, AppRoleEntry>();
      appRoleMounts.set(mount, roles);
      const roleId = spec.roleId ?? randomUUID();
      const secretId = spec.secretId ?? randomUUID();
      roles.set(spec.roleName, { spec, roleId, secretIds: new Set([secretId]) });
      return { roleId, secretId };
    },
    deleteRole: (kind, name, mount) => {
      if (kind === 'kubernetes') k8sMounts.get(mount ?? 'kubernetes')?.roles.delete(name);
      else appRoleMounts.get(mount ?? 'approle')?.delete(name);
    },
    requests: () => [...log],
    clearRequests: () => {
      log.length = 0;
    },
    logins: (mount) =>
      mount === undefined
        ? [...loginCount.values()].reduce((a, b) => a + b, 0)
        : (loginCount.get(mount) ?? 0),
    jwtsSeen: () => [...jwtLog],
  };

  for (const spec of opts.mounts ?? [{ path: 'secret', version: 2 as const }]) control.addMount(spec);

  // ------------------------------------------------------------------ token helpers

  function liveToken(id: string | undefined): TokenEntry | undefined {
    if (!id) return undefined;
    const t = tokens.get(id);
    if (!t) return undefined;
    if (t.expiresAt !== null && t.expiresAt <= now()) {
      tokens.delete(id);
      return undefined;
    }
    return t;
  }

  function authBlock(t: TokenEntry, leaseSeconds: number): Record<string, unknown> {
    return {
      client_token: t.id,
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      metadata: t.meta,
      lease_duration: leaseSeconds,
      renewable: t.renewable,
      entity_id: t.entityId,
      token_type: 'service',
      orphan: true,
      mfa_requirement: null,
      num_uses: 0,
    };
  }

  function remainingSeconds(t: TokenEntry): number {
    return t.expiresAt === null ? 0 : Math.max(0, Math.floor((t.expiresAt - now()) / 1000));
  }

  function lookupSelf(t: TokenEntry): Reply {
    return ok({
      mountType: 'token',
      data: {
        accessor: t.accessor,
        creation_time: Math.floor(t.issuedAt / 1000),
        creation_ttl: t.creationTtl,
        display_name: t.displayName,
        entity_id: t.entityId,
        expire_time: t.expiresAt === null ? null : rfc3339Nano(t.expiresAt),
        explicit_max_ttl: 0,
        id: t.id,
        identity_policies: [],
        issue_time: rfc3339Nano(t.issuedAt),
        meta: t.meta,
        num_uses: 0,
        orphan: true,
        path: t.path,
        policies: t.policies,
        renewable: t.renewable,
        ttl: remainingSeconds(t),
        type: 'service',
      },
    });
  }

  function renewSelf(t: TokenEntry, body: Record<string, unknown>): Reply {
    if (t.expiresAt === null) return fail(400, 'lease not found');
    if (!t.renewable) return fail(400, 'lease is not renewable');
    if (t.role) {
      const exists =
        t.role.kind === 'kubernetes'
          ? k8sMounts.get(t.role.mount)?.roles.has(t.role.name)
          : appRoleMounts.get(t.role.mount)?.has(t.role.name);
      if (!exists) return fail(500, `role ${t.role.name} does not exist during renewal`);
    }
    let requested = t.creationTtl;
    if (body.increment !== undefined && body.increment !== null && body.increment !== '') {
      const inc = parseVaultDuration(body.increment);
      if (inc === undefined) return fail(400, 'invalid increment');
      if (inc > 0) requested = inc;
    }
    const n = now();
    const maxLeft =
      t.maxExpiresAt === null ? requested : Math.max(0, Math.floor((t.maxExpiresAt - n) / 1000));
    const granted = Math.min(requested, maxLeft);
    const warnings: string[] = [];
    if (granted < requested) {
      warnings.push(
        `TTL of "${goDuration(requested)}" exceeded the effective max_ttl of "${goDuration(granted)}"; TTL value is capped accordingly`,
      );
    }
    t.expiresAt = n + granted * 1000;
    return ok({ auth: authBlock(t, granted), warnings, mountType: 'token' });
  }

  function countLogin(mount: string): void {
    loginCount.set(mount, (loginCount.get(mount) ?? 0) + 1);
  }

  function kubernetesLogin(mount: string, cfg: K8sMount, body: Record<string, unknown>): Reply {
    const role = typeof body.role === 'string' ? body.role : '';
    const jwt = typeof body.jwt === 'string' ? body.jwt : '';
    if (!role) return fail(400, 'missing role');
    if (!jwt) return fail(400, 'missing jwt');
    jwtLog.push(jwt);
    const r = cfg.roles.get(role);
    if (!r) return fail(400, `invalid role name "${role}"`);
    let sa = jwtMap.get(jwt);
    const claims = decodeJwtClaims(jwt);
    if (!sa) {
      if (!claims) return fail(403, 'failed to validate JWT: token is malformed');
      sa = identityFromClaims(claims);
      if (!sa) return fail(403, 'failed to validate JWT: missing service account claims');
    }
    const nameOk = r.boundServiceAccountNames.includes('*') || r.boundServiceAccountNames.includes(sa.name);
    if (!nameOk) return fail(403, 'service account name not authorized');
    const nsOk =
      r.boundServiceAccountNamespaces.includes('*') || r.boundServiceAccountNamespaces.includes(sa.namespace);
    if (!nsOk) return fail(403, 'namespace not authorized');
    if (tokenReviewFails) return fail(403, 'permission denied');
    if (claims) {
      if (typeof claims.exp === 'number' && claims.exp * 1000 <= now()) return fail(403, 'permission denied');
      if (r.audience) {
        const aud = claims.aud;
        const auds = Array.isArray(aud) ? aud : [aud];
        if (!auds.includes(r.audience)) return fail(403, 'permission denied');
      }
    }
    countLogin(mount);
    const t = issueToken({
      policies: ['default', ...r.policies],
      ttl: r.ttl ?? SYSTEM_MAX_TTL,
      maxTtl: r.maxTtl ?? SYSTEM_MAX_TTL,
      renewable: true,
      path: `auth/${mount}/login`,
      displayName: `${mount}-${sa.namespace}-${sa.name}`,
      meta: {
        role,
        service_account_name: sa.name,
        service_account_namespace: sa.namespace,
        service_account_secret_name: '',
        service_account_uid: sa.uid ?? randomUUID(),
      },
    });
    t.role = { kind: 'kubernetes', mount, name: role };
    return ok({ auth: authBlock(t, remainingSeconds(t)), mountType: 'kubernetes' });
  }

  function appRoleLogin(
    mount: string,
    roles: Map<string, AppRoleEntry>,
    body: Record<string, unknown>,
  ): Reply {
    const roleId = typeof body.role_id === 'string' ? body.role_id : '';
    const secretId = typeof body.secret_id === 'string' ? body.secret_id : '';
    if (!roleId) return fail(500, 'missing role_id');
    const entry = [...roles.values()].find((r) => r.roleId === roleId);
    if (!entry) return fail(400, 'invalid role or secret ID');
    if (entry.spec.bindSecretId !== false) {
      if (!secretId) return fail(400, 'missing secret_id');
      if (!entry.secretIds.has(secretId)) return fail(400, 'invalid role or secret ID');
    }
    countLogin(mount);
    const t = issueToken({
      policies: ['default', ...entry.spec.policies],
      ttl: entry.spec.ttl ?? SYSTEM_MAX_TTL,
      maxTtl: entry.spec.maxTtl ?? SYSTEM_MAX_TTL,
      renewable: true,
      path: `auth/${mount}/login`,
      displayName: mount,
      meta: { role_name: entry.spec.roleName },
    });
    t.role = { kind: 'approle', mount, name: entry.spec.roleName };
    return ok({ auth: authBlock(t, remainingSeconds(t)), mountType: 'approle' });
  }

  // ------------------------------------------------------------------ routing

  function findMount(ns: string, path: string): { mount: KvMount; rest: string } | undefined {
    let best: { mount: KvMount; rest: string } | undefined;
    for (const m of mounts.values()) {
      if (mounts.get(mountKey(ns, m.path)) !== m) continue;
      if (path === m.path || path.startsWith(`${m.path}/`)) {
        if (!best || m.path.length > best.mount.path.length) {
          best = { mount: m, rest: path === m.path ? '' : path.slice(m.path.length + 1) };
        }
      }
    }
    return best;
  }

  function health(query: URLSearchParams, method: string): Reply {
    const code = (name: string, dflt: number): number => {
      const v = query.get(name);
      return v !== null && /^\d+$/.test(v) ? Number(v) : dflt;
    };
    let status = code('activecode', 200);
    if (sealed) status = code('sealedcode', 503);
    else if (standby?.mode === 'performance') {
      status =
        query.get('perfstandbyok') === 'true' ? code('activecode', 200) : code('performancestandbycode', 473);
    } else if (standby) {
      status = query.get('standbyok') === 'true' ? code('activecode', 200) : code('standbycode', 429);
    }
    if (method === 'HEAD') return { status };
    return {
      status,
      body: {
        initialized: true,
        sealed,
        standby: standby !== null && !sealed,
        performance_standby: standby?.mode === 'performance',
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        server_time_utc: Math.floor(now() / 1000),
        version: opts.version ?? '1.16.0',
        cluster_name: 'vault-cluster-emulator',
        cluster_id: 'emulator',
        enterprise: strictNamespaces !== null,
        echo_duration_ms: 0,
        clock_skew_ms: 0,
      },
    };
  }

  function kvOperation(method: string, isList: boolean): KvOperation {
    if (isList) return 'list';
    if (method === 'GET' || method === 'HEAD') return 'read';
    if (method === 'DELETE') return 'delete';
    if (method === 'PATCH') return 'patch';
    return 'write';
  }

  function route(
    method: string,
    path: string,
    ns: string,
    query: URLSearchParams,
    isList: boolean,
    body: Record<string, unknown>,
    tokenId: string | undefined,
  ): Reply {
    // Unauthenticated login endpoints.
    const login = /^auth\/(.+)\/login$/.exec(path);
    if (login?.[1] && (method === 'POST' || method === 'PUT')) {
      const mount = login[1];
      const k = k8sMounts.get(mount);
      if (k) return kubernetesLogin(mount, k, body);
      const a = appRoleMounts.get(mount);
      if (a) return appRoleLogin(mount, a, body);
      return fail(403, ACL_DENIED);
    }

    const token = liveToken(tokenId);
    if (!token) return fail(403, INVALID_TOKEN);

    if (path === 'auth/token/lookup-self' && (method === 'GET' || method === 'POST' || method === 'PUT')) {
      return lookupSelf(token);
    }
    if (path === 'auth/token/renew-self' && (method === 'POST' || method === 'PUT'))
      return renewSelf(token, body);
    if (path === 'auth/token/revoke-self' && (method === 'POST' || method === 'PUT')) {
      tokens.delete(token.id);
      return { status: 204 };
    }
    if (path === 'sys/capabilities-self' && (method === 'POST' || method === 'PUT')) {
      const raw = body.paths ?? body.path;
      const paths = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : []).filter(
        (p): p is string => typeof p === 'string' && p.length > 0,
      );
      if (paths.length === 0) return fail(400, "'paths' must be supplied");
      const data: Record<string, unknown> = {};
      for (const p of paths) data[p] = capabilitiesFor(policies, token.policies, p.replace(/^\/+/, ''));
      if (paths.length === 1) data.capabilities = data[paths[0]!];
      // sys responses also carry their data at the top level (backwards compatibility).
      return { status: 200, body: { ...data, ...envelope({ data, mountType: 'system' }) } };
    }
    if (path === 'sys/internal/ui/mounts/' || path === 'sys/internal/ui/mounts') {
      return fail(400, 'path not set');
    }
    if (path.startsWith('sys/internal/ui/mounts/') && (method === 'GET' || method === 'HEAD')) {
      const target = path.slice('sys/internal/ui/mounts/'.length).replace(/\/+$/, '');
      const found = findMount(ns, target);
      const denied = fail(
        403,
        `preflight capability check returned 403, please ensure client's policies grant access to path "${target}/"`,
      );
      if (!found || !hasMountAccess(policies, token.policies, `${found.mount.path}/`)) return denied;
      const m = found.mount;
      const data = {
        accessor: m.accessor,
        config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
        description: '',
        external_entropy_access: false,
        local: false,
        options: m.version === 2 ? { version: '2' } : null,
        path: `${ns ? `${ns}/` : ''}${m.path}/`,
        plugin_version: '',
        running_plugin_version: 'v0.20.0+builtin',
        running_sha256: '',
        seal_wrap: false,
        type: 'kv',
        uuid: m.uuid,
      };
      return { status: 200, body: { ...data, ...envelope({ data, mountType: 'system' }) } };
    }

    const found = findMount(ns, path);
    if (!found) {
      if (!token.policies.includes('root')) return fail(403, ACL_DENIED);
      return fail(404, `no handler for route "${path}". route entry not found.`);
    }
    const op = kvOperation(method, isList);
    const cap: Capability = found.mount.requiredCapability({ op, rest: found.rest });
    if (!allows(policies, token.policies, path, cap)) return fail(403, ACL_DENIED);
    return found.mount.handle({ op, rest: found.rest, query, body, now: now() });
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function serialize(
    reply: Reply,
    method: string,
  ): { headers: Record<string, string>; body: string | undefined } {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...(reply.headers ?? {}) };
    if (reply.body !== undefined || reply.emptyJson) headers['Content-Type'] = 'application/json';
    const body = reply.body !== undefined && method !== 'HEAD' ? JSON.stringify(reply.body) : undefined;
    return { headers, body };
  }

  /** The request as the core sees it (from node:http or from a raw packet the parser refused). */
  interface RequestLike {
    readonly method: string;
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
  }

  /** Handle one request: a reply, or 'drop' to cut the connection without answering. */
  async function handle(req: RequestLike): Promise<Reply | 'drop'> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const nsHeader = req.headers['x-vault-namespace'];
    const namespace = typeof nsHeader === 'string' ? nsHeader.replace(/^\/+|\/+$/g, '') : undefined;
    const auth = req.headers.authorization;
    const xToken = req.headers['x-vault-token'];
    const tokenId =
      typeof xToken === 'string' && xToken !== ''
        ? xToken
        : typeof auth === 'string' && auth.startsWith('Bearer ')
          ? auth.slice('Bearer '.length)
          : undefined;
    let logicalPath = '';
    const record = (status: number) => {
      const vr = req.headers['x-vault-request'];
      log.push({
        method,
        path: logicalPath || url.pathname,
        status,
        hasToken: tokenId !== undefined,
        namespace,
        vaultRequestHeader: typeof vr === 'string' ? vr : undefined,
      });
    };
    const reply = (r: Reply): Reply => {
      record(r.status);
      return r;
    };

    const rawBody = req.body;
    await requestHold.pass();

    if (!url.pathname.startsWith('/v1/')) return reply(notFound());
    if (!ALLOWED_METHODS.has(method)) return reply(fail(405));
    logicalPath = decodeURIComponent(url.pathname.slice('/v1/'.length));
    if (method === 'OPTIONS') return reply({ status: 204 });

    if (logicalPath === 'sys/health' && (method === 'GET' || method === 'HEAD')) {
      return reply(health(url.searchParams, method));
    }
    if (logicalPath === 'sys/seal-status' && method === 'GET') {
      return reply({
        status: 200,
        body: {
          type: 'shamir',
          initialized: true,
          sealed,
          t: 3,
          n: 5,
          progress: 0,
          nonce: '',
          version: opts.version ?? '1.16.0',
          build_date: '2024-01-01T00:00:00Z',
          migration: false,
          recovery_seal: false,
          storage_type: 'inmem',
        },
      });
    }
    if (sealed && !BOOTSTRAP_PATHS.has(logicalPath)) return reply(fail(503, 'Vault is sealed'));
    const sb = standby as StandbyMode | null;
    if (sb && !BOOTSTRAP_PATHS.has(logicalPath)) {
      if (sb.mode === 'redirect') {
        const location = `${sb.activeUrl.replace(/\/+$/, '')}${url.pathname}${url.search}`;
        return reply({ status: 307, headers: { Location: location } });
      }
      if (sb.mode === 'no-leader') return reply(fail(503, 'no active Vault instance found'));
    }
    if (strictNamespaces && namespace && !strictNamespaces.has(namespace)) {
      return reply(fail(404, 'namespace not found'));
    }

    // One-shot faults and quotas.
    const fault = faults.find(
      (f) =>
        f.left > 0 &&
        (f.spec.pathPrefix === undefined || logicalPath.startsWith(f.spec.pathPrefix)) &&
        (f.spec.method === undefined || f.spec.method === method),
    );
    if (fault) {
      fault.left--;
      if (fault.left === 0) faults.splice(faults.indexOf(fault), 1);
      const headers: Record<string, string> = {};
      if (fault.spec.retryAfterSeconds !== undefined)
        headers['Retry-After'] = String(fault.spec.retryAfterSeconds);
      const errors =
        fault.spec.errors?.[0] === '__quota__'
          ? [`request path "${logicalPath}": rate limit quota exceeded`]
          : [...(fault.spec.errors ?? [])];
      return reply({ status: fault.spec.status, body: { errors }, headers });
    }

    // LIST verb or ?list=true.
    let isList = method === 'LIST';
    const listParam = url.searchParams.get('list');
    if (method === 'GET' && listParam !== null) {
      if (!/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(listParam)) return reply(fail(400));
      isList = /^(true|1|t|TRUE|True)$/.test(listParam);
    }
    if (isList && !logicalPath.endsWith('/')) logicalPath = `${logicalPath}/`;

    if (method === 'PATCH') {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (ct !== 'application/merge-patch+json') {
        return reply(
          fail(415, `PATCH requires Content-Type of application/merge-patch+json, provided ${ct}`),
        );
      }
    }
    const isWrite = method === 'POST' || method === 'PUT' || method === 'PATCH';
    if (isWrite && logicalPath.endsWith('/')) return reply(fail(400, "cannot write to a path ending in '/'"));

    let body: Record<string, unknown> = {};
    if (isWrite && rawBody.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (!isPlainObject(parsed)) return reply(fail(400, 'error parsing JSON'));
        body = parsed;
      } catch {
        return reply(fail(400, 'error parsing JSON'));
      }
    } else if (method === 'DELETE') {
      body = Object.fromEntries(url.searchParams.entries());
    }

    const ns = strictNamespaces && namespace ? namespace : '';
    const result = route(method, logicalPath, ns, url.searchParams, isList, body, tokenId);
    const mutating = isWrite || method === 'DELETE';
    if (mutating && dropWrites > 0 && result.status < 400) {
      dropWrites--;
      record(result.status);
      return 'drop';
    }
    return reply(result);
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const out = await handle({
        method,
        url: req.url ?? '/',
        headers: req.headers,
        body: await readBody(req),
      });
      if (out === 'drop') {
        req.socket.destroy();
        return;
      }
      const { headers, body } = serialize(out, method);
      res.writeHead(out.status, headers);
      res.end(body);
    })().catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify({ errors: [`internal error: ${String(err)}`] }));
      }
    });
  };
  const tls = opts.tls ? await selfSignedCertificate() : undefined;
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, handler)
    : http.createServer(handler);

  // Node's HTTP parser only knows a fixed list of methods and refuses Vault's `LIST` verb (and any
  // other unknown token) before a handler runs. Parse such a request from the raw packet and answer
  // it through the same core, so LIST works and unknown verbs get Vault's 405.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    const raw = err.rawPacket?.toString('latin1') ?? '';
    const head = raw.split('\r\n\r\n')[0] ?? '';
    const [requestLine = '', ...headerLines] = head.split('\r\n');
    const m = /^([A-Z-]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
    if (err.code !== 'HPE_INVALID_METHOD' || !m?.[1] || !m[2] || !socket.writable) {
      socket.destroy();
      return;
    }
    const headers: http.IncomingHttpHeaders = {};
    for (const line of headerLines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const body = raw.slice(head.length + 4);
    handle({ method: m[1], url: m[2], headers, body })
      .then((out) => {
        if (out === 'drop') {
          socket.destroy();
          return;
        }
        const { headers: h, body: b } = serialize(out, m[1]!);
        const lines = [`HTTP/1.1 ${out.status} ${http.STATUS_CODES[out.status] ?? ''}`];
        for (const [k, v] of Object.entries(h)) lines.push(`${k}: ${v}`);
        lines.push(`Content-Length: ${b === undefined ? 0 : Buffer.byteLength(b)}`, 'Connection: close');
        socket.end(`${lines.join('\r\n')}\r\n\r\n${b ?? ''}`);
      })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(tls ? { caPem: tls.cert } : {}),
    rootToken,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        requestHold.releaseAll();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A throw-away self-signed certificate for 127.0.0.1 / localhost. */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'vault-emulator-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await new Promise<void>((resolve, reject) =>
      execFile(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=vault-emulator',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        (err) => (err ? reject(new Error(`vault emulator: openssl failed: ${err.message}`)) : resolve()),
      ),
    );
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
