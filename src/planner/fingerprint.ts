/**
 * `liveFingerprint`: SHA-256 over a canonical JSON of the live objects a plan depends on (owned,
 * conflicting and referenced), normalised so that noise (server counters, listing order,
 * observation time) does not change it. `apply --plan` re-observes and refuses when it differs.
 * node:crypto is the only I/O-free Node import the planner uses.
 */
import { createHash } from 'node:crypto';
import type { LiveState, Rule } from '../model/live.js';
import { sortKeys } from '../model/sort-keys.js';
import { ownerFromTags, parseKeyDescription, parseProjectDescription } from '../model/ownership.js';
import type { FingerprintScope } from '../model/plan.js';
import type { Kind } from '../model/resources.js';

/** JSON with object keys sorted recursively; arrays keep their order (callers sort when not semantic). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

const COUNTERS = new Set(['nbApiKeys', 'nbRules', 'nbScopes', 'nbPermissionSets']);

function withoutCounters(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!COUNTERS.has(k)) out[k] = v;
  return out;
}

export interface FingerprintInput {
  readonly organizationId: string;
  /** kind → objects (any order); each has a stable `id` or `accessKey`. */
  readonly objects: Readonly<Record<string, readonly object[]>>;
  /** policy id → rules */
  readonly rules: ReadonlyMap<string, readonly { readonly id: string }[]>;
}

export function liveFingerprint(input: FingerprintInput): string {
  const kinds: Record<string, unknown> = {};
  for (const kind of Object.keys(input.objects).sort()) {
    const list = input.objects[kind] ?? [];
    const seen = new Map<string, Record<string, unknown>>();
    for (const o of list) {
      const r = withoutCounters(o);
      const id = String(r.id ?? r.accessKey ?? '');
      seen.set(id, r);
    }
    kinds[kind] = [...seen.keys()].sort().map((id) => seen.get(id));
  }
  const rules: Record<string, unknown> = {};
  for (const id of [...input.rules.keys()].sort()) {
    // Rule ids change on every PUT; compare rules by content, in a canonical order.
    const list = (input.rules.get(id) ?? []).map((r) => {
      const { id: _ignored, ...rest } = r as { id: string } & Record<string, unknown>;
      return canonicalJson(rest);
    });
    rules[id] = list.sort();
  }
  const doc = canonicalJson({ organizationId: input.organizationId, kinds, rules });
  return `sha256:${createHash('sha256').update(doc).digest('hex')}`;
}

export type { FingerprintScope } from '../model/plan.js';

/**
 * Fingerprint of a live state as a plan sees it: every object our instance owns, plus the
 * objects named in `scope` (conflicting, adopted or referenced ones). Computable again from a
 * fresh listing and the saved plan alone, which is what `apply --plan` does.
 */
export function fingerprintLive(live: LiveState, instance: string, scope: FingerprintScope): string {
  const sets = new Map<Kind, Set<string>>();
  for (const [kind, ids] of Object.entries(scope) as [Kind, readonly string[]][])
    sets.set(kind, new Set(ids));
  const inScope = (kind: Kind, id: string) => sets.get(kind)?.has(id) ?? false;
  const tagged = (tags: readonly string[]) => ownerFromTags(tags) === instance;
  const policies = live.policies.filter((p) => tagged(p.tags) || inScope('Policy', p.id));
  const rules = new Map<string, readonly Rule[]>();
  for (const p of policies) {
    const r = live.rules.get(p.id);
    if (r) rules.set(p.id, r);
  }
  return liveFingerprint({
    organizationId: live.organizationId,
    objects: {
      Project: live.projects.filter(
        (p) => parseProjectDescription(p.description).instance === instance || inScope('Project', p.id),
      ),
      Application: live.applications.filter((a) => tagged(a.tags) || inScope('Application', a.id)),
      Group: live.groups.filter((g) => tagged(g.tags) || inScope('Group', g.id)),
      Policy: policies,
      ApiKey: live.apiKeys.filter(
        (k) =>
          parseKeyDescription(k.description).marker?.instance === instance || inScope('ApiKey', k.accessKey),
      ),
    },
    rules,
  });
}
