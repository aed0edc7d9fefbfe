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
 */

export const OWNER_TAG_PREFIX = 'scw-gitops=';
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

/** Tags without ours (what the user wrote). */
export function userTags(tags: readonly string[]): string[] {
  return tags.filter((t) => !t.startsWith(OWNER_TAG_PREFIX));
}

/** User tags + our ownership tag, the latter last. */
export function withOwnerTag(tags: readonly string[], instance: string): string[] {
  return [...userTags(tags), ownerTag(instance)];
}

const PROJECT_MARKER = /(?:^| )\[scw-gitops:([a-z0-9][a-z0-9-]{0,31})\]$/;
const KEY_MARKER =
  /(?:^| )\[scw-gitops:([a-z0-9][a-z0-9-]{0,31}):([^\]:\s][^\]:]*):(pending|ready|retiring|external)\]$/;

export function projectMarker(instance: string): string {
  return `[scw-gitops:${instance}]`;
}

export function keyMarker(instance: string, name: string, state: KeyState): string {
  return `[scw-gitops:${instance}:${name}:${state}]`;
}

function join(description: string, marker: string): string {
  return description.length === 0 ? marker : `${description} ${marker}`;
}

export function markProjectDescription(description: string, instance: string): string {
  return join(description, projectMarker(instance));
}

export function parseProjectDescription(description: string): { description: string; instance?: string } {
  const m = PROJECT_MARKER.exec(description);
  if (!m) return { description };
  return { description: description.slice(0, m.index), instance: m[1]! };
}

export function markKeyDescription(
  description: string,
  instance: string,
  name: string,
  state: KeyState,
): string {
  return join(description, keyMarker(instance, name, state));
}

export interface KeyMarker {
  readonly instance: string;
  readonly name: string;
  readonly state: KeyState;
}

export function parseKeyDescription(description: string): { description: string; marker?: KeyMarker } {
  const m = KEY_MARKER.exec(description);
  if (!m) return { description };
  const state = m[3] as KeyState;
  if (!KEY_STATES.includes(state)) return { description };
  return { description: description.slice(0, m.index), marker: { instance: m[1]!, name: m[2]!, state } };
}

/** Longest marker a key of this name can carry; validation keeps description + marker ≤ 200. */
export function maxKeyMarkerLength(instance: string, name: string): number {
  return 1 + keyMarker(instance, name, 'retiring').length;
}

export function maxProjectMarkerLength(instance: string): number {
  return 1 + projectMarker(instance).length;
}

/** Objects Scaleway marks managed, not editable or not deletable are never changed. */
export function isProtected(o: { managed: boolean; editable: boolean; deletable: boolean }): boolean {
  return o.managed || !o.editable || !o.deletable;
}
