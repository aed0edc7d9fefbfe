/**
 * The built-in Scaleway sandbox: an emulator of Account v3 projects and IAM v1alpha1 that
 * answers like the real server (docs/design/scaleway-api.md §11), with seeded managed resources, persistence and
 * fault injection. `scw-gitops sandbox` serves it; the daemon runs it in-process for
 * `npm start`; tests start one per suite on port 0.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  deniedAuthentication,
  invalidRequest,
  methodNotAllowed,
  permissionsDenied,
  routeNotFound,
  SandboxApiError,
} from './errors.js';
import { FaultController, type FaultOptions, type FaultPatch, faultOptionsFromEnv } from './faults.js';
import { MicroClock, parseMicros, uuidV4 } from './ids.js';
import { isAllowed, resourceOfPath } from './permissions.js';
import { loadStateFile, saveStateFile } from './persistence.js';
import { createRng, parseSeed } from './prng.js';
import { matchRoute, type RouteResult } from './routes.js';
import {
  type BulkSeed,
  type BulkSeedResult,
  seedApplications,
  seedBulk,
  seedOrganization,
  seedVpnGateway,
} from './seed.js';
import { SandboxStore } from './store.js';
import type { Json } from './validation.js';

export type { FaultOptions, ListPageInfo, ShiftRecord } from './faults.js';
export { FaultController } from './faults.js';
export type { BulkSeed, BulkSeedResult } from './seed.js';
export { SandboxStore } from './store.js';

export interface SandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** JSON state file: loaded at start when present, rewritten atomically after each write. */
  stateFile?: string;
  /** Seed a fresh organization with managed resources (default true). The owner, default project and admin key always exist. */
  seed?: boolean;
  /** Fault injection (merged over `SCW_SANDBOX_*` from `env`). */
  faults?: FaultOptions;
  /** Wall clock for timestamps, expiry and windows (default: system time). */
  clock?: () => Date;
  /** Environment for `SCW_SANDBOX_*` variables (default process.env; pass {} to ignore). */
  env?: Readonly<Record<string, string | undefined>>;
  /** PRNG seed for ids and secrets (default: `SCW_SANDBOX_SEED`, else random). */
  randomSeed?: number;
  /** Organization id of a fresh sandbox (default: random UUID v4). */
  organizationId?: string;
  /** Default page size of the IAM lists (real: 20). */
  iamDefaultPageSize?: number;
  /** Default page size of the projects list (real: unknown, ≥ 42; default 50). */
  projectsDefaultPageSize?: number;
  /**
   * Largest page served (default 100, the real limit): a larger `page_size` is clamped, as a server
   * may do; clients take the first page's length as the page size. Small values make multi-page
   * listings (and the `shift` fault) testable with small organizations.
   */
  maxPageSize?: number;
  /** `name=` / `policy_name=` list filters: exact (as recorded, default) or substring. */
  nameFilter?: 'exact' | 'contains';
  /** 412 resource_still_in_use on project DELETE while keys/rules reference it (default true). */
  refuseDeleteOfUsedProject?: boolean;
  /** Policies of a deleted application/group: keep (default), delete, or detach (no_principal). */
  orphanPolicies?: 'keep' | 'delete' | 'detach';
  /** Organization quota of API keys (default: none, or `SCW_SANDBOX_API_KEY_QUOTA`); see store.ts. */
  apiKeyQuota?: number;
  /**
   * Check the caller's rights (default true): keys of the owner may do everything, other keys need
   * IAMManager/IAMReadOnly (IAM) or ProjectManager/ProjectReadOnly (projects) through their policies.
   */
  enforcePermissions?: boolean;
  /**
   * JSON layout of answers: compact (default) or the `", "`-separated form some real recordings
   * show (docs/design/scaleway-api.md §1); clients must parse, never compare bytes.
   */
  jsonStyle?: 'compact' | 'spaced';
  /** Managed VPN gateway app+policy pairs seeded in a fresh org (default 2). */
  managedVpnGateways?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** The query string as received (`?page=2&…`), empty when none. */
  query: string;
  status: number | 'reset';
  /** Set when the answer was produced by fault injection. */
  fault?: '429' | '5xx' | 'reset' | '412' | '403' | 'ambiguous';
}

