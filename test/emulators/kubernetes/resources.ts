/**
 * Per-resource decoding, defaulting and validation for the emulated types: Secret (core/v1),
 * Lease (coordination.k8s.io/v1), Event (core/v1 and events.k8s.io/v1). docs/design/kubernetes.md §2, §7, §9.
 */
import type { ResourceRef, StatusCause } from './status.js';
import { errors, StatusError } from './status.js';
import { isObject, type Json, type JsonObject } from './fields.js';

export interface ResourceType extends ResourceRef {
  readonly version: string;
  readonly apiVersion: string;
  readonly listKind: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  /** PUT on an absent object creates it (Leases yes, Secrets no). */
  readonly allowCreateOnUpdate: boolean;
  /** PUT without metadata.resourceVersion is accepted (Secrets yes, Leases no). */
  readonly allowUnconditionalUpdate: boolean;
  readonly knownFields: readonly string[];
  /** Decode a request body: type checks that make the real server answer 400. Mutates in place. */
  decode(obj: JsonObject): void;
  /** Validation (422 causes) of the object about to be stored. */
  validate(obj: JsonObject, old: JsonObject | undefined): StatusCause[];
  /** Defaulting and normalisation before storage (e.g. Secret stringData folding). */
  normalize(obj: JsonObject): void;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MICROTIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|[+-]\d{2}:\d{2})$/;
const MICROTIME_LAYOUT = '2006-01-02T15:04:05.000000Z07:00';

/** First offending byte of a base64 string, as Go reports `illegal base64 data at input byte N`. */
function illegalBase64Byte(s: string): number {
  const body = s.replace(/=+$/, '');
  for (let i = 0; i < body.length; i++) if (!/[A-Za-z0-9+/]/.test(body[i] as string)) return i;
  return Math.max(0, s.length - (s.length % 4 === 0 ? 1 : s.length % 4));
}

/** Strict MicroTime parse (exactly six fractional digits) → normalised UTC wire form, or undefined. */
export function parseMicroTime(text: string): string | undefined {
  const m = MICROTIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(base)) return undefined;
  let offsetMs = 0;
  if (zone !== 'Z') {
    const sign = zone?.startsWith('-') ? -1 : 1;
    const [oh, om] = (zone as string).slice(1).split(':').map(Number) as [number, number];
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  const utc = new Date(base - offsetMs);
  if (utc.getUTCFullYear() !== Number(y) && offsetMs === 0) return undefined;
  return `${utc.toISOString().slice(0, 19)}.${frac}Z`;
}

function metaCauses(obj: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = meta.name;
  if (typeof name !== 'string' || name === '') {
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
      field: 'metadata.name',
    });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      field: 'metadata.name',
    });
  }
  if (isObject(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) {
      const nameOnly = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
      if (nameOnly.length === 0 || nameOnly.length > 63 || !LABEL_NAME.test(nameOnly)) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
          field: 'metadata.labels',
        });
      }
      if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${String(v)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
          field: 'metadata.labels',
        });
      }
    }
  }
  if (isObject(meta.annotations)) {
    let total = 0;
    for (const [k, v] of Object.entries(meta.annotations))
      total += k.length + (typeof v === 'string' ? v.length : 0);
    if (total > 262144)
      causes.push({
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 262144 bytes',
        field: 'metadata.annotations',
      });
  }
  return causes;
}

function checkStringMap(kind: string, obj: JsonObject, field: string): void {
  const v = obj[field];
  if (v === undefined || v === null) return;
  if (!isObject(v))
    throw errors.undecodable(
      kind,
      'v1',
      `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${kind}.${field} of type map[string]string`,
    );
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string')
      throw errors.undecodable(
        kind,
        'v1',
        `json: cannot unmarshal ${typeof x} into Go struct field ${kind}.${field} of type ${field === 'data' ? '[]uint8' : 'string'} (key ${k})`,
      );
  }
}

function checkMeta(kind: string, apiVersion: string, obj: JsonObject): void {
  const meta = obj.metadata;
  if (meta === undefined || meta === null) {
    obj.metadata = {};
    return;
  }
  if (!isObject(meta))
    throw errors.undecodable(
      kind,
      apiVersion,
      'json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta',
    );
  for (const f of ['labels', 'annotations'] as const) {
    const m = meta[f];
    if (m === undefined || m === null) continue;
    if (!isObject(m))
      throw errors.undecodable(
        kind,
        apiVersion,
        `json: cannot unmarshal into Go struct field ObjectMeta.metadata.${f} of type map[string]string`,
      );
    for (const x of Object.values(m))
      if (typeof x !== 'string')
        throw errors.undecodable(
          kind,
          apiVersion,
          `json: cannot unmarshal ${typeof x} into Go struct field ObjectMeta.metadata.${f} of type string`,
        );
  }
}

