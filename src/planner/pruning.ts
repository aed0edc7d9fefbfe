/**
 * Pruning: owned objects (this instance's marker) that git no longer declares are deleted when
 * pruning of their kind is on and the listing can be trusted; otherwise reported. Protected
 * objects are never deleted. Deleting an application also deletes its API keys on Scaleway's
 * side (docs/design/scaleway-api.md §5); the step says so.
 */
import type { Application } from '../model/live.js';
import { isProtected } from '../model/ownership.js';
import { type PlanStep, targetId } from '../model/plan.js';
import { type Address, address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import { deleteKeyStep, deleteNamedStep } from './delete-steps.js';
import { KIND_LABEL, NAMED_KINDS } from './live-index.js';
import { warnPrunesOutsideTargets } from './targets.js';

/**
 * `suspect`: the reasons the listing looks incomplete (pruning is then off for this pass). A
 * partial plan (`--target`) prunes targets only and names, in one warning, what it left.
 */
export function planPruning(ctx: PlanContext, suspect: readonly string[]): void {
  const why = (kind: string) =>
    suspect.length > 0 ? 'listing looks incomplete' : `pruning of ${kind} is off`;
  const outsideTargets: Address[] = [];
  for (const kind of NAMED_KINDS) {
    for (const entry of ctx.index.entries[kind]) {
      if (!ctx.index.isOurs(entry) || ctx.matched.has(entry.id)) continue;
      ctx.touch(kind, entry.id);
      const target = address(kind, entry.name);
      if (ctx.desiredByAddress.has(target)) continue; // desired but blocked, or not targeted
      if (!ctx.mayPrune(target)) {
        outsideTargets.push(target);
        continue;
      }
      if (entry.protected) {
        ctx.diagnose({
          severity: 'warning',
          code: 'protected-owned',
          message: `owned ${KIND_LABEL[kind]} ${entry.id} is ${entry.protectedWhy}; never deleted`,
          subject: target,
        });
        continue;
      }
      if (!ctx.options.prune[kind] || suspect.length > 0) {
        ctx.diagnose({
          severity: 'warning',
          code: 'not-pruned',
          message: `owned ${KIND_LABEL[kind]} ${entry.id} is no longer in git; not deleted (${why(kind)})`,
          subject: target,
        });
        continue;
      }
      let detail = 'owned, no longer in git';
      if (kind === 'Application') {
        const keys = (entry.object as Application).nbApiKeys;
        if (keys > 0) detail += `; Scaleway also deletes its ${keys} API key${keys === 1 ? '' : 's'}`;
      }
      deleteNamedStep(ctx, entry, 'pruned', detail);
    }
  }
  // A targeted application that is pruned takes its keys with it (docs/design/scaleway-api.md §5):
  // like Terraform's destroy -target, its owned keys absent from git are pruned with it.
  const prunedApplications = new Set(
    ctx.steps
      .filter((s) => s.action === 'delete' && s.kind === 'Application')
      .map((s) => targetId(s as PlanStep)),
  );
  for (const entry of ctx.index.ourKeys()) {
    const name = entry.marker!.name;
    const target = address('ApiKey', name);
    if (ctx.desiredByAddress.has(target)) continue;
    ctx.touch('ApiKey', entry.key.accessKey);
    if (isProtected(entry.key)) continue;
    const withBearer = ctx.targets !== undefined && prunedApplications.has(entry.key.bearer.id);
    if (!ctx.mayPrune(target) && !withBearer) {
      outsideTargets.push(target);
      continue;
    }
    if (!ctx.options.prune.ApiKey || suspect.length > 0) {
      ctx.diagnose({
        severity: 'warning',
        code: 'not-pruned',
        message: `owned API key ${entry.key.accessKey} is no longer in git; not deleted (${why('ApiKey')})`,
        subject: target,
      });
      continue;
    }
    const detail =
      withBearer && !ctx.mayPrune(target)
        ? `owned, no longer in git; its application ${ctx.index.describeBearer(entry.key.bearer)} is a pruned target`
        : 'owned, no longer in git';
    deleteKeyStep(ctx, name, entry, 'pruned', detail, true);
  }
  warnPrunesOutsideTargets(ctx, outsideTargets);
}

/** Objects this instance owns and could delete (the mass-delete guard's denominator). */
export function ownedCount(ctx: PlanContext): number {
  let count = 0;
  for (const kind of NAMED_KINDS) {
    count += ctx.index.entries[kind].filter((e) => ctx.index.isOurs(e) && !e.protected).length;
  }
  return count + ctx.index.ourKeys().length;
}
