/**
 * Rules across fields and across resources (pure): ownership-marker room in descriptions, expiry
 * in the future, rotation arithmetic, sinks, duplicates, references between resources, reserved
 * names, dangerous permission sets. Then the conversion to `DesiredResource`s.
 *
 * References are checked against every declared name, including names of documents that have
 * other errors, so one typo does not cascade into a dozen "not declared" errors.
 */
import type {
  DesiredApiKey,
  DesiredApplication,
  DesiredGroup,
  DesiredPolicy,
  DesiredPrincipal,
  DesiredProject,
  DesiredResource,
  DesiredRule,
  RotationPolicy,
  SinkTarget,
} from '../model/desired.js';
import { defined } from '../model/defined.js';
import { packFieldLocations } from '../model/desired.js';
import type { Diagnostic, Severity, SourceLocation } from '../model/diagnostics.js';
import { INSTANCE_PATTERN, maxKeyMarkerLength, maxProjectMarkerLength } from '../model/ownership.js';
import { compareAddresses, type Kind } from '../model/resources.js';
import {
  type PlacedSecret,
  physicalPlace,
  placeField,
  resolveSink,
  type SinkLayout,
  sinkCollisions,
} from '../model/sink-location.js';
import { didYouMean } from './did-you-mean.js';
import { formatDuration, parseDuration } from '../model/duration.js';
import { DANGEROUS_PERMISSION_SETS, MAX_DESCRIPTION_LENGTH } from './fields.js';
import type { GuessedName, ParsedDocument } from './parse.js';

export interface ValidateOptions {
  /** Settings `instance`: decides the ownership markers, hence the room left in descriptions. */
  readonly instance: string;
  /** "Now" for expiry checks. */
  readonly now: Date;
  /** Sink names from the settings; when given, `spec.sink.name` must be one of them. */
  readonly sinkNames?: readonly string[];
  /** The settings' `defaults.sink`; keys without `sink.name` use it. */
  readonly defaultSink?: string;
  /**
   * The declared sinks' layouts (settings `sinks:`). When given, two keys are checked for sharing
   * a secret location after every default is applied (file extension, namespace, Vault prefix).
   */
  readonly sinkLayouts?: readonly SinkLayout[];
}

/** The organization's default project: always a valid reference, never declarable. */
export const DEFAULT_PROJECT = 'default';

type Rec = Readonly<Record<string, unknown>>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const rec = (v: unknown): Rec | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
/**
 * The strings of a list, in an array of exactly their number: an array built by pushing keeps
 * spare capacity, a few hundred bytes per resource of a large desired state (docs/design/performance.md).
 */
const strings = (v: unknown): string[] => {
  if (!Array.isArray(v)) return [];
  const all = v.every((x) => typeof x === 'string') ? v : v.filter((x): x is string => typeof x === 'string');
  return all.slice();
};

function fmtLoc(l: SourceLocation): string {
  return `${l.file}:${l.line}:${l.col}`;
}

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly doc: ParsedDocument | undefined) {}

  at(path: string): SourceLocation | undefined {
    const d = this.doc;
    if (!d) return undefined;
    return d.valueSources[path] ?? d.fieldSources[path] ?? d.source;
  }

  add(severity: Severity, code: string, path: string | undefined, message: string, hint?: string): void {
    const location = path === undefined ? this.doc?.source : this.at(path);
    this.diagnostics.push({
      severity,
      code,
      message,
      ...(location ? { location } : {}),
      ...(this.doc ? { resource: this.doc.address } : {}),
      ...(path ? { field: path } : {}),
      ...(hint ? { hint } : {}),
    });
  }
}

/**
 * The first instant at which `validateDocuments` could answer differently for these documents and
 * the same options: the earliest `expiresAt` still ahead (an `expiresAt` at or before `now` is an
 * error). Keep it in step with every use of `opts.now` below: it is what lets the daemon reuse a
 * result (src/desired/parse-cache.ts).
 */
export function validityEnd(docs: readonly ParsedDocument[]): number {
  let end = Number.POSITIVE_INFINITY;
  for (const d of docs) {
    if (d.kind !== 'ApiKey') continue;
    const expiresAt = str(d.spec['expiresAt']);
    if (expiresAt === undefined) continue;
    const t = Date.parse(expiresAt.toUpperCase());
    if (!Number.isNaN(t) && t < end) end = t;
  }
  return end;
}

