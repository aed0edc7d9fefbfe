/**
 * Kubernetes API server emulator for tests (docs/design/kubernetes.md §13): Secrets, Leases, Events (both
 * APIs), namespaces, SelfSubjectAccessReview, legacy discovery for kubectl, bearer-token auth
 * with a small RBAC table, server-side apply with managedFields, optimistic concurrency, dryRun,
 * and fault injection. Plain HTTP on 127.0.0.1, port 0.
 *
 * Known limits (kept deliberately small, like controller-runtime's fake): no watch streams, no
 * aggregated discovery (kubectl falls back to the legacy documents), no OpenAPI documents
 * (kubectl needs `--validate=false` for client-side apply), strategic merge patch is treated as a
 * JSON merge patch (exact for the map-only fields of Secrets and Leases), label selectors support
 * equality (`a=b`, `a!=b`) and existence (`a`) terms only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  canonical,
  clone,
  deleteAt,
  fieldsV1,
  getAt,
  isObject,
  type Json,
  type JsonObject,
  JsonPatchError,
  jsonEqual,
  jsonPatch,
  keyPath,
  leafPaths,
  mergePatch,
  renderPath,
  setAt,
} from './fields.js';
import { createRequestHold } from '../hold.js';
import { coreEvents, eventsV1, leases, type ResourceType, secrets, unknownFields } from './resources.js';
import { deleteSuccess, errors, type StatusBody, type StatusCause, StatusError } from './status.js';

export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  /** Namespaces the rule applies in (RoleBinding scope); absent = all. */
  readonly namespaces?: readonly string[];
}

export interface TokenIdentity {
  /** e.g. `system:serviceaccount:platform:scw-gitops` */
  readonly user: string;
  /** `admin` = every verb everywhere. */
  readonly rules: 'admin' | readonly RbacRule[];
}

export interface FaultSpec {
  readonly method?: string;
  /** Substring or regular expression matched against the request path. */
  readonly path?: string | RegExp;
  readonly status: 429 | 500 | 503 | 504 | number;
  /** Only requests authenticated with this bearer token. */
  readonly token?: string;
  readonly retryAfterSeconds?: number;
  readonly message?: string;
  /** How many requests the fault applies to (default 1; Infinity for all). */
  readonly times?: number;
}

export interface EmulatorOptions {
  /** Namespaces that exist (default `['default']`). */
  readonly namespaces?: readonly string[];
  /** Default admin token value (random when absent). */
  readonly token?: string;
  /** Extra tokens with their identity and RBAC rules. */
  readonly tokens?: Readonly<Record<string, TokenIdentity>>;
  /** Namespace written into the kubeconfig context. */
  readonly contextNamespace?: string;
  /** Clock for creationTimestamp and managedFields times (default: system time). */
  readonly now?: () => Date;
  /**
   * Serve HTTPS with a self-signed certificate made at start by `openssl` (the CA goes into the
   * kubeconfig). Needed for kubectl: client-go does not send bearer tokens over plain http.
   */
  readonly tls?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly userAgent: string | undefined;
  readonly body: string;
  readonly status: number;
}

export interface StoredEvent {
  readonly api: 'v1' | 'events.k8s.io/v1';
  readonly namespace: string;
  readonly object: JsonObject;
}

export type EmulatedResource = 'secrets' | 'leases';

export interface EmulatorControl {
  addNamespace(name: string): void;
  deleteNamespace(name: string): void;
  setToken(token: string, identity: TokenIdentity): void;
  /** The stored object as a client would read it (with managedFields), or undefined. */
  get(resource: EmulatedResource, namespace: string, name: string): JsonObject | undefined;
  /** A write by another client (operation Update under `manager`), creating the object if absent. */
  externalWrite(
    resource: EmulatedResource,
    namespace: string,
    name: string,
    mutate: (obj: JsonObject) => void,
    manager?: string,
  ): JsonObject;
  /** Run `fn` just before the next write request (PUT/PATCH/DELETE) to this object is processed. */
  beforeNextWrite(resource: EmulatedResource, namespace: string, name: string, fn: () => void): void;
  /** Remove an object without any checks. */
  remove(resource: EmulatedResource, namespace: string, name: string): void;
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Hang: hold every request from now on, unanswered, until the returned function is called. */
  hold(): () => void;
  /** Requests held right now. */
  readonly held: number;
  readonly requests: RecordedRequest[];
  readonly events: StoredEvent[];
  /** Current global resourceVersion counter. */
  resourceVersion(): number;
}

export interface KubernetesEmulator {
  readonly url: string;
  readonly token: string;
  /** PEM file of the self-signed server certificate (tls mode only). */
  readonly caPath?: string;
  /** Kubeconfig file (context `emulator`) pointing at this server with the admin token. */
  readonly kubeconfigPath: string;
  /** Write another kubeconfig for a given token (e.g. a restricted service account). */
  writeKubeconfig(token: string, namespace?: string): Promise<string>;
  readonly control: EmulatorControl;
  close(): Promise<void>;
}

interface Managed {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: Set<string>;
}

interface Stored {
  obj: JsonObject;
  managers: Managed[];
}

interface Ctx {
  readonly user: string;
  readonly rules: 'admin' | readonly RbacRule[];
  readonly query: URLSearchParams;
  readonly userAgent: string;
}

const TYPES_BY_RESOURCE: Record<EmulatedResource, ResourceType> = { secrets, leases };

function secondPrecision(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function ruleMatches(
  rule: RbacRule,
  verb: string,
  group: string,
  resource: string,
  name: string | undefined,
  ns: string | undefined,
): boolean {
  const has = (list: readonly string[], v: string) => list.includes('*') || list.includes(v);
  if (!has(rule.verbs, verb) || !has(rule.apiGroups, group) || !has(rule.resources, resource)) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0 && (!name || !rule.resourceNames.includes(name)))
    return false;
  if (rule.namespaces && (!ns || !rule.namespaces.includes(ns))) return false;
  return true;
}