export interface SandboxHandle {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:PORT. */
  url: string;
  organizationId: string;
  adminAccessKey: string;
  adminSecretKey: string;
  /** Id of the seeded owner user (bearer of the admin key). */
  ownerUserId: string;
  faults: FaultController;
  /** The in-memory organization (tests may read or mutate it directly). */
  store: SandboxStore;
  /** HTTP requests received so far (faulted ones included). */
  requestCount(): number;
  /** Most recent requests (up to 10 000), oldest first. */
  requests(): readonly RequestRecord[];
  /** Bulk-create `n` ordinary applications (benchmarks); returns their ids. */
  seedApplications(n: number, opts?: { prefix?: string; tags?: string[] }): string[];
  /** Bulk content (applications, keys, groups, policies, projects) in one batch. */
  seedBulk(spec: BulkSeed): BulkSeedResult;
  /** Adds one more managed VPN gateway application + policy. */
  seedManagedVpnGateway(): void;
  /** Writes the state file now (no-op without stateFile). */
  persist(): void;
  close(): Promise<void>;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY = 1024 * 1024;
const MAX_LOG = 10_000;
const SERVER_HEADER = 'Scaleway API Gateway (sandbox;scw-gitops)';

/** `SCW_SANDBOX_API_KEY_QUOTA`: a positive integer, else no quota. */
function parseQuota(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

function quotaOption(quota: number | undefined): { apiKeyQuota?: number } {
  return quota === undefined ? {} : { apiKeyQuota: quota };
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const env = opts.env ?? process.env;
  const faultOpts: FaultOptions = { ...faultOptionsFromEnv(env), ...opts.faults };
  const now = opts.clock ?? (() => new Date());
  const randomSeed = opts.randomSeed ?? parseSeed(env['SCW_SANDBOX_SEED']);
  const rng = createRng(randomSeed);
  const micro = new MicroClock(now, rng);
  const faults = new FaultController(faultOpts, () => now().getTime());

  const loaded = opts.stateFile ? loadStateFile(opts.stateFile) : undefined;
  let persistEnabled = false;
  const persist = (): void => {
    if (opts.stateFile && persistEnabled) saveStateFile(opts.stateFile, store.toState());
  };

  const store: SandboxStore = new SandboxStore({
    organizationId: loaded?.organization_id ?? opts.organizationId ?? uuidV4(rng),
    clock: micro,
    now,
    rng,
    nameFilter: opts.nameFilter ?? 'exact',
    refuseDeleteOfUsedProject: opts.refuseDeleteOfUsedProject ?? true,
    orphanPolicies: opts.orphanPolicies ?? 'keep',
    ...quotaOption(opts.apiKeyQuota ?? parseQuota(env['SCW_SANDBOX_API_KEY_QUOTA'])),
    membershipWindowMs: () => faults.options.groupTransientWindowMs ?? 0,
    onWrite: () => persist(),
  });

  if (loaded) {
    store.loadState(loaded);
    for (const rec of [
      ...loaded.projects,
      ...loaded.applications,
      ...loaded.api_keys,
      ...loaded.groups,
      ...loaded.policies,
    ]) {
      micro.observe(parseMicros(rec.updated_at));
    }
  } else {
    seedOrganization(store, () => micro.timestamp(), {
      managedVpnGateways: opts.seed === false ? 0 : (opts.managedVpnGateways ?? 2),
    });
  }
  store.resetPolicyChangeClock();
  persistEnabled = true;
  persist();

  const admin = store.apiKeys.get(store.adminAccessKey);
  if (!admin) throw new Error('sandbox state has no admin API key');

  let count = 0;
  const requestLog: RequestRecord[] = [];
  const log = (r: RequestRecord): void => {
    requestLog.push(r);
    if (requestLog.length > MAX_LOG) requestLog.splice(0, requestLog.length - MAX_LOG);
  };

  const maxPageSize = opts.maxPageSize ?? 100;
  const pageSizes = {
    iam: Math.min(opts.iamDefaultPageSize ?? 20, maxPageSize),
    projects: Math.min(opts.projectsDefaultPageSize ?? 50, maxPageSize),
    max: maxPageSize,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    count++;
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const record = (r: Omit<RequestRecord, 'query'>): void => log({ ...r, query: url.search });
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (err) {
      if ((err as Error).message === 'body too large') {
        record({ method, path, status: 413 });
        res.setHeader('Connection', 'close');
        sendJson(res, 413, {
          message: `request body larger than ${MAX_BODY} bytes`,
          type: 'invalid_request_error',
        });
      } else {
        req.socket.destroy();
        record({ method, path, status: 'reset' });
      }
      return;
    }

    if (path.startsWith('/_sandbox/')) {
      handleAdmin(req, res, method, path, raw);
      return;
    }

    const delay = faults.latencyMs();
    if (delay > 0) await sleep(delay);

    if (faults.chance(faults.options.resetRate)) {
      faults.countInjected();
      record({ method, path, status: 'reset', fault: 'reset' });
      req.socket.destroy();
      return;
    }
    if (faults.overRateLimit() || faults.chance(faults.options.rate429)) {
      faults.countInjected();
      record({ method, path, status: 429, fault: '429' });
      sendRateLimited(res);
      return;
    }
    if (faults.chance(faults.options.rate5xx)) {
      faults.countInjected();
      const status = faults.pick([500, 502, 503] as const);
      record({ method, path, status, fault: '5xx' });
      send5xx(res, status);
      return;
    }

    let result: RouteResult;
    let fault: RequestRecord['fault'];
    try {
      const caller = authenticate(req);
      const match = matchRoute(method, path);
      if (!match) throw routeNotFound(method, path);
      if ('methodMismatch' in match) throw methodNotAllowed(method, path);
      const action = method === 'GET' ? 'read' : 'write';
      if ((opts.enforcePermissions ?? true) && !isAllowed(store, caller, path, action)) {
        throw permissionsDenied(resourceOfPath(path), action);
      }
      if (transient403(caller.access_key)) {
        faults.countInjected();
        fault = '403';
        throw new SandboxApiError(403, {
          details: [{ action, resource: resourceOfPath(path) }],
          message: 'insufficient permissions',
          type: 'permissions_denied',
        });
      }
      const body = parseBody(raw, method);
      result = await match.handler({
        store,
        faults,
        method,
        params: match.params,
        query: url.searchParams,
        body,
        clientIp: clientIp(req.socket),
        caller,
        pageSizes,
      });
    } catch (err) {
      if (!(err instanceof SandboxApiError)) {
        const status = 500;
        record({ method, path, status });
        sendJson(res, status, { message: 'internal error', type: 'internal_error' });
        return;
      }
      if (err.status === 412 && err.body['precondition'] === 'resource_not_usable') fault = '412';
      result = { status: err.status, body: err.body };
    }

    if (MUTATING.has(method) && result.status < 300 && faults.chance(faults.options.ambiguousWriteRate)) {
      // The write is committed; the caller never learns it.
      faults.countInjected();
      if (faults.chance(0.5)) {
        record({ method, path, status: 'reset', fault: 'ambiguous' });
        req.socket.destroy();
      } else {
        record({ method, path, status: 502, fault: 'ambiguous' });
        send5xx(res, 502);
      }
      return;
    }

    record({ method, path, status: result.status, ...(fault !== undefined && { fault }) });
    if (result.body === undefined) sendEmpty(res, result.status);
    else sendJson(res, result.status, result.body);
  };

  /**
   * Sandbox control API (not part of Scaleway's), admin key only, never subject to faults:
   * `GET /_sandbox/faults`, `PATCH /_sandbox/faults` (JSON; null clears a setting),
   * `GET /_sandbox/stats` (requests and injected faults). Lets a chaos run steer a sandbox
   * started with `scw-gitops sandbox`.
   */
  function handleAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    raw: Buffer,
  ): void {
    try {
      const caller = authenticate(req);
      if (caller.access_key !== store.adminAccessKey)
        throw permissionsDenied('sandbox', method === 'GET' ? 'read' : 'write');
      const numeric = (): Record<string, unknown> => {
        const { onListPage: _hook, ...rest } = faults.get();
        return rest;
      };
      if (path === '/_sandbox/faults' && method === 'GET') {
        sendJson(res, 200, numeric());
      } else if (path === '/_sandbox/faults' && method === 'PATCH') {
        const body = parseBody(raw, method);
        const patch: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(body)) {
          if (k === 'onListPage') continue;
          patch[k] = v === null ? undefined : v;
        }
        try {
          faults.adjust(patch as FaultPatch);
        } catch (err) {
          throw invalidRequest((err as Error).message);
        }
        sendJson(res, 200, numeric());
      } else if (path === '/_sandbox/stats' && method === 'GET') {
        sendJson(res, 200, { requests: count, injected_faults: faults.injectedCount() });
      } else {
        throw routeNotFound(method, path);
      }
    } catch (err) {
      if (err instanceof SandboxApiError) sendJson(res, err.status, err.body);
      else sendJson(res, 500, { message: 'internal error', type: 'internal_error' });
    }
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown): void =>
    writeJson(res, status, body, opts.jsonStyle ?? 'compact');

