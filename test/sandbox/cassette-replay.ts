/**
 * Cassette replay engine: re-sends the recorded request sequence of a go-vcr cassette to a fresh
 * sandbox and compares every answer with the recorded one (status, Content-Type presence, key
 * sets and order, value types and formats, and values where they are determined by the requests).
 *
 * - Recorded ids and access keys are mapped to the emulator's as they first appear in responses;
 *   later requests are rewritten through that map. The redacted org placeholder
 *   `11111111-1111-1111-1111-111111111111` in list URLs means the recorded organization.
 * - The sandbox is started with the recording's organization id, and everything the recording
 *   shows that it did not create (pre-existing apps, policies, users, keys, projects) is seeded
 *   into the store with the recorded attributes, so org-wide listings replay item by item.
 * - Non-IAM/Account traffic (secret-manager, ssh-keys) is skipped and counted.
 * - A recorded 429 is replayed with the 429 fault forced for that one request; a recorded 409
 *   transient_state with the membership window enabled for that request.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { findPermissionSet, PERMISSION_SETS } from '../../src/sandbox/catalogue.js';
import { parseExpiry, uuidV4 } from '../../src/sandbox/ids.js';
import type {
  ApplicationRecord,
  GroupRecord,
  PolicyRecord,
  ProjectRecord,
  RuleRecord,
  UserRecord,
} from '../../src/sandbox/model.js';
import { isOwnerKey } from '../../src/sandbox/permissions.js';
import { createRng } from '../../src/sandbox/prng.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';

import { CASSETTE_DIR } from '../scaleway/helpers/cassettes.js';

export { CASSETTE_DIR };
const ORG_PLACEHOLDER = '11111111-1111-1111-1111-111111111111';
const KEY_PLACEHOLDER = 'SCWXXXXXXXXXXXXXXXXX';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_G = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ACCESS = /^SCW[0-9A-Z]{17}$/;
const ACCESS_G = /SCW[0-9A-Z]{17}/g;
const TS6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export interface Interaction {
  index: number;
  method: string;
  url: URL;
  requestBody: string;
  status: number;
  responseBody: string;
  responseHeaders: Record<string, string[]>;
  date: Date | undefined;
}

export interface Cassette {
  name: string;
  version: number;
  interactions: Interaction[];
}

export function loadCassette(relPath: string): Cassette {
  const doc = parse(readFileSync(`${CASSETTE_DIR}/${relPath}`, 'utf8')) as {
    version: number;
    interactions: Array<{
      request: { method: string; url: string; body?: string };
      response: { code: number; body?: string; headers?: Record<string, string[]> };
    }>;
  };
  return {
    name: relPath,
    version: doc.version,
    interactions: doc.interactions.map((it, index) => {
      const headers = it.response.headers ?? {};
      const date = headers['Date']?.[0];
      return {
        index,
        method: it.request.method,
        url: new URL(it.request.url),
        requestBody: it.request.body ?? '',
        status: it.response.code,
        responseBody: it.response.body ?? '',
        responseHeaders: headers,
        date: date ? new Date(date) : undefined,
      };
    }),
  };
}

/** IAM v1alpha1 + Account v3 resources the sandbox emulates; anything else is skipped. */
export function isInScope(it: Interaction): boolean {
  if (it.url.host !== 'api.scaleway.com') return false;
  const p = it.url.pathname;
  if (p.startsWith('/account/v3/projects')) return true;
  return /^\/iam\/v1alpha1\/(applications|api-keys|groups|policies|rules|permission-sets|users)(\/|$)/.test(
    p,
  );
}

type Kind = 'applications' | 'api_keys' | 'groups' | 'policies' | 'users' | 'projects' | 'rules';

function kindOf(path: string): Kind | undefined {
  if (path.startsWith('/account/v3/projects')) return 'projects';
  const seg = path.split('/')[3];
  switch (seg) {
    case 'applications':
      return 'applications';
    case 'api-keys':
      return 'api_keys';
    case 'groups':
      return 'groups';
    case 'policies':
      return 'policies';
    case 'users':
      return 'users';
    case 'rules':
      return 'rules';
    default:
      return undefined;
  }
}

