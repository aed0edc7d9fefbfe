/**
 * Read the live organization into a `LiveState` for the planner.
 *
 * Projects, applications, API keys, groups and policies are listed in parallel (each list is
 * complete or the call throws, see ScalewayClient). Rules are read for the policies this
 * instance owns (tag `scw-gitops=<instance>`), or for every policy with `readRules: 'all'`; with a
 * `rulesCache`, only for those whose listing changed since the previous observation.
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

export interface ObserveOptions {
  readonly instance: string;
  readonly signal?: AbortSignal;
  readonly now: () => Date;
  /** Whose policy rules to read. Default `owned`. */
  readonly readRules?: 'owned' | 'all';
  /**
   * Also read the rules of these (not owned) policies: the ones a plan adopts or reports as
   * conflicts, so their rules are compared by content instead of shown as unknown.
   */
  readonly alsoReadRulesOf?: (policy: Policy) => boolean;
  /** Rule listings in flight at once. Default 8. */
  readonly rulesConcurrency?: number;
  /** Rules read in earlier passes (daemon): only policies whose listing changed are read again. */
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

export async function observeLive(client: ScalewayClient, opts: ObserveOptions): Promise<LiveState> {
  const inner = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, inner.signal]) : inner.signal;
  const call = { signal };
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      inner.abort(err);
      throw err;
    });
  try {
    const permissionSetsP: Promise<PermissionSet[] | undefined> = client
      .listPermissionSets(call)
      .catch((err: unknown) => {
        if (err instanceof ScalewayApiError && (err.status === 403 || err.status === 404)) return undefined;
        throw err;
      });
    const [projects, applications, apiKeys, groups, policies, permissionSets] = await Promise.all([
      guard(client.listProjects(undefined, call)),
      guard(client.listApplications(undefined, call)),
      guard(client.listApiKeys(undefined, call)),
      guard(client.listGroups(undefined, call)),
      guard(client.listPolicies(undefined, call)),
      guard(permissionSetsP),
    ]);
    const tag = ownerTag(opts.instance);
    const also = opts.alsoReadRulesOf;
    const withRules =
      opts.readRules === 'all'
        ? policies
        : policies.filter((p) => p.tags.includes(tag) || also?.(p) === true);
    const cache = opts.rulesCache;
    const ruleLists = await mapLimit(withRules, opts.rulesConcurrency ?? 8, async (p) => {
      const cached = cache?.get(p);
      if (cached) return cached;
      const fresh = await guard(client.listRules(p.id, call));
      cache?.set(p, fresh);
      return fresh;
    });
    cache?.retain(new Set(policies.map((p) => p.id)));
    const rules = new Map<string, readonly Rule[]>();
    for (const [i, p] of withRules.entries()) rules.set(p.id, ruleLists[i]!);
    return {
      organizationId: client.organizationId,
      projects,
      applications,
      apiKeys,
      groups,
      policies,
      rules,
      ...(permissionSets !== undefined ? { permissionSets } : {}),
      observedAt: opts.now().toISOString(),
    };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw err;
  }
}