/**
 * Whether a field was written but the field checks rejected it (or a mapping or list it is part
 * of, or a part of it). Such a field is missing from `spec`, yet it is not absent: the rules below
 * stay silent about it rather than report a follow-on of the same mistake.
 */
function isInvalid(d: ParsedDocument, path: string): boolean {
  for (const bad of d.invalidFields) {
    if (bad === path || path.startsWith(`${bad}.`) || path.startsWith(`${bad}[`)) return true;
    if (bad.startsWith(`${path}.`) || bad.startsWith(`${path}[`)) return true;
  }
  return false;
}

/** The field is written in the document, whether or not its value is valid. */
function isWritten(d: ParsedDocument, path: string): boolean {
  return d.fieldSources[path] !== undefined || isInvalid(d, path);
}

export function validateDocuments(
  docs: readonly ParsedDocument[],
  opts: ValidateOptions,
  guessedNames: readonly GuessedName[] = [],
): { resources: DesiredResource[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (!INSTANCE_PATTERN.test(opts.instance)) {
    diagnostics.push({
      severity: 'error',
      code: 'invalid-instance',
      message: `instance ${JSON.stringify(opts.instance)} is not valid: 1-32 characters of [a-z0-9-], starting with a letter or digit`,
    });
  }

  // Duplicates: report every occurrence, each pointing at the others.
  const byAddress = new Map<string, ParsedDocument[]>();
  for (const d of docs) byAddress.set(d.address, [...(byAddress.get(d.address) ?? []), d]);
  for (const [addr, group] of byAddress) {
    if (group.length < 2) continue;
    for (const d of group) {
      const others = group.filter((o) => o !== d).map((o) => fmtLoc(o.source));
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-name',
        message: `${addr} is declared ${group.length} times; also at ${others.join(', ')}`,
        location: d.source,
        resource: addr,
        field: 'metadata.name',
      });
    }
  }

  // One live key can be adopted by one ApiKey only.
  const byAccessKey = new Map<string, ParsedDocument[]>();
  for (const d of docs) {
    const ak = d.kind === 'ApiKey' ? str(d.spec['adoptAccessKey']) : undefined;
    if (ak !== undefined) byAccessKey.set(ak, [...(byAccessKey.get(ak) ?? []), d]);
  }
  for (const [ak, group] of byAccessKey) {
    if (group.length < 2) continue;
    for (const d of group) {
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-adopt',
        message: `access key ${ak} is adopted by ${group.length} keys: ${group.map((o) => o.address).join(', ')}`,
        location: d.fieldSources['spec.adoptAccessKey'] ?? d.source,
        resource: d.address,
        field: 'spec.adoptAccessKey',
      });
    }
  }

  // Names of documents with a misspelt kind count too: their kind's error is the one mistake.
  const declared = new Map<Kind, Set<string>>();
  for (const d of [...docs, ...guessedNames]) {
    const set = declared.get(d.kind) ?? new Set<string>();
    set.add(d.name);
    declared.set(d.kind, set);
  }

  for (const d of docs) {
    const r = new Reporter(d);
    const ref = (kind: Kind, path: string, name: string | undefined, allowDefault = false): void => {
      if (name === undefined) return;
      if (allowDefault && name === DEFAULT_PROJECT) return;
      const names = declared.get(kind) ?? new Set<string>();
      if (names.has(name)) return;
      const candidates = allowDefault ? [...names, DEFAULT_PROJECT] : [...names];
      r.add(
        'error',
        'dangling-reference',
        path,
        `refers to ${kind} ${JSON.stringify(name)}, which is not declared${allowDefault ? ` (and is not \`${DEFAULT_PROJECT}\`)` : ''}`,
        didYouMean(name, candidates),
      );
    };
    switch (d.kind) {
      case 'Project':
        checkProject(d, r, opts);
        break;
      case 'Application':
        break;
      case 'ApiKey':
        checkApiKey(d, r, opts);
        ref('Application', 'spec.application', str(d.spec['application']));
        ref('Project', 'spec.defaultProject', str(d.spec['defaultProject']), true);
        break;
      case 'Group': {
        const members = rec(d.spec['members']);
        const apps = members?.['applications'];
        if (Array.isArray(apps)) {
          apps.forEach((a, i) => {
            ref('Application', `spec.members.applications[${i}]`, str(a));
          });
        }
        break;
      }
      case 'Policy': {
        const principal = rec(d.spec['principal']);
        ref('Application', 'spec.principal.application', str(principal?.['application']));
        ref('Group', 'spec.principal.group', str(principal?.['group']));
        const rules = Array.isArray(d.spec['rules']) ? (d.spec['rules'] as unknown[]) : [];
        rules.forEach((rule, i) => {
          const projects = rec(rule)?.['projects'];
          if (Array.isArray(projects)) {
            projects.forEach((p, j) => {
              ref('Project', `spec.rules[${i}].projects[${j}]`, str(p), true);
            });
          }
        });
        checkPolicy(d, r);
        break;
      }
    }
    for (const x of r.diagnostics) diagnostics.push(x);
  }
  for (const x of checkSinkCollisions(docs, opts)) diagnostics.push(x);

  const hasError = diagnostics.some((x) => x.severity === 'error') || docs.some((d) => !d.valid);
  const resources = hasError
    ? []
    : docs.map(toResource).sort((a, b) => compareAddresses(a.address, b.address));
  return { resources, diagnostics };
}

function checkDescriptionRoom(d: ParsedDocument, r: Reporter, markerLength: number, marker: string): void {
  const description = str(d.spec['description']);
  if (description === undefined) return;
  const len = [...description].length;
  const room = MAX_DESCRIPTION_LENGTH - markerLength;
  if (len > room) {
    r.add(
      'error',
      'too-long',
      'spec.description',
      `is ${len} characters long; the maximum is ${room} because scw-gitops appends its ownership marker ${JSON.stringify(marker)} and Scaleway allows ${MAX_DESCRIPTION_LENGTH}`,
    );
  }
}

function checkProject(d: ParsedDocument, r: Reporter, opts: ValidateOptions): void {
  if (d.name === DEFAULT_PROJECT) {
    r.add(
      'error',
      'reserved-name',
      'metadata.name',
      `the project \`${DEFAULT_PROJECT}\` is the organization's default project and belongs to Scaleway; it cannot be declared`,
      `refer to it as \`${DEFAULT_PROJECT}\` from ApiKey.spec.defaultProject or Policy rules without declaring it`,
    );
  }
  checkDescriptionRoom(d, r, maxProjectMarkerLength(opts.instance), ` [scw-gitops:${opts.instance}]`);
}

