/**
 * Permission checks of a desired policy against the organization's permission-set catalogue
 * (when it was read) and the dangerous-grant rules of permissions.ts:
 *  - an unknown permission set is an error, with a did-you-mean;
 *  - one rule mixes scope types, or grants an organization-type set on projects: error;
 *  - a dangerous grant reaching an application (directly, or through a group with application
 *    members): error, unless `acknowledgeDangerousPermissions`, then a warning carried by the step.
 */
import type { DesiredGroup, DesiredPolicy } from '../model/desired.js';
import { address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import { didYouMean, isDangerous } from './permissions.js';

/** Returns the warnings to show on the policy's step. */
export function checkPermissions(ctx: PlanContext, desired: DesiredPolicy): string[] {
  checkCatalogue(ctx, desired);
  return checkDangerous(ctx, desired);
}

function checkCatalogue(ctx: PlanContext, desired: DesiredPolicy): void {
  const catalogue = ctx.live.permissionSets;
  if (!catalogue) return;
  const names = catalogue.map((set) => set.name);
  const known = new Set(names);
  const scopeOf = new Map(catalogue.map((set) => [set.name, set.scopeType]));
  desired.rules.forEach((rule, i) => {
    // One rule = one scope type (the API refuses a mix); organization-type sets cannot be
    // scoped to projects.
    const byScopeType = new Map<string, string[]>();
    for (const name of rule.permissionSets) {
      const scopeType = scopeOf.get(name);
      if (scopeType !== undefined) byScopeType.set(scopeType, [...(byScopeType.get(scopeType) ?? []), name]);
    }
    if (byScopeType.size > 1) {
      ctx.diagnose({
        severity: 'error',
        code: 'mixed-scope-types',
        message: `the permission sets of one rule must share a scope type (${[...byScopeType.entries()]
          .map(([scopeType, sets]) => `${scopeType}: ${sets.join(', ')}`)
          .join('; ')})`,
        subject: desired,
        field: `spec.rules[${i}].permissionSets`,
        hint: 'split them into one rule per scope type',
      });
    } else if (rule.scope.type === 'projects' && byScopeType.has('organization')) {
      ctx.diagnose({
        severity: 'error',
        code: 'organization-set-on-projects',
        message: `${byScopeType.get('organization')!.join(', ')} can only be granted at organization scope`,
        subject: desired,
        field: `spec.rules[${i}].projects`,
        hint: 'use `organization: true` for this rule',
      });
    }
    rule.permissionSets.forEach((name, j) => {
      if (known.has(name)) return;
      const guess = didYouMean(name, names);
      ctx.diagnose({
        severity: 'error',
        code: 'unknown-permission-set',
        message: `unknown permission set "${name}"`,
        subject: desired,
        field: `spec.rules[${i}].permissionSets[${j}]`,
        hint: guess
          ? `did you mean "${guess}"?`
          : 'see the organization permission sets (scw iam permission-set list)',
      });
    });
  });
}

/** Applications a grant reaches, for messages: `application x` or `group g (applications: …)`. */
function grantee(ctx: PlanContext, desired: DesiredPolicy): string | undefined {
  const principal = desired.principal;
  if (principal.type === 'none') return undefined;
  if (principal.type === 'application') return `application ${principal.name}`;
  const group = ctx.desiredByAddress.get(address('Group', principal.name)) as DesiredGroup | undefined;
  let applications: readonly string[];
  if (group) applications = group.memberApplications;
  else {
    const live = ctx.live.groups.find((g) => g.name === principal.name);
    applications = live ? live.applicationIds.map((id) => ctx.index.nameById.get(id) ?? id) : [];
  }
  if (applications.length === 0) return undefined;
  return `group ${principal.name} (applications: ${applications.join(', ')})`;
}

function checkDangerous(ctx: PlanContext, desired: DesiredPolicy): string[] {
  const via = grantee(ctx, desired);
  if (via === undefined) return [];
  const dangerous: string[] = [];
  for (const rule of desired.rules) {
    for (const set of rule.permissionSets) {
      if (isDangerous(set, rule.scope.type)) {
        dangerous.push(rule.scope.type === 'organization' ? `${set} (organization scope)` : set);
      }
    }
  }
  if (dangerous.length === 0) return [];
  const list = [...new Set(dangerous)].sort().join(', ');
  if (!desired.acknowledgeDangerousPermissions) {
    ctx.diagnose({
      severity: 'error',
      code: 'dangerous-permission',
      message: `grants ${list} to ${via}; an application's API key with these rights can take over the organization`,
      subject: desired,
      field: 'spec.rules',
      hint: 'grant narrower permission sets, or set spec.acknowledgeDangerousPermissions: true',
    });
    return [];
  }
  const text = `DANGEROUS: grants ${list} to ${via} (acknowledged)`;
  ctx.diagnose({
    severity: 'warning',
    code: 'dangerous-permission-acknowledged',
    message: text,
    subject: desired,
    field: 'spec.rules',
  });
  return [text];
}
