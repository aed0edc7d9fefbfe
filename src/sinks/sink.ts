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

export interface SecretSink {
  /** Sink name from the settings. */
  readonly name: string;
  /** `vault` | `kubernetes` | `file` */
  readonly type: string;
  preflight(location: SinkLocation, signal?: AbortSignal): Promise<void>;
  write(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<void>;
  read(location: SinkLocation, signal?: AbortSignal): Promise<StoredRecord | undefined>;
  verify(location: SinkLocation, record: SecretRecord, signal?: AbortSignal): Promise<boolean>;
  /** Human description of the location for logs/plans: `vault:kv/data/x`, `k8s:ns/name`, `file:/p`. */
  describe(location: SinkLocation): string;
  close?(): Promise<void>;
}