function checkApiKey(d: ParsedDocument, r: Reporter, opts: ValidateOptions): void {
  checkDescriptionRoom(
    d,
    r,
    maxKeyMarkerLength(opts.instance, d.name),
    ` [scw-gitops:${opts.instance}:${d.name}:retiring]`,
  );
  const spec = d.spec;
  if (
    str(spec['adoptAccessKey']) !== undefined &&
    d.metadata['adopt'] !== true &&
    !isInvalid(d, 'metadata.adopt')
  ) {
    r.add(
      'error',
      'adopt-required',
      'spec.adoptAccessKey',
      'naming an existing key to take over needs `metadata.adopt: true`',
      'set `metadata.adopt: true`, or remove `spec.adoptAccessKey` to create a new key',
    );
  }
  const expiresAt = str(spec['expiresAt']);
  if (expiresAt !== undefined) {
    const t = Date.parse(expiresAt.toUpperCase());
    if (!Number.isNaN(t) && t <= opts.now.getTime()) {
      r.add(
        'error',
        'expired',
        'spec.expiresAt',
        `${expiresAt} is not in the future (now is ${opts.now.toISOString()})`,
        'use `lifetime` for keys that should be renewed automatically',
      );
    }
  }
  const dur = (v: unknown): number | undefined => {
    const s = str(v);
    return s === undefined ? undefined : parseDuration(s);
  };
  const rotation = rec(spec['rotation']) ?? {};
  const lifetime = dur(spec['lifetime']);
  const rotateBefore = dur(rotation['rotateBefore']);
  const maxAge = dur(rotation['maxAge']);
  const overlap = dur(rotation['overlap']);
  const positive = (path: string, v: number | undefined): boolean => {
    if (v === undefined) return false;
    if (v > 0) return true;
    r.add('error', 'invalid-duration', path, 'must be longer than 0s');
    return false;
  };
  const hasLifetime = positive('spec.lifetime', lifetime);
  const hasRotateBefore = positive('spec.rotation.rotateBefore', rotateBefore);
  const hasMaxAge = positive('spec.rotation.maxAge', maxAge);
  const f = formatDuration;

  const written = (path: string) => isWritten(d, path);
  if (hasRotateBefore) {
    if (written('spec.expiresAt')) {
      r.add(
        'error',
        'rotation-conflict',
        'spec.rotation.rotateBefore',
        'cannot be used with `spec.expiresAt`: a fixed expiry cannot be renewed',
        'use `spec.lifetime` instead of `spec.expiresAt` for rotated keys',
      );
    } else if (hasLifetime && rotateBefore! >= lifetime!) {
      r.add(
        'error',
        'rotation-conflict',
        'spec.rotation.rotateBefore',
        `${f(rotateBefore!)} must be shorter than spec.lifetime (${f(lifetime!)})`,
      );
    } else if (!written('spec.lifetime')) {
      r.add(
        'warning',
        'rotation-ineffective',
        'spec.rotation.rotateBefore',
        'has no effect without a lifetime (`spec.lifetime`, or the settings’ `defaults.rotation.lifetime`)',
      );
    }
  }
  if (hasMaxAge && (expiresAt !== undefined || lifetime !== undefined)) {
    r.add(
      'error',
      'rotation-conflict',
      'spec.rotation.maxAge',
      `is for keys without expiry and cannot be used with \`spec.${expiresAt !== undefined ? 'expiresAt' : 'lifetime'}\``,
      lifetime !== undefined ? 'with a lifetime, use `rotation.rotateBefore`' : undefined,
    );
  }
  // The overlap is checked against rotateBefore / maxAge only when those are usable or absent.
  const rotationUsable = !['spec.lifetime', 'spec.rotation.rotateBefore', 'spec.rotation.maxAge'].some((p) =>
    isInvalid(d, p),
  );
  if (overlap !== undefined && rotationUsable) {
    if (hasLifetime && (rotateBefore === undefined || rotateBefore < lifetime!)) {
      const rb = rotateBefore ?? Math.floor(lifetime! / 3);
      const usable = lifetime! - rb;
      if (overlap >= usable) {
        r.add(
          'error',
          'rotation-conflict',
          'spec.rotation.overlap',
          `${f(overlap)} must be shorter than the time from a key's creation to its rotation: lifetime − rotateBefore = ${f(lifetime!)} − ${f(rb)}${rotateBefore === undefined ? ' (default: a third of the lifetime)' : ''} = ${f(usable)}`,
        );
      } else if (overlap > rb) {
        r.add(
          'warning',
          'overlap-exceeds-expiry',
          'spec.rotation.overlap',
          `${f(overlap)} is longer than rotateBefore (${f(rb)}): the previous key expires before the overlap ends`,
        );
      }
    } else if (hasMaxAge && expiresAt === undefined && lifetime === undefined && overlap >= maxAge!) {
      r.add(
        'error',
        'rotation-conflict',
        'spec.rotation.overlap',
        `${f(overlap)} must be shorter than rotation.maxAge (${f(maxAge!)})`,
      );
    }
  }
  if (!written('spec.expiresAt') && !written('spec.lifetime') && !written('spec.rotation.maxAge')) {
    r.add(
      'warning',
      'never-expires',
      undefined,
      'this key never expires and is never rotated (unless the settings’ `defaults.rotation` set a lifetime or maxAge)',
      'set `spec.lifetime` (rotated before expiry), `spec.expiresAt` or `spec.rotation.maxAge`',
    );
  }

  const sink = rec(spec['sink']) ?? {};
  const sinkName = str(sink['name']);
  if (opts.sinkNames !== undefined && !isInvalid(d, 'spec.sink.name')) {
    if (sinkName !== undefined && !opts.sinkNames.includes(sinkName)) {
      r.add(
        'error',
        'unknown-sink',
        'spec.sink.name',
        `sink ${JSON.stringify(sinkName)} is not declared in the settings (sinks: ${opts.sinkNames.length > 0 ? opts.sinkNames.join(', ') : 'none'})`,
        didYouMean(sinkName, opts.sinkNames),
      );
    } else if (sinkName === undefined && opts.defaultSink === undefined && spec['sink'] === undefined) {
      r.add(
        'error',
        'no-sink',
        undefined,
        'the key names no sink (`spec.sink.name`) and the settings define no `defaults.sink`; its secret would have nowhere to go',
      );
    } else if (sinkName === undefined && opts.defaultSink === undefined) {
      r.add(
        'error',
        'no-sink',
        'spec.sink',
        '`spec.sink.name` is missing and the settings define no `defaults.sink`; its secret would have nowhere to go',
      );
    }
  }
  const path = str(sink['path']);
  if (path?.split('/').some((seg) => seg === '.' || seg === '..')) {
    r.add(
      'error',
      'invalid-path',
      'spec.sink.path',
      `${JSON.stringify(path)} must not contain \`.\` or \`..\` segments`,
    );
  }
}

