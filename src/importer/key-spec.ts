/**
 * What `scw-gitops import` writes for one API key beyond its application, project and
 * description: how it expires and rotates, and where its secret is. Pure: the sinks' records come
 * in as data (read by src/importer/sink-records.ts).
 *
 * Expiry and rotation (`keyExpirySpec`), in order of trust:
 * 1. The `rotation` metadata of the key's own sink record (src/model/rotation-record.ts): what
 *    the key's spec said when it was delivered: `expiresAt` (fixed), `lifetime`, `rotateBefore`,
 *    `maxAge`, `overlap`. Used when it agrees with the live key (a recorded lifetime must match
 *    its creation-to-expiry time, within the planner's tolerance).
 * 2. No usable record, a key scw-gitops did not create (unmarked, or adopted as `external`): its
 *    expiry is a date someone chose, so it is imported as that `expiresAt`. A fixed expiry is
 *    never rotated automatically; the comment gives the `lifetime` that would have it rotated.
 * 3. No usable record, a key this instance created: a creation-to-expiry time of whole days or
 *    whole hours (within two minutes) was a `lifetime` (the settings' default when it is that one,
 *    then nothing is written); anything else was a fixed `expiresAt`. Said in a comment to review.
 *
 * Sink location (`keySinkSpec`): the record that holds the key's access key, in any configured
 * sink, becomes `spec.sink` (the sink's name, plus the path, namespace or Secret name when they
 * differ from the defaults for this key's name). Several records with that access key: the one
 * written for this key name at its default location wins, and the others are named. None: for a
 * key this instance owns, a record written for its name (holding another access key: the plan
 * will say custody is lost, but the replacement then goes where consumers read); else no
 * `spec.sink`.
 */
import { formatDuration } from '../model/duration.js';
import type { ApiKey } from '../model/live.js';
import { locationForType } from '../sinks/registry.js';
import { parseRecordedRotation } from '../model/rotation-record.js';
import type { ListedRecord, SinkLocation } from '../sinks/sink.js';

/** A record listed in a configured sink, with the sink's own description of its location. */
export type ImportRecord = ListedRecord & {
  /** `SecretSink.describe` of the location (`vault:secret/data/…`, `k8s:ns/name`, `file:/…`). */
  readonly where?: string;
};

/** A configured sink, as far as location defaults go. */
export interface ImportSink {
  readonly name: string;
  readonly type: string;
  /** File sinks. */
  readonly format?: 'dotenv' | 'json' | undefined;
  /** Kubernetes sinks. */
  readonly namespace?: string | undefined;
}

/** The planner's tolerance between a key's lifetime and its desired one (clock skew). */
const LIFETIME_TOLERANCE_MS = 5 * 60_000;
const ROUND_TOLERANCE_MS = 2 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface KeyPart {
  /** Spec fields to merge into the key's spec. */
  readonly spec: Record<string, unknown>;
  /** Comment lines for the document. */
  readonly comments: readonly string[];
  /** Something to review, for the report (already prefixed with the key's address). */
  readonly note?: string;
}