type Obj = Record<string, unknown>;

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Objects of one kind in a response (single object or list envelope). */
function objectsIn(kind: Kind, body: unknown): Obj[] {
  if (body === null || typeof body !== 'object') return [];
  const b = body as Obj;
  if (Array.isArray(b[kind])) return b[kind] as Obj[];
  if (typeof b['id'] === 'string' || typeof b['access_key'] === 'string') return [b];
  return [];
}

const idOf = (o: Obj): string => String(o['access_key'] ?? o['id']);

function isCreate(it: Interaction): boolean {
  return (
    it.method === 'POST' &&
    /^\/(account\/v3\/projects|iam\/v1alpha1\/(applications|api-keys|groups|policies))$/.test(it.url.pathname)
  );
}

/** v1 CLI cassettes stored the response JSON as request body: detect and rebuild the request. */
function requestBodyFor(
  c: Cassette,
  it: Interaction,
  ctx: { lastPolicyRec?: string },
): { body?: string; rebuilt: boolean } {
  if (!['POST', 'PUT', 'PATCH'].includes(it.method)) return { rebuilt: false };
  const req = it.requestBody;
  const recordedIsResponse =
    c.version === 1 && req !== '' && (req === it.responseBody || /^\{"(id|rules)"/.test(req));
  if (!recordedIsResponse) return { body: req === '' ? '{}' : req, rebuilt: false };
  const res = parseJson(it.responseBody) as Obj;
  const p = it.url.pathname;
  if (p === '/account/v3/projects') {
    return {
      body: JSON.stringify({
        name: res['name'],
        organization_id: res['organization_id'],
        description: res['description'],
      }),
      rebuilt: true,
    };
  }
  if (p === '/iam/v1alpha1/policies') {
    const principal =
      ['user_id', 'group_id', 'application_id', 'no_principal'].find((k) => k in res) ?? 'no_principal';
    const later = c.interactions.find(
      (x) =>
        x.index > it.index &&
        x.url.pathname === '/iam/v1alpha1/rules' &&
        x.url.searchParams.get('policy_id') === res['id'],
    );
    const rules =
      ((parseJson(later?.responseBody ?? '') as Obj | undefined)?.['rules'] as Obj[] | undefined) ?? [];
    return {
      body: JSON.stringify({
        name: res['name'],
        description: res['description'],
        organization_id: res['organization_id'],
        tags: res['tags'],
        [principal]: res[principal] ?? true,
        rules: rules.map(ruleSpec),
      }),
      rebuilt: true,
    };
  }
  if (p === '/iam/v1alpha1/rules') {
    return {
      body: JSON.stringify({
        policy_id: ctx.lastPolicyRec,
        rules: ((res['rules'] as Obj[]) ?? []).map(ruleSpec),
      }),
      rebuilt: true,
    };
  }
  return { body: req, rebuilt: true };
}

function ruleSpec(r: Obj): Obj {
  const out: Obj = { permission_set_names: r['permission_set_names'], condition: r['condition'] ?? '' };
  for (const k of ['project_ids', 'organization_id', 'account_root_user_id']) if (k in r) out[k] = r[k];
  return out;
}

export interface Mismatch {
  index: number;
  request: string;
  problem: string;
}

export interface ReplayResult {
  cassette: string;
  replayed: number;
  skipped: number;
  rebuiltBodies: number;
  seeded: Record<string, number>;
  mismatches: Mismatch[];
}

export interface ReplayOptions {
  /** Token setup: the admin key (default), an unknown token (401), or a key without IAM rights (403). */
  token?: 'admin' | 'unknown' | 'unprivileged';
}

interface Analysis {
  /** Ids (and access keys) the cassette itself creates. */
  created: Set<string>;
  /** Ids the cassette mutates (PATCH/PUT/DELETE/POST on a sub-path). */
  mutated: Set<string>;
  rulesOf: Map<string, Obj[]>;
  users: Map<string, Obj>;
  apiKeys: Map<string, Obj>;
}

function analyse(c: Cassette): Analysis {
  const a: Analysis = {
    created: new Set(),
    mutated: new Set(),
    rulesOf: new Map(),
    users: new Map(),
    apiKeys: new Map(),
  };
  for (const it of c.interactions) {
    if (!isInScope(it)) continue;
    if (it.method !== 'GET') for (const m of it.url.pathname.match(UUID_G) ?? []) a.mutated.add(m);
    if (it.status >= 300) continue;
    const kind = kindOf(it.url.pathname);
    const body = parseJson(it.responseBody);
    if (kind === 'rules') {
      const pid = it.url.searchParams.get('policy_id');
      if (pid && !a.rulesOf.has(pid) && body && Array.isArray((body as Obj)['rules'])) {
        a.rulesOf.set(pid, (body as Obj)['rules'] as Obj[]);
      }
      continue;
    }
    if (isCreate(it) && body) a.created.add(idOf(body as Obj));
    if (kind === 'users' || kind === 'api_keys') {
      const target = kind === 'users' ? a.users : a.apiKeys;
      for (const o of objectsIn(kind, body)) {
        const id = idOf(o);
        if (!a.created.has(id) && !target.has(id)) target.set(id, o);
      }
    }
  }
  return a;
}

/**
 * Seeds users and API keys the recording shows but never creates (they decide which token the
 * replay uses), and picks the token: a recorded key of an owner user when there is one, so the
 * sandbox's own admin key does not show up in recorded key listings.
 */
function seedIdentities(
  a: Analysis,
  h: SandboxHandle,
  org: string,
  counts: Record<string, number>,
): string | undefined {
  const store = h.store;
  const rng = createRng(42);
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  if (a.users.size > 0) store.users.delete(store.ownerUserId);
  for (const [id, u] of a.users) {
    store.users.set(id, u as unknown as UserRecord);
    bump('users');
  }
  let tokenKey: string | undefined;
  for (const [id, k] of a.apiKeys) {
    const expires = typeof k['expires_at'] === 'string' ? parseExpiry(k['expires_at']) : undefined;
    const bearer =
      'application_id' in k
        ? { application_id: String(k['application_id']) }
        : { user_id: String(k['user_id']) };
    store.apiKeys.set(id, {
      access_key: id,
      secret_key: uuidV4(rng),
      description: String(k['description'] ?? ''),
      created_at: String(k['created_at']),
      updated_at: String(k['updated_at']),
      expires_at: expires?.text ?? null,
      expires_us: expires?.micros ?? null,
      default_project_id: String(k['default_project_id']),
      editable: k['editable'] !== false,
      deletable: k['deletable'] !== false,
      managed: k['managed'] === true,
      creation_ip: String(k['creation_ip'] ?? '127.0.0.1'),
      bearer,
    });
    bump('api_keys');
    if ('user_id' in bearer) {
      // A key's user the recording never shows is the org owner the recorder authenticated as.
      if (!store.users.has(bearer.user_id))
        store.users.set(bearer.user_id, placeholderOwner(bearer.user_id, org));
      if (tokenKey === undefined && isOwnerKey(store, store.apiKeys.get(id)!)) tokenKey = id;
    }
  }
  if (tokenKey) {
    store.apiKeys.delete(store.adminAccessKey);
  } else if (a.users.size > 0) {
    // Keep the admin key but attach it to a recorded owner (or an unlisted placeholder owner).
    const admin = store.apiKeys.get(store.adminAccessKey)!;
    const owner = [...a.users.values()].find((u) => u['type'] === 'owner');
    if (owner) admin.bearer = { user_id: String(owner['id']) };
    else store.users.set(store.ownerUserId, placeholderOwner(store.ownerUserId, org));
  }
  return tokenKey;
}

/**
 * Upserts the objects of one recorded answer that the cassette did not create: first
 * appearance seeds them; later appearances re-sync objects the cassette never mutates (other
 * writers changed the org while the recording ran, e.g. data-source-project-list 39 → 42).
 */
function syncExternal(
  it: Interaction,
  a: Analysis,
  h: SandboxHandle,
  org: string,
  counts: Record<string, number>,
): void {
  const kind = kindOf(it.url.pathname);
  if (!kind || kind === 'rules' || kind === 'users' || kind === 'api_keys' || it.status >= 300) return;
  const store = h.store;
  const rng = createRng(it.index + 1000);
  for (const o of objectsIn(kind, parseJson(it.responseBody))) {
    const id = idOf(o);
    if (a.created.has(id)) continue;
    const existing =
      kind === 'projects'
        ? store.projects.get(id)
        : kind === 'applications'
          ? store.applications.get(id)
          : kind === 'groups'
            ? store.groups.get(id)
            : store.policies.get(id);
    if (existing && (a.mutated.has(id) || it.method !== 'GET')) continue;
    if (!existing) counts[kind] = (counts[kind] ?? 0) + 1;
    if (kind === 'projects') {
      if (id === org) {
        Object.assign(
          store.projects.get(org)!,
          pick<ProjectRecord>(o, ['created_at', 'updated_at', 'description']),
        );
      } else
        store.projects.set(
          id,
          pick<ProjectRecord>(o, [
            'id',
            'name',
            'organization_id',
            'created_at',
            'updated_at',
            'description',
          ]),
        );
    } else if (kind === 'applications') {
      store.applications.set(
        id,
        pick<ApplicationRecord>(o, [
          'id',
          'name',
          'description',
          'created_at',
          'updated_at',
          'organization_id',
          'editable',
          'deletable',
          'managed',
          'tags',
        ]),
      );
    } else if (kind === 'groups') {
      const rec = pick<GroupRecord>(o, [
        'id',
        'created_at',
        'updated_at',
        'organization_id',
        'name',
        'description',
        'user_ids',
        'application_ids',
        'tags',
        'editable',
        'deletable',
        'managed',
      ]);
      rec.tags ??= [];
      store.groups.set(id, rec);
    } else {
      const principal = (['user_id', 'group_id', 'application_id', 'no_principal'] as const).find(
        (k) => k in o,
      )!;
      const prev = store.policies.get(id);
      const recordedRules = a.rulesOf.get(id);
      const rules =
        prev?.rules ??
        (recordedRules
          ? recordedRules.map((r) => ruleRecord(r))
          : synthesiseRules(
              Number(o['nb_rules']),
              Number(o['nb_scopes']),
              Number(o['nb_permission_sets']),
              org,
              rng,
            ));
      store.policies.set(id, {
        ...pick<Omit<PolicyRecord, 'principal' | 'rules'>>(o, [
          'id',
          'name',
          'description',
          'organization_id',
          'created_at',
          'updated_at',
          'editable',
          'deletable',
          'managed',
          'tags',
        ]),
        principal: { [principal]: o[principal] } as PolicyRecord['principal'],
        rules,
      });
    }
  }
}

function placeholderOwner(id: string, org: string): UserRecord {
  return {
    id,
    email: 'owner@sandbox.invalid',
    username: 'owner@sandbox.invalid',
    first_name: '',
    last_name: '',
    phone_number: '',
    locale: 'en_US',
    created_at: '2020-01-01T00:00:00.000000Z',
    updated_at: '2020-01-01T00:00:00.000000Z',
    organization_id: org,
    deletable: false,
    last_login_at: null,
    type: 'owner',
    two_factor_enabled: false,
    status: 'activated',
    mfa: false,
    account_root_user_id: '',
    tags: [],
    locked: false,
  };
}

function pick<T>(o: Obj, keys: readonly string[]): T {
  const out: Obj = {};
  for (const k of keys) if (k in o) out[k] = structuredClone(o[k]);
  return out as T;
}

function ruleRecord(r: Obj): RuleRecord {
  const scope =
    'project_ids' in r
      ? { project_ids: r['project_ids'] as string[] }
      : 'organization_id' in r
        ? { organization_id: String(r['organization_id']) }
        : { account_root_user_id: String(r['account_root_user_id']) };
  return {
    id: String(r['id']),
    permission_set_names: r['permission_set_names'] as string[],
    permission_sets_scope_type: r['permission_sets_scope_type'] as RuleRecord['permission_sets_scope_type'],
    condition: String(r['condition'] ?? ''),
    scope,
  };
}

/** Rules whose computed counters equal the recorded nb_rules / nb_scopes / nb_permission_sets. */
function synthesiseRules(
  nbRules: number,
  nbScopes: number,
  nbSets: number,
  org: string,
  rng: ReturnType<typeof createRng>,
): RuleRecord[] {
  const projectSets = PERMISSION_SETS.filter((p) => p.scope_type === 'projects').map((p) => p.name);
  const rules: RuleRecord[] = [];
  let setIndex = 0;
  for (let i = 0; i < nbRules; i++) {
    const remainingRules = nbRules - i;
    const take = Math.max(1, Math.floor((nbSets - setIndex) / remainingRules));
    const names = projectSets.slice(setIndex % projectSets.length, (setIndex % projectSets.length) + take);
    setIndex += take;
    let scope: RuleRecord['scope'];
    if (i === 0) scope = { organization_id: org };
    else if (i < nbScopes) {
      const extra = i === nbRules - 1 ? nbScopes - i : 1;
      scope = { project_ids: Array.from({ length: extra }, () => uuidV4(rng)) };
    } else scope = { organization_id: org };
    rules.push({
      id: uuidV4(rng),
      permission_set_names: names,
      permission_sets_scope_type: findPermissionSet(names[0] ?? '')?.scope_type ?? 'projects',
      condition: '',
      scope,
    });
  }
  return rules;
}

/** Finds the recorded organization id of a cassette (first organization_id in a response). */
function recordedOrg(c: Cassette): string | undefined {
  for (const it of c.interactions) {
    const m = /"organization_id":\s*"([0-9a-f-]{36})"/.exec(it.responseBody);
    if (m && m[1] !== ORG_PLACEHOLDER) return m[1];
  }
  // 2023 key-only recordings: the default project of the org has the org's id.
  for (const it of c.interactions) {
    const m = /"default_project_id":\s*"([0-9a-f-]{36})"/.exec(it.responseBody);
    if (m) return m[1];
  }
  return undefined;
}

export async function replayCassette(c: Cassette, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const first = c.interactions.find((i) => i.date)?.date ?? new Date('2026-01-01T00:00:00Z');
  let clockMs = first.getTime();
  const org = recordedOrg(c) ?? uuidV4(createRng(1));
  const h = await startSandbox({
    env: {},
    seed: false,
    clock: () => new Date(clockMs),
    organizationId: org,
    randomSeed: 7,
  });
  const result: ReplayResult = {
    cassette: c.name,
    replayed: 0,
    skipped: 0,
    rebuiltBodies: 0,
    seeded: {},
    mismatches: [],
  };
  try {
    const analysis = analyse(c);
    const counts: Record<string, number> = {};
    result.seeded = counts;
    const tokenKey = seedIdentities(analysis, h, org, counts);
    let token = h.adminSecretKey;
    if (tokenKey) token = h.store.apiKeys.get(tokenKey)!.secret_key;
    if (opts.token === 'unknown') token = uuidV4(createRng(99));
    if (opts.token === 'unprivileged') {
      const app = h.store.createApplication({ name: 'replay-unprivileged', description: '', tags: [] });
      token = h.store.createApiKey({
        bearer: { application_id: app.id },
        creation_ip: '127.0.0.1',
      }).secret_key;
    }

    const map = new Map<string, string>([[ORG_PLACEHOLDER, org]]);
    const ctx: { lastPolicyRec?: string; lastKeyRec?: string } = {};
    const rewrite = (s: string): string =>
      s.replace(UUID_G, (m) => map.get(m) ?? m).replace(ACCESS_G, (m) => map.get(m) ?? m);

    for (const it of c.interactions) {
      if (!isInScope(it)) {
        result.skipped++;
        continue;
      }
      if (it.date) clockMs = Math.max(clockMs, it.date.getTime());
      syncExternal(it, analysis, h, org, counts);
      if (it.method === 'GET' && it.url.searchParams.has('page')) {
        // Items of later pages of the same listing existed already when page 1 was served.
        for (const later of c.interactions) {
          if (later.index > it.index && later.method === 'GET' && sameListing(later.url, it.url)) {
            syncExternal(later, analysis, h, org, counts);
          }
        }
      }
      const recBody = parseJson(it.responseBody);
      // Resolve the redacted access key of the path from the recorded answer, else the last key used.
      let path = it.url.pathname;
      if (path.includes(KEY_PLACEHOLDER)) {
        const b = recBody as Obj | undefined;
        const named = (b?.['access_key'] ?? b?.['resource_id']) as string | undefined;
        const recKey = named && ACCESS.test(named) ? named : ctx.lastKeyRec;
        if (recKey) ctx.lastKeyRec = recKey;
        path = path.replace(KEY_PLACEHOLDER, recKey ?? KEY_PLACEHOLDER);
      }
      const search = it.url.search;
      const url = h.url + rewrite(path) + rewrite(search);
      const { body, rebuilt } = requestBodyFor(c, it, ctx);
      if (rebuilt) result.rebuiltBodies++;
      const sentBody = body === undefined ? undefined : rewrite(body);

      const faults429 = it.status === 429;
      const transient = it.status === 409 && /transient_state/.test(it.responseBody);
      if (faults429) h.faults.adjust({ rate429: 1 });
      if (transient) h.faults.adjust({ groupTransientWindowMs: 3_600_000 });
      const res = await fetch(url, {
        method: it.method,
        headers: {
          'X-Auth-Token': token,
          ...(sentBody !== undefined && { 'Content-Type': 'application/json' }),
        },
        ...(sentBody !== undefined && { body: sentBody }),
      });
      if (faults429) h.faults.adjust({ rate429: undefined });
      if (transient) h.faults.adjust({ groupTransientWindowMs: undefined });
      const text = await res.text();
      result.replayed++;

      const label = `#${it.index} ${it.method} ${it.url.pathname}${it.url.search}`;
      const add = (problem: string) => result.mismatches.push({ index: it.index, request: label, problem });
      if (res.status !== it.status)
        add(`status ${res.status} (recorded ${it.status}): ${text.slice(0, 300)}`);
      const recCt = it.responseHeaders['Content-Type']?.[0];
      const emuCt = res.headers.get('content-type') ?? undefined;
      if ((recCt === undefined) !== (emuCt === undefined)) add(`Content-Type ${emuCt} (recorded ${recCt})`);
      if (it.status === 429 && res.headers.get('x-envoy-ratelimited') !== 'true')
        add('429 without X-Envoy-Ratelimited');
      if (res.headers.get('retry-after') !== null) add('unexpected Retry-After header');
      if (it.responseHeaders['X-Request-Id'] && !UUID.test(res.headers.get('x-request-id') ?? '')) {
        add('missing or malformed X-Request-Id');
      }
      const length = res.headers.get('content-length');
      if (length !== null && Number(length) !== Buffer.byteLength(text))
        add(`Content-Length ${length} ≠ body`);

      if (res.status === it.status) {
        const emuBody = parseJson(text);
        if ((recBody === undefined) !== (emuBody === undefined)) {
          add(`body presence differs: emulator ${JSON.stringify(text.slice(0, 80))}`);
        } else if (recBody !== undefined) {
          compare(recBody, emuBody, '$', map, add);
        }
        // Remember the policy of this exchange for rebuilt PUT /rules bodies.
        if (
          it.url.pathname.startsWith('/iam/v1alpha1/policies') &&
          recBody &&
          typeof (recBody as Obj)['id'] === 'string'
        ) {
          ctx.lastPolicyRec = String((recBody as Obj)['id']);
        }
        if (it.url.pathname === '/iam/v1alpha1/api-keys' && it.method === 'POST' && recBody) {
          ctx.lastKeyRec = String((recBody as Obj)['access_key']);
        }
      }
    }
  } finally {
    await h.close();
  }
  return result;
}

function sameListing(a: URL, b: URL): boolean {
  if (a.pathname !== b.pathname) return false;
  const strip = (u: URL) => {
    const q = new URLSearchParams(u.search);
    q.delete('page');
    q.sort();
    return q.toString();
  };
  return strip(a) === strip(b);
}

const isSortedAsc = (xs: readonly unknown[]): boolean =>
  xs.every((x, i) => i === 0 || String(xs[i - 1]) <= String(x));

/** Structural comparison; learns id mappings as it goes. */
function compare(
  rec: unknown,
  emu: unknown,
  path: string,
  map: Map<string, string>,
  add: (p: string) => void,
): void {
  if (rec === null || typeof rec !== 'object') {
    compareScalar(rec, emu, path, map, add);
    return;
  }
  if (Array.isArray(rec)) {
    if (!Array.isArray(emu)) {
      add(`${path}: array expected, got ${JSON.stringify(emu)?.slice(0, 80)}`);
      return;
    }
    if (rec.length !== emu.length) add(`${path}: ${emu.length} items (recorded ${rec.length})`);
    if (
      /\.(user_ids|application_ids)$/.test(path) &&
      rec.length > 1 &&
      isSortedAsc(rec) &&
      rec.every((x) => map.has(String(x)))
    ) {
      // Stored member lists come back ordered by id; emulator ids differ, so check "sorted by id" and the set.
      const echo = rec.map((x) => map.get(String(x))).join() === emu.join(); // PUT /members echoes the request
      if (!isSortedAsc(emu) && !echo) add(`${path}: members not ordered by id`);
      const want = rec.map((x) => map.get(String(x))).sort();
      if (want.join() !== [...emu].map(String).sort().join())
        add(`${path}: members ${emu.join()} (recorded ${rec.join()})`);
      return;
    }
    for (let i = 0; i < Math.min(rec.length, emu.length); i++)
      compare(rec[i], emu[i], `${path}[${i}]`, map, add);
    return;
  }
  if (emu === null || typeof emu !== 'object' || Array.isArray(emu)) {
    add(`${path}: object expected, got ${JSON.stringify(emu)?.slice(0, 80)}`);
    return;
  }
  const rk = Object.keys(rec);
  const ek = Object.keys(emu);
  if (rk.join(',') !== ek.join(',')) add(`${path}: keys [${ek.join(',')}] (recorded [${rk.join(',')}])`);
  const r = rec as Obj;
  const e = emu as Obj;
  for (const k of rk) {
    if (!(k in e)) continue;
    if (k === 'secret_key' && typeof r[k] === 'string') {
      if (typeof e[k] !== 'string' || !UUID.test(e[k] as string)) add(`${path}.${k}: not a UUID secret`);
      continue;
    }
    if (k === 'creation_ip') {
      if (typeof e[k] !== 'string' || !IPV4.test(e[k] as string)) add(`${path}.${k}: not an IPv4`);
      continue;
    }
    compare(r[k], e[k], `${path}.${k}`, map, add);
  }
  // created_at == updated_at must hold in the emulator exactly when it held in the recording.
  if (
    typeof r['created_at'] === 'string' &&
    typeof r['updated_at'] === 'string' &&
    typeof e['created_at'] === 'string'
  ) {
    const recEqual = r['created_at'] === r['updated_at'];
    const emuEqual = e['created_at'] === e['updated_at'];
    if (recEqual !== emuEqual) add(`${path}: created_at==updated_at is ${emuEqual} (recorded ${recEqual})`);
  }
}

function compareScalar(
  rec: unknown,
  emu: unknown,
  path: string,
  map: Map<string, string>,
  add: (p: string) => void,
): void {
  if (typeof rec !== 'string') {
    if (rec !== emu) add(`${path}: ${JSON.stringify(emu)} (recorded ${JSON.stringify(rec)})`);
    return;
  }
  if (typeof emu !== 'string') {
    add(`${path}: ${JSON.stringify(emu)} (recorded string)`);
    return;
  }
  if (UUID.test(rec) || ACCESS.test(rec)) {
    const known = map.get(rec);
    if (known !== undefined) {
      if (known !== emu) add(`${path}: ${emu} (recorded ${rec} ↦ ${known})`);
      return;
    }
    if (UUID.test(rec) && !UUID.test(emu)) {
      add(`${path}: ${emu} is not a UUID`);
      return;
    }
    if (ACCESS.test(rec) && !ACCESS.test(emu)) {
      add(`${path}: ${emu} is not an access key`);
      return;
    }
    map.set(rec, emu);
    return;
  }
  if (TS6.test(rec) && /(_at|_since)$/.test(path) && !/expires_at$/.test(path)) {
    if (!TS6.test(emu)) add(`${path}: ${emu} is not a 6-digit UTC timestamp`);
    return;
  }
  const expected = rec.replace(UUID_G, (m) => map.get(m) ?? m).replace(ACCESS_G, (m) => map.get(m) ?? m);
  if (expected !== emu) add(`${path}: ${JSON.stringify(emu)} (recorded ${JSON.stringify(rec)})`);
}
