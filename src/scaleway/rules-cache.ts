/**
 * Rules of policies, kept between passes of a long-running process so that a no-op pass does not
 * list the rules of every owned policy again (one request per policy otherwise).
 *
 * A cached entry is used only while the policy's listing shows the same `updated_at`, `nb_rules`,
 * `nb_scopes` and `nb_permission_sets`. This is reliable because `PUT /rules`, the only way to
 * change rules, bumps the policy's `updated_at` (recorded in the policy cassettes and emulated),
 * and the counters change with any change of rule count, scope or permission sets. Policy PATCH
 * does not bump `updated_at`, but it cannot change rules either.
 */
import type { Policy, Rule } from '../model/live.js';

function signature(p: Policy): string {
  return `${p.updatedAt}|${p.nbRules}|${p.nbScopes}|${p.nbPermissionSets}`;
}

export class RulesCache {
  readonly #entries = new Map<string, { signature: string; rules: readonly Rule[] }>();

  /** The cached rules of this policy, if its listing has not changed since they were read. */
  get(policy: Policy): readonly Rule[] | undefined {
    const e = this.#entries.get(policy.id);
    return e && e.signature === signature(policy) ? e.rules : undefined;
  }

  set(policy: Policy, rules: readonly Rule[]): void {
    this.#entries.set(policy.id, { signature: signature(policy), rules });
  }

  /** Forget policies that no longer exist. */
  retain(policyIds: ReadonlySet<string>): void {
    for (const id of this.#entries.keys()) if (!policyIds.has(id)) this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}
