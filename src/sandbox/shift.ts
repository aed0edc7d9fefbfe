/**
 * The `shift` fault: other people's writes landing between two page fetches of one listing.
 *
 * Offset pagination (`page`, `page_size`) reads positions, not objects. When, between the fetch of
 * page N-1 and page N, one object on an earlier page is deleted and another is created (it sorts
 * last, by creation date), every object after the deleted one moves one position up: the first
 * object of page N slides onto page N-1, which was already read, and is never seen. `total_count`
 * is unchanged and the number of distinct objects received equals it, so a count check cannot
 * tell (docs/design/scaleway-api.md §3).
 *
 * Before a page after the first of a full listing (no filter other than the organization, the
 * order and the paging), with probability `shiftRate`, this deletes one object of an earlier page
 * and creates one of the same kind. It plays another team working in the console: the deleted
 * object is never one scw-gitops marks as its own, never Scaleway-managed or undeletable, never
 * the default project and never an owner's key (the sandbox's admin key among them). Each shift is
 * recorded with the object that slid out of sight (`ShiftRecord.slid`).
 */
import type { FaultController } from './faults.js';
import type { ApiKeyRecord, ApplicationRecord, GroupRecord, PolicyRecord, ProjectRecord } from './model.js';
import type { SandboxStore } from './store.js';

export interface ShiftRecord {
  /** Plural resource key of the listing (`applications`, `api_keys`, ...). */
  readonly resource: string;
  /** The page about to be served. */
  readonly page: number;
  readonly deleted: string;
  readonly created: string;
  /** The object that moved from this page onto the previous one (missed by the reader), if any. */
  readonly slid?: string;
}

/** Query keys that do not narrow a listing. */
const PAGING_KEYS = new Set(['organization_id', 'order_by', 'page', 'page_size']);

/** A listing of everything (the kind a reconciler makes), as opposed to a filtered lookup. */
export function isFullListing(query: URLSearchParams): boolean {
  for (const [key, value] of query) {
    if (PAGING_KEYS.has(key)) continue;
    if (key === 'bearer_type' && value === 'unknown_bearer_type') continue;
    return false;
  }
  return true;
}

const MARKER_TAG = 'scw-gitops=';
const MARKER_TEXT = '[scw-gitops:';

type Shiftable = ProjectRecord | ApplicationRecord | ApiKeyRecord | GroupRecord | PolicyRecord;

interface ShiftKind {
  idOf(item: Shiftable): string;
  /** May another team delete this object? */
  victim(store: SandboxStore, item: Shiftable): boolean;
  remove(store: SandboxStore, id: string): void;
  /** Creates the replacement object (it sorts last); returns its id. */
  create(store: SandboxStore, seq: number, deleted: Shiftable): string;
}

const unmarkedTags = (tags: readonly string[]) => !tags.some((t) => t.startsWith(MARKER_TAG));
const shiftName = (seq: number) => `shift-${String(seq).padStart(5, '0')}`;

const KINDS: Readonly<Record<string, ShiftKind>> = {
  projects: {
    idOf: (p) => (p as ProjectRecord).id,
    victim: (store, p) => {
      const project = p as ProjectRecord;
      return project.id !== store.organizationId && !project.description.includes(MARKER_TEXT);
    },
    remove: (store, id) => store.deleteProject(id),
    create: (store, seq) => store.createProject({ name: shiftName(seq) }).id,
  },
  applications: {
    idOf: (a) => (a as ApplicationRecord).id,
    victim: (_store, a) => {
      const app = a as ApplicationRecord;
      return app.deletable && !app.managed && unmarkedTags(app.tags);
    },
    remove: (store, id) => store.deleteApplication(id),
    create: (store, seq) => store.createApplication({ name: shiftName(seq) }).id,
  },
  api_keys: {
    idOf: (k) => (k as ApiKeyRecord).access_key,
    victim: (store, k) => {
      const key = k as ApiKeyRecord;
      if (!key.deletable || key.managed || key.description.includes(MARKER_TEXT)) return false;
      if (key.access_key === store.adminAccessKey) return false;
      return !('user_id' in key.bearer && key.bearer.user_id === store.ownerUserId);
    },
    remove: (store, id) => store.deleteApiKey(id),
    create: (store, _seq, deleted) => {
      const previous = (deleted as ApiKeyRecord).bearer;
      // The same bearer, or the owner when that application is gone meanwhile.
      const bearer =
        'application_id' in previous && !store.applications.has(previous.application_id)
          ? { user_id: store.ownerUserId }
          : previous;
      return store.createApiKey({ bearer, description: 'shift', creation_ip: '127.0.0.1' }).access_key;
    },
  },
  groups: {
    idOf: (g) => (g as GroupRecord).id,
    victim: (_store, g) => {
      const group = g as GroupRecord;
      return group.deletable && !group.managed && unmarkedTags(group.tags);
    },
    remove: (store, id) => store.deleteGroup(id),
    create: (store, seq) => store.createGroup({ name: shiftName(seq) }).id,
  },
  policies: {
    idOf: (p) => (p as PolicyRecord).id,
    victim: (_store, p) => {
      const policy = p as PolicyRecord;
      return policy.deletable && !policy.managed && unmarkedTags(policy.tags);
    },
    remove: (store, id) => store.deletePolicy(id),
    create: (store, seq) =>
      store.createPolicy({ name: shiftName(seq), principal: { no_principal: true }, rules: [] }).id,
  },
};

/**
 * Maybe shift `resource` before serving `page` (see the module comment). `ordered` lists the
 * items in the order of this listing; `reorder` lists them again after the change.
 */
export function maybeShift(
  store: SandboxStore,
  faults: FaultController,
  resource: string,
  page: number,
  pageSize: number,
  query: URLSearchParams,
  ordered: () => readonly unknown[],
  reorder: () => readonly unknown[],
): void {
  const kind = KINDS[resource];
  if (!kind || page < 2 || !isFullListing(query)) return;
  if (!faults.chance(faults.options.shiftRate)) return;
  const boundary = (page - 1) * pageSize;
  const earlier = ordered().slice(0, boundary) as Shiftable[];
  const candidates = earlier.filter((item) => kind.victim(store, item));
  while (candidates.length > 0) {
    const victim = candidates.splice(faults.index(candidates.length), 1)[0]!;
    const deleted = kind.idOf(victim);
    try {
      kind.remove(store, deleted);
    } catch {
      continue; // refused (a project still in use): try another one
    }
    const created = kind.create(store, faults.shifts().length + 1, victim);
    const now = reorder();
    const slidItem = boundary - 1 < now.length ? (now[boundary - 1] as Shiftable | undefined) : undefined;
    faults.recordShift({
      resource,
      page,
      deleted,
      created,
      ...(slidItem !== undefined ? { slid: kind.idOf(slidItem) } : {}),
    });
    return;
  }
}
