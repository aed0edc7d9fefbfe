/**
 * Rules of policies, kept between passes (the daemon) and between runs (a file under the cache
 * directory, see `openRulesCache`), so that a no-op pass does not read the rules of every owned
 * policy again: the rules endpoint takes exactly one `policy_id`, one request per policy.
 *
 * A cached entry is used only while the policy's listing shows the same `updated_at`, `nb_rules`,
 * `nb_scopes` and `nb_permission_sets`. This is reliable because `PUT /rules`, the only way to
 * change rules, bumps the policy's `updated_at` (recorded in the policy cassettes and emulated),
 * and the counters change with any change of rule count, scope or permission sets. Policy PATCH
 * does not bump `updated_at`, but it cannot change rules either (docs/design/performance.md).
 *
 * The file (`rules-<organization id>.json`) is a cache and nothing else: safe to delete, rewritten
 * atomically, and a missing, unreadable, corrupt, oversized or foreign file (another
 * organization, another format) is ignored with a debug log line. Entries are decoded with the
 * same decoder as API answers, so a damaged entry never reaches the planner.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Policy, Rule } from '../model/live.js';
import { decodeRule } from './decode.js';

/** What the cache key holds besides the organization and the policy id. */
interface Signature {
  readonly updatedAt: string;
  readonly nbRules: number;
  readonly nbScopes: number;
  readonly nbPermissionSets: number;
}

function signatureOf(p: Policy): Signature {
  return {
    updatedAt: p.updatedAt,
    nbRules: p.nbRules,
    nbScopes: p.nbScopes,
    nbPermissionSets: p.nbPermissionSets,
  };
}

function sameSignature(a: Signature, b: Signature): boolean {
  return (
    a.updatedAt === b.updatedAt &&
    a.nbRules === b.nbRules &&
    a.nbScopes === b.nbScopes &&
    a.nbPermissionSets === b.nbPermissionSets
  );
}

interface Entry extends Signature {
  readonly rules: readonly Rule[];
}

export class RulesCache {
  readonly #entries = new Map<string, Entry>();
  #dirty = false;

  /** The cached rules of this policy, if its listing has not changed since they were read. */
  get(policy: Policy): readonly Rule[] | undefined {
    const e = this.#entries.get(policy.id);
    return e && sameSignature(e, signatureOf(policy)) ? e.rules : undefined;
  }

  set(policy: Policy, rules: readonly Rule[]): void {
    this.#entries.set(policy.id, { ...signatureOf(policy), rules });
    this.#dirty = true;
  }

