/**
 * KV version 2 operations on one mount, authenticated through a TokenManager (docs/design/vault.md §3, §4).
 * Every authenticated call that gets 403 forgets the token, obtains a fresh one and retries once;
 * a second 403 is a policy denial.
 */
import type { Secret } from '../../model/secret.js';
import { type VaultClient, type VaultResponse, errorsOf } from './client.js';
import type { TokenManager } from './token-manager.js';
import { flattenVaultErrors, isPermissionDenied, VaultError } from './vault-error.js';

export const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

export type KvReadResult =
  | { readonly kind: 'absent' }
  /** The latest version is soft-deleted or destroyed (still counts for check-and-set). */
  | { readonly kind: 'deleted'; readonly version: number }
  | {
      readonly kind: 'present';
      readonly version: number;
      readonly data: Record<string, unknown>;
      readonly customMetadata: Record<string, string> | null;
    };

export interface MountInfo {
  readonly path: string;
  readonly type: string;
  /** `options.version` as Vault sends it (a string), `undefined` when absent (= KV v1). */
  readonly version: string | undefined;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** URI-encode each segment of a slash-separated path. */
export function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

export class KvV2 {
  readonly #client: VaultClient;
  readonly #tokens: TokenManager;
  readonly mount: string;

  constructor(client: VaultClient, tokens: TokenManager, mount: string) {
    this.#client = client;
    this.#tokens = tokens;
    this.mount = mount.replace(/^\/+|\/+$/g, '');
  }

  /** An authenticated request with one re-login on 403. */
  async call(
    method: string,
    path: string,
    opts: { body?: unknown; query?: Record<string, string>; accept?: number[]; signal?: AbortSignal } = {},
  ): Promise<VaultResponse> {
    const send = async () => {
      const token: Secret = await this.#tokens.token(opts.signal);
      return this.#client.request(method, {
        path,
        token: token.reveal(),
        ...(opts.body === undefined ? {} : { body: opts.body }),
        ...(opts.query ? { query: opts.query } : {}),
        ...(opts.accept ? { accept: opts.accept } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    };
    try {
      return await send();
    } catch (err) {
      if (!isPermissionDenied(err)) throw err;
      // 403 means an invalid/expired token or a policy denial: get a fresh token and try once more.
      this.#tokens.invalidate();
      try {
        return await send();
      } catch (again) {
        if (isPermissionDenied(again)) {
          throw new VaultError(
            this.#client.sink,
            `${again.message.replace(/^sink [^:]+: /, '')} (also with a fresh token: the token's policies do not allow this)`,
            { status: 403, vaultErrors: again.vaultErrors, cause: again },
          );
        }
        throw again;
      }
    }
  }

  /** Revoke the login token (shutdown). */
  revokeToken(): Promise<void> {
    return this.#tokens.revoke();
  }

  /** `GET sys/internal/ui/mounts/<mount>`: the mount's type and KV version. */
  async mountInfo(signal?: AbortSignal): Promise<MountInfo> {
    const res = await this.call('GET', `sys/internal/ui/mounts/${encodePath(this.mount)}`, {
      ...(signal ? { signal } : {}),
    });
    const body = asRecord(res.body);
    const data = Object.keys(asRecord(body.data)).length > 0 ? asRecord(body.data) : body;
    const options = asRecord(data.options);
    return {
      path: typeof data.path === 'string' ? data.path : '',
      type: typeof data.type === 'string' ? data.type : '',
      version: typeof options.version === 'string' ? options.version : undefined,
    };
  }

  dataPath(key: string): string {
    return `${this.mount}/data/${key}`;
  }

  metadataPath(key: string): string {
    return `${this.mount}/metadata/${key}`;
  }

  /**
   * The immediate children of a folder (`LIST <mount>/metadata/<folder>/`, sent as
   * `GET …?list=true`): keys, and sub-folders with a trailing `/`, sorted. An empty or missing
   * folder is `[]` (Vault answers 404). Needs the `list` capability on the metadata path.
   */
  async list(folder: string, signal?: AbortSignal): Promise<string[]> {
    const path = folder === '' ? this.metadataPath('') : `${this.metadataPath(folder.replace(/\/+$/, ''))}/`;
    const res = await this.call('GET', encodePath(path), {
      query: { list: 'true' },
      accept: [404],
      ...(signal ? { signal } : {}),
    });
    if (res.status === 404) return [];
    const keys = asRecord(asRecord(res.body).data).keys;
    return Array.isArray(keys)
      ? keys.filter((k): k is string => typeof k === 'string' && k !== '').sort()
      : [];
  }

  /** Latest version of a key. */
  async read(key: string, signal?: AbortSignal): Promise<KvReadResult> {
    const res = await this.call('GET', encodePath(this.dataPath(key)), {
      accept: [404],
      ...(signal ? { signal } : {}),
    });
    const body = asRecord(res.body);
    if (res.status === 404) {
      // Plain not-found is {"errors":[]}; a deleted/destroyed latest version is an envelope with metadata.
      const meta = asRecord(asRecord(body.data).metadata);
      if (!('errors' in body) && typeof meta.version === 'number')
        return { kind: 'deleted', version: meta.version };
      return { kind: 'absent' };
    }
    const d = asRecord(body.data);
    const meta = asRecord(d.metadata);
    const custom = asRecord(meta.custom_metadata);
    const customMetadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(custom)) if (typeof v === 'string') customMetadata[k] = v;
    return {
      kind: 'present',
      version: typeof meta.version === 'number' ? meta.version : 0,
      data: asRecord(d.data),
      customMetadata:
        meta.custom_metadata === null || meta.custom_metadata === undefined ? null : customMetadata,
    };
  }