function livedMs(k: Pick<ApiKey, 'createdAt' | 'expiresAt'>): number | undefined {
  if (k.expiresAt === null) return undefined;
  const ms = Date.parse(k.expiresAt) - Date.parse(k.createdAt);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** A creation-to-expiry time of whole days, else whole hours (within two minutes), as a duration. */
export function roundLifetime(k: Pick<ApiKey, 'createdAt' | 'expiresAt'>): string | undefined {
  const ms = livedMs(k);
  if (ms === undefined) return undefined;
  for (const unit of [DAY_MS, HOUR_MS]) {
    const n = Math.round(ms / unit);
    if (n > 0 && Math.abs(ms - n * unit) <= ROUND_TOLERANCE_MS) return formatDuration(n * unit);
  }
  return undefined;
}

function rotationSpec(r: { rotateBeforeMs?: number; maxAgeMs?: number; overlapMs?: number }) {
  const out: Record<string, string> = {};
  if (r.rotateBeforeMs !== undefined) out['rotateBefore'] = formatDuration(r.rotateBeforeMs);
  if (r.maxAgeMs !== undefined) out['maxAge'] = formatDuration(r.maxAgeMs);
  if (r.overlapMs !== undefined) out['overlap'] = formatDuration(r.overlapMs);
  return Object.keys(out).length > 0 ? { rotation: out } : {};
}

/**
 * `expiresAt` / `lifetime` / `rotation` for a live key (see the module comment).
 * `address` prefixes the note; `record` is the key's own sink record, when found.
 */
export function keyExpirySpec(input: {
  readonly address: string;
  readonly key: ApiKey;
  /** Created by scw-gitops (carries our marker, and is not an adopted `external` key). */
  readonly ours: boolean;
  readonly record?: ListedRecord | undefined;
  /** The settings' `defaults.rotation.lifetime`. */
  readonly defaultLifetimeMs?: number | undefined;
}): KeyPart {
  const { key: k, address } = input;
  const lived = livedMs(k);
  const recordedText = input.record?.metadata.rotation;
  const recorded = recordedText === undefined ? undefined : parseRecordedRotation(recordedText);
  const where = input.record ? ` (record in sink ${input.record.location.sink})` : '';
  if (recorded) {
    const expiryAgrees = recorded.fixedExpiry
      ? k.expiresAt !== null
      : recorded.lifetimeMs !== undefined
        ? lived !== undefined && Math.abs(lived - recorded.lifetimeMs) <= LIFETIME_TOLERANCE_MS
        : true;
    if (expiryAgrees) {
      const spec: Record<string, unknown> = {};
      if (recorded.fixedExpiry) spec['expiresAt'] = k.expiresAt;
      if (recorded.lifetimeMs !== undefined) spec['lifetime'] = formatDuration(recorded.lifetimeMs);
      if (!recorded.fixedExpiry && recorded.lifetimeMs === undefined && lived !== undefined) {
        // The settings' default lifetime made this expiry: keep relying on it, unless it changed.
        const byDefault =
          input.defaultLifetimeMs !== undefined &&
          Math.abs(lived - input.defaultLifetimeMs) <= LIFETIME_TOLERANCE_MS;
        if (!byDefault) spec['lifetime'] = roundLifetime(k) ?? formatDuration(lived);
      }
      Object.assign(spec, rotationSpec(recorded));
      return { spec, comments: [`expiry and rotation as recorded at delivery${where}`] };
    }
  }
  if (k.expiresAt === null) {
    return {
      spec: {},
      comments: ['never expires (set spec.lifetime or spec.rotation.maxAge to have it rotated)'],
    };
  }
  const lifetime = lived === undefined ? undefined : (roundLifetime(k) ?? formatDuration(lived));
  if (!input.ours) {
    return {
      spec: { expiresAt: k.expiresAt },
      comments: [
        'expiresAt keeps the date it was given; a fixed expiry is never rotated automatically:',
        `replace it by spec.lifetime${lifetime ? ` (${lifetime}: its current lifetime)` : ''} to have scw-gitops rotate it`,
      ],
    };
  }
  const round = roundLifetime(k);
  const why = recordedText === undefined ? 'not recorded' : 'recorded, but not matching the live key';
  if (round !== undefined) {
    const byDefault =
      input.defaultLifetimeMs !== undefined &&
      lived !== undefined &&
      Math.abs(lived - input.defaultLifetimeMs) <= LIFETIME_TOLERANCE_MS;
    return {
      spec: byDefault ? {} : { lifetime: round },
      comments: [
        `expiry ${why}: a ${round} lifetime${byDefault ? " (the settings' default)" : ''} judging by its dates; review`,
      ],
      note: `${address}: its expiry was ${why}; imported as a ${round} lifetime (rotated before it expires), review`,
    };
  }
  return {
    spec: { expiresAt: k.expiresAt },
    comments: [`expiry ${why}: a fixed date judging by its dates; review`],
    note: `${address}: its expiry was ${why}; imported as the fixed expiresAt ${k.expiresAt} (not rotated automatically), review`,
  };
}

function describeLocation(r: ImportRecord): string {
  if (r.where !== undefined) return r.where;
  const l = r.location;
  return l.secretName !== undefined
    ? `${l.sink}: ${l.namespace ?? '?'}/${l.secretName}`
    : `${l.sink}: ${l.path ?? '?'}`;
}

/** `spec.sink` for a record's location: the sink name plus what differs from the defaults. */
export function sinkSpecFor(name: string, location: SinkLocation, sink: ImportSink): Record<string, string> {
  const defaults = locationForType({ name, sink: {} }, sink.type, sink.name, {
    format: sink.format,
    namespace: sink.namespace,
  });
  const out: Record<string, string> = { name: sink.name };
  for (const field of ['path', 'namespace', 'secretName'] as const) {
    const v = location[field];
    if (v !== undefined && v !== defaults[field]) out[field] = v;
  }
  return out;
}

/**
 * `spec.sink` of a key from the sinks' records (see the module comment), and the record used
 * (whose `rotation` metadata `keyExpirySpec` reads).
 */
export function keySinkSpec(input: {
  readonly address: string;
  readonly name: string;
  readonly accessKey: string;
  /** Created by this instance: a record written for its name may stand in (see above). */
  readonly ours: boolean;
  readonly instance: string;
  readonly records: readonly ImportRecord[];
  readonly sinks: readonly ImportSink[];
}): KeyPart & { readonly record?: ImportRecord } {
  const sinkOf = (r: ImportRecord) => input.sinks.find((s) => s.name === r.location.sink);
  const atDefault = (r: ImportRecord) => {
    const s = sinkOf(r)!;
    return Object.keys(sinkSpecFor(input.name, r.location, s)).length === 1;
  };
  const usable = input.records.filter((r) => sinkOf(r) !== undefined);
  const holding = usable
    .filter((r) => r.accessKey === input.accessKey)
    .sort(
      (a, b) =>
        Number(b.metadata.keyName === input.name) - Number(a.metadata.keyName === input.name) ||
        Number(atDefault(b)) - Number(atDefault(a)),
    );
  const chosen = holding[0];
  if (chosen) {
    const sink = sinkOf(chosen)!;
    const others = holding.slice(1).map((r) => describeLocation(r));
    return {
      spec: { sink: sinkSpecFor(input.name, chosen.location, sink) },
      comments: [
        `secret in ${describeLocation(chosen)}${chosen.metadata.deliveredAt ? ` (delivered ${chosen.metadata.deliveredAt})` : ''}`,
      ],
      record: chosen,
      ...(others.length > 0
        ? {
            note: `${input.address}: ${input.accessKey} is in several records; spec.sink names ${describeLocation(chosen)}, not ${others.join(', ')}`,
          }
        : {}),
    };
  }
  if (input.ours) {
    const named = usable.filter(
      (r) =>
        r.metadata.keyName === input.name &&
        (r.metadata.instance === undefined || r.metadata.instance === input.instance),
    );
    const stale = named.sort((a, b) => Number(atDefault(b)) - Number(atDefault(a)))[0];
    if (stale) {
      return {
        spec: { sink: sinkSpecFor(input.name, stale.location, sinkOf(stale)!) },
        comments: [`the record for this key in ${describeLocation(stale)} holds another access key`],
        note: `${input.address}: the record in ${describeLocation(stale)} holds ${stale.accessKey || 'no access key'}, not ${input.accessKey}; the plan replaces the key there (custody-lost)`,
      };
    }
  }
  return { spec: {}, comments: [] };
}