  /** Forget policies that no longer exist. */
  retain(policyIds: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) {
      if (!policyIds.has(id)) {
        this.#entries.delete(id);
        this.#dirty = true;
      }
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Changed since it was loaded or last saved. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Write what changed to where the cache lives (nothing for an in-memory cache). */
  async flush(): Promise<void> {
    this.#dirty = false;
  }

  protected entries(): ReadonlyMap<string, Entry> {
    return this.#entries;
  }

  protected restore(id: string, entry: Entry): void {
    this.#entries.set(id, entry);
  }

  protected markClean(): void {
    this.#dirty = false;
  }
}

const FORMAT = 'scw-gitops/rules-cache';
const VERSION = 1;
/** A rules cache of a very large organization is a few MiB; anything far bigger is not ours. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Organization ids are UUIDs; anything else never becomes part of a file name. */
const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface RulesCacheFileOptions {
  /** The cache directory (created 0700 on first save). */
  readonly dir: string;
  readonly organizationId: string;
  readonly logger?: Logger;
}

/** The wire form of a rule, as the API answers it (decoded back with `decodeRule`). */
function ruleToWire(r: Rule): Record<string, unknown> {
  const scope =
    r.scope.type === 'projects'
      ? { project_ids: [...r.scope.projectIds] }
      : r.scope.type === 'organization'
        ? { organization_id: r.scope.organizationId }
        : { account_root_user_id: r.scope.accountRootUserId };
  return {
    id: r.id,
    permission_set_names: [...r.permissionSetNames],
    permission_sets_scope_type: r.permissionSetsScopeType,
    condition: r.condition,
    ...scope,
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** A rules cache persisted in `<dir>/rules-<organization>.json`. */
export class FileRulesCache extends RulesCache {
  readonly file: string;
  readonly #dir: string;
  readonly #organizationId: string;
  readonly #logger: Logger | undefined;
  #warned = false;

  private constructor(opts: RulesCacheFileOptions, file: string) {
    super();
    this.file = file;
    this.#dir = opts.dir;
    this.#organizationId = opts.organizationId;
    this.#logger = opts.logger;
  }

  /**
   * The cache of this organization under `dir`, with what a previous run left there. Never
   * throws: whatever cannot be used is ignored (debug log) and the cache starts empty.
   */
  static async open(opts: RulesCacheFileOptions): Promise<RulesCache> {
    if (!SAFE_ID.test(opts.organizationId)) {
      opts.logger?.debug(
        { organizationId: opts.organizationId },
        'rules cache: unusual organization id; in memory only',
      );
      return new RulesCache();
    }
    const cache = new FileRulesCache(opts, join(opts.dir, `rules-${opts.organizationId}.json`));
    await cache.#load();
    return cache;
  }

  async #load(): Promise<void> {
    const ignore = (reason: string) =>
      this.#logger?.debug({ file: this.file, reason }, 'rules cache: ignoring the cache file');
    let text: string;
    try {
      const st = await stat(this.file);
      if (!st.isFile()) return ignore('not a regular file');
      if (st.size > MAX_FILE_BYTES) return ignore(`larger than ${MAX_FILE_BYTES} bytes`);
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') ignore(`cannot be read (${code ?? String(err)})`);
      return;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return ignore('not JSON');
    }
    const d = doc as { format?: unknown; version?: unknown; organizationId?: unknown; policies?: unknown };
    if (d === null || typeof d !== 'object' || d.format !== FORMAT || d.version !== VERSION) {
      return ignore('another format or version');
    }
    if (d.organizationId !== this.#organizationId) return ignore('another organization');
    if (d.policies === null || typeof d.policies !== 'object' || Array.isArray(d.policies)) {
      return ignore('no policies object');
    }
    const restored: Array<[string, Entry]> = [];
    try {
      for (const [id, raw] of Object.entries(d.policies as Record<string, unknown>)) {
        const e = raw as Partial<Record<keyof Entry, unknown>> | null;
        if (
          e === null ||
          typeof e !== 'object' ||
          typeof e.updatedAt !== 'string' ||
          !isCount(e.nbRules) ||
          !isCount(e.nbScopes) ||
          !isCount(e.nbPermissionSets) ||
          !Array.isArray(e.rules)
        ) {
          return ignore(`malformed entry for policy ${id}`);
        }
        restored.push([
          id,
          {
            updatedAt: e.updatedAt,
            nbRules: e.nbRules,
            nbScopes: e.nbScopes,
            nbPermissionSets: e.nbPermissionSets,
            rules: e.rules.map(decodeRule),
          },
        ]);
      }
    } catch (err) {
      return ignore(`undecodable rule (${err instanceof Error ? err.message : String(err)})`);
    }
    for (const [id, entry] of restored) this.restore(id, entry);
    this.markClean();
    this.#logger?.debug({ file: this.file, policies: restored.length }, 'rules cache: loaded');
  }

  /** Write the cache if it changed (atomically: a temporary file, then a rename). Never throws. */
  override async flush(): Promise<void> {
    if (!this.dirty) return;
    const policies: Record<string, unknown> = {};
    for (const [id, e] of this.entries()) {
      policies[id] = {
        updatedAt: e.updatedAt,
        nbRules: e.nbRules,
        nbScopes: e.nbScopes,
        nbPermissionSets: e.nbPermissionSets,
        rules: e.rules.map(ruleToWire),
      };
    }
    const text = `${JSON.stringify({ format: FORMAT, version: VERSION, organizationId: this.#organizationId, policies })}\n`;
    const tmp = join(this.#dir, `.rules-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.file);
      this.markClean();
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      // Once at warn level (a read-only volume is worth knowing about), then quietly.
      const log = this.#warned
        ? this.#logger?.debug.bind(this.#logger)
        : this.#logger?.warn.bind(this.#logger);
      this.#warned = true;
      log?.(
        { file: this.file, error: err instanceof Error ? err.message : String(err) },
        'rules cache: cannot write the cache file; rules are read again next run',
      );
    }
  }
}