export const secrets: ResourceType = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  listKind: 'SecretList',
  singular: 'secret',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  knownFields: ['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable'],
  decode(obj) {
    checkMeta('Secret', 'v1', obj);
    checkStringMap('Secret', obj, 'data');
    checkStringMap('Secret', obj, 'stringData');
    if (isObject(obj.data)) {
      for (const v of Object.values(obj.data)) {
        const s = v as string;
        if (!BASE64.test(s))
          throw errors.undecodable(
            'Secret',
            'v1',
            `illegal base64 data at input byte ${illegalBase64Byte(s)}`,
          );
      }
    }
    if (obj.type !== undefined && obj.type !== null && typeof obj.type !== 'string')
      throw errors.undecodable(
        'Secret',
        'v1',
        'json: cannot unmarshal into Go struct field Secret.type of type v1.SecretType',
      );
    if (obj.immutable !== undefined && obj.immutable !== null && typeof obj.immutable !== 'boolean')
      throw errors.undecodable(
        'Secret',
        'v1',
        'json: cannot unmarshal into Go struct field Secret.immutable of type bool',
      );
  },
  normalize(obj) {
    if (isObject(obj.stringData)) {
      const data: JsonObject = isObject(obj.data) ? obj.data : {};
      for (const [k, v] of Object.entries(obj.stringData))
        data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      obj.data = data;
    }
    delete obj.stringData;
    if (isObject(obj.data) && Object.keys(obj.data).length === 0) delete obj.data;
    if (obj.type === undefined || obj.type === null || obj.type === '') obj.type = 'Opaque';
    if (obj.immutable === null) delete obj.immutable;
  },
  validate(obj, old) {
    const causes = metaCauses(obj);
    let total = 0;
    if (isObject(obj.data)) {
      for (const [k, v] of Object.entries(obj.data)) {
        if (k.length > 253 || !DATA_KEY.test(k)) {
          causes.push({
            reason: 'FieldValueInvalid',
            message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
            field: `data[${k}]`,
          });
        }
        total += Buffer.from(String(v), 'base64').length;
      }
    }
    if (total > 1048576)
      causes.push({
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 1048576 bytes',
        field: 'data',
      });
    if (old) {
      if (old.type !== obj.type)
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${String(obj.type)}": field is immutable`,
          field: 'type',
        });
      if (old.immutable === true) {
        if (JSON.stringify(old.data ?? {}) !== JSON.stringify(obj.data ?? {}))
          causes.push({
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable when `immutable` is set',
            field: 'data',
          });
        if (obj.immutable !== true)
          causes.push({
            reason: 'FieldValueForbidden',
            message: 'Forbidden: field is immutable when `immutable` is set',
            field: 'immutable',
          });
      }
    }
    return causes;
  },
};

function checkMicroTime(obj: JsonObject, field: string): void {
  const spec = obj.spec as JsonObject;
  const v = spec[field];
  if (v === undefined || v === null) return;
  const parsed = typeof v === 'string' ? parseMicroTime(v) : undefined;
  if (parsed === undefined) {
    const text = String(v);
    throw errors.undecodable(
      'Lease',
      'coordination.k8s.io/v1',
      `parsing time "\\"${text}\\"" as "\\"${MICROTIME_LAYOUT}\\"": cannot parse "\\"${text.slice(19)}\\"" as ".000000"`,
    );
  }
  spec[field] = parsed;
}

export const leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  apiVersion: 'coordination.k8s.io/v1',
  resource: 'leases',
  kind: 'Lease',
  listKind: 'LeaseList',
  singular: 'lease',
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
  knownFields: ['apiVersion', 'kind', 'metadata', 'spec'],
  decode(obj) {
    checkMeta('Lease', 'coordination.k8s.io/v1', obj);
    if (obj.spec === undefined || obj.spec === null) return;
    if (!isObject(obj.spec))
      throw errors.undecodable(
        'Lease',
        'coordination.k8s.io/v1',
        'json: cannot unmarshal into Go struct field Lease.spec of type v1.LeaseSpec',
      );
    checkMicroTime(obj, 'acquireTime');
    checkMicroTime(obj, 'renewTime');
    for (const f of ['leaseDurationSeconds', 'leaseTransitions']) {
      const v = obj.spec[f];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v)))
        throw errors.undecodable(
          'Lease',
          'coordination.k8s.io/v1',
          `json: cannot unmarshal ${typeof v} into Go struct field LeaseSpec.spec.${f} of type int32`,
        );
    }
    const h = obj.spec.holderIdentity;
    if (h !== undefined && h !== null && typeof h !== 'string')
      throw errors.undecodable(
        'Lease',
        'coordination.k8s.io/v1',
        'json: cannot unmarshal into Go struct field LeaseSpec.spec.holderIdentity of type string',
      );
  },
  normalize(obj) {
    if (isObject(obj.spec)) {
      for (const [k, v] of Object.entries(obj.spec)) if (v === null) delete obj.spec[k];
    } else obj.spec = {};
  },
  validate(obj) {
    const causes = metaCauses(obj);
    const spec = isObject(obj.spec) ? obj.spec : {};
    const d = spec.leaseDurationSeconds;
    if (typeof d === 'number' && d <= 0)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${d}: must be greater than 0`,
        field: 'spec.leaseDurationSeconds',
      });
    const t = spec.leaseTransitions;
    if (typeof t === 'number' && t < 0)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${t}: must be greater than or equal to 0`,
        field: 'spec.leaseTransitions',
      });
    return causes;
  },
};

