/**
 * A delete next to a create of the same kind is often a rename (names are identity): say so on
 * both steps. Pairs by equal description, else a lone create of the kind. For display only.
 */
import { parseProjectDescription } from '../model/ownership.js';
import type { LiveObject } from '../model/plan.js';
import type { DraftStep, PlanContext } from './context.js';

function liveDescription(before: LiveObject): string {
  if (before.kind === 'Project') return parseProjectDescription(before.object.description).description;
  return before.object.description;
}

export function noteRenames(ctx: PlanContext): void {
  const steps = ctx.steps;
  const noted = new Set<string>();
  const createsByKind = new Map<string, DraftStep[]>();
  for (const step of steps) {
    if (step.action === 'create')
      createsByKind.set(step.kind, [...(createsByKind.get(step.kind) ?? []), step]);
  }
  for (let i = 0; i < steps.length; i++) {
    const deletion = steps[i]!;
    if (deletion.action !== 'delete' || deletion.reason !== 'pruned' || deletion.kind === 'ApiKey') continue;
    const creates = createsByKind.get(deletion.kind) ?? [];
    if (creates.length === 0) continue;
    const oldDescription = liveDescription(deletion.before);
    const same = creates.filter(
      (c) => oldDescription !== '' && c.action === 'create' && c.after.description === oldDescription,
    );
    const candidates = same.length > 0 ? same : creates.length === 1 ? creates : [];
    if (candidates.length !== 1) continue;
    const create = candidates[0]!;
    if (noted.has(create.id)) continue;
    noted.add(create.id);
    const note = `renamed to ${create.name}? names are identity: a rename is a delete plus a create`;
    steps[i] = { ...deletion, detail: `${deletion.detail ?? ''}; ${note}` };
    const at = steps.findIndex((s) => s.id === create.id);
    steps[at] = {
      ...create,
      detail: `${deletion.address} is deleted in this plan; names are identity: a rename is a delete plus a create`,
    };
  }
}
