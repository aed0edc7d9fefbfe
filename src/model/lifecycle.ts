/**
 * `metadata.lifecycle.preventDestroy` (docs/concepts.md, "Preventing destruction"): which steps
 * destroy an object, and whether a live object carries the guard.
 *
 * The guard is checked three times: by the planner (a plan that would destroy a guarded object is
 * refused, src/planner/lifecycle.ts), by the saved-plan schema (src/render/plan-schema.ts) and by
 * the point read just before a delete (src/executor/point-reads.ts). The live object records it,
 * so it holds after the object left git, and for plans made elsewhere.
 */
import type { LiveObject, PlanStep } from './plan.js';
import { hasPreventDestroyTag, parseKeyDescription, parseProjectDescription } from './ownership.js';

/**
 * Does this step destroy the object at its address? A project, application, group or policy:
 * any delete or replace. An API key: only a pruning (the declared key goes away); a rotation,
 * a replacement or the deletion of a superseded access key keeps the declared key alive.
 */
export function destroysObject(step: Pick<PlanStep, 'action' | 'kind' | 'reason'>): boolean {
  if (step.action !== 'delete' && step.action !== 'replace') return false;
  if (step.kind === 'ApiKey') return step.action === 'delete' && step.reason === 'pruned';
  return true;
}

/** Does this live object carry the preventDestroy guard of `instance`? */
export function carriesPreventDestroy(before: LiveObject, instance: string): boolean {
  switch (before.kind) {
    case 'Project': {
      const parsed = parseProjectDescription(before.object.description);
      return parsed.instance === instance && parsed.preventDestroy === true;
    }
    case 'Application':
    case 'Group':
    case 'Policy':
      return hasPreventDestroyTag(before.object.tags, instance);
    case 'ApiKey': {
      const marker = parseKeyDescription(before.object.description).marker;
      return marker?.instance === instance && marker.preventDestroy === true;
    }
  }
}
