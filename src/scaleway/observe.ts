/**
 * Read the live organization into a `LiveState` for the planner.
 *
 * Projects, applications, API keys, groups and policies are listed in parallel (each list is
 * complete or the call throws, see ScalewayClient). Rules are read for the policies this
 * instance owns (tag `scw-gitops=<instance>`), or for every policy with `readRules: 'all'`; with a
 * `rulesCache`, only for those whose listing changed since the rules were last read.
 * The rules of owned policies are read as soon as the policy listing is complete, while the other
 * kinds may still be listing, with as many workers as the client may have requests in flight (the
 * adaptive limiter decides how many really are).
 * The permission-set catalogue is read too; a 403/404 on it (keys without that right, APIs
 * without the endpoint) leaves `permissionSets` undefined instead of failing the observation.
 *
 * Any other error rejects (the first one; in-flight requests are aborted).
 */
import type { LiveState, PermissionSet, Policy, Rule } from '../model/live.js';
import { ownerTag } from '../model/ownership.js';
import { ScalewayApiError } from './errors.js';
import type { ScalewayClient } from './port.js';
import type { RulesCache } from './rules-cache.js';

export type PolicyFilter = (policy: Policy) => boolean;

export interface ObserveOptions {
  readonly instance: string;
  readonly signal?: AbortSignal;
  readonly now: () => Date;
  /** Whose policy rules to read. Default `owned`. */
  readonly readRules?: 'owned' | 'all';
  /**
   * Also read the rules of these (not owned) policies: the ones a plan adopts or reports as
   * conflicts, so their rules are compared by content instead of shown as unknown. A promise
   * when the desired state is still loading: owned policies' rules are read in the meantime.
   */
  readonly alsoReadRulesOf?: PolicyFilter | Promise<PolicyFilter>;
  /** Rule listings in flight at once. Default: the client's `maxConcurrency` (16). */
  readonly rulesConcurrency?: number;
  /** Rules read earlier (this process or the persistent cache): only changed policies are read. */
  readonly rulesCache?: RulesCache;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** `value`, unless `signal` aborts first (a filter that never comes must not hang the pass). */
function orAbort<T>(value: T | Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (!(value instanceof Promise)) return Promise.resolve(value);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    value.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export async function observeLive(client: ScalewayClient, opts: ObserveOptions): Promise<LiveState> {
  const inner = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, inner.signal]) : inner.signal;
  const call = { signal };
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      inner.abort(err);
      throw err;
    });
  const tag = ownerTag(opts.instance);
  const cache = opts.rulesCache;
  const concurrency = opts.rulesConcurrency ?? client.maxConcurrency ?? 16;
  const readRules = (policies: readonly Policy[]) =>
    mapLimit(policies, concurrency, async (p) => {
      const cached = cache?.get(p);
      if (cached) return cached;
      const fresh = await guard(client.listRules(p.id, call));
      cache?.set(p, fresh);
      return fresh;
    });
  const rules = new Map<string, readonly Rule[]>();
  const collect = async (policies: readonly Policy[]): Promise<void> => {
    const lists = await readRules(policies);
    for (const [i, p] of policies.entries()) rules.set(p.id, lists[i]!);
  };
  try {
    const permissionSetsP: Promise<PermissionSet[] | undefined> = client
      .listPermissionSets(call)
      .catch((err: unknown) => {
        if (err instanceof ScalewayApiError && (err.status === 403 || err.status === 404)) return undefined;
        throw err;
      });
    const policiesP = guard(client.listPolicies(undefined, call));
    // Owned rules (or all of them) need nothing but the policy listing: read them right away.
    const firstRules = policiesP.then((policies) =>
      collect(opts.readRules === 'all' ? policies : policies.filter((p) => p.tags.includes(tag))),
    );
    const [projects, applications, apiKeys, groups, policies, permissionSets] = await Promise.all([
      guard(client.listProjects(undefined, call)),
      guard(client.listApplications(undefined, call)),
      guard(client.listApiKeys(undefined, call)),
      guard(client.listGroups(undefined, call)),
      policiesP,
      guard(permissionSetsP),
      firstRules,
    ]);
    const also = opts.alsoReadRulesOf !== undefined ? await orAbort(opts.alsoReadRulesOf, signal) : undefined;
    if (also !== undefined && opts.readRules !== 'all') {
      await collect(policies.filter((p) => !p.tags.includes(tag) && also(p)));
    }
    cache?.retain(new Set(policies.map((p) => p.id)));
    // Map order follows the listing (owned and adopted policies interleaved as listed).
    const ordered = new Map<string, readonly Rule[]>();
    for (const p of policies) {
      const r = rules.get(p.id);
      if (r) ordered.set(p.id, r);
    }
    return {
      organizationId: client.organizationId,
      projects,
      applications,
      apiKeys,
      groups,
      policies,
      rules: ordered,
      ...(permissionSets !== undefined ? { permissionSets } : {}),
      observedAt: opts.now().toISOString(),
    };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw err;
  }
}