/**
 * Two keys writing to the same place would overwrite each other's secret (and each would then look
 * lost and be rotated, every pass). With the sinks' layouts, places are compared fully resolved
 * (model/sink-location.ts). Without them (`validate` with no settings), both location forms are
 * compared as written: the path (file, Vault; default: the key name) and namespace + Secret name
 * (Kubernetes; default Secret name: the key name).
 */
function checkSinkCollisions(docs: readonly ParsedDocument[], opts: ValidateOptions): Diagnostic[] {
  // A key whose sink location is invalid has no location to compare (its own error says so).
  const keys = docs.filter((d) => d.kind === 'ApiKey' && !isInvalid(d, 'spec.sink'));
  const placed: PlacedSecret[] = [];
  const at = (d: ParsedDocument, field: string) => d.valueSources[field] ?? d.source;
  for (const d of keys) {
    const sink = rec(d.spec['sink']) ?? {};
    const target: SinkTarget = defined({
      sink: str(sink['name']),
      path: str(sink['path']),
      namespace: str(sink['namespace']),
      secretName: str(sink['secretName']),
    });
    if (opts.sinkLayouts !== undefined && opts.sinkLayouts.length > 0) {
      const resolved = resolveSink({ name: d.name, sink: target }, opts.sinkLayouts, opts.defaultSink);
      if (!resolved.ok || !resolved.layout) continue; // an unknown sink is reported on its own
      const field = placeField({ sink: target }, resolved.sink.type);
      placed.push({
        resource: d.address,
        place: physicalPlace(resolved.sink, resolved.layout),
        target: resolved.sink.target,
        location: at(d, field),
        field,
      });
      continue;
    }
    const sinkName = target.sink ?? opts.defaultSink ?? '';
    const pathField = target.path !== undefined ? 'spec.sink.path' : 'metadata.name';
    const path = target.path ?? d.name;
    placed.push({
      resource: d.address,
      place: JSON.stringify([sinkName, 'path', path]),
      target: `path "${path}" of sink ${sinkName || '(default)'}`,
      location: at(d, pathField),
      field: pathField,
    });
    const secretField = target.secretName !== undefined ? 'spec.sink.secretName' : 'metadata.name';
    const secretName = target.secretName ?? d.name;
    placed.push({
      resource: d.address,
      place: JSON.stringify([sinkName, 'secret', target.namespace ?? '', secretName]),
      target: `Secret ${target.namespace ?? '(sink namespace)'}/${secretName} of sink ${sinkName || '(default)'}`,
      location: at(d, secretField),
      field: secretField,
    });
  }
  return sinkCollisions(placed);
}

