/**
 * Ownership without a state file. scw-gitops owns only what it marked:
 *
 * - Applications, groups, policies (they have tags): the tag `scw-gitops=<instance>`.
 * - Projects (no tags): a marker at the end of the description, `[scw-gitops:<instance>]`.
 * - API keys (no tags, no name): a marker at the end of the description that also carries the
 *   key's desired name and its custody state, `[scw-gitops:<instance>:<name>:<state>]`.
 *
 * `instance` (settings) lets several deployments share one organization without touching each
 * other's objects. Instance names: 1-32 chars of [a-z0-9-].
 *
 * `metadata.lifecycle.preventDestroy` is recorded on the live object too, so that it still holds
 * once the object is gone from git (docs/concepts.md, "Preventing destruction"):
 *
 * - tagged kinds: the tag `scw-gitops-prevent-destroy=<instance>`, before the ownership tag;
 * - projects: the marker `[scw-gitops:<instance>:prevent-destroy]`;
 * - API keys: the marker `[scw-gitops:<instance>:<name>:<state>:prevent-destroy]`.
 */

export const OWNER_TAG_PREFIX = 'scw-gitops=';
/** The tag recording `metadata.lifecycle.preventDestroy` on applications, groups and policies. */
export const PREVENT_DESTROY_TAG_PREFIX = 'scw-gitops-prevent-destroy=';
const PREVENT_DESTROY = 'prevent-destroy';
export const INSTANCE_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const DEFAULT_INSTANCE = 'default';

/** Custody states of an API key, carried in its description marker. */
export type KeyState =
  /** created; secret not yet confirmed in its sink. */
  | 'pending'
  /** secret written to its sink and verified. */
  | 'ready'
  /** superseded by a newer key of the same name; deleted once the overlap has elapsed. */
  | 'retiring'
  /**
   * adopted existing key (spec.adoptAccessKey): its secret was never held by scw-gitops, so
   * custody is not checked; replaced by a `ready` key at its first rotation.
   */
  | 'external';

const KEY_STATES: readonly KeyState[] = ['pending', 'ready', 'retiring', 'external'];

export function ownerTag(instance: string): string {
  return `${OWNER_TAG_PREFIX}${instance}`;
}

/** The instance that owns a tagged object, if any. */
export function ownerFromTags(tags: readonly string[]): string | undefined {
  const t = tags.find((x) => x.startsWith(OWNER_TAG_PREFIX));
  return t === undefined ? undefined : t.slice(OWNER_TAG_PREFIX.length);
}

export function preventDestroyTag(instance: string): string {
  return `${PREVENT_DESTROY_TAG_PREFIX}${instance}`;
}

/** Does a tagged object carry the preventDestroy tag of `instance`? */
export function hasPreventDestroyTag(tags: readonly string[], instance: string): boolean {
  return tags.includes(preventDestroyTag(instance));
}

/** Tags without ours (what the user wrote). */
export function userTags(tags: readonly string[]): string[] {
  return tags.filter((t) => !t.startsWith(OWNER_TAG_PREFIX) && !t.startsWith(PREVENT_DESTROY_TAG_PREFIX));
}

/** User tags + the preventDestroy tag when asked + our ownership tag, the latter last. */
export function withOwnerTag(tags: readonly string[], instance: string, preventDestroy = false): string[] {
  return [...userTags(tags), ...(preventDestroy ? [preventDestroyTag(instance)] : []), ownerTag(instance)];
}

const PROJECT_MARKER = /(?:^| )\[scw-gitops:([a-z0-9][a-z0-9-]{0,31})(:prevent-destroy)?\]$/;
const KEY_MARKER =
  /(?:^| )\[scw-gitops:([a-z0-9][a-z0-9-]{0,31}):([^\]:\s][^\]:]*):(pending|ready|retiring|external)(:prevent-destroy)?\]$/;

export function projectMarker(instance: string, preventDestroy = false): string {
  return `[scw-gitops:${instance}${preventDestroy ? `:${PREVENT_DESTROY}` : ''}]`;
}

export function keyMarker(instance: string, name: string, state: KeyState, preventDestroy = false): string {
  return `[scw-gitops:${instance}:${name}:${state}${preventDestroy ? `:${PREVENT_DESTROY}` : ''}]`;
}

function join(description: string, marker: string): string {
  return description.length === 0 ? marker : `${description} ${marker}`;
}

export function markProjectDescription(
  description: string,
  instance: string,
  preventDestroy = false,
): string {
  return join(description, projectMarker(instance, preventDestroy));
}

export function parseProjectDescription(description: string): {
  description: string;
  instance?: string;
  /** The marker records metadata.lifecycle.preventDestroy. */
  preventDestroy?: boolean;
} {
  const m = PROJECT_MARKER.exec(description);
  if (!m) return { description };
  return { description: description.slice(0, m.index), instance: m[1]!, preventDestroy: m[2] !== undefined };
}

export function markKeyDescription(
  description: string,
  instance: string,
  name: string,
  state: KeyState,
  preventDestroy = false,
): string {
  return join(description, keyMarker(instance, name, state, preventDestroy));
}

export interface KeyMarker {
  readonly instance: string;
  readonly name: string;
  readonly state: KeyState;
  /** The marker records metadata.lifecycle.preventDestroy (absent = false). */
  readonly preventDestroy?: boolean;
}

export function parseKeyDescription(description: string): { description: string; marker?: KeyMarker } {
  const m = KEY_MARKER.exec(description);
  if (!m) return { description };
  const state = m[3] as KeyState;
  if (!KEY_STATES.includes(state)) return { description };
  return {
    description: description.slice(0, m.index),
    marker: { instance: m[1]!, name: m[2]!, state, ...(m[4] !== undefined ? { preventDestroy: true } : {}) },
  };
}

/** Longest marker a key of this name can carry; validation keeps description + marker ≤ 200. */
export function maxKeyMarkerLength(instance: string, name: string, preventDestroy = false): number {
  return 1 + keyMarker(instance, name, 'retiring', preventDestroy).length;
}

export function maxProjectMarkerLength(instance: string, preventDestroy = false): number {
  return 1 + projectMarker(instance, preventDestroy).length;
}

/** Objects Scaleway marks managed, not editable or not deletable are never changed. */
export function isProtected(o: { managed: boolean; editable: boolean; deletable: boolean }): boolean {
  return o.managed || !o.editable || !o.deletable;
}