  function authenticate(req: IncomingMessage) {
    const header = req.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw deniedAuthentication('not_found');
    const key = store.findKeyBySecret(token.trim());
    if (!key) throw deniedAuthentication('not_found');
    if (store.isExpired(key)) throw deniedAuthentication('expired');
    return key;
  }

  function transient403(accessKey: string): boolean {
    const window = faults.options.transient403WindowMs ?? 0;
    if (window <= 0) return false;
    if (accessKey === store.adminAccessKey && !faults.options.transient403IncludesAdmin) return false;
    if (now().getTime() - store.lastPolicyChangeMs >= window) return false;
    return faults.chance(faults.options.transient403Rate ?? 1);
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { message: 'internal error', type: 'internal_error' });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    organizationId: store.organizationId,
    adminAccessKey: admin.access_key,
    adminSecretKey: admin.secret_key,
    ownerUserId: store.ownerUserId,
    faults,
    store,
    requestCount: () => count,
    requests: () => [...requestLog],
    seedApplications: (n, o) => store.batch(() => seedApplications(store, n, o ?? {})),
    seedBulk: (spec) => store.batch(() => seedBulk(store, spec)),
    seedManagedVpnGateway: () => seedVpnGateway(store),
    persist,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}

// ---------------------------------------------------------------- helpers

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.pause();
        reject(new Error('body too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, method: string): Json {
  if (!MUTATING.has(method) || raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest('request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidRequest('request body must be a JSON object');
  }
  return parsed as Json;
}

function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '127.0.0.1';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function baseHeaders(res: ServerResponse): void {
  res.setHeader('Server', SERVER_HEADER);
  res.setHeader('X-Request-Id', randomUUID());
}

/** JSON with `", "` between members and items, `":"` without space (as some recordings show). */
export function spacedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => spacedJson(v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${spacedJson(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(value);
}

function writeJson(res: ServerResponse, status: number, body: unknown, style: 'compact' | 'spaced'): void {
  const text = style === 'spaced' ? spacedJson(body) : JSON.stringify(body);
  baseHeaders(res);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** DELETE answers 204 with an empty body but still `Content-Type: application/json` (docs/design/scaleway-api.md §4). */
function sendEmpty(res: ServerResponse, status: number): void {
  baseHeaders(res);
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end();
}

/** The gateway's 429: empty body, no Content-Type, `X-Envoy-Ratelimited: true`, no Retry-After. */
function sendRateLimited(res: ServerResponse): void {
  baseHeaders(res);
  res.writeHead(429, { 'X-Envoy-Ratelimited': 'true', 'Content-Length': '0' });
  res.end();
}

function send5xx(res: ServerResponse, status: number): void {
  if (status === 500) {
    writeJson(res, 500, { message: 'internal error', type: 'internal_error' }, 'compact');
    return;
  }
  const text =
    status === 502 ? 'upstream connect error or disconnect/reset before headers' : 'no healthy upstream';
  baseHeaders(res);
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
