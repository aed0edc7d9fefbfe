/**
 * KV secrets engine for the Vault emulator: version 2 (versions, check-and-set, metadata,
 * delete/undelete/destroy, list, config, subkeys) and version 1 (plain keys), with the exact
 * envelopes, status codes and error texts of docs/design/vault.md §3.
 */
import { randomUUID } from 'node:crypto';
import {
  fail,
  goDuration,
  noContent,
  notFound,
  ok,
  parseVaultDuration,
  type Reply,
  rfc3339Nano,
} from './format.js';

export type KvOperation = 'read' | 'list' | 'write' | 'patch' | 'delete';

export interface KvRequest {
  readonly op: KvOperation;
  /** Path inside the mount, without leading slash; list paths end with `/`. */
  readonly rest: string;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
  /** Milliseconds since epoch (emulator clock). */
  readonly now: number;
}

interface Version {
  createdTime: number;
  deletionTime: number | null;
  destroyed: boolean;
  data: Record<string, unknown> | null;
}

interface KeyEntry {
  createdTime: number;
  updatedTime: number;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
  versions: Map<number, Version>;
}

export interface KvConfig {
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
}

const ROOT_WARNING = 'Non-listing operations on the root of a K/V v2 mount are not supported.';
export const UPGRADING_MESSAGE =
  'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.';
const DEFAULT_MAX_VERSIONS = 10;

