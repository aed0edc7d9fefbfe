/**
 * The desired state after loading and validation: plain data, references still by name
 * (resolved to ids only by the planner against the live state).
 *
 * YAML form (one resource per document, any number of documents per file, any directory depth):
 *
 *   apiVersion: scw-gitops/v1alpha1
 *   kind: ApiKey
 *   metadata:
 *     name: ci-deployer          # identity inside scw-gitops
 *     adopt: true                # optional: take over a live object of that name without our marker
 *   spec: { ... }                # per kind, below
 *
 * Durations are strings like `90d`, `12h`, `30m`, `1w`, `45s`, or combined `1d12h`.
 */
import type { SourceLocation } from './diagnostics.js';
import type { Address } from './resources.js';

interface DesiredBase {
  readonly address: Address;
  readonly name: string;
  /** Where `metadata.name` (or the document start) is. */
  readonly source: SourceLocation;
  /**
   * Where individual fields are written (dotted paths such as `spec.tags[1]`), for later
   * diagnostics only, packed in one string: read it with `fieldLocation()`. A record of location
   * objects per resource was most of a large desired state's memory (docs/design/performance.md).
   */
  readonly fieldLocations?: string;
  /** metadata.adopt: plan an adoption of an unmarked live object with this name. */
  readonly adopt: boolean;
}

/** kind: Project. spec: { description? } — the project name is metadata.name. */
export interface DesiredProject extends DesiredBase {
  readonly kind: 'Project';
  readonly description: string;
}

/** kind: Application. spec: { description?, tags? (≤ 10 including our ownership tag → ≤ 9 user tags) } */
export interface DesiredApplication extends DesiredBase {
  readonly kind: 'Application';
  readonly description: string;
  readonly tags: readonly string[];
}

/** Rotation policy of an API key (all durations in milliseconds). */
export interface RotationPolicy {
  /** Each new key gets `expires_at = creation + lifetime`. */
  readonly lifetimeMs?: number;
  /** Rotate this long before expiry. Default: one third of the lifetime. */
  readonly rotateBeforeMs?: number;
  /** For keys without expiry: rotate when older than this. */
  readonly maxAgeMs?: number;
  /** How long the previous key survives after the new secret is delivered. */
  readonly overlapMs?: number;
}

/** Where a key's secret goes: a sink declared in the settings, plus a per-key target. */
export interface SinkTarget {
  /** Name of a sink in the settings (`sinks:`); absent = the settings' default sink. */
  readonly sink?: string;
  /** Vault: secret path under the mount; file: file name (relative to the sink's directory). */
  readonly path?: string;
  /** Kubernetes: namespace (default: the sink's namespace). */
  readonly namespace?: string;
  /** Kubernetes: Secret name (default: the key's metadata.name). */
  readonly secretName?: string;
}

/**
 * kind: ApiKey. spec: {
 *   application: <Application name>,            # the bearer (required)
 *   defaultProject?: <Project name> | default,  # default: `default`, the org's default project
 *   description?: string,
 *   expiresAt?: RFC 3339 | lifetime?: duration, # mutually exclusive; neither = never expires
 *   rotation?: { rotateBefore?, maxAge?, overlap? } (durations),
 *   sink?: { name?, path?, namespace?, secretName? },
 *   adoptAccessKey?: SCW…                       # with metadata.adopt: take over this existing key
 * }
 */
export interface DesiredApiKey extends DesiredBase {
  readonly kind: 'ApiKey';
  /** Application name (bearer). */
  readonly application: string;
  /** Project name, or `default` for the organization's default project. */
  readonly defaultProject: string;
  readonly description: string;
  /** Absolute expiry (ISO, as written) — mutually exclusive with rotation.lifetimeMs. */
  readonly expiresAt?: string;
  readonly rotation: RotationPolicy;
  readonly sink: SinkTarget;
  /**
   * spec.adoptAccessKey: with `adopt`, take over this existing (unmarked) key instead of creating
   * one. Its secret was never held by scw-gitops: custody state `external` until the first rotation.
   */
  readonly adoptAccessKey?: string;
}

/** kind: Group. spec: { description?, tags?, members?: { applications?: [names] } } */
export interface DesiredGroup extends DesiredBase {
  readonly kind: 'Group';
  readonly description: string;
  readonly tags: readonly string[];
  /** Application names, in the order written (the API keeps member order). */
  readonly memberApplications: readonly string[];
}

export type DesiredPrincipal =
  | { readonly type: 'application'; readonly name: string }
  | { readonly type: 'group'; readonly name: string }
  | { readonly type: 'none' };

export interface DesiredRule {
  readonly permissionSets: readonly string[];
  /** `projects`: names (or `default`); `organization`: the whole organization. */
  readonly scope:
    | { readonly type: 'projects'; readonly projects: readonly string[] }
    | { readonly type: 'organization' };
  readonly condition: string;
}

/**
 * kind: Policy. spec: {
 *   description?, tags?,
 *   principal: { application: name } | { group: name } | { none: true },
 *   rules: [ { permissionSets: [..], projects: [names] | organization: true, condition? } ],
 *   acknowledgeDangerousPermissions?: true     # required to grant OrganizationManager/IAMManager-like sets to an application
 * }
 */
export interface DesiredPolicy extends DesiredBase {
  readonly kind: 'Policy';
  readonly description: string;
  readonly tags: readonly string[];
  readonly principal: DesiredPrincipal;
  readonly rules: readonly DesiredRule[];
  readonly acknowledgeDangerousPermissions: boolean;
}

export type DesiredResource =
  | DesiredProject
  | DesiredApplication
  | DesiredApiKey
  | DesiredGroup
  | DesiredPolicy;

export interface DesiredState {
  /** Root directory (or file) the state was read from. */
  readonly root: string;
  /** Git revision the files came from, when known. */
  readonly revision?: string;
  /** Every resource, sorted by address. */
  readonly resources: readonly DesiredResource[];
}

/**
 * `fieldLocations` from the per-field locations of one document (all in `file`): one
 * `path=line:col` line per field.
 */
export function packFieldLocations(file: string, sources: Readonly<Record<string, SourceLocation>>): string {
  const lines: string[] = [];
  for (const [path, loc] of Object.entries(sources)) {
    if (loc.file === file) lines.push(`${path}=${loc.line}:${loc.col}`); // a document lives in one file
  }
  // join() makes one flat string; `+=` would keep a rope of every piece alive (more memory than
  // the location objects it replaces)
  return lines.join('\n');
}

/** Where `field` of this resource is written, when known (see `fieldLocations`). */
export function fieldLocation(
  r: Pick<DesiredBase, 'source' | 'fieldLocations'>,
  field: string,
): SourceLocation | undefined {
  const packed = r.fieldLocations;
  if (packed === undefined) return undefined;
  const key = `${field}=`;
  let at = packed.startsWith(key) ? 0 : packed.indexOf(`\n${key}`);
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  const end = packed.indexOf('\n', at);
  const pos = packed.slice(at + key.length, end < 0 ? undefined : end);
  const colon = pos.indexOf(':');
  const line = Number(pos.slice(0, colon));
  const col = Number(pos.slice(colon + 1));
  return Number.isInteger(line) && Number.isInteger(col) ? { file: r.source.file, line, col } : undefined;
}
