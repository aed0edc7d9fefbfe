/**
 * Ordering: `dependsOn` and `wave` of every step, and the final order of the plan.
 *
 * - A step that writes references depends on the create steps that produce them.
 * - A delete runs after every step (of a kind later in KINDS) whose live object still points at
 *   the deleted object: an application after its keys and the group/policy steps naming it, a
 *   project after the keys and policies scoped to it, a group after the policies whose principal
 *   it is.
 * - A key create or replace runs after the plan's key deletions (`runsAfter`, soft: quota).
 * - wave = 0 without dependencies, else 1 + the highest wave among them (and `runsAfter`).
 * - Order: by wave, then what keeps keys alive (rotations, expiry and custody repairs, overlap
 *   ends: `isKeepAlive`) before the rest, each with creates/updates before deletes, then kind order
 *   (reversed for deletes), then name and id, so the output is the same whatever the input order
 *   (Flux's tie-break rule). The executor starts steps in this order.
 */
import type { LiveObject, PlanStep } from '../model/plan.js';
import { isKeepAlive, referencesOf, targetId } from '../model/plan.js';
import { KINDS, type Kind, kindRank } from '../model/resources.js';
import type { DraftStep } from './context.js';

const DELETE_ORDER: readonly Kind[] = [...KINDS].reverse();

/** Ids of the live objects a step's `before` points at (bearer, default project, members, principal, rule projects). */
function liveReferences(before: LiveObject | undefined): string[] {
  if (!before) return [];
  switch (before.kind) {
    case 'ApiKey':
      return [before.object.bearer.id, before.object.defaultProjectId];
    case 'Group':
      return [...before.object.applicationIds];
    case 'Policy': {
      const out: string[] = before.object.principal.type === 'none' ? [] : [before.object.principal.id];
      for (const rule of before.rules ?? [])
        if (rule.scope.type === 'projects') out.push(...rule.scope.projectIds);
      return out;
    }
    default:
      return [];
  }
}

function dependencies(drafts: readonly DraftStep[]): Map<string, Set<string>> {
  const ids = new Set(drafts.map((d) => d.id));
  const deps = new Map<string, Set<string>>();
  for (const draft of drafts) {
    const set = new Set<string>();
    if (draft.action !== 'delete') {
      for (const ref of referencesOf(draft.after)) {
        if ('step' in ref && ids.has(ref.step) && ref.step !== draft.id) set.add(ref.step);
      }
    }
    deps.set(draft.id, set);
  }
  const deleteOf = new Map<string, DraftStep>();
  for (const draft of drafts) {
    if (draft.action === 'delete') deleteOf.set(targetId(draft as PlanStep)!, draft);
  }
  for (const draft of drafts) {
    const before = draft.action === 'create' ? undefined : draft.before;
    for (const ref of liveReferences(before)) {
      const del = deleteOf.get(ref);
      if (del && del !== draft && kindRank(draft.kind) > kindRank(del.kind)) deps.get(del.id)!.add(draft.id);
    }
  }
  return deps;
}

/**
 * Soft order (`runsAfter`): every key create or replace after every key deletion of the plan, so
 * that places in the organization's API-key quota are freed first (expired keys, overlaps over,
 * pruned keys). Only the order: a deletion that fails does not stop a rotation.
 */
function softOrder(drafts: readonly DraftStep[]): Map<string, string[]> {
  const deletions = drafts.filter((d) => d.kind === 'ApiKey' && d.action === 'delete').map((d) => d.id);
  const out = new Map<string, string[]>();
  if (deletions.length === 0) return out;
  for (const draft of drafts) {
    if (draft.kind === 'ApiKey' && (draft.action === 'create' || draft.action === 'replace'))
      out.set(draft.id, [...deletions].sort());
  }
  return out;
}

export function orderSteps(drafts: readonly DraftStep[]): PlanStep[] {
  const deps = dependencies(drafts);
  const after = softOrder(drafts);
  const wave = new Map<string, number>();
  const visiting = new Set<string>();
  const waveOf = (id: string): number => {
    const known = wave.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) throw new Error(`plan dependency cycle at ${id}`);
    visiting.add(id);
    let w = 0;
    for (const dep of [...(deps.get(id) ?? []), ...(after.get(id) ?? [])]) w = Math.max(w, waveOf(dep) + 1);
    visiting.delete(id);
    wave.set(id, w);
    return w;
  };
  const phase = (step: PlanStep) => (isKeepAlive(step) ? 0 : 2) + (step.action === 'delete' ? 1 : 0);
  const rank = (step: PlanStep) =>
    step.action === 'delete' ? DELETE_ORDER.indexOf(step.kind) : kindRank(step.kind);
  const steps = drafts.map(
    (draft) =>
      ({
        ...draft,
        dependsOn: [...(deps.get(draft.id) ?? [])].sort(),
        ...(after.has(draft.id) ? { runsAfter: after.get(draft.id) } : {}),
        wave: waveOf(draft.id),
      }) as PlanStep,
  );
  return steps.sort(
    (a, b) =>
      a.wave - b.wave ||
      phase(a) - phase(b) ||
      rank(a) - rank(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