export const coreEvents: ResourceType = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  resource: 'events',
  kind: 'Event',
  listKind: 'EventList',
  singular: 'event',
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
  knownFields: [
    'apiVersion',
    'kind',
    'metadata',
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'series',
    'action',
    'related',
    'reportingComponent',
    'reportingInstance',
  ],
  decode(obj) {
    checkMeta('Event', 'v1', obj);
    if (typeof obj.eventTime === 'string' && parseMicroTime(obj.eventTime) === undefined)
      throw errors.undecodable(
        'Event',
        'v1',
        `parsing time "\\"${obj.eventTime}\\"" as "\\"${MICROTIME_LAYOUT}\\"": cannot parse`,
      );
  },
  normalize() {},
  validate(obj) {
    const causes = metaCauses(obj);
    const meta = obj.metadata as JsonObject;
    const involved = isObject(obj.involvedObject) ? obj.involvedObject : {};
    const ns = (involved.namespace as string | undefined) ?? '';
    if (obj.eventTime === undefined || obj.eventTime === null) {
      if (ns !== '' && ns !== meta.namespace)
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${ns}": does not match event.namespace`,
          field: 'involvedObject.namespace',
        });
    } else {
      for (const f of ['reportingComponent', 'reportingInstance', 'action', 'reason']) {
        const v = obj[f];
        if (typeof v !== 'string' || v === '')
          causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: f });
        else if (v.length > 128)
          causes.push({
            reason: 'FieldValueTooLong',
            message: 'Too long: must have at most 128 bytes',
            field: f,
          });
      }
      if (typeof obj.message === 'string' && obj.message.length > 1024)
        causes.push({
          reason: 'FieldValueTooLong',
          message: 'Too long: must have at most 1024 bytes',
          field: 'message',
        });
    }
    if (obj.type !== undefined && obj.type !== 'Normal' && obj.type !== 'Warning')
      causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${String(obj.type)}": supported values: "Normal", "Warning"`,
        field: 'type',
      });
    return causes;
  },
};

export const eventsV1: ResourceType = {
  group: 'events.k8s.io',
  version: 'v1',
  apiVersion: 'events.k8s.io/v1',
  resource: 'events',
  kind: 'Event',
  listKind: 'EventList',
  singular: 'event',
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: true,
  knownFields: [
    'apiVersion',
    'kind',
    'metadata',
    'eventTime',
    'series',
    'reportingController',
    'reportingInstance',
    'action',
    'reason',
    'regarding',
    'related',
    'note',
    'type',
    'deprecatedSource',
    'deprecatedFirstTimestamp',
    'deprecatedLastTimestamp',
    'deprecatedCount',
  ],
  decode(obj) {
    checkMeta('Event', 'events.k8s.io/v1', obj);
    if (obj.eventTime !== undefined && obj.eventTime !== null) {
      const parsed = typeof obj.eventTime === 'string' ? parseMicroTime(obj.eventTime) : undefined;
      if (parsed === undefined)
        throw errors.undecodable(
          'Event',
          'events.k8s.io/v1',
          `parsing time "\\"${String(obj.eventTime)}\\"" as "\\"${MICROTIME_LAYOUT}\\"": cannot parse`,
        );
      obj.eventTime = parsed;
    }
  },
  normalize() {},
  validate(obj) {
    const causes = metaCauses(obj);
    if (typeof obj.eventTime !== 'string')
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'eventTime' });
    for (const f of ['reportingController', 'reportingInstance', 'action', 'reason']) {
      const v = obj[f];
      if (typeof v !== 'string' || v === '')
        causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: f });
      else if (v.length > 128)
        causes.push({
          reason: 'FieldValueTooLong',
          message: 'Too long: must have at most 128 bytes',
          field: f,
        });
    }
    if (typeof obj.note === 'string' && obj.note.length > 1024)
      causes.push({
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 1024 bytes',
        field: 'note',
      });
    for (const f of [
      'deprecatedSource',
      'deprecatedFirstTimestamp',
      'deprecatedLastTimestamp',
      'deprecatedCount',
    ]) {
      if (obj[f] !== undefined && obj[f] !== null)
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(obj[f])}: needs to be unset`,
          field: f,
        });
    }
    if (obj.type !== 'Normal' && obj.type !== 'Warning')
      causes.push({
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: "${String(obj.type ?? '')}": supported values: "Normal", "Warning"`,
        field: 'type',
      });
    return causes;
  },
};

export const RESOURCE_TYPES: readonly ResourceType[] = [secrets, leases, coreEvents, eventsV1];

/** Unknown top-level fields of a body, for fieldValidation. */
export function unknownFields(type: ResourceType, obj: JsonObject): string[] {
  return Object.keys(obj).filter((k) => !type.knownFields.includes(k));
}

export function assertStatus(e: unknown): asserts e is StatusError {
  if (!(e instanceof StatusError)) throw e;
}

export type { Json };