  /**
   * Write a new version with check-and-set. Returns the new version, or `cas-mismatch` when another
   * writer got there first (the caller re-reads and decides).
   */
  async write(
    key: string,
    data: Record<string, string>,
    cas: number,
    signal?: AbortSignal,
  ): Promise<{ ok: true; version: number } | { ok: false; reason: 'cas-mismatch' }> {
    const res = await this.call('POST', encodePath(this.dataPath(key)), {
      body: { options: { cas }, data },
      accept: [400],
      ...(signal ? { signal } : {}),
    });
    if (res.status === 400) {
      const errors = errorsOf(res.body);
      const flat = flattenVaultErrors(errors);
      if (flat.some((e) => e.includes(CAS_MISMATCH))) return { ok: false, reason: 'cas-mismatch' };
      throw new VaultError(
        this.#client.sink,
        `vault POST /v1/${this.dataPath(key)}: HTTP 400: ${flat.join('; ') || 'no error text'}`,
        { status: 400, vaultErrors: errors },
      );
    }
    const version = asRecord(asRecord(res.body).data).version;
    return { ok: true, version: typeof version === 'number' ? version : cas + 1 };
  }

  /** Replace the key's custom_metadata (values must be non-empty strings). Does not create a version. */
  async writeCustomMetadata(
    key: string,
    custom: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.call('POST', encodePath(this.metadataPath(key)), {
      body: { custom_metadata: custom },
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * `DELETE <mount>/metadata/<key>`: the key, every version and its metadata (what
   * `vault kv metadata delete` does). Needs the `delete` capability on the metadata path.
   */
  async deleteAll(key: string, signal?: AbortSignal): Promise<void> {
    await this.call('DELETE', encodePath(this.metadataPath(key)), {
      accept: [404],
      ...(signal ? { signal } : {}),
    });
  }

  /** `POST sys/capabilities-self` for several paths. */
  async capabilities(paths: readonly string[], signal?: AbortSignal): Promise<Record<string, string[]>> {
    const res = await this.call('POST', 'sys/capabilities-self', {
      body: { paths },
      ...(signal ? { signal } : {}),
    });
    const body = asRecord(res.body);
    const data = asRecord(body.data);
    const out: Record<string, string[]> = {};
    for (const p of paths) {
      const raw =
        data[p] ?? body[p] ?? (paths.length === 1 ? (data.capabilities ?? body.capabilities) : undefined);
      out[p] = Array.isArray(raw) ? raw.filter((c): c is string => typeof c === 'string') : [];
    }
    return out;
  }
}
