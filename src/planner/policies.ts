/**
 * Policies: the principal and every rule's projects resolved to refs, rules compared with the live
 * ones by content (never by id: every rule write makes new ids), and the permission checks of
 * policy-permissions.ts. A policy whose rules were not read (an unowned policy outside the plan's
 * reading list) with a non-zero rule count shows its rules as `(not read)` and is rewritten.
 */
import type { DesiredPolicy, DesiredRule } from '../model/desired.js';
import type { Policy, Rule } from '../model/live.js';
import type { FieldChange, ObjectRef, PlannedPolicy, PlannedPrincipal, PlannedRule } from '../model/plan.js';
import type { PlanContext } from './context.js';
import { ignoredTags } from './ignore-tags.js';
import { blockNamed, describedAndTaggedChanges, planNamed, sameList } from './named-kinds.js';
import { checkPermissions } from './policy-permissions.js';
import { refIdentity, resolveReference } from './references.js';

export function planPolicy(ctx: PlanContext, desired: DesiredPolicy): void {
  const principal = resolvePrincipal(ctx, desired);
  const rules = resolveRules(ctx, desired);
  const warnings = checkPermissions(ctx, desired);
  if (principal === undefined || rules === undefined) {
    blockNamed(ctx, desired);
    return;
  }
  const after: PlannedPolicy = {
    kind: 'Policy',
    name: desired.name,
    description: desired.description,
    tags: [...desired.tags],
    marker: { instance: ctx.instance },
    principal,
    rules,
  };
  planNamed(
    ctx,
    desired,
    after,
    (entry) => policyChanges(ctx, entry.object as Policy, desired, after),
    warnings,
  );
}

function resolvePrincipal(ctx: PlanContext, desired: DesiredPolicy): PlannedPrincipal | undefined {
  const principal = desired.principal;
  if (principal.type === 'none') return { type: 'none' };
  const kind = principal.type === 'application' ? 'Application' : 'Group';
  const ref = resolveReference(ctx, kind, principal.name, desired, `spec.principal.${principal.type}`);
  return ref ? { type: principal.type, ref } : undefined;
}

function resolveRules(ctx: PlanContext, desired: DesiredPolicy): PlannedRule[] | undefined {
  let complete = true;
  const rules = desired.rules.map((rule, i): PlannedRule => {
    const base = { permissionSets: [...rule.permissionSets], condition: rule.condition };
    if (rule.scope.type === 'organization') return { ...base, scope: { type: 'organization' } };
    const projects: ObjectRef[] = [];
    rule.scope.projects.forEach((name, j) => {
      const ref = resolveReference(ctx, 'Project', name, desired, `spec.rules[${i}].projects[${j}]`);
      if (ref) projects.push(ref);
      else complete = false;
    });
    return { ...base, scope: { type: 'projects', projects } };
  });
  return complete ? rules : undefined;
}

function policyChanges(
  ctx: PlanContext,
  live: Policy,
  desired: DesiredPolicy,
  after: PlannedPolicy,
): FieldChange[] {
  const changes = describedAndTaggedChanges(live, desired, ignoredTags(ctx, desired));
  const livePrincipal =
    live.principal.type === 'none' ? 'none' : `${live.principal.type}:${live.principal.id}`;
  const plannedPrincipal =
    after.principal.type === 'none' ? 'none' : `${after.principal.type}:${refIdentity(after.principal.ref)}`;
  if (livePrincipal !== plannedPrincipal) {
    changes.push({
      field: 'principal',
      before: describeLivePrincipal(ctx, live),
      after:
        desired.principal.type === 'none' ? 'none' : `${desired.principal.type}:${desired.principal.name}`,
    });
  }
  const liveRules = ctx.live.rules.get(live.id);
  const rulesUnknown = liveRules === undefined && live.nbRules !== 0;
  const liveKeys = (liveRules ?? []).map(liveRuleKey).sort();
  const plannedKeys = after.rules.map(plannedRuleKey).sort();
  if (rulesUnknown || !sameList(liveKeys, plannedKeys)) {
    changes.push({
      field: 'rules',
      before: rulesUnknown ? '(not read)' : (liveRules ?? []).map((rule) => describeLiveRule(ctx, rule)),
      after: desired.rules.map(describeDesiredRule),
    });
  }
  return changes;
}

/** A rule's content as a comparable string: permission sets and scope as sets, and the condition. */
function ruleKey(sets: readonly string[], projects: readonly string[] | null, condition: string): string {
  return JSON.stringify([
    [...new Set(sets)].sort(),
    projects === null ? 'organization' : [...new Set(projects)].sort(),
    condition,
  ]);
}

function plannedRuleKey(rule: PlannedRule): string {
  const projects = rule.scope.type === 'organization' ? null : rule.scope.projects.map(refIdentity);
  return ruleKey(rule.permissionSets, projects, rule.condition);
}

function liveRuleKey(rule: Rule): string {
  if (rule.scope.type === 'organization') return ruleKey(rule.permissionSetNames, null, rule.condition);
  if (rule.scope.type === 'projects')
    return ruleKey(rule.permissionSetNames, rule.scope.projectIds, rule.condition);
  return JSON.stringify([
    'account-root-user',
    rule.scope.accountRootUserId,
    rule.permissionSetNames,
    rule.condition,
  ]);
}

function describeLivePrincipal(ctx: PlanContext, policy: Policy): string {
  const principal = policy.principal;
  if (principal.type === 'none') return 'none';
  if (principal.type === 'user') return `user:${principal.id}`;
  return `${principal.type}:${ctx.index.nameById.get(principal.id) ?? principal.id}`;
}

function describeLiveRule(ctx: PlanContext, rule: Rule): string {
  const sets = [...rule.permissionSetNames].sort().join(', ');
  let scope: string;
  if (rule.scope.type === 'organization') scope = 'organization';
  else if (rule.scope.type === 'projects')
    scope = `projects [${rule.scope.projectIds.map((id) => ctx.index.projectName(id)).join(', ')}]`;
  else scope = `account root user ${rule.scope.accountRootUserId}`;
  return `${sets} on ${scope}${rule.condition ? ` if ${rule.condition}` : ''}`;
}

export function describeDesiredRule(rule: DesiredRule): string {
  const sets = [...rule.permissionSets].sort().join(', ');
  const scope =
    rule.scope.type === 'organization' ? 'organization' : `projects [${rule.scope.projects.join(', ')}]`;
  return `${sets} on ${scope}${rule.condition ? ` if ${rule.condition}` : ''}`;
}
