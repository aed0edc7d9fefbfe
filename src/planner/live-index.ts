/**
 * The live organization indexed for planning: per named kind, every object with its owner (our
 * instance's marker, another instance's, or none) and whether Scaleway protects it; API keys with
 * their parsed markers; names by id for messages. Built once per plan; read-only afterwards.
 */
import {
  type ApiKey,
  type Application,
  type Group,
  type LiveState,
  type Policy,
  type Project,
  protectionReasons,
} from '../model/live.js';
import {
  isProtected,
  type KeyMarker,
  ownerFromTags,
  parseKeyDescription,
  parseProjectDescription,
} from '../model/ownership.js';
import type { LiveObject } from '../model/plan.js';
import type { Kind } from '../model/resources.js';

export type NamedKind = Exclude<Kind, 'ApiKey'>;
export const NAMED_KINDS: readonly NamedKind[] = ['Project', 'Application', 'Group', 'Policy'];

type LiveNamed = Project | Application | Group | Policy;

/** One live project, application, group or policy. */
export interface LiveEntry {
  readonly kind: NamedKind;
  readonly id: string;
  readonly name: string;
  /** Instance named by our marker, if any. */
  readonly owner: string | undefined;
  readonly protected: boolean;
  /** Why it is protected, for messages (`managed by Scaleway, not deletable`). */
  readonly protectedWhy: string;
  readonly createdAt: string;
  readonly object: LiveNamed;
}

/** One live API key with its description split from its marker. */
export interface LiveKeyEntry {
  readonly key: ApiKey;
  /** The description without our marker. */
  readonly description: string;
  readonly marker: KeyMarker | undefined;
}

export const KIND_LABEL: Readonly<Record<Kind, string>> = {
  Project: 'project',
  Application: 'application',
  Group: 'group',
  Policy: 'policy',
  ApiKey: 'API key',
};

/** Oldest first (created_at, then id for a stable order). */
function byCreation(a: LiveEntry, b: LiveEntry): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Newest key first (created_at, then access key for a stable order). */
export function newestFirst(a: LiveKeyEntry, b: LiveKeyEntry): number {
  if (a.key.createdAt !== b.key.createdAt) return a.key.createdAt > b.key.createdAt ? -1 : 1;
  return a.key.accessKey < b.key.accessKey ? -1 : a.key.accessKey > b.key.accessKey ? 1 : 0;
}

function tagged(kind: 'Application' | 'Group' | 'Policy', object: Application | Group | Policy): LiveEntry {
  return {
    kind,
    id: object.id,
    name: object.name,
    owner: ownerFromTags(object.tags),
    protected: isProtected(object),
    protectedWhy: protectionReasons(object),
    createdAt: object.createdAt,
    object,
  };
}

export class LiveIndex {
  /** Every live object of each named kind, oldest first. */
  readonly entries: Readonly<Record<NamedKind, readonly LiveEntry[]>>;
  /** Live objects by name, oldest first, per kind. */
  readonly #byName = new Map<NamedKind, Map<string, LiveEntry[]>>();
  /** Every live API key. */
  readonly keys: readonly LiveKeyEntry[];
  /** Our keys (this instance's marker) by the key name in their marker. */
  readonly ourKeysByName = new Map<string, LiveKeyEntry[]>();
  /** Ids of named objects and access keys of keys carrying this instance's marker. */
  readonly ownedIds = new Set<string>();
  /** Application and group names by id, for messages. */
  readonly nameById = new Map<string, string>();
  /** Project names by id (`default` for the organization's default project). */
  readonly projectNameById = new Map<string, string>();

  constructor(
    readonly live: LiveState,
    readonly instance: string,
  ) {
    const projects = live.projects.map(
      (project): LiveEntry => ({
        kind: 'Project',
        id: project.id,
        name: project.name,
        owner: parseProjectDescription(project.description).instance,
        protected: project.isDefault || project.id === live.organizationId,
        protectedWhy: "the organization's default project",
        createdAt: project.createdAt,
        object: project,
      }),
    );
    this.entries = {
      Project: projects.sort(byCreation),
      Application: live.applications.map((a) => tagged('Application', a)).sort(byCreation),
      Group: live.groups.map((g) => tagged('Group', g)).sort(byCreation),
      Policy: live.policies.map((p) => tagged('Policy', p)).sort(byCreation),
    };
    for (const kind of NAMED_KINDS) {
      const index = new Map<string, LiveEntry[]>();
      for (const entry of this.entries[kind]) {
        const list = index.get(entry.name);
        if (list) list.push(entry);
        else index.set(entry.name, [entry]);
        if (entry.owner === instance) this.ownedIds.add(entry.id);
      }
      this.#byName.set(kind, index);
    }
    this.keys = live.apiKeys.map((key) => {
      const parsed = parseKeyDescription(key.description);
      return { key, description: parsed.description, marker: parsed.marker };
    });
    for (const entry of this.keys) {
      if (entry.marker?.instance !== instance) continue;
      this.ownedIds.add(entry.key.accessKey);
      const list = this.ourKeysByName.get(entry.marker.name);
      if (list) list.push(entry);
      else this.ourKeysByName.set(entry.marker.name, [entry]);
    }
    for (const a of live.applications) this.nameById.set(a.id, a.name);
    for (const g of live.groups) this.nameById.set(g.id, g.name);
    for (const p of live.projects)
      this.projectNameById.set(p.id, p.id === live.organizationId ? 'default' : p.name);
    this.projectNameById.set(live.organizationId, 'default');
  }

  /** Live objects of `kind` named `name`, oldest first. */
  named(kind: NamedKind, name: string): readonly LiveEntry[] {
    return this.#byName.get(kind)?.get(name) ?? [];
  }

  /** Every key carrying this instance's marker. */
  ourKeys(): readonly LiveKeyEntry[] {
    return this.keys.filter((k) => k.marker?.instance === this.instance);
  }

  isOurs(entry: LiveEntry): boolean {
    return entry.owner === this.instance;
  }

  /** A snapshot of a live named object for a step's `before` (policies with their rules when read). */
  liveObject(entry: LiveEntry): LiveObject {
    switch (entry.kind) {
      case 'Project':
        return { kind: 'Project', object: entry.object as Project };
      case 'Application':
        return { kind: 'Application', object: entry.object as Application };
      case 'Group':
        return { kind: 'Group', object: entry.object as Group };
      case 'Policy': {
        const rules = this.live.rules.get(entry.id);
        return rules
          ? { kind: 'Policy', object: entry.object as Policy, rules }
          : { kind: 'Policy', object: entry.object as Policy };
      }
    }
  }

  /** An application's or user's display name for a key bearer. */
  describeBearer(bearer: ApiKey['bearer']): string {
    return bearer.type === 'user' ? `user:${bearer.id}` : (this.nameById.get(bearer.id) ?? bearer.id);
  }

  projectName(id: string): string {
    return this.projectNameById.get(id) ?? id;
  }
}