function checkPolicy(d: ParsedDocument, r: Reporter): void {
  const principal = rec(d.spec['principal']);
  const grantsToBearer = principal?.['application'] !== undefined || principal?.['group'] !== undefined;
  const acknowledged = d.spec['acknowledgeDangerousPermissions'] === true;
  const rules = Array.isArray(d.spec['rules']) ? (d.spec['rules'] as unknown[]) : [];
  let dangerous = false;
  rules.forEach((rule, i) => {
    strings(rec(rule)?.['permissionSets']).forEach((ps, j) => {
      if (!DANGEROUS_PERMISSION_SETS.includes(ps)) return;
      dangerous = true;
      if (grantsToBearer && !acknowledged) {
        r.add(
          'error',
          'dangerous-permissions',
          `spec.rules[${i}].permissionSets[${j}]`,
          `${ps} lets its holder manage IAM or the organization (including granting itself more rights)`,
          'set `spec.acknowledgeDangerousPermissions: true` if this is intended',
        );
      }
    });
  });
  if (acknowledged && !dangerous && !isInvalid(d, 'spec.rules')) {
    r.add(
      'warning',
      'unneeded-acknowledgement',
      'spec.acknowledgeDangerousPermissions',
      `no rule grants a dangerous permission set (${DANGEROUS_PERMISSION_SETS.join(', ')}); remove the acknowledgement`,
    );
  }
}

