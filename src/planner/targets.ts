/**
 * `--target Kind/name` (repeatable): a partial plan, with Terraform's `-target` semantics.
 *
 *  - The targeted objects are planned together with what they need: the declared objects they
 *    refer to, transitively (a key's application and default project, a group's member
 *    applications, a policy's principal and rule projects). Objects that refer to a target are
 *    not included (dependents are not dependencies).
 *  - A target that git no longer declares but this instance owns can be pruned (when pruning of
 *    its kind is on); nothing outside the targets is ever pruned, and the plan says what it left.
 *  - The plan is marked partial (`plan.partial` in its JSON) and carries a warning saying so.
 *  - The mass-delete guard counts the deletions of the partial plan (its denominator stays every
 *    object this instance owns).
 *
 * `narrowPlan` applies the same idea to a saved plan (`apply --plan FILE --target …`): the steps
 * of the targets, plus every step they depend on.
 */
import { boundedDetails, type Diagnostic, sortDiagnostics } from '../model/diagnostics.js';
import type { DesiredResource } from '../model/desired.js';
import type { PartialPlan, Plan, PlanStep } from '../model/plan.js';
import { summarize } from '../model/plan.js';
import { type Address, address, compareAddresses } from '../model/resources.js';
import type { PlanContext } from './context.js';

/** The organization's default project, referred to without being declared. */
const DEFAULT_PROJECT = 'default';

/** Addresses of the declared objects a desired resource refers to by name (its dependencies). */
export function dependenciesOf(resource: DesiredResource): Address[] {
  switch (resource.kind) {
    case 'Project':
    case 'Application':
      return [];
    case 'Group':
      return resource.memberApplications.map((name) => address('Application', name));
    case 'Policy': {
      const out: Address[] = [];
      const principal = resource.principal;
      if (principal.type === 'application') out.push(address('Application', principal.name));
      if (principal.type === 'group') out.push(address('Group', principal.name));
      for (const rule of resource.rules) {
        if (rule.scope.type === 'projects')
          out.push(...rule.scope.projects.map((p) => address('Project', p)));
      }
      return out;
    }
    case 'ApiKey':
      return [address('Application', resource.application), address('Project', resource.defaultProject)];
  }
}

/**
 * The partial-plan scope of `targets`: the targets plus the declared objects they need,
 * transitively. `Project/default` (the organization's, never declared) is not an object to plan.
 */
export function targetScope(
  targets: readonly Address[],
  desiredByAddress: ReadonlyMap<Address, DesiredResource>,
): Set<Address> {
  const scope = new Set<Address>();
  const visit = (target: Address) => {
    if (scope.has(target)) return;
    const resource = desiredByAddress.get(target);
    if (!resource && target === address('Project', DEFAULT_PROJECT)) return;
    scope.add(target);
    if (resource) for (const dep of dependenciesOf(resource)) visit(dep);
  };
  for (const target of targets) visit(target);
  return scope;
}

function sortedAddresses(addresses: Iterable<Address>): Address[] {
  return [...new Set(addresses)].sort(compareAddresses);
}

/** The `partial` mark of a plan made with targets. */
export function partialMark(targets: readonly Address[], scope: Iterable<Address>): PartialPlan {
  return { targets: sortedAddresses(targets), scope: sortedAddresses(scope) };
}

/** The warning every partial plan carries, naming what it covers. */
export function partialWarning(mark: PartialPlan): Diagnostic {
  const needed = mark.scope.filter((a) => !mark.targets.includes(a));
  return {
    severity: 'warning',
    code: 'partial-plan',
    message: `this plan is partial (--target): it covers ${mark.targets.join(', ')}${
      needed.length > 0 ? ` and what they need (${needed.join(', ')})` : ''
    }; changes to other objects may be pending, and nothing outside the targets is pruned`,
    hint: 'use --target for exceptional situations (a fix on one object); run a full plan afterwards',
  };
}

/** A target that names nothing declared or owned: probably a typo. */
export function warnUnknownTargets(ctx: PlanContext, targets: readonly Address[]): void {
  const owned = new Set<Address>();
  for (const kind of ['Project', 'Application', 'Group', 'Policy'] as const) {
    for (const entry of ctx.index.entries[kind])
      if (ctx.index.isOurs(entry)) owned.add(address(kind, entry.name));
  }
  for (const entry of ctx.index.ourKeys()) owned.add(address('ApiKey', entry.marker!.name));
  for (const target of targets) {
    if (ctx.desiredByAddress.has(target) || owned.has(target)) continue;
    ctx.diagnose({
      severity: 'warning',
      code: 'unknown-target',
      message: `--target ${target} is neither declared in git nor owned by this instance; nothing is planned for it`,
      subject: target,
    });
  }
}

/** Owned objects absent from git that a partial plan leaves alone because they are not targeted. */
export function warnPrunesOutsideTargets(ctx: PlanContext, left: readonly Address[]): void {
  if (left.length === 0) return;
  const sorted = sortedAddresses(left);
  ctx.diagnose({
    severity: 'warning',
    code: 'not-pruned-outside-target',
    message: `${sorted.length} owned object${sorted.length === 1 ? ' is' : 's are'} no longer in git but outside --target; not deleted by this partial plan`,
    details: boundedDetails(sorted),
  });
}

/** Thrown by narrowPlan when a target has no step in the saved plan. */
export class TargetNotInPlanError extends Error {}

/**
 * A saved plan narrowed to the steps of `targets` and every step they depend on (transitively),
 * marked partial. Throws TargetNotInPlanError naming a target the plan has no step for.
 */
export function narrowPlan(plan: Plan, targets: readonly Address[]): Plan {
  const byId = new Map(plan.steps.map((step) => [step.id, step]));
  const keep = new Set<string>();
  const visit = (step: PlanStep) => {
    if (keep.has(step.id)) return;
    keep.add(step.id);
    for (const dep of step.dependsOn) {
      const target = byId.get(dep);
      if (target) visit(target);
    }
  };
  for (const target of targets) {
    const steps = plan.steps.filter((step) => step.address === target);
    if (steps.length === 0) {
      throw new TargetNotInPlanError(
        `--target ${target}: the saved plan has no step for it (it plans ${plan.steps.length === 0 ? 'nothing' : sortedAddresses(plan.steps.map((s) => s.address)).join(', ')})`,
      );
    }
    for (const step of steps) visit(step);
  }
  const steps = plan.steps.filter((step) => keep.has(step.id));
  const partial = partialMark(
    targets,
    steps.map((s) => s.address),
  );
  const diagnostics = plan.diagnostics.filter((d) => d.code !== 'partial-plan');
  return {
    ...plan,
    steps,
    summary: summarize(steps),
    diagnostics: sortDiagnostics([...diagnostics, partialWarning(partial)]),
    partial,
  };
}
