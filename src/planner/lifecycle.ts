/**
 * `metadata.lifecycle.preventDestroy` in the planner (docs/concepts.md, "Preventing destruction").
 *
 *  - The planned marker records the guard on the live object (a tag, or the description marker of
 *    a project or key: src/model/ownership.ts); a declared object whose live marker disagrees gets
 *    an in-place update, like any drift.
 *  - A plan with a step that destroys a guarded object (src/model/lifecycle.ts: a delete or
 *    replace of a named object, the pruning of a key) is refused with an error scoped to that
 *    object: declared in git (its file:line), or recorded on the live object (it left git).
 *    Key rotations are not destroys: they go on.
 */
import { type DesiredResource, fieldLocation } from '../model/desired.js';
import { carriesPreventDestroy, destroysObject } from '../model/lifecycle.js';
import type { FieldChange } from '../model/plan.js';
import type { PlanContext } from './context.js';

export const PREVENT_DESTROY_FIELD = 'metadata.lifecycle.preventDestroy';

/** The marker fields recording the guard of a desired resource (none when it is off). */
export function lifecycleMarker(desired: DesiredResource): { preventDestroy?: boolean } {
  return desired.preventDestroy === true ? { preventDestroy: true } : {};
}

/** The in-place change that records (or clears) the guard on the live object, if it differs. */
export function lifecycleChange(liveGuard: boolean, desired: DesiredResource): FieldChange | undefined {
  const wanted = desired.preventDestroy === true;
  return liveGuard === wanted
    ? undefined
    : { field: PREVENT_DESTROY_FIELD, before: liveGuard, after: wanted };
}

/** Refuse the plan when a step destroys an object guarded in git or on the live object. */
export function guardPreventDestroy(ctx: PlanContext): void {
  const refused = new Set<string>();
  for (const step of ctx.steps) {
    if (!destroysObject(step) || refused.has(step.address)) continue;
    const declared = ctx.desiredByAddress.get(step.address);
    const recorded = 'before' in step && carriesPreventDestroy(step.before, ctx.instance);
    if (declared?.preventDestroy !== true && !recorded) continue;
    refused.add(step.address);
    const what = step.action === 'replace' ? 'replace' : 'delete';
    ctx.diagnose({
      severity: 'error',
      code: 'prevent-destroy',
      message: declared
        ? `this plan would ${what} ${step.address} (${step.reason}), which sets ${PREVENT_DESTROY_FIELD}`
        : `this plan would ${what} ${step.address} (${step.reason}): it is no longer in git, and the live object records ${PREVENT_DESTROY_FIELD} (set when it was declared)`,
      subject: declared ?? step.address,
      ...(declared && fieldLocation(declared, PREVENT_DESTROY_FIELD) ? { field: PREVENT_DESTROY_FIELD } : {}),
      hint: declared
        ? `set ${PREVENT_DESTROY_FIELD}: false first if the object must really go`
        : `declare it again with ${PREVENT_DESTROY_FIELD}: false and apply, then remove it from git`,
    });
  }
}