// ---------------------------------------------------------------- conversion

/**
 * The fields every kind has. Spelled out in each object literal below rather than spread: an
 * object built by spreading then adding keeps its properties out of line, larger at 10,000
 * resources than one literal of all its fields.
 */
function base(d: ParsedDocument) {
  return {
    address: d.address,
    name: d.name,
    source: d.source,
    fieldLocations: packFieldLocations(d.source.file, d.fieldSources),
    adopt: d.metadata['adopt'] === true,
  };
}

function toResource(d: ParsedDocument): DesiredResource {
  const s = d.spec;
  const description = str(s['description']) ?? '';
  const { address, name, source, fieldLocations, adopt } = base(d);
  switch (d.kind) {
    case 'Project':
      return {
        address,
        name,
        source,
        fieldLocations,
        adopt,
        kind: 'Project',
        description,
      } satisfies DesiredProject;
    case 'Application':
      return {
        address,
        name,
        source,
        fieldLocations,
        adopt,
        kind: 'Application',
        description,
        tags: strings(s['tags']),
      } satisfies DesiredApplication;
    case 'Group':
      return {
        address,
        name,
        source,
        fieldLocations,
        adopt,
        kind: 'Group',
        description,
        tags: strings(s['tags']),
        memberApplications: strings(rec(s['members'])?.['applications']),
      } satisfies DesiredGroup;
    case 'Policy': {
      const p = rec(s['principal']) ?? {};
      const principal: DesiredPrincipal =
        typeof p['application'] === 'string'
          ? { type: 'application', name: p['application'] }
          : typeof p['group'] === 'string'
            ? { type: 'group', name: p['group'] }
            : { type: 'none' };
      const rules: DesiredRule[] = (Array.isArray(s['rules']) ? (s['rules'] as unknown[]) : []).map((raw) => {
        const rule = rec(raw) ?? {};
        return {
          permissionSets: strings(rule['permissionSets']),
          scope:
            rule['organization'] === true
              ? { type: 'organization' }
              : { type: 'projects', projects: strings(rule['projects']) },
          condition: str(rule['condition']) ?? '',
        };
      });
      return {
        address,
        name,
        source,
        fieldLocations,
        adopt,
        kind: 'Policy',
        description,
        tags: strings(s['tags']),
        principal,
        rules,
        acknowledgeDangerousPermissions: s['acknowledgeDangerousPermissions'] === true,
      } satisfies DesiredPolicy;
    }
    case 'ApiKey': {
      const rot = rec(s['rotation']) ?? {};
      const ms = (v: unknown): number | undefined => (typeof v === 'string' ? parseDuration(v) : undefined);
      const lifetimeMs = ms(s['lifetime']);
      const rotateBeforeMs = ms(rot['rotateBefore']);
      const maxAgeMs = ms(rot['maxAge']);
      const overlapMs = ms(rot['overlap']);
      const rotation: RotationPolicy = {
        ...(lifetimeMs !== undefined ? { lifetimeMs } : {}),
        ...(rotateBeforeMs !== undefined ? { rotateBeforeMs } : {}),
        ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
        ...(overlapMs !== undefined ? { overlapMs } : {}),
      };
      const sk = rec(s['sink']) ?? {};
      const sink: SinkTarget = {
        ...(typeof sk['name'] === 'string' ? { sink: sk['name'] } : {}),
        ...(typeof sk['path'] === 'string' ? { path: sk['path'] } : {}),
        ...(typeof sk['namespace'] === 'string' ? { namespace: sk['namespace'] } : {}),
        ...(typeof sk['secretName'] === 'string' ? { secretName: sk['secretName'] } : {}),
      };
      const expiresAt = str(s['expiresAt']);
      const adoptAccessKey = str(s['adoptAccessKey']);
      return {
        address,
        name,
        source,
        fieldLocations,
        adopt,
        kind: 'ApiKey',
        application: str(s['application']) ?? '',
        defaultProject: str(s['defaultProject']) ?? DEFAULT_PROJECT,
        description,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        rotation,
        sink,
        ...(adoptAccessKey !== undefined ? { adoptAccessKey } : {}),
      } satisfies DesiredApiKey;
    }
  }
}
