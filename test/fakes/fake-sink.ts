/**
 * FakeSink: an in-memory SecretSink that records every operation and can be told to fail.
 * It keeps secrets only as `Secret` objects (never plaintext strings) for the life of the test.
 *
 * Fault injection: `failPreflight`, `failWrites` (next N writes throw), `corruptWrites` (next N
 * writes store a different secret, so verification fails), `failVerify` (next N verifies return
 * false), `failReads` (reads and lists); `onWrite` runs before each write (e.g. to check ordering).
 */
import { randomUUID } from 'node:crypto';
import { SinkError } from '../../src/errors.js';
import { Secret } from '../../src/model/secret.js';
import {
  type ListedRecord,
  type RecordOwner,
  type RemoveOutcome,
  removalCheck,
  type SecretRecord,
  type SecretSink,
  type SinkListing,
  type SinkLocation,
  type StoredRecord,
} from '../../src/sinks/sink.js';

export interface FakeSinkOp {
  readonly op: 'preflight' | 'write' | 'read' | 'verify' | 'list' | 'remove';
  readonly location: string;
  readonly accessKey?: string;
  readonly ok: boolean;
}

interface Stored {
  location: SinkLocation;
  accessKey: string;
  secretKey: Secret;
  metadata: StoredRecord['metadata'];
  version: number;
}

export class FakeSink implements SecretSink {
  /** Behaves like a Vault sink for location defaults (path = key name). */
  readonly type = 'vault';
  readonly records = new Map<string, Stored>();
  readonly ops: FakeSinkOp[] = [];
  failPreflight = 0;
  failWrites = 0;
  corruptWrites = 0;
  failVerify = 0;
  failReads = 0;
  onWrite: ((location: SinkLocation, record: SecretRecord) => void | Promise<void>) | undefined;
  #version = 0;

  constructor(readonly name = 'fake') {}

  /** Locations whose path climbs out (`../…`) are refused, like a real sink's confinement. */
  #check(location: SinkLocation): void {
    if (location.path?.startsWith('../')) throw new SinkError(this.name, 'location outside the sink refused');
  }

  static key(location: SinkLocation): string {
    return [location.sink, location.path ?? '', location.namespace ?? '', location.secretName ?? ''].join(
      '|',
    );
  }

  describe(location: SinkLocation): string {
    return `fake:${location.path ?? location.secretName ?? '?'}`;
  }

  async preflight(location: SinkLocation): Promise<void> {
    this.#check(location);
    const ok = this.failPreflight <= 0;
    this.ops.push({ op: 'preflight', location: FakeSink.key(location), ok });
    if (!ok) {
      this.failPreflight--;
      throw new SinkError(this.name, 'unreachable (injected)', { retryable: true });
    }
  }

  async write(location: SinkLocation, record: SecretRecord): Promise<void> {
    this.#check(location);
    await this.onWrite?.(location, record);
    const k = FakeSink.key(location);
    if (this.failWrites > 0) {
      this.failWrites--;
      this.ops.push({ op: 'write', location: k, accessKey: record.accessKey, ok: false });
      throw new SinkError(this.name, `write refused (injected) for ${record.accessKey}`, { retryable: true });
    }
    const before = this.records.get(k);
    if (before && before.accessKey === record.accessKey && before.secretKey.equals(record.secretKey)) {
      this.ops.push({ op: 'write', location: k, accessKey: record.accessKey, ok: true });
      return;
    }
    // A copy, as a real sink keeps a serialised copy: the caller releases its Secret after delivery.
    let secret = new Secret(record.secretKey.reveal());
    if (this.corruptWrites > 0) {
      this.corruptWrites--;
      secret = new Secret(randomUUID());
    }
    const previous =
      record.metadata.previousAccessKey ??
      (before && before.accessKey !== record.accessKey ? before.accessKey : undefined);
    this.records.set(k, {
      location,
      accessKey: record.accessKey,
      secretKey: secret,
      metadata: { ...record.metadata, ...(previous ? { previousAccessKey: previous } : {}) },
      version: ++this.#version,
    });
    this.ops.push({ op: 'write', location: k, accessKey: record.accessKey, ok: true });
  }

  async read(location: SinkLocation): Promise<StoredRecord | undefined> {
    this.#check(location);
    const k = FakeSink.key(location);
    if (this.failReads > 0) {
      this.failReads--;
      this.ops.push({ op: 'read', location: k, ok: false });
      throw new SinkError(this.name, 'read refused (injected)', { retryable: true });
    }
    this.ops.push({ op: 'read', location: k, ok: true });
    const r = this.records.get(k);
    if (!r) return undefined;
    return {
      accessKey: r.accessKey,
      // A fresh Secret per read, as a real sink parses one from what it stores.
      secretKey: new Secret(r.secretKey.reveal()),
      metadata: r.metadata,
      version: String(r.version),
    };
  }

  async list(): Promise<SinkListing> {
    if (this.failReads > 0) {
      this.failReads--;
      this.ops.push({ op: 'list', location: this.name, ok: false });
      throw new SinkError(this.name, 'list refused (injected)', { retryable: true });
    }
    this.ops.push({ op: 'list', location: this.name, ok: true });
    const records: ListedRecord[] = [...this.records.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => ({
        location: r.location,
        accessKey: r.accessKey,
        metadata: r.metadata,
        version: String(r.version),
      }));
    return { records, incomplete: [] };
  }

  /** The record of a deleted key: removed only when ours and holding `owner.accessKey` (sink.ts). */
  async remove(location: SinkLocation, owner: RecordOwner): Promise<RemoveOutcome> {
    this.#check(location);
    const k = FakeSink.key(location);
    this.ops.push({ op: 'remove', location: k, accessKey: owner.accessKey, ok: true });
    const r = this.records.get(k);
    if (!r) return 'absent';
    const refused = removalCheck(r, owner);
    if (refused) return refused;
    this.records.delete(k);
    return 'removed';
  }

  async verify(location: SinkLocation, record: SecretRecord): Promise<boolean> {
    this.#check(location);
    const k = FakeSink.key(location);
    const r = this.records.get(k);
    let ok = r !== undefined && r.accessKey === record.accessKey && r.secretKey.equals(record.secretKey);
    if (this.failVerify > 0) {
      this.failVerify--;
      ok = false;
    }
    this.ops.push({ op: 'verify', location: k, accessKey: record.accessKey, ok });
    return ok;
  }

  /** The record at a location (test inspection). */
  get(location: SinkLocation): Stored | undefined {
    return this.records.get(FakeSink.key(location));
  }
}
