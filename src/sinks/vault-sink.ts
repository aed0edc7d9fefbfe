/**
 * HashiCorp Vault KV version 2 secret sink.
 *
 * Layout of one record at `<mount>/data/<pathPrefix>/<location.path>`:
 *
 *   data (the secret version, readable by consumers, e.g. `vault kv get` or Vault Agent templates):
 *     SCW_ACCESS_KEY               the API key's access key
 *     SCW_SECRET_KEY               the one-time secret key
 *     SCW_DEFAULT_ORGANIZATION_ID  when known
 *     SCW_DEFAULT_PROJECT_ID       when known
 *   custom_metadata (per key, not per version; strings only; never secret):
 *     managedBy=scw-gitops, keyName, accessKey, expiresAt (ISO, or `never`), revision, deliveredAt,
 *     previousAccessKey, organizationId, defaultProjectId, instance, rotation.
 *     Other custom_metadata entries set by people are preserved.
 *
 * Every write creates a new version with check-and-set (`options.cas` = the version read just
 * before, 0 when creating), so two writers never clobber each other: on a mismatch the record is
 * re-read, and if it already holds this access key and secret the write counts as done
 * (idempotent), otherwise the write fails and says another writer changed it. A secret at the path
 * that scw-gitops did not write is never overwritten. Versions are kept
 * (the mount's/key's `max_versions` is respected, never forced to 1), so during a rotation overlap
 * consumers can still read version N-1 with the previous key.
 *
 * The mount must be KV v2: detected with `GET sys/internal/ui/mounts/<mount>`; a KV v1 mount or a
 * missing mount is refused with a clear error before anything is written (a v2-shaped write on a
 * v1 mount would silently store garbage). `preflight` checks the token, the mount and the token's
 * capabilities on the data and metadata paths (`sys/capabilities-self`) without writing.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { VaultSinkSettings } from '../config/settings.js';
import { SinkError } from '../errors.js';
import { Secret } from '../model/secret.js';
import {
  type ListedRecord,
  type RecordOwner,
  type RemoveOutcome,
  removalCheck,
  type SecretMetadata,
  type SecretRecord,
  type SecretSink,
  type SinkListing,
  type SinkLocation,
  type StoredRecord,
} from './sink.js';
import { type RetryPolicy, VaultClient } from './vault/client.js';
import { type KvReadResult, KvV2 } from './vault/kv2.js';
import { TokenManager } from './vault/token-manager.js';
import { createNodeTransport, type Transport } from './vault/transport.js';
import { isPermissionDenied } from './vault/vault-error.js';

export interface VaultSinkDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => Promise<string>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Per-request retry policy (default: 3 retries, 250 ms .. 5 s backoff). */
  readonly retry?: RetryPolicy;
  /** HTTP transport (default node:http/https with `caFile`). */
  readonly transport?: Transport;
}

/** Data keys of the secret version. */
export const VAULT_DATA_KEYS = {
  accessKey: 'SCW_ACCESS_KEY',
  secretKey: 'SCW_SECRET_KEY',
  organizationId: 'SCW_DEFAULT_ORGANIZATION_ID',
  defaultProjectId: 'SCW_DEFAULT_PROJECT_ID',
} as const;

const MANAGED_BY = 'scw-gitops';
const NEVER = 'never';
/** custom_metadata keys written by this sink (other keys are preserved). */
const OWN_METADATA_KEYS = [
  'managedBy',
  'keyName',
  'accessKey',
  'expiresAt',
  'revision',
  'deliveredAt',
  'previousAccessKey',
  'organizationId',
  'defaultProjectId',
  'instance',
  'rotation',
] as const;

/** Bounds of `list`: folder levels below the prefix, and keys visited. */
const MAX_LIST_DEPTH = 8;
const MAX_LIST_ENTRIES = 20_000;

const DATA_CAPABILITIES = ['create', 'update', 'read'] as const;
const METADATA_CAPABILITIES = ['update'] as const;

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

export function createVaultSink(settings: VaultSinkSettings, deps: VaultSinkDeps): SecretSink {
  return new VaultSink(settings, deps);
}

