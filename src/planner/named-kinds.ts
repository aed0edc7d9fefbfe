/**
 * Projects, applications and groups (policies: policies.ts): the planned value of each desired
 * object, its field changes against the live match, and the create / update / adopt step.
 *
 * A desired object with a reference that cannot be resolved gets no step and is blocked: its
 * dependents do not resolve to it (the unresolved reference is already an error).
 */
import type { DesiredApplication, DesiredGroup, DesiredProject } from '../model/desired.js';
import { carriesPreventDestroy } from '../model/lifecycle.js';
import type { Application, Group, Project } from '../model/live.js';
import { parseProjectDescription, userTags } from '../model/ownership.js';
import type { FieldChange, ObjectRef, PlannedGroup, PlannedValue } from '../model/plan.js';
import type { PlanContext } from './context.js';
import { checkTagRoom, ignorePatterns, ignoredTags } from './ignore-tags.js';
import { lifecycleChange, lifecycleMarker } from './lifecycle.js';
import { KIND_LABEL, type LiveEntry } from './live-index.js';
import { type DesiredNamed, matchNamed } from './matching.js';
import { refIdentity, resolveReference } from './references.js';

/**
 * Create, update or adopt one named object, given its planned value and its field changes
 * against the live match. The object's address resolves to the match, or to the create step.
 */
export function planNamed(
  ctx: PlanContext,
  desired: DesiredNamed,
  value: PlannedValue,
  diff: (entry: LiveEntry) => FieldChange[],
  warnings: readonly string[] = [],
): void {
  const match = matchNamed(ctx, desired);
  if (!match) {
    ctx.blocked.add(desired.address);
    return;
  }
  const patterns = ignorePatterns(ctx, desired);
  const after = {
    ...value,
    marker: { ...value.marker, ...lifecycleMarker(desired) },
    ...(patterns.length > 0 ? { ignoreTags: patterns } : {}),
  } as PlannedValue;
  const common = {
    kind: desired.kind,
    name: desired.name,
    address: desired.address,
    warnings: [...warnings],
  };
  if (match.type === 'absent') {
    const id = `create:${desired.address}`;
    ctx.refs.set(desired.address, { address: desired.address, step: id });
    ctx.addStep({ id, action: 'create', ...common, reason: 'missing', after, changes: [] });
    return;
  }
  const { entry } = match;
  ctx.refs.set(desired.address, { address: desired.address, id: entry.id });
  const before = ctx.index.liveObject(entry);
  checkTagRoom(ctx, desired, before);
  const guard = lifecycleChange(carriesPreventDestroy(before, ctx.instance), desired);
  const changes = guard ? [...diff(entry), guard] : diff(entry);
  if (match.type === 'adopt') {
    ctx.addStep({
      id: `adopt:${desired.address}`,
      action: 'adopt',
      ...common,
      reason: 'adopt-requested',
      detail: `take over the existing ${KIND_LABEL[desired.kind]} ${entry.id} (adds the scw-gitops marker for instance "${ctx.instance}")`,
      before,
      after,
      changes,
    });
    return;
  }
  const renamed = match.type === 'renamed' && entry.name !== desired.name;
  if (renamed) changes.unshift({ field: 'name', before: entry.name, after: desired.name });
  if (changes.length === 0) return;
  ctx.addStep({
    id: `update:${desired.address}`,
    action: 'update',
    ...common,
    reason: renamed ? 'renamed' : 'drifted',
    ...(renamed
      ? { detail: `renamed in place from "${entry.name}" (metadata.renamedFrom): same id, nothing replaced` }
      : {}),
    before,
    after,
    changes,
  });
}

/**
 * A desired object with an unresolved reference (already an error): looked at for the fingerprint,
 * never changed, and blocked so that its dependents do not resolve to it.
 */
export function blockNamed(ctx: PlanContext, desired: DesiredNamed): void {
  matchNamed(ctx, desired);
  ctx.blocked.add(desired.address);
}

/** Description and user tags, the fields applications, groups and policies share. */
export function describedAndTaggedChanges(
  live: { readonly description: string; readonly tags: readonly string[] },
  desired: { readonly description: string; readonly tags: readonly string[] },
  ignored: (tag: string) => boolean = () => false,
): FieldChange[] {
  const changes: FieldChange[] = [];
  if (live.description !== desired.description) {
    changes.push({ field: 'description', before: live.description, after: desired.description });
  }
  // Tags other tools own (ignoreTags) are neither drift nor shown.
  const liveTags = userTags(live.tags).filter((t) => !ignored(t));
  if (!sameList(liveTags, desired.tags))
    changes.push({ field: 'tags', before: liveTags, after: [...desired.tags] });
  return changes;
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A set comparison (order and repeats do not matter). */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return sameList([...new Set(a)].sort(), [...new Set(b)].sort());
}

export function planProject(ctx: PlanContext, desired: DesiredProject): void {
  const after: PlannedValue = {
    kind: 'Project',
    name: desired.name,
    description: desired.description,
    marker: { instance: ctx.instance },
  };
  planNamed(ctx, desired, after, (entry) => {
    const live = parseProjectDescription((entry.object as Project).description).description;
    return live === desired.description
      ? []
      : [{ field: 'description', before: live, after: desired.description }];
  });
}

export function planApplication(ctx: PlanContext, desired: DesiredApplication): void {
  const after: PlannedValue = {
    kind: 'Application',
    name: desired.name,
    description: desired.description,
    tags: [...desired.tags],
    marker: { instance: ctx.instance },
  };
  planNamed(ctx, desired, after, (entry) =>
    describedAndTaggedChanges(entry.object as Application, desired, ignoredTags(ctx, desired)),
  );
}

export function planGroup(ctx: PlanContext, desired: DesiredGroup): void {
  const members: ObjectRef[] = [];
  desired.memberApplications.forEach((name, i) => {
    const ref = resolveReference(ctx, 'Application', name, desired, `spec.members.applications[${i}]`);
    if (ref) members.push(ref);
  });
  if (members.length < desired.memberApplications.length) {
    blockNamed(ctx, desired);
    return;
  }
  const after: PlannedGroup = {
    kind: 'Group',
    name: desired.name,
    description: desired.description,
    tags: [...desired.tags],
    marker: { instance: ctx.instance },
    members,
  };
  planNamed(ctx, desired, after, (entry) => {
    const group = entry.object as Group;
    const changes = describedAndTaggedChanges(group, desired, ignoredTags(ctx, desired));
    // Membership is a set: the order has no meaning for Scaleway (and is not always kept).
    if (!sameSet(members.map(refIdentity), group.applicationIds)) {
      changes.push({
        field: 'members',
        before: group.applicationIds.map((id) => ctx.index.nameById.get(id) ?? id),
        after: [...desired.memberApplications],
      });
    }
    return changes;
  });
}
