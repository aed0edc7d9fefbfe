/**
 * Secret sinks: where a new API key's one-time secret is delivered. Implementations:
 * `FileSink` (src/sinks/file-sink.ts), `VaultSink` (src/sinks/vault-sink.ts),
 * `KubernetesSink` (src/sinks/kubernetes-sink.ts). One contract suite (test/sinks/sink-contract.ts)
 * runs against all of them.
 *
 * Contract:
 * - `preflight` checks the sink is reachable and writable for this target, without writing the
 *   secret (it may write and remove a probe, or use a capability check). Throws SinkError.
 * - `write` is idempotent for the same (target, accessKey): writing again the same record is a no-op
 *   success. It must never silently overwrite a record written concurrently by another writer
 *   (Vault `cas`, Kubernetes `resourceVersion`); it reads the current record first and passes its
 *   version. The previous record's access key is kept as `previousAccessKey` metadata.
 * - `read` returns the record's metadata and the access key it holds, and whether the secret is
 *   present; the secret value is returned only wrapped in `Secret`.
 * - `verify` reads back and compares the access key and secret (constant time) with what was written.
 * - `list` finds every record scw-gitops wrote in the sink's own scope, without knowing the keys:
 *   the read side of custody for `scw-gitops import` (which key's secret is where). See
 *   `SinkListing` for what it returns and how a sink that cannot list answers.
 * - `remove` deletes the record of a deleted key (docs/design/secret-moves.md). It reads the
 *   record first (the point read) and removes it only when it still carries our ownership
 *   (our layout / labels, this instance, this key name) and holds exactly the expected access
 *   key; anything else is left alone and said in the outcome. Removing is idempotent: no record
 *   is `absent`, not an error.
 * - Errors are `SinkError`, with `retryable` set for transient failures.
 */
import type { Secret } from '../model/secret.js';

/** Resolved per-key target (src/model/sink-location.ts): the sink name + the key's place in it. */
export type { SinkLocation } from '../model/sink-location.js';

import type { SinkLocation } from '../model/sink-location.js';

/** Non-secret metadata stored next to the secret. */
export interface SecretMetadata {
  /** Desired name of the key (metadata.name). */
  readonly keyName: string;
  readonly accessKey: string;
  /** ISO or null (never expires). */
  readonly expiresAt: string | null;
  readonly revision?: string;
  /** ISO time the secret was written. */
  readonly deliveredAt: string;
  /** The access key this one replaces (rotation overlap). */
  readonly previousAccessKey?: string;
  readonly organizationId?: string;
  readonly defaultProjectId?: string;
  readonly instance?: string;
  /**
   * How the key's expiry and rotation were declared when it was delivered (`lifetime=30d
   * overlap=1h`, `expiresAt=fixed`, `none`): src/model/rotation-record.ts. Import restores them.
   */
  readonly rotation?: string;
}

export interface SecretRecord {
  readonly accessKey: string;
  readonly secretKey: Secret;
  readonly metadata: SecretMetadata;
}

export interface StoredRecord {
  readonly accessKey: string;
  readonly secretKey?: Secret;
  readonly metadata: Partial<SecretMetadata>;
  /** Sink-specific version (Vault version, K8s resourceVersion, file mtime). */
  readonly version?: string;
}

/** One record found by `SecretSink.list`: where it is and what it says. Never holds a secret. */
export interface ListedRecord {
  /**
   * A location `read`, `verify` and `write` accept for this record: the sink's name plus the file
   * path relative to the sink's directory (file), the path relative to the sink's `pathPrefix`
   * (Vault), or the namespace and Secret name (Kubernetes).
   */
  readonly location: SinkLocation;
  /** The access key the record holds (`''` when it holds none). */
  readonly accessKey: string;
  /** The record's non-secret metadata, as `read` returns it. */
  readonly metadata: Partial<SecretMetadata>;
  /** Sink-specific version, as `read` returns it. */
  readonly version?: string;
}

/**
 * What `SecretSink.list` found.
 *
 * - `records`: every record written by scw-gitops in the sink's scope, sorted by location: the
 *   file sink's directory tree, the Vault sink's `pathPrefix` (recursively), the Kubernetes
 *   sink's Secrets carrying our labels (every namespace the credentials may list, else the
 *   sink's namespace). Objects that are not ours (a foreign file, a Vault secret without our
 *   layout, a Secret without our labels) are not records and are left out silently.
 * - `incomplete`: one sentence per part of the scope that could not be searched or per record
 *   that could not be read (a denied Vault folder, an unreadable file, a symbolic link that is
 *   not followed, namespaces the credentials may not list), so a caller can say where it did not
 *   look. Empty when the listing is complete. Never contains record content.
 *
 * A sink that cannot list at all (the scope itself is denied or unreachable) rejects with a
 * `SinkError` saying which right is missing; nothing is partially returned then.
 */
export interface SinkListing {
  readonly records: readonly ListedRecord[];
  readonly incomplete: readonly string[];
}

/** The record `SecretSink.remove` expects to find: the key it belongs to, and who wrote it. */
export interface RecordOwner {
  readonly accessKey: string;
  /** The scw-gitops instance (`SecretMetadata.instance`). */
  readonly instance: string;
  /** The desired key name (`SecretMetadata.keyName`). */
  readonly keyName: string;
}

/**
 * What `SecretSink.remove` did: `removed`; `absent` (nothing there); `not-ours` (the place holds
 * something scw-gitops did not write, or another instance's or key name's record); `other-key`
 * (our record, but it holds another access key now). Only `removed` changed anything.
 */
export type RemoveOutcome = 'removed' | 'absent' | 'not-ours' | 'other-key';

/** The ownership check every sink's `remove` makes on the record it just read. */
export function removalCheck(
  stored: Pick<StoredRecord, 'accessKey' | 'metadata'>,
  owner: RecordOwner,
): RemoveOutcome | undefined {
  const m = stored.metadata;
  if (m.instance !== owner.instance || m.keyName !== owner.keyName) return 'not-ours';
  if (stored.accessKey !== owner.accessKey) return 'other-key';
  return undefined;
}

export interface SecretSink {
  /** Sink name from the settings. */
  readonly name: string;
  /** `vault` | `kubernetes` | `file` */
  readonly type: string;
  preflight(location: SinkLocation, signal?: AbortSignal): Promise<void>;
  write(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<void>;
  read(location: SinkLocation, signal?: AbortSignal): Promise<StoredRecord | undefined>;
  verify(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<boolean>;
  /**
   * Every record in the sink's scope (see `SinkListing`). Read-only and idempotent; may read each
   * record in full, but the secrets never leave the call (no field of the result holds one).
   */
  list(signal?: AbortSignal): Promise<SinkListing>;
  /**
   * Remove the record at `location` if, read just now, it is `owner`'s (see the contract above).
   * Absent on a sink that cannot remove records: they are then left in place.
   */
  remove?(location: SinkLocation, owner: RecordOwner, signal?: AbortSignal): Promise<RemoveOutcome>;
  /** Human description of the location for logs/plans: `vault:kv/data/x`, `k8s:ns/name`, `file:/p`. */
  describe(location: SinkLocation): string;
  close?(): Promise<void>;
}