class VaultSink implements SecretSink {
  readonly name: string;
  readonly type = 'vault';
  readonly #settings: VaultSinkSettings;
  readonly #deps: VaultSinkDeps;
  readonly #readFile: (path: string) => Promise<string>;
  readonly #clock: Clock;
  #kv: Promise<KvV2> | undefined;
  #transport: Transport | undefined;
  /** Set once the mount was confirmed to be KV v2. */
  #mountChecked = false;

  constructor(settings: VaultSinkSettings, deps: VaultSinkDeps) {
    this.name = settings.name;
    this.#settings = settings;
    this.#deps = deps;
    this.#readFile = deps.readFile ?? ((p) => fsReadFile(p, 'utf8'));
    this.#clock = deps.clock ?? systemClock;
  }

  describe(location: SinkLocation): string {
    const ns = this.#settings.namespace ? `${trimSlashes(this.#settings.namespace)}/` : '';
    let key: string;
    try {
      key = this.#key(location);
    } catch {
      key = location.path ?? '?';
    }
    return `vault:${ns}${trimSlashes(this.#settings.mount)}/data/${key}`;
  }

  async preflight(location: SinkLocation, signal?: AbortSignal): Promise<void> {
    await this.#guard(location, signal, async (kv) => {
      const key = this.#key(location);
      this.#mountChecked = false;
      await this.#checkMount(kv, signal);
      const dataPath = kv.dataPath(key);
      const metaPath = kv.metadataPath(key);
      const caps = await kv.capabilities([dataPath, metaPath], signal);
      const missing: string[] = [];
      const check = (path: string, need: readonly string[]) => {
        const have = caps[path] ?? [];
        if (have.includes('root')) return;
        const lacking = need.filter((c) => !have.includes(c) || have.includes('deny'));
        if (lacking.length > 0)
          missing.push(`${path} needs ${need.join(', ')} (has ${have.join(', ') || 'none'})`);
      };
      check(dataPath, DATA_CAPABILITIES);
      check(metaPath, METADATA_CAPABILITIES);
      if (missing.length > 0) {
        throw new SinkError(
          this.name,
          `the Vault token's policies do not allow writing here: ${missing.join('; ')}`,
        );
      }
    });
  }

  async read(location: SinkLocation, signal?: AbortSignal): Promise<StoredRecord | undefined> {
    return this.#guard(location, signal, async (kv) => {
      await this.#ensureMount(kv, signal);
      const cur = await kv.read(this.#key(location), signal);
      return cur.kind === 'present' ? toStoredRecord(cur) : undefined;
    });
  }

  /**
   * Every record under the sink's `pathPrefix`: folders are listed recursively (`list` on the
   * metadata path), each key is read like `read` does and kept when scw-gitops wrote it. A denied
   * or failing sub-folder or key goes to `incomplete`; a denied prefix rejects. Bounded by
   * `MAX_LIST_DEPTH` levels and `MAX_LIST_ENTRIES` keys.
   */
  async list(signal?: AbortSignal): Promise<SinkListing> {
    const prefix = trimSlashes(this.#settings.pathPrefix ?? '');
    const scope: SinkLocation = { sink: this.name, path: '' };
    return this.#guard(scope, signal, async (kv) => {
      await this.#ensureMount(kv, signal);
      const records: ListedRecord[] = [];
      const incomplete: string[] = [];
      let visited = 0;
      const join = (a: string, b: string) => (a === '' ? b : `${a}/${b}`);
      const where = (rel: string) => `${kv.mount}/metadata/${join(prefix, rel)}`;
      const walk = async (rel: string, depth: number): Promise<void> => {
        let keys: string[];
        try {
          keys = await kv.list(join(prefix, rel), signal);
        } catch (err) {
          if (rel === '' || signal?.aborted) throw err;
          incomplete.push(`${where(rel)}/: cannot be listed (${(err as Error).message})`);
          return;
        }
        for (const key of keys) {
          if (++visited > MAX_LIST_ENTRIES) {
            incomplete.push(
              `stopped after ${MAX_LIST_ENTRIES} keys; the rest of the prefix was not searched`,
            );
            return;
          }
          const child = join(rel, key.replace(/\/$/, ''));
          if (key.endsWith('/')) {
            if (depth >= MAX_LIST_DEPTH)
              incomplete.push(`${where(child)}/: deeper than ${MAX_LIST_DEPTH} levels, not searched`);
            else await walk(child, depth + 1);
          } else {
            try {
              const cur = await kv.read(join(prefix, child), signal);
              if (cur.kind === 'present' && isOurs(cur)) {
                const { secretKey: _secret, ...stored } = toStoredRecord(cur);
                records.push({ location: { sink: this.name, path: child }, ...stored });
              }
            } catch (err) {
              if (signal?.aborted) throw err;
              incomplete.push(`${where(child)}: cannot be read (${(err as Error).message})`);
            }
          }
          if (visited > MAX_LIST_ENTRIES) return;
        }
      };
      await walk('', 0);
      records.sort((a, b) => (a.location.path! < b.location.path! ? -1 : 1));
      return { records, incomplete };
    });
  }

  async verify(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<boolean> {
    const got = await this.read(location, signal);
    return got !== undefined && holds(got, record);
  }

  /**
   * Read the key, and delete it with all its versions and metadata when the record is `owner`'s
   * (sink.ts, `remove`). Vault has no conditional delete: the read comes just before.
   */
  async remove(location: SinkLocation, owner: RecordOwner, signal?: AbortSignal): Promise<RemoveOutcome> {
    return this.#guard(location, signal, async (kv) => {
      await this.#ensureMount(kv, signal);
      const key = this.#key(location);
      const cur = await kv.read(key, signal);
      if (cur.kind !== 'present') return 'absent';
      if (!isOurs(cur)) return 'not-ours';
      const stored = toStoredRecord(cur);
      stored.secretKey?.release();
      const refused = removalCheck(stored, owner);
      if (refused) return refused;
      await kv.deleteAll(key, signal);
      this.#deps.logger?.info(
        { sinkLocation: this.describe(location), accessKey: owner.accessKey },
        'secret record removed',
      );
      return 'removed';
    });
  }

  async write(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<void> {
    await this.#guard(location, signal, async (kv) => {
      await this.#ensureMount(kv, signal);
      const key = this.#key(location);
      const cur = await kv.read(key, signal);
      if (cur.kind === 'present') {
        const stored = toStoredRecord(cur);
        if (holds(stored, record)) {
          // Already delivered (a retry or a second pass): only make sure the metadata is complete.
          const prev = record.metadata.previousAccessKey ?? stored.metadata.previousAccessKey;
          await this.#writeMetadata(kv, key, record, cur, prev, signal);
          return;
        }
        if (!isOurs(cur)) {
          // Never replace a secret scw-gitops did not write (ownership rule): say so instead.
          throw new SinkError(
            this.name,
            `${this.describe(location)} holds a secret not written by scw-gitops (no ${VAULT_DATA_KEYS.accessKey} ` +
              `and no managedBy=${MANAGED_BY} metadata); refusing to overwrite it — choose another path`,
          );
        }
      }
      const previous =
        record.metadata.previousAccessKey ??
        (cur.kind === 'present' ? storedAccessKey(cur) || undefined : undefined) ??
        undefined;
      const cas = cur.kind === 'absent' ? 0 : cur.version;
      const res = await kv.write(key, this.#data(record), cas, signal);
      if (!res.ok) {
        const again = await kv.read(key, signal);
        if (again.kind === 'present' && holds(toStoredRecord(again), record)) {
          // Our earlier attempt landed (ambiguous write) or another replica wrote the same key.
          await this.#writeMetadata(kv, key, record, again, previous, signal);
          return;
        }
        const now = again.kind === 'absent' ? 'deleted' : `version ${again.version}`;
        throw new SinkError(
          this.name,
          `${this.describe(location)}: another writer changed the secret while this one was writing ` +
            `(expected version ${cas}, found ${now}); not overwritten — the next reconcile re-reads it`,
        );
      }
      this.#deps.logger?.info(
        {
          sink: this.name,
          location: this.describe(location),
          version: res.version,
          accessKey: record.accessKey,
        },
        'secret written to vault',
      );
      await this.#writeMetadata(kv, key, record, cur, previous, signal);
    });
  }

  /** Revoke a login-obtained token (best effort) and release connections. */
  async close(): Promise<void> {
    const kv = this.#kv;
    this.#kv = undefined;
    this.#mountChecked = false;
    if (kv) {
      try {
        await (await kv).revokeToken();
      } catch {
        // never created (configuration error): nothing to revoke
      }
    }
    this.#transport?.close();
    this.#transport = undefined;
  }

  // ------------------------------------------------------------------ internals

  #key(location: SinkLocation): string {
    const rel = location.path;
    if (rel === undefined || trimSlashes(rel) === '') {
      throw new SinkError(this.name, 'no Vault path for this key (set sinkRef.path or the sink pathPrefix)');
    }
    const full = [trimSlashes(this.#settings.pathPrefix ?? ''), trimSlashes(rel)]
      .filter((s) => s !== '')
      .join('/');
    for (const seg of full.split('/')) {
      if (seg === '' || seg === '.' || seg === '..') {
        throw new SinkError(this.name, `invalid Vault path "${full}": empty, "." or ".." segment`);
      }
    }
    return full;
  }

  #data(record: SecretRecord): Record<string, string> {
    const data: Record<string, string> = {
      [VAULT_DATA_KEYS.accessKey]: record.accessKey,
      [VAULT_DATA_KEYS.secretKey]: record.secretKey.reveal(),
    };
    if (record.metadata.organizationId) data[VAULT_DATA_KEYS.organizationId] = record.metadata.organizationId;
    if (record.metadata.defaultProjectId)
      data[VAULT_DATA_KEYS.defaultProjectId] = record.metadata.defaultProjectId;
    return data;
  }

  async #writeMetadata(
    kv: KvV2,
    key: string,
    record: SecretRecord,
    cur: KvReadResult,
    previous: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const m = record.metadata;
    const custom: Record<string, string> = {};
    // Keep entries other people put there; ours are rewritten from scratch.
    if (cur.kind === 'present' && cur.customMetadata) {
      for (const [k, v] of Object.entries(cur.customMetadata)) {
        if (!(OWN_METADATA_KEYS as readonly string[]).includes(k)) custom[k] = v;
      }
    }
    const put = (k: (typeof OWN_METADATA_KEYS)[number], v: string | undefined | null) => {
      if (v !== undefined && v !== null && v !== '') custom[k] = v;
    };
    put('managedBy', MANAGED_BY);
    put('keyName', m.keyName);
    put('accessKey', record.accessKey);
    put('expiresAt', m.expiresAt ?? NEVER);
    put('revision', m.revision);
    put('deliveredAt', m.deliveredAt);
    put('previousAccessKey', previous !== record.accessKey ? previous : undefined);
    put('organizationId', m.organizationId);
    put('defaultProjectId', m.defaultProjectId);
    put('instance', m.instance);
    put('rotation', m.rotation);
    await kv.writeCustomMetadata(key, custom, signal);
  }

  async #getKv(): Promise<KvV2> {
    this.#kv ??= (async () => {
      let transport = this.#deps.transport;
      if (!transport) {
        let ca: string | undefined;
        if (this.#settings.caFile) {
          try {
            ca = await this.#readFile(this.#settings.caFile);
          } catch (err) {
            throw new SinkError(
              this.name,
              `cannot read caFile ${this.#settings.caFile}: ${(err as Error).message}`,
            );
          }
        }
        transport = createNodeTransport(ca === undefined ? {} : { ca });
        this.#transport = transport;
      }
      const client = new VaultClient({
        sink: this.name,
        address: this.#settings.address,
        timeoutMs: this.#settings.timeoutMs > 0 ? this.#settings.timeoutMs : 10_000,
        transport,
        clock: this.#clock,
        ...(this.#settings.namespace ? { namespace: this.#settings.namespace } : {}),
        ...(this.#deps.retry ? { retry: this.#deps.retry } : {}),
        ...(this.#deps.logger ? { logger: this.#deps.logger } : {}),
      });
      const tokens = new TokenManager(client, this.#settings.auth, {
        env: this.#deps.env,
        readFile: this.#readFile,
        clock: this.#clock,
        ...(this.#deps.logger ? { logger: this.#deps.logger } : {}),
      });
      return new KvV2(client, tokens, this.#settings.mount);
    })();
    try {
      return await this.#kv;
    } catch (err) {
      this.#kv = undefined;
      throw err;
    }
  }

  async #ensureMount(kv: KvV2, signal?: AbortSignal): Promise<void> {
    if (!this.#mountChecked) await this.#checkMount(kv, signal);
  }

  async #checkMount(kv: KvV2, signal?: AbortSignal): Promise<void> {
    let info: Awaited<ReturnType<KvV2['mountInfo']>>;
    try {
      info = await kv.mountInfo(signal);
    } catch (err) {
      if (isPermissionDenied(err)) {
        throw new SinkError(
          this.name,
          `Vault mount "${kv.mount}" does not exist, or the token's policies grant nothing under it ` +
            `(sys/internal/ui/mounts/${kv.mount} answered ${err.status})`,
          { cause: err },
        );
      }
      throw err;
    }
    const expected = `${kv.mount}/`;
    if (info.path !== '' && !info.path.endsWith(expected)) {
      throw new SinkError(
        this.name,
        `"${kv.mount}" is not a mount: it lies inside the mount "${info.path}". ` +
          `Set mount to "${trimSlashes(info.path)}" and put the rest in pathPrefix`,
      );
    }
    if (info.type !== '' && info.type !== 'kv' && info.type !== 'generic') {
      throw new SinkError(
        this.name,
        `Vault mount "${kv.mount}" is a ${info.type} engine, not a KV secrets engine`,
      );
    }
    if (info.version !== '2') {
      throw new SinkError(
        this.name,
        `Vault mount "${kv.mount}" is KV version ${info.version || '1'}; scw-gitops needs KV version 2 ` +
          `(versions and check-and-set). Upgrade it with \`vault kv enable-versioning ${kv.mount}\` ` +
          `or use a KV v2 mount`,
      );
    }
    this.#mountChecked = true;
  }

  /** Run an operation; turn every failure into a SinkError (abort reasons pass through). */
  async #guard<T>(
    location: SinkLocation,
    signal: AbortSignal | undefined,
    fn: (kv: KvV2) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw signal.reason;
    try {
      return await fn(await this.#getKv());
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (err instanceof SinkError) throw err;
      throw new SinkError(
        this.name,
        `${this.describe(location)}: ${(err as Error)?.message ?? String(err)}`,
        {
          cause: err,
        },
      );
    }
  }
}