/** client-go's default field manager: the User-Agent up to the first `/`. */
function managerFromUserAgent(ua: string): string {
  const first = ua.split('/')[0] ?? '';
  return first.slice(0, 128) || 'unknown';
}

function fieldsV1Paths(f: Json, prefix: string[], out: Set<string>): void {
  if (!isObject(f)) return;
  for (const [k, child] of Object.entries(f)) {
    if (!k.startsWith('f:')) continue;
    const seg = k.slice(2);
    const sub = isObject(child) ? Object.keys(child).filter((x) => x !== '.') : [];
    if (sub.length === 0) out.add(JSON.stringify([...prefix, seg]));
    else fieldsV1Paths(child as Json, [...prefix, seg], out);
  }
}

/** metadata.managedFields as sent by a client → ownership entries. */
function parseManagedFields(v: Json): Managed[] {
  if (!Array.isArray(v)) return [];
  const out: Managed[] = [];
  for (const e of v) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    const fields = new Set<string>();
    fieldsV1Paths(e.fieldsV1 ?? {}, [], fields);
    out.push({
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : 'v1',
      time: typeof e.time === 'string' ? e.time : '',
      fields,
    });
  }
  return out;
}

function matchesLabelSelector(labels: JsonObject, selector: string): boolean {
  for (const term of selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    let m = /^([^!=]+)!=(.*)$/.exec(term);
    if (m) {
      if (labels[(m[1] as string).trim()] === (m[2] as string).trim()) return false;
      continue;
    }
    m = /^([^=]+)==?(.*)$/.exec(term);
    if (m) {
      if (labels[(m[1] as string).trim()] !== (m[2] as string).trim()) return false;
      continue;
    }
    if (term.startsWith('!')) {
      if (term.slice(1) in labels) return false;
    } else if (!(term in labels)) return false;
  }
  return true;
}