function v1PathWarning(op: KvOperation): string {
  const verb = op === 'read' ? 'get' : op === 'write' ? 'put' : op;
  return `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${verb}' for this operation.`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Weak decoding of an integer parameter like Go's mapstructure: `3` and `"3"` both work. */
function weakInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

function versionList(body: Record<string, unknown>): number[] | undefined {
  const raw = body.versions;
  if (raw === undefined || raw === null) return undefined;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
  const out = list.map(weakInt).filter((n): n is number => n !== undefined);
  return out.length > 0 ? out : undefined;
}

/** Apply a JSON merge patch (RFC 7386). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const PRINTABLE = /^[\x20-\x7e\u00a0-\uffff]*$/;

function validateCustomMetadata(raw: unknown): { value?: Record<string, string>; errors?: string[] } {
  if (!isPlainObject(raw)) return { errors: ['custom_metadata must be a map'] };
  const errors: string[] = [];
  const keys = Object.keys(raw);
  if (keys.length > 64) errors.push(`payload must contain at most 64 keys, provided ${keys.length}`);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = raw[k];
    const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    const kb = Buffer.byteLength(k);
    const vb = Buffer.byteLength(s);
    if (kb === 0) errors.push('length of key "" is 0');
    if (kb > 128) errors.push(`length of key "${k}" is ${kb} but must be 128 or less`);
    if (!PRINTABLE.test(k)) errors.push(`key "${k}" (${JSON.stringify(k)}) contains unprintable characters`);
    if (vb === 0) errors.push(`length of value for key "${k}" is 0`);
    if (vb > 512) errors.push(`length of value for key "${k}" is ${vb} but must be 512 or less`);
    if (!PRINTABLE.test(s)) errors.push(`value for key "${k}" contains unprintable characters`);
    out[k] = s;
  }
  if (errors.length > 0) return { errors };
  return { value: out };
}

function multiError(prefix: string, errors: string[]): string {
  const n = errors.length;
  return `${prefix}: ${n} error${n === 1 ? '' : 's'} occurred:\n${errors.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

export class KvMount {
  readonly path: string;
  readonly version: 1 | 2;
  readonly accessor = `kv_${randomUUID().slice(0, 8)}`;
  readonly uuid = randomUUID();
  readonly config: KvConfig;
  /** Set by the emulator control: answer every request with the "upgrading" 400. */
  upgrading = false;
  readonly #v2 = new Map<string, KeyEntry>();
  readonly #v1 = new Map<string, Record<string, unknown>>();

  constructor(path: string, version: 1 | 2, config: Partial<KvConfig> = {}) {
    this.path = path;
    this.version = version;
    this.config = {
      maxVersions: config.maxVersions ?? 0,
      casRequired: config.casRequired ?? false,
      deleteVersionAfter: config.deleteVersionAfter ?? 0,
    };
  }

  /**
   * Which ACL capability a request needs and on which mount-relative path (existence check:
   * `create` for a new key, `update` for an existing one).
   */
  requiredCapability(
    req: Pick<KvRequest, 'op' | 'rest'>,
  ): 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' {
    if (req.op === 'read') return 'read';
    if (req.op === 'list') return 'list';
    if (req.op === 'delete') return 'delete';
    if (req.op === 'patch') return 'patch';
    if (this.version === 1) return this.#v1.has(req.rest) ? 'update' : 'create';
    const [kind, ...restParts] = req.rest.split('/');
    const key = restParts.join('/');
    if (kind === 'data' || kind === 'metadata') return this.#v2.has(key) ? 'update' : 'create';
    if (kind === 'config') return 'update';
    return 'update';
  }

  handle(req: KvRequest): Reply {
    return this.version === 1 ? this.#handleV1(req) : this.#handleV2(req);
  }

  // ---------------------------------------------------------------- KV v1

  #handleV1(req: KvRequest): Reply {
    const key = req.rest;
    switch (req.op) {
      case 'read': {
        const v = this.#v1.get(key);
        return v ? ok({ data: v, mountType: 'kv', leaseDuration: 2764800 }) : notFound();
      }
      case 'write':
        // v1 stores the body verbatim: a v2-shaped write lands as a key named `data/…` (silent success).
        this.#v1.set(key, { ...req.body });
        return noContent();
      case 'delete':
        this.#v1.delete(key);
        return noContent();
      case 'list': {
        const keys = listChildren([...this.#v1.keys()], key);
        return keys.length ? ok({ data: { keys }, mountType: 'kv' }) : notFound();
      }
      case 'patch':
        return fail(405, 'unsupported operation');
    }
  }

  // ---------------------------------------------------------------- KV v2

  #handleV2(req: KvRequest): Reply {
    if (this.upgrading) return fail(400, UPGRADING_MESSAGE);
    const slash = req.rest.indexOf('/');
    const kind = slash < 0 ? req.rest : req.rest.slice(0, slash);
    const key = slash < 0 ? '' : req.rest.slice(slash + 1);
    switch (kind) {
      case 'config':
        return slash < 0 ? this.#config(req) : notFound();
      case 'data':
      case 'metadata':
      case 'delete':
      case 'undelete':
      case 'destroy':
      case 'subkeys':
        break;
      default:
        return { status: 404, body: envelopeWarn(v1PathWarning(req.op)) };
    }
    if (kind === 'metadata' && req.op === 'list') return this.#list(key);
    if (key === '' || key === '/') return { status: 404, body: envelopeWarn(ROOT_WARNING) };
    switch (kind) {
      case 'data':
        if (key.endsWith('/'))
          return fail(404, `no handler for route "${this.path}/${req.rest}". route entry not found.`);
        if (req.op === 'read') return this.#readData(key, req);
        if (req.op === 'write') return this.#writeData(key, req);
        if (req.op === 'patch') return this.#patchData(key, req);
        if (req.op === 'delete') return this.#softDeleteLatest(key, req.now);
        return fail(405, 'unsupported operation');
      case 'metadata':
        if (req.op === 'read') return this.#readMetadata(key);
        if (req.op === 'write') return this.#writeMetadata(key, req, false);
        if (req.op === 'patch') return this.#writeMetadata(key, req, true);
        if (req.op === 'delete') {
          this.#v2.delete(key);
          return noContent();
        }
        return fail(405, 'unsupported operation');
      case 'subkeys':
        if (req.op !== 'read') return fail(405, 'unsupported operation');
        return this.#subkeys(key, req);
      default:
        if (req.op !== 'write') return fail(405, 'unsupported operation');
        return this.#versionOp(kind, key, req);
    }
  }

  #effectiveMax(e: KeyEntry): number {
    const m = Math.max(e.maxVersions, this.config.maxVersions);
    return m === 0 ? DEFAULT_MAX_VERSIONS : m;
  }

  #versionMeta(e: KeyEntry, n: number, v: Version): Record<string, unknown> {
    return {
      created_time: rfc3339Nano(v.createdTime),
      custom_metadata: e.customMetadata,
      deletion_time: v.deletionTime === null ? '' : rfc3339Nano(v.deletionTime),
      destroyed: v.destroyed,
      version: n,
    };
  }

  #readData(key: string, req: KvRequest): Reply {
    const e = this.#v2.get(key);
    if (!e) return notFound();
    const qv = req.query.get('version');
    let n = e.currentVersion;
    if (qv !== null && qv !== '') {
      const parsed = weakInt(qv);
      if (parsed === undefined) return fail(400, 'error parsing version parameter');
      if (parsed !== 0) n = parsed;
    }
    const v = e.versions.get(n);
    if (!v) return notFound();
    const meta = this.#versionMeta(e, n, v);
    const deleted = v.deletionTime !== null && v.deletionTime <= req.now;
    if (v.destroyed || deleted || v.data === null) {
      return { status: 404, body: rawEnvelope({ data: null, metadata: meta }) };
    }
    return ok({ data: { data: v.data, metadata: meta }, mountType: 'kv' });
  }

  #checkCas(e: KeyEntry | undefined, options: unknown): Reply | undefined {
    const opts = isPlainObject(options) ? options : {};
    const current = e?.currentVersion ?? 0;
    if (opts.cas !== undefined && opts.cas !== null) {
      const cas = weakInt(opts.cas);
      if (cas === undefined) return fail(400, 'error parsing check-and-set parameter');
      if (cas !== current) return fail(400, 'check-and-set parameter did not match the current version');
      return undefined;
    }
    if (this.config.casRequired || e?.casRequired)
      return fail(400, 'check-and-set parameter required for this call');
    return undefined;
  }

  #newEntry(now: number): KeyEntry {
    return {
      createdTime: now,
      updatedTime: now,
      currentVersion: 0,
      oldestVersion: 0,
      maxVersions: 0,
      casRequired: false,
      deleteVersionAfter: 0,
      customMetadata: null,
      versions: new Map(),
    };
  }

  #addVersion(key: string, e: KeyEntry, data: Record<string, unknown>, now: number): Reply {
    const n = e.currentVersion + 1;
    const dva = e.deleteVersionAfter || this.config.deleteVersionAfter;
    const v: Version = {
      createdTime: now,
      deletionTime: dva > 0 ? now + dva * 1000 : null,
      destroyed: false,
      data,
    };
    e.versions.set(n, v);
    e.currentVersion = n;
    e.updatedTime = now;
    // Trim versions beyond the effective max_versions and advance oldest_version.
    const max = this.#effectiveMax(e);
    const keepFrom = n - max + 1;
    if (keepFrom > 1) {
      for (const old of [...e.versions.keys()]) if (old < keepFrom) e.versions.delete(old);
      e.oldestVersion = Math.max(e.oldestVersion, keepFrom);
    }
    this.#v2.set(key, e);
    return ok({ data: this.#versionMeta(e, n, v), mountType: 'kv' });
  }

  #writeData(key: string, req: KvRequest): Reply {
    const data = req.body.data;
    if (data === undefined || data === null) return fail(400, 'no data provided');
    if (!isPlainObject(data)) return fail(400, 'no data provided');
    const e = this.#v2.get(key);
    const casErr = this.#checkCas(e, req.body.options);
    if (casErr) return casErr;
    return this.#addVersion(key, e ?? this.#newEntry(req.now), structuredClone(data), req.now);
  }

  #patchData(key: string, req: KvRequest): Reply {
    const e = this.#v2.get(key);
    if (!e || e.currentVersion === 0) return { status: 404, emptyJson: true };
    const casErr = this.#checkCas(e, req.body.options);
    if (casErr) return casErr;
    const cur = e.versions.get(e.currentVersion);
    if (
      !cur ||
      cur.destroyed ||
      cur.data === null ||
      (cur.deletionTime !== null && cur.deletionTime <= req.now)
    ) {
      const meta = cur ? this.#versionMeta(e, e.currentVersion, cur) : null;
      return { status: 404, body: rawEnvelope(meta) };
    }
    if (req.body.data === undefined || req.body.data === null) return fail(400, 'no data provided');
    const merged = mergePatch(cur.data, req.body.data);
    return this.#addVersion(key, e, isPlainObject(merged) ? merged : {}, req.now);
  }

  #softDeleteLatest(key: string, now: number): Reply {
    const e = this.#v2.get(key);
    const v = e?.versions.get(e.currentVersion);
    if (v && !v.destroyed && (v.deletionTime === null || v.deletionTime > now)) {
      v.deletionTime = now;
      e!.updatedTime = now;
    }
    return noContent();
  }

  #versionOp(kind: string, key: string, req: KvRequest): Reply {
    const versions = versionList(req.body);
    if (!versions)
      return fail(400, kind === 'destroy' ? 'no version number provided' : 'No version number provided');
    const e = this.#v2.get(key);
    if (!e) return noContent();
    for (const n of versions) {
      const v = e.versions.get(n);
      if (!v) continue;
      if (kind === 'delete') {
        if (!v.destroyed && (v.deletionTime === null || v.deletionTime > req.now)) v.deletionTime = req.now;
      } else if (kind === 'undelete') {
        if (v.destroyed) continue;
        const dva = e.deleteVersionAfter || this.config.deleteVersionAfter;
        v.deletionTime = dva > 0 ? req.now + dva * 1000 : null;
      } else {
        v.destroyed = true;
        v.data = null;
      }
    }
    e.updatedTime = req.now;
    return noContent();
  }

  #readMetadata(key: string): Reply {
    const e = this.#v2.get(key);
    if (!e) return notFound();
    const versions: Record<string, unknown> = {};
    for (const [n, v] of [...e.versions.entries()].sort((a, b) => a[0] - b[0])) {
      versions[String(n)] = {
        created_time: rfc3339Nano(v.createdTime),
        deletion_time: v.deletionTime === null ? '' : rfc3339Nano(v.deletionTime),
        destroyed: v.destroyed,
      };
    }
    return ok({
      data: {
        cas_required: e.casRequired,
        created_time: rfc3339Nano(e.createdTime),
        current_version: e.currentVersion,
        custom_metadata: e.customMetadata,
        delete_version_after: goDuration(e.deleteVersionAfter),
        max_versions: e.maxVersions,
        oldest_version: e.oldestVersion,
        updated_time: rfc3339Nano(e.updatedTime),
        versions,
      },
      mountType: 'kv',
    });
  }

  #writeMetadata(key: string, req: KvRequest, patch: boolean): Reply {
    const existing = this.#v2.get(key);
    if (patch && !existing) return { status: 404, emptyJson: true };
    const body = req.body;
    const warnings: string[] = [];
    // Validate everything before changing anything.
    let maxVersions: number | undefined;
    if (body.max_versions !== undefined && body.max_versions !== null) {
      maxVersions = weakInt(body.max_versions);
      if (maxVersions === undefined || maxVersions < 0)
        return fail(400, 'max_versions must be a non-negative integer');
    }
    let dva: number | undefined;
    if (body.delete_version_after !== undefined && body.delete_version_after !== null) {
      dva = parseVaultDuration(body.delete_version_after);
      if (dva === undefined) return fail(400, 'error parsing delete_version_after');
    }
    let custom: Record<string, string> | null | undefined;
    if (body.custom_metadata !== undefined) {
      const base = patch && existing ? (existing.customMetadata ?? {}) : {};
      const candidate = patch ? mergePatch(base, body.custom_metadata) : body.custom_metadata;
      if (candidate === null) custom = null;
      else {
        const res = validateCustomMetadata(candidate);
        if (res.errors) return fail(400, multiError('custom_metadata validation failed', res.errors));
        custom = res.value && Object.keys(res.value).length > 0 ? res.value : null;
      }
    }
    let cas: boolean | undefined;
    if (body.cas_required !== undefined && body.cas_required !== null) {
      cas = body.cas_required === true || body.cas_required === 'true';
      if (!cas && this.config.casRequired) {
        warnings.push(
          '"cas_required" set to false, but is mandated by backend config. This value will be ignored.',
        );
      }
    }
    const e = existing ?? this.#newEntry(req.now);
    if (maxVersions !== undefined) e.maxVersions = maxVersions;
    if (dva !== undefined) e.deleteVersionAfter = dva;
    if (custom !== undefined) e.customMetadata = custom;
    if (cas !== undefined) e.casRequired = cas;
    e.updatedTime = req.now;
    this.#v2.set(key, e);
    return warnings.length ? ok({ warnings, mountType: 'kv' }) : noContent();
  }

  #list(folder: string): Reply {
    if (folder !== '' && !folder.endsWith('/')) folder = `${folder}/`;
    const keys = listChildren([...this.#v2.keys()], folder === '/' ? '' : folder);
    return keys.length ? ok({ data: { keys }, mountType: 'kv' }) : notFound();
  }

  #subkeys(key: string, req: KvRequest): Reply {
    const r = this.#readData(key, req);
    if (r.status !== 200) return r;
    const d = (r.body as { data: { data: Record<string, unknown>; metadata: unknown } }).data;
    const strip = (v: unknown): unknown =>
      isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)])) : null;
    return ok({ data: { subkeys: strip(d.data), metadata: d.metadata }, mountType: 'kv' });
  }

  #config(req: KvRequest): Reply {
    if (req.op === 'read') {
      return ok({
        data: {
          cas_required: this.config.casRequired,
          delete_version_after: goDuration(this.config.deleteVersionAfter),
          max_versions: this.config.maxVersions,
        },
        mountType: 'kv',
      });
    }
    if (req.op !== 'write') return fail(405, 'unsupported operation');
    const b = req.body;
    if (b.max_versions !== undefined)
      this.config.maxVersions = weakInt(b.max_versions) ?? this.config.maxVersions;
    if (b.cas_required !== undefined)
      this.config.casRequired = b.cas_required === true || b.cas_required === 'true';
    if (b.delete_version_after !== undefined) {
      this.config.deleteVersionAfter =
        parseVaultDuration(b.delete_version_after) ?? this.config.deleteVersionAfter;
    }
    return noContent();
  }

  // ---------------------------------------------------------------- test inspection

  /** Number of versions currently retained for a key (undefined when the key does not exist). */
  retainedVersions(key: string): number[] | undefined {
    const e = this.#v2.get(key);
    return e ? [...e.versions.keys()].sort((a, b) => a - b) : undefined;
  }

  /** Raw v1 value (to show what a v2-shaped write did to a v1 mount). */
  v1Value(key: string): Record<string, unknown> | undefined {
    return this.#v1.get(key);
  }
}

function envelopeWarn(warning: string): Record<string, unknown> {
  return { ...rawEnvelope(null), warnings: [warning] };
}

/** Raw-response envelope (RespondWithStatusCode): success shape, `mount_type` empty. */
function rawEnvelope(data: unknown): Record<string, unknown> {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data,
    wrap_info: null,
    warnings: null,
    auth: null,
    mount_type: '',
  };
}

/** Immediate children of `folder` among `keys`, sorted; sub-folders suffixed `/`. */
export function listChildren(keys: readonly string[], folder: string): string[] {
  const out = new Set<string>();
  for (const k of keys) {
    if (!k.startsWith(folder)) continue;
    const rest = k.slice(folder.length);
    if (rest === '') continue;
    const i = rest.indexOf('/');
    out.add(i < 0 ? rest : rest.slice(0, i + 1));
  }
  return [...out].sort();
}