function storedAccessKey(cur: Extract<KvReadResult, { kind: 'present' }>): string {
  const v = cur.data[VAULT_DATA_KEYS.accessKey];
  return typeof v === 'string' ? v : (cur.customMetadata?.accessKey ?? '');
}

/** Written by scw-gitops: our data layout or our ownership marker in custom_metadata. */
function isOurs(cur: Extract<KvReadResult, { kind: 'present' }>): boolean {
  return (
    typeof cur.data[VAULT_DATA_KEYS.accessKey] === 'string' || cur.customMetadata?.managedBy === MANAGED_BY
  );
}

function toStoredRecord(cur: Extract<KvReadResult, { kind: 'present' }>): StoredRecord {
  const c = cur.customMetadata ?? {};
  const accessKey = storedAccessKey(cur);
  const secret = cur.data[VAULT_DATA_KEYS.secretKey];
  const metadata: Partial<Record<keyof SecretMetadata, string | null>> = {};
  if (c.keyName) metadata.keyName = c.keyName;
  metadata.accessKey = c.accessKey ?? accessKey;
  if (c.expiresAt) metadata.expiresAt = c.expiresAt === NEVER ? null : c.expiresAt;
  if (c.revision) metadata.revision = c.revision;
  if (c.deliveredAt) metadata.deliveredAt = c.deliveredAt;
  if (c.previousAccessKey) metadata.previousAccessKey = c.previousAccessKey;
  const org = c.organizationId ?? cur.data[VAULT_DATA_KEYS.organizationId];
  if (typeof org === 'string' && org) metadata.organizationId = org;
  const proj = c.defaultProjectId ?? cur.data[VAULT_DATA_KEYS.defaultProjectId];
  if (typeof proj === 'string' && proj) metadata.defaultProjectId = proj;
  if (c.instance) metadata.instance = c.instance;
  if (c.rotation) metadata.rotation = c.rotation;
  return {
    accessKey,
    ...(typeof secret === 'string' && secret !== '' ? { secretKey: new Secret(secret) } : {}),
    metadata: metadata as Partial<SecretMetadata>,
    version: String(cur.version),
  };
}

function holds(stored: StoredRecord, record: SecretRecord): boolean {
  return (
    stored.accessKey === record.accessKey &&
    stored.secretKey !== undefined &&
    stored.secretKey.equals(record.secretKey)
  );
}