export async function startKubernetesEmulator(opts: EmulatorOptions = {}): Promise<KubernetesEmulator> {
  const now = opts.now ?? (() => new Date());
  const adminToken = opts.token ?? `emu-${randomBytes(16).toString('hex')}`;
  const tokens = new Map<string, TokenIdentity>();
  tokens.set(adminToken, { user: 'system:admin', rules: 'admin' });
  for (const [t, id] of Object.entries(opts.tokens ?? {})) tokens.set(t, id);
  const namespaces = new Map<string, { uid: string; created: string }>();
  for (const ns of opts.namespaces ?? ['default'])
    namespaces.set(ns, { uid: randomUUID(), created: secondPrecision(now()) });
  const store = new Map<string, Stored>();
  const events: StoredEvent[] = [];
  const requests: RecordedRequest[] = [];
  const faults: { spec: FaultSpec; left: number }[] = [];
  const hooks = new Map<string, (() => void)[]>();
  let rvCounter = 1000;
  const requestHold = createRequestHold();
  let eventCounter = 0;

  const keyOf = (type: ResourceType, ns: string, name: string) =>
    `${type.group}/${type.resource}/${ns}/${name}`;

  function render(type: ResourceType, stored: Stored): JsonObject {
    const out = clone(stored.obj);
    out.apiVersion = type.apiVersion;
    out.kind = type.kind;
    const meta = out.metadata as JsonObject;
    const mf = stored.managers
      .filter((m) => m.fields.size > 0)
      .map((m) => ({
        manager: m.manager,
        operation: m.operation,
        apiVersion: m.apiVersion,
        time: m.time,
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsV1(m.fields),
      }));
    if (mf.length > 0) meta.managedFields = mf as unknown as Json;
    // Field order like the real server: apiVersion, kind, metadata first.
    const { apiVersion, kind, metadata, ...rest } = out;
    return { kind: kind as Json, apiVersion: apiVersion as Json, metadata: metadata as Json, ...rest };
  }

  function authorize(
    ctx: Ctx,
    verb: string,
    type: { group: string; resource: string; kind: string },
    name: string | undefined,
    ns: string | undefined,
  ): void {
    if (ctx.rules === 'admin') return;
    if (ctx.rules.some((r) => ruleMatches(r, verb, type.group, type.resource, name, ns))) return;
    throw errors.forbidden(type, name, ctx.user, verb, ns);
  }

  function allowed(
    rules: 'admin' | readonly RbacRule[],
    verb: string,
    group: string,
    resource: string,
    name: string | undefined,
    ns: string | undefined,
  ): boolean {
    if (rules === 'admin') return true;
    return rules.some((r) => ruleMatches(r, verb, group, resource, name, ns));
  }

  function requireNamespace(ns: string): void {
    if (!namespaces.has(ns)) throw errors.namespaceNotFound(ns);
  }

  function runHooks(type: ResourceType, ns: string, name: string): void {
    const k = keyOf(type, ns, name);
    const list = hooks.get(k);
    if (!list || list.length === 0) return;
    const fn = list.shift() as () => void;
    if (list.length === 0) hooks.delete(k);
    fn();
  }

  /** Ownership after an Update-operation write (never conflicts; takes over changed fields). */
  function updateOwnership(
    managers: Managed[],
    oldObj: JsonObject | undefined,
    newObj: JsonObject,
    manager: string,
    apiVersion: string,
  ): Managed[] {
    const before = oldObj ? leafPaths(oldObj) : new Map<string, Json>();
    const after = leafPaths(newObj);
    const changed = new Set<string>();
    for (const [k, v] of after) if (!before.has(k) || !jsonEqual(before.get(k), v)) changed.add(k);
    const removed = [...before.keys()].filter((k) => !after.has(k));
    const out = managers.map((m) => ({ ...m, fields: new Set(m.fields) }));
    for (const m of out) {
      for (const k of changed) m.fields.delete(k);
      for (const k of removed) m.fields.delete(k);
    }
    if (changed.size > 0) {
      let mine = out.find((m) => m.manager === manager && m.operation === 'Update');
      if (!mine) {
        mine = { manager, operation: 'Update', apiVersion, time: secondPrecision(now()), fields: new Set() };
        out.push(mine);
      }
      mine.time = secondPrecision(now());
      for (const k of changed) mine.fields.add(k);
    }
    return out.filter((m) => m.fields.size > 0);
  }

  function sameManagers(a: Managed[], b: Managed[]): boolean {
    const norm = (list: Managed[]) =>
      list
        .filter((m) => m.fields.size > 0)
        .map((m) => `${m.manager}|${m.operation}|${[...m.fields].sort().join(';')}`)
        .sort()
        .join('\n');
    return norm(a) === norm(b);
  }

  function stripForCompare(obj: JsonObject): string {
    const c = clone(obj);
    const meta = c.metadata as JsonObject;
    delete meta.resourceVersion;
    delete meta.managedFields;
    return canonical(c);
  }

  /** Validate, store (unless dryRun) and return [status, rendered]. */
  function persist(
    type: ResourceType,
    ns: string,
    name: string,
    obj: JsonObject,
    old: Stored | undefined,
    managers: Managed[],
    dryRun: boolean,
  ): [number, JsonObject] {
    type.normalize(obj);
    const meta = obj.metadata as JsonObject;
    meta.name = name;
    meta.namespace = ns;
    delete meta.managedFields;
    if (old) {
      const oldMeta = old.obj.metadata as JsonObject;
      meta.uid = oldMeta.uid as Json;
      meta.creationTimestamp = oldMeta.creationTimestamp as Json;
      meta.resourceVersion = oldMeta.resourceVersion as Json;
    }
    const causes = type.validate(obj, old?.obj);
    if (causes.length > 0) throw errors.invalid(type, name, causes);
    if (old && stripForCompare(obj) === stripForCompare(old.obj) && sameManagers(managers, old.managers)) {
      return [200, render(type, old)];
    }
    // Keep timestamps of managers whose field sets did not change.
    for (const m of managers) {
      const prev = old?.managers.find((o) => o.manager === m.manager && o.operation === m.operation);
      if (prev && [...prev.fields].sort().join() === [...m.fields].sort().join()) m.time = prev.time;
    }
    if (!old) {
      meta.uid = randomUUID();
      meta.creationTimestamp = secondPrecision(now());
    }
    if (dryRun) {
      if (!old) delete meta.resourceVersion;
      return [old ? 200 : 201, render(type, { obj, managers })];
    }
    rvCounter += 1;
    meta.resourceVersion = String(rvCounter);
    const stored: Stored = { obj, managers };
    store.set(keyOf(type, ns, name), stored);
    return [old ? 200 : 201, render(type, stored)];
  }

  function parseBody(type: ResourceType, raw: string, yamlAllowed: boolean): JsonObject {
    let v: unknown;
    try {
      v = yamlAllowed ? parseYaml(raw) : JSON.parse(raw);
    } catch (e) {
      throw errors.undecodable(
        type.kind,
        type.apiVersion,
        (e as Error).message.split('\n')[0] ?? 'invalid body',
      );
    }
    if (!isObject(v))
      throw errors.undecodable(
        type.kind,
        type.apiVersion,
        `couldn't get version/kind; json parse error: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type struct`,
      );
    return v as JsonObject;
  }

  function checkFieldValidation(type: ResourceType, obj: JsonObject, ctx: Ctx, warnings: string[]): void {
    const mode = ctx.query.get('fieldValidation') ?? 'Warn';
    if (!['Ignore', 'Warn', 'Strict', ''].includes(mode))
      throw errors.badRequest(`fieldValidation parameter unsupported: "${mode}"`);
    const unknown = unknownFields(type, obj);
    if (unknown.length === 0) return;
    if (mode === 'Strict')
      throw errors.badRequest(
        `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    if (mode === 'Warn' || mode === '') for (const f of unknown) warnings.push(`unknown field "${f}"`);
    for (const f of unknown) delete obj[f];
  }

  function checkBodyIdentity(type: ResourceType, obj: JsonObject, ns: string, urlName?: string): void {
    const meta = obj.metadata as JsonObject;
    if (obj.kind !== undefined && obj.kind !== type.kind)
      throw errors.badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${type.apiVersion})`,
      );
    if (obj.apiVersion !== undefined && obj.apiVersion !== type.apiVersion)
      throw errors.badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${type.apiVersion})`,
      );
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ns)
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    if (urlName !== undefined && meta.name !== undefined && meta.name !== urlName)
      throw errors.badRequest(
        `the name of the object (${String(meta.name)}) does not match the name on the URL (${urlName})`,
      );
  }

  function dryRunOf(ctx: Ctx): boolean {
    const values = ctx.query.getAll('dryRun');
    for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}`);
    return values.length > 0;
  }

  function fieldManagerOf(ctx: Ctx, kindOfOptions: string): string | undefined {
    const fm = ctx.query.get('fieldManager');
    if (fm === null) return undefined;
    if (fm.length > 128 || !/^[\x20-\x7e]*$/.test(fm))
      throw errors.invalidOptions(kindOfOptions, [
        {
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${fm}": must be at most 128 characters and printable`,
          field: 'fieldManager',
        },
      ]);
    return fm;
  }

  // ---- operations -------------------------------------------------------------------------

  function doGet(type: ResourceType, ns: string, name: string): JsonObject {
    const s = store.get(keyOf(type, ns, name));
    if (!s) throw errors.notFound(type, name);
    return render(type, s);
  }

  /**
   * A collection, sorted by key, with chunking like the apiserver: `limit=N` returns at most N
   * items plus an opaque `metadata.continue` token (base64 of `{"v":"meta.k8s.io/v1","rv":…,
   * "start":"<last key>\u0000"}`, the apiserver's layout) and `remainingItemCount` when more
   * match; `continue=<token>` resumes after that key, and a token that does not decode is a 400.
   * Unlike etcd, later pages are not a snapshot of the first one's resourceVersion.
   */
  function doList(type: ResourceType, ns: string | undefined, ctx: Ctx): JsonObject {
    const selector = ctx.query.get('labelSelector') ?? '';
    const fieldSelector = ctx.query.get('fieldSelector') ?? '';
    const limitParam = ctx.query.get('limit');
    const limit = limitParam !== null && /^\d+$/.test(limitParam) ? Number(limitParam) : 0;
    const token = ctx.query.get('continue');
    let after: string | undefined;
    let listRv = String(rvCounter);
    if (token) {
      try {
        const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
          v?: unknown;
          rv?: unknown;
          start?: unknown;
        };
        if (decoded.v !== 'meta.k8s.io/v1' || typeof decoded.start !== 'string') throw new Error('shape');
        after = decoded.start.endsWith('\u0000') ? decoded.start.slice(0, -1) : decoded.start;
        listRv = String(decoded.rv ?? listRv);
      } catch {
        throw errors.badRequest(`continue key is not valid: ${token.slice(0, 40)}`);
      }
    }
    const items: JsonObject[] = [];
    const itemKeys: string[] = [];
    const keys = [...store.keys()].sort();
    for (const k of keys) {
      const [g, r, kns, kname] = k.split('/') as [string, string, string, string];
      if (g !== type.group || r !== type.resource) continue;
      if (ns !== undefined && kns !== ns) continue;
      const s = store.get(k) as Stored;
      const meta = s.obj.metadata as JsonObject;
      if (selector && !matchesLabelSelector(isObject(meta.labels) ? meta.labels : {}, selector)) continue;
      if (fieldSelector) {
        const m = /^metadata\.name=(.*)$/.exec(fieldSelector);
        if (m && m[1] !== kname) continue;
      }
      if (after !== undefined && k <= after) continue;
      const item = render(type, s);
      delete item.kind;
      delete item.apiVersion;
      items.push(item);
      itemKeys.push(k);
    }
    const metadata: JsonObject = { resourceVersion: listRv };
    if (limit > 0 && items.length > limit) {
      const start = `${itemKeys[limit - 1]}\u0000`;
      metadata.continue = Buffer.from(
        JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(listRv), start }),
      ).toString('base64');
      metadata.remainingItemCount = items.length - limit;
      items.length = limit;
    }
    return { kind: type.listKind, apiVersion: type.apiVersion, metadata, items };
  }

  function doCreate(
    type: ResourceType,
    ns: string,
    raw: string,
    ctx: Ctx,
    warnings: string[],
  ): [number, JsonObject] {
    const dryRun = dryRunOf(ctx);
    const fm = fieldManagerOf(ctx, 'CreateOptions.meta.k8s.io') ?? managerFromUserAgent(ctx.userAgent);
    const obj = parseBody(type, raw, false);
    checkFieldValidation(type, obj, ctx, warnings);
    type.decode(obj);
    checkBodyIdentity(type, obj, ns);
    const meta = obj.metadata as JsonObject;
    if (typeof meta.generateName === 'string' && (meta.name === undefined || meta.name === '')) {
      meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    }
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '')
      throw errors.invalid(type, name, [
        {
          reason: 'FieldValueInvalid',
          message:
            'Invalid value: "' +
            String(meta.resourceVersion) +
            '": resourceVersion should not be set on objects to be created',
          field: 'metadata.resourceVersion',
        },
      ]);
    if (name === '') {
      throw errors.invalid(type, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name',
        },
      ]);
    }
    requireNamespace(ns);
    if (store.has(keyOf(type, ns, name))) throw errors.alreadyExists(type, name);
    delete meta.managedFields;
    type.normalize(obj);
    const managers = updateOwnership([], undefined, obj, fm, type.apiVersion);
    return persist(type, ns, name, obj, undefined, managers, dryRun);
  }

  function doReplace(
    type: ResourceType,
    ns: string,
    name: string,
    raw: string,
    ctx: Ctx,
    warnings: string[],
  ): [number, JsonObject] {
    const dryRun = dryRunOf(ctx);
    const fm = fieldManagerOf(ctx, 'UpdateOptions.meta.k8s.io') ?? managerFromUserAgent(ctx.userAgent);
    const obj = parseBody(type, raw, false);
    checkFieldValidation(type, obj, ctx, warnings);
    type.decode(obj);
    checkBodyIdentity(type, obj, ns, name);
    const meta = obj.metadata as JsonObject;
    if (meta.name === undefined) meta.name = name;
    runHooks(type, ns, name);
    const old = store.get(keyOf(type, ns, name));
    const rv =
      typeof meta.resourceVersion === 'string' && meta.resourceVersion !== ''
        ? meta.resourceVersion
        : undefined;
    if (!old) {
      if (!type.allowCreateOnUpdate) throw errors.notFound(type, name);
      authorize(ctx, 'create', type, name, ns);
      requireNamespace(ns);
      if (rv !== undefined) throw errors.notFound(type, name);
      type.normalize(obj);
      return persist(
        type,
        ns,
        name,
        obj,
        undefined,
        updateOwnership([], undefined, obj, fm, type.apiVersion),
        dryRun,
      );
    }
    if (rv === undefined) {
      if (!type.allowUnconditionalUpdate)
        throw errors.invalid(type, name, [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: 0x0: must be specified for an update',
            field: 'metadata.resourceVersion',
          },
        ]);
    } else if (rv !== (old.obj.metadata as JsonObject).resourceVersion) {
      throw errors.optimisticLock(type, name);
    }
    type.normalize(obj);
    const managers = updateOwnership(old.managers, old.obj, obj, fm, type.apiVersion);
    return persist(type, ns, name, obj, old, managers, dryRun);
  }

  function doApply(
    type: ResourceType,
    ns: string,
    name: string,
    raw: string,
    ctx: Ctx,
  ): [number, JsonObject] {
    const dryRun = dryRunOf(ctx);
    const fm = fieldManagerOf(ctx, 'PatchOptions.meta.k8s.io');
    if (fm === undefined || fm === '')
      throw errors.invalidOptions('PatchOptions.meta.k8s.io', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: is required for apply patch',
          field: 'fieldManager',
        },
      ]);
    const forceParam = ctx.query.get('force');
    const force = forceParam === 'true';
    const intent = parseBody(type, raw, true);
    if (intent.apiVersion === undefined || intent.kind === undefined)
      throw errors.badRequest('invalid object type: /, Kind=');
    checkBodyIdentity(type, intent, ns, name);
    type.decode(intent);
    const imeta = intent.metadata as JsonObject;
    if (imeta.name === undefined || imeta.name === '')
      throw errors.badRequest('metadata.name: Required value: name is required');
    if (imeta.managedFields !== undefined && imeta.managedFields !== null)
      throw errors.badRequest('metadata.managedFields must be nil');
    runHooks(type, ns, name);
    const old = store.get(keyOf(type, ns, name));
    const rv =
      typeof imeta.resourceVersion === 'string' && imeta.resourceVersion !== ''
        ? imeta.resourceVersion
        : undefined;
    if (!old) {
      authorize(ctx, 'create', type, name, ns);
      requireNamespace(ns);
      if (rv !== undefined) throw errors.notFound(type, name);
    } else if (rv !== undefined && rv !== (old.obj.metadata as JsonObject).resourceVersion) {
      throw errors.optimisticLock(type, name);
    }
    // Applied field set. stringData is owned under its own path and folded into data, which is
    // how the real server ends up leaving stale data keys behind (kubernetes#108008).
    const applied = leafPaths(intent);
    const base: JsonObject = old ? clone(old.obj) : { metadata: { name, namespace: ns } };
    const managers = (old?.managers ?? []).map((m) => ({ ...m, fields: new Set(m.fields) }));
    // Conflicts: a field owned by another manager whose value would change.
    const conflicts = new Map<string, string[]>();
    for (const [k, v] of applied) {
      const current = getAt(base, keyPath(k));
      if (current === undefined || jsonEqual(current, v)) continue;
      for (const m of managers) {
        if (m.manager === fm && m.operation === 'Apply') continue;
        if (!m.fields.has(k)) continue;
        const label = m.operation === 'Apply' ? `"${m.manager}"` : `"${m.manager}" using ${m.apiVersion}`;
        const list = conflicts.get(label) ?? [];
        list.push(k);
        conflicts.set(label, list);
      }
    }
    if (conflicts.size > 0 && !force) {
      const total = [...conflicts.values()].reduce((n, l) => n + l.length, 0);
      const causes: StatusCause[] = [];
      for (const [label, list] of conflicts)
        for (const k of list)
          causes.push({
            reason: 'FieldManagerConflict',
            message: `conflict with ${label}`,
            field: renderPath(keyPath(k)),
          });
      let message: string;
      if (total === 1) {
        const [label, list] = [...conflicts.entries()][0] as [string, string[]];
        message = `Apply failed with 1 conflict: conflict with ${label}: ${renderPath(keyPath(list[0] as string))}`;
      } else {
        message = `Apply failed with ${total} conflicts: ${[...conflicts.entries()]
          .map(
            ([label, list]) =>
              `conflicts with ${label}:\n${list.map((k) => `- ${renderPath(keyPath(k))}`).join('\n')}`,
          )
          .join('\n')}`;
      }
      throw errors.applyConflict(message, causes);
    }
    if (force)
      for (const list of conflicts.values())
        for (const k of list)
          for (const m of managers) if (!(m.manager === fm && m.operation === 'Apply')) m.fields.delete(k);
    let mine = managers.find((m) => m.manager === fm && m.operation === 'Apply');
    // Remove fields this manager applied before and dropped now, unless someone else owns them.
    if (mine) {
      for (const k of mine.fields) {
        if (applied.has(k)) continue;
        const ownedElsewhere = managers.some((m) => m !== mine && m.fields.has(k));
        if (!ownedElsewhere) deleteAt(base, keyPath(k));
      }
    } else {
      mine = {
        manager: fm,
        operation: 'Apply',
        apiVersion: String(intent.apiVersion),
        time: secondPrecision(now()),
        fields: new Set(),
      };
      managers.push(mine);
    }
    mine.fields = new Set(applied.keys());
    mine.time = secondPrecision(now());
    for (const [k, v] of applied) setAt(base, keyPath(k), v);
    const bmeta = base.metadata as JsonObject;
    for (const f of ['resourceVersion', 'uid', 'creationTimestamp'])
      if (old) bmeta[f] = (old.obj.metadata as JsonObject)[f] as Json;
    return persist(
      type,
      ns,
      name,
      base,
      old,
      managers.filter((m) => m.fields.size > 0),
      dryRun,
    );
  }

  function doPatch(
    type: ResourceType,
    ns: string,
    name: string,
    raw: string,
    ctx: Ctx,
    contentType: string,
  ): [number, JsonObject] {
    if (contentType === 'application/apply-patch+yaml') return doApply(type, ns, name, raw, ctx);
    if (ctx.query.has('force'))
      throw errors.invalidOptions('PatchOptions.meta.k8s.io', [
        {
          reason: 'FieldValueForbidden',
          message: 'Forbidden: may not be specified for non-apply patch',
          field: 'force',
        },
      ]);
    const dryRun = dryRunOf(ctx);
    const fm = fieldManagerOf(ctx, 'PatchOptions.meta.k8s.io') ?? managerFromUserAgent(ctx.userAgent);
    runHooks(type, ns, name);
    const old = store.get(keyOf(type, ns, name));
    if (!old) throw errors.notFound(type, name);
    const current = render(type, old);
    const renderedManaged = canonical((current.metadata as JsonObject).managedFields);
    let patched: JsonObject;
    let patchBody: unknown;
    try {
      patchBody = JSON.parse(raw);
    } catch (e) {
      throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    if (contentType === 'application/json-patch+json') {
      if (!Array.isArray(patchBody))
        throw errors.badRequest(`json: cannot unmarshal object into Go value of type jsonpatch.Patch`);
      try {
        patched = jsonPatch(current, patchBody as Json);
      } catch (e) {
        if (e instanceof JsonPatchError)
          throw new StatusError(422, { message: e.message, reason: 'Invalid', details: {} });
        throw errors.badRequest((e as Error).message);
      }
    } else {
      if (!isObject(patchBody))
        throw errors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      const pmeta = isObject(patchBody.metadata) ? patchBody.metadata : undefined;
      const rv = pmeta?.resourceVersion;
      if (typeof rv === 'string' && rv !== (old.obj.metadata as JsonObject).resourceVersion)
        throw errors.optimisticLock(type, name);
      patched = mergePatch(current, patchBody as Json) as JsonObject;
    }
    const pmeta = patched.metadata as JsonObject;
    if (
      pmeta.resourceVersion !== undefined &&
      pmeta.resourceVersion !== (old.obj.metadata as JsonObject).resourceVersion
    )
      throw errors.optimisticLock(type, name);
    checkBodyIdentity(type, patched, ns, name);
    // A patch may rewrite metadata.managedFields (kubectl's client-side → SSA migration does).
    const patchedManaged = pmeta.managedFields;
    delete pmeta.managedFields;
    type.decode(patched);
    type.normalize(patched);
    let managers: Managed[];
    if (patchedManaged !== undefined && canonical(patchedManaged) !== renderedManaged) {
      managers = parseManagedFields(patchedManaged);
    } else {
      managers = updateOwnership(old.managers, old.obj, patched, fm, type.apiVersion);
    }
    return persist(type, ns, name, patched, old, managers, dryRun);
  }

  function doDelete(
    type: ResourceType,
    ns: string,
    name: string,
    raw: string,
    ctx: Ctx,
  ): [number, JsonObject | StatusBody] {
    const dryRun = dryRunOf(ctx);
    runHooks(type, ns, name);
    const k = keyOf(type, ns, name);
    const old = store.get(k);
    if (!old) throw errors.notFound(type, name);
    const meta = old.obj.metadata as JsonObject;
    if (raw.trim() !== '') {
      let opts: unknown;
      try {
        opts = JSON.parse(raw);
      } catch (e) {
        throw errors.badRequest(`error decoding DeleteOptions: ${(e as Error).message}`);
      }
      const pre = isObject(opts) && isObject(opts.preconditions) ? opts.preconditions : undefined;
      if (pre) {
        const storageKey = `/registry/${type.resource}/${ns}/${name}`;
        if (typeof pre.uid === 'string' && pre.uid !== meta.uid)
          throw errors.conflict(
            type,
            name,
            `StorageError: invalid object, Code: 4, Key: ${storageKey}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`,
          );
        if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== meta.resourceVersion)
          throw errors.conflict(
            type,
            name,
            `StorageError: invalid object, Code: 4, Key: ${storageKey}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
          );
      }
    }
    if (!dryRun) {
      store.delete(k);
      rvCounter += 1;
    }
    return [200, deleteSuccess(type, name, String(meta.uid))];
  }

  function doEventCreate(
    type: ResourceType,
    ns: string,
    raw: string,
    ctx: Ctx,
    warnings: string[],
  ): [number, JsonObject] {
    const dryRun = dryRunOf(ctx);
    const obj = parseBody(type, raw, false);
    checkFieldValidation(type, obj, ctx, warnings);
    type.decode(obj);
    checkBodyIdentity(type, obj, ns);
    const meta = obj.metadata as JsonObject;
    if (typeof meta.generateName === 'string' && !meta.name)
      meta.name = `${meta.generateName}${(eventCounter++).toString(36)}`;
    const name = typeof meta.name === 'string' ? meta.name : '';
    meta.namespace = ns;
    const causes = type.validate(obj, undefined);
    if (causes.length > 0) throw errors.invalid(type, name, causes);
    requireNamespace(ns);
    if (store.has(keyOf(type, ns, name))) throw errors.alreadyExists(type, name);
    meta.uid = randomUUID();
    meta.creationTimestamp = secondPrecision(now());
    if (dryRun) return [201, { ...obj, apiVersion: type.apiVersion, kind: type.kind }];
    rvCounter += 1;
    meta.resourceVersion = String(rvCounter);
    store.set(keyOf(type, ns, name), { obj, managers: [] });
    events.push({ api: type.group === '' ? 'v1' : 'events.k8s.io/v1', namespace: ns, object: clone(obj) });
    return [201, { ...obj, apiVersion: type.apiVersion, kind: type.kind }];
  }

  // ---- discovery ---------------------------------------------------------------------------

  const resourceEntry = (type: ResourceType, verbs: string[]) => ({
    name: type.resource,
    singularName: type.singular,
    namespaced: true,
    kind: type.kind,
    verbs,
    ...(type.shortNames ? { shortNames: [...type.shortNames] } : {}),
  });
  const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

  function discovery(p: string, port: number): JsonObject | undefined {
    switch (p) {
      case '/version':
        return {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-scw-gitops-emulator',
          platform: 'linux/amd64',
        };
      case '/api':
        return {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }],
        };
      case '/apis': {
        const group = (name: string) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        });
        return {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [group('authorization.k8s.io'), group('coordination.k8s.io'), group('events.k8s.io')],
        };
      }
      case '/api/v1':
        return {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            resourceEntry(coreEvents, CRUD),
            {
              name: 'namespaces',
              singularName: 'namespace',
              namespaced: false,
              kind: 'Namespace',
              verbs: ['get', 'list'],
              shortNames: ['ns'],
            },
            resourceEntry(secrets, CRUD),
          ],
        } as unknown as JsonObject;
      case '/apis/coordination.k8s.io/v1':
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'coordination.k8s.io/v1',
          resources: [resourceEntry(leases, CRUD)],
        } as unknown as JsonObject;
      case '/apis/events.k8s.io/v1':
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'events.k8s.io/v1',
          resources: [resourceEntry(eventsV1, CRUD)],
        } as unknown as JsonObject;
      case '/apis/authorization.k8s.io/v1':
        return {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion: 'authorization.k8s.io/v1',
          resources: [
            {
              name: 'selfsubjectaccessreviews',
              singularName: 'selfsubjectaccessreview',
              namespaced: false,
              kind: 'SelfSubjectAccessReview',
              verbs: ['create'],
            },
          ],
        } as unknown as JsonObject;
      default:
        return undefined;
    }
  }

  function namespaceObject(name: string): JsonObject {
    const n = namespaces.get(name) as { uid: string; created: string };
    return {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: {
        name,
        uid: n.uid,
        creationTimestamp: n.created,
        labels: { 'kubernetes.io/metadata.name': name },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }

  // ---- HTTP --------------------------------------------------------------------------------

  function route(
    method: string,
    p: string,
    raw: string,
    ctx: Ctx,
    contentType: string,
    warnings: string[],
  ): [number, unknown] {
    const coreM = /^\/api\/v1\/namespaces\/([^/]+)\/(secrets|events)(?:\/([^/]+))?$/.exec(p);
    const groupM =
      /^\/apis\/(coordination\.k8s\.io|events\.k8s\.io)\/v1\/namespaces\/([^/]+)\/(leases|events)(?:\/([^/]+))?$/.exec(
        p,
      );
    const allM =
      /^\/api\/v1\/(secrets|events)$/.exec(p) ?? /^\/apis\/coordination\.k8s\.io\/v1\/(leases)$/.exec(p);
    const nsM = /^\/api\/v1\/namespaces(?:\/([^/]+))?$/.exec(p);
    let type: ResourceType | undefined;
    let ns: string | undefined;
    let name: string | undefined;
    if (coreM) {
      const m = coreM;
      ns = decodeURIComponent(m[1] as string);
      type = m[2] === 'secrets' ? secrets : coreEvents;
      name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    } else if (groupM) {
      const m = groupM;
      const g = m[1];
      const r = m[3];
      if (g === 'coordination.k8s.io' && r === 'leases') type = leases;
      else if (g === 'events.k8s.io' && r === 'events') type = eventsV1;
      else throw errors.routeNotFound();
      ns = decodeURIComponent(m[2] as string);
      name = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
    } else if (allM) {
      const m = allM;
      if (method !== 'GET') throw errors.methodNotAllowed();
      const t = m[1] === 'secrets' ? secrets : m[1] === 'leases' ? leases : coreEvents;
      authorize(ctx, 'list', t, undefined, undefined);
      return [200, doList(t, undefined, ctx)];
    } else if (nsM) {
      const m = nsM;
      const nsRef = { group: '', resource: 'namespaces', kind: 'Namespace' };
      if (method !== 'GET') throw errors.methodNotAllowed();
      if (m[1] === undefined) {
        authorize(ctx, 'list', nsRef, undefined, undefined);
        return [
          200,
          {
            kind: 'NamespaceList',
            apiVersion: 'v1',
            metadata: { resourceVersion: String(rvCounter) },
            items: [...namespaces.keys()].sort().map(namespaceObject),
          },
        ];
      }
      const n = decodeURIComponent(m[1]);
      authorize(ctx, 'get', nsRef, n, undefined);
      if (!namespaces.has(n)) throw errors.namespaceNotFound(n);
      return [200, namespaceObject(n)];
    } else if (p === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      if (method !== 'POST') throw errors.methodNotAllowed();
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (e) {
        throw errors.undecodable('SelfSubjectAccessReview', 'authorization.k8s.io/v1', (e as Error).message);
      }
      const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
      const ra = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
      if (!ra)
        throw new StatusError(422, {
          message:
            'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
          reason: 'Invalid',
          details: { group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview' },
        });
      const str = (v: Json | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);
      const ok = allowed(
        ctx.rules,
        str(ra.verb) ?? '',
        str(ra.group) ?? '',
        str(ra.resource) ?? '',
        str(ra.name),
        str(ra.namespace),
      );
      const status: JsonObject = { allowed: ok };
      if (ok)
        status.reason =
          ctx.rules === 'admin'
            ? 'RBAC: allowed by ClusterRoleBinding "cluster-admin"'
            : 'RBAC: allowed by RoleBinding';
      return [
        201,
        {
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec,
          status,
        },
      ];
    }
    if (!type || ns === undefined) throw errors.routeNotFound();

    const isEvents = type === coreEvents || type === eventsV1;
    if (name === undefined) {
      if (method === 'GET') {
        authorize(ctx, 'list', type, undefined, ns);
        return [200, doList(type, ns, ctx)];
      }
      if (method === 'POST') {
        authorize(ctx, 'create', type, undefined, ns);
        return isEvents
          ? doEventCreate(type, ns, raw, ctx, warnings)
          : doCreate(type, ns, raw, ctx, warnings);
      }
      throw errors.methodNotAllowed();
    }
    switch (method) {
      case 'GET':
        authorize(ctx, 'get', type, name, ns);
        return [200, doGet(type, ns, name)];
      case 'PUT':
        authorize(ctx, 'update', type, name, ns);
        return doReplace(type, ns, name, raw, ctx, warnings);
      case 'PATCH': {
        authorize(ctx, 'patch', type, name, ns);
        const ct = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
        const accepted = [
          'application/json-patch+json',
          'application/merge-patch+json',
          'application/strategic-merge-patch+json',
          'application/apply-patch+yaml',
        ];
        if (!accepted.includes(ct)) throw errors.unsupportedMediaType(ct);
        return doPatch(type, ns, name, raw, ctx, ct);
      }
      case 'DELETE':
        authorize(ctx, 'delete', type, name, ns);
        return doDelete(type, ns, name, raw, ctx);
      default:
        throw errors.methodNotAllowed();
    }
  }

  function takeFault(method: string, p: string, token: string | undefined): FaultSpec | undefined {
    for (const f of faults) {
      if (f.left <= 0) continue;
      if (f.spec.token !== undefined && f.spec.token !== token) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== method) continue;
      if (f.spec.path !== undefined) {
        const hit = typeof f.spec.path === 'string' ? p.includes(f.spec.path) : f.spec.path.test(p);
        if (!hit) continue;
      }
      f.left -= 1;
      return f.spec;
    }
    return undefined;
  }

  let port = 0;
  const dir = await mkdtemp(path.join(tmpdir(), 'k8s-emu-'));
  let tlsFiles: { key: string; cert: string } | undefined;
  if (opts.tls) {
    tlsFiles = { key: path.join(dir, 'tls.key'), cert: path.join(dir, 'tls.crt') };
    await new Promise<void>((resolve, reject) => {
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
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
          '-keyout',
          (tlsFiles as { key: string }).key,
          '-out',
          (tlsFiles as { cert: string }).cert,
        ],
        (err) => (err ? reject(new Error(`kubernetes emulator: openssl failed: ${err.message}`)) : resolve()),
      );
    });
  }
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const method = (req.method ?? 'GET').toUpperCase();
        const contentType = req.headers['content-type'];
        const userAgent = req.headers['user-agent'] ?? '';
        let status = 500;
        let payload: unknown;
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        const warnings: string[] = [];
        await requestHold.pass();
        try {
          const auth = req.headers.authorization;
          let identity: TokenIdentity;
          let bearer: string | undefined;
          if (auth === undefined) identity = { user: 'system:anonymous', rules: [] };
          else {
            const m = /^Bearer (.+)$/.exec(auth);
            bearer = m?.[1];
            const found = bearer !== undefined ? tokens.get(bearer) : undefined;
            if (!found) throw errors.unauthorized();
            identity = found;
          }
          const fault = takeFault(method, url.pathname, bearer);
          if (fault) {
            if (fault.status === 429) throw errors.tooManyRequests(fault.retryAfterSeconds ?? 1);
            if (fault.status === 503) throw errors.unavailable(fault.message);
            if (fault.status === 504) throw errors.timeout();
            if (fault.status === 500) throw errors.internal(fault.message);
            throw new StatusError(fault.status, {
              message: fault.message ?? `injected fault ${fault.status}`,
              reason: 'InternalError',
            });
          }
          const doc = method === 'GET' ? discovery(url.pathname, port) : undefined;
          if (doc) {
            status = 200;
            payload = doc;
          } else if (method === 'GET' && url.pathname.startsWith('/openapi/')) {
            throw errors.routeNotFound();
          } else {
            const ctx: Ctx = {
              user: identity.user,
              rules: identity.rules,
              query: url.searchParams,
              userAgent,
            };
            [status, payload] = route(method, url.pathname, raw, ctx, contentType ?? '', warnings);
          }
        } catch (e) {
          if (e instanceof StatusError) {
            status = e.code;
            payload = e.body;
            Object.assign(headers, e.headers);
          } else {
            const err = errors.internal(`emulator bug: ${(e as Error).message}`);
            status = 500;
            payload = err.body;
          }
        }
        if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - "${w}"`).join(', ');
        const query: Record<string, string> = {};
        for (const [k, v] of url.searchParams) query[k] = v;
        requests.push({ method, path: url.pathname, query, contentType, userAgent, body: raw, status });
        const text = JSON.stringify(payload);
        res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      })();
    });
  };
  const server = tlsFiles
    ? https.createServer({ key: await readFile(tlsFiles.key), cert: await readFile(tlsFiles.cert) }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const url = `${tlsFiles ? 'https' : 'http'}://127.0.0.1:${port}`;
  const caData = tlsFiles ? (await readFile(tlsFiles.cert)).toString('base64') : undefined;

  async function writeKubeconfig(
    token: string,
    namespace = opts.contextNamespace ?? 'default',
  ): Promise<string> {
    const file = path.join(dir, `kubeconfig-${randomBytes(4).toString('hex')}.yaml`);
    const text = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: emulator',
      '  cluster:',
      `    server: ${url}`,
      // client-node 1.x refuses plain http unless skip-TLS-verify is set (nothing to verify).
      ...(caData ? [`    certificate-authority-data: ${caData}`] : ['    insecure-skip-tls-verify: true']),
      'users:',
      '- name: emulator-user',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: emulator',
      '  context:',
      '    cluster: emulator',
      '    user: emulator-user',
      `    namespace: ${namespace}`,
      'current-context: emulator',
      '',
    ].join('\n');
    await writeFile(file, text, { mode: 0o600 });
    return file;
  }
  const kubeconfigPath = await writeKubeconfig(adminToken);

  const control: EmulatorControl = {
    addNamespace(name) {
      if (!namespaces.has(name)) namespaces.set(name, { uid: randomUUID(), created: secondPrecision(now()) });
    },
    deleteNamespace(name) {
      namespaces.delete(name);
    },
    setToken(token, identity) {
      tokens.set(token, identity);
    },
    get(resource, namespace, name) {
      const type = TYPES_BY_RESOURCE[resource];
      const s = store.get(keyOf(type, namespace, name));
      return s ? render(type, s) : undefined;
    },
    externalWrite(resource, namespace, name, mutate, manager = 'kubectl-edit') {
      const type = TYPES_BY_RESOURCE[resource];
      const old = store.get(keyOf(type, namespace, name));
      const obj: JsonObject = old ? clone(old.obj) : { metadata: { name, namespace } };
      mutate(obj);
      type.normalize(obj);
      const managers = updateOwnership(old?.managers ?? [], old?.obj, obj, manager, type.apiVersion);
      return persist(type, namespace, name, obj, old, managers, false)[1];
    },
    beforeNextWrite(resource, namespace, name, fn) {
      const k = keyOf(TYPES_BY_RESOURCE[resource], namespace, name);
      const list = hooks.get(k) ?? [];
      list.push(fn);
      hooks.set(k, list);
    },
    remove(resource, namespace, name) {
      if (store.delete(keyOf(TYPES_BY_RESOURCE[resource], namespace, name))) rvCounter += 1;
    },
    addFault(fault) {
      faults.push({ spec: fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    hold: () => requestHold.hold(),
    get held() {
      return requestHold.held;
    },
    requests,
    events,
    resourceVersion: () => rvCounter,
  };

  return {
    url,
    token: adminToken,
    ...(tlsFiles ? { caPath: tlsFiles.cert } : {}),
    kubeconfigPath,
    writeKubeconfig,
    control,
    async close() {
      requestHold.releaseAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
