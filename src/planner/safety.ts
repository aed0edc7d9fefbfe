/**
 * Safety nets over the drafted steps:
 *
 *  - A suspect listing (one that cannot be complete) holds back every step that relies on an
 *    object being absent: creates (named objects and keys), key replacements that move a key to
 *    another application, and updates or adoptions that re-point a reference (group members,
 *    policy principal or rule projects, a key's default project), plus whatever references a
 *    held step. Pruning is off too (pruning.ts). Steps on objects the listing did show (updates of
 *    fields, rotations, overlap ends) go on: each is checked by a point read before it writes.
 *  - The mass-delete guard refuses a plan deleting too many owned objects at once.
 */
import { boundedDetails } from '../model/diagnostics.js';
import { referencesOf, type PlanStep, targetId } from '../model/plan.js';
import { compareAddresses } from '../model/resources.js';
import type { DraftStep, PlanContext } from './context.js';
import { ownedCount } from './pruning.js';

/**
 * Reasons the listing cannot be complete. Only evidence that cannot arise legitimately counts:
 * every organization has its default project, and deleting an application deletes its API keys
 * (so a key's bearer is always listed). Dangling group members or policy principals are not used:
 * whether Scaleway cleans them up is not documented, and a false alarm would hold steps for good.
 */
export function suspectListing(ctx: PlanContext): string[] {
  const reasons: string[] = [];
  if (!ctx.live.projects.some((p) => p.id === ctx.live.organizationId)) {
    reasons.push("the project listing lacks the organization's default project");
  }
  const applicationIds = new Set(ctx.live.applications.map((a) => a.id));
  const missing = new Set<string>();
  for (const entry of ctx.index.ourKeys()) {
    const bearer = entry.key.bearer;
    if (bearer.type === 'application' && !applicationIds.has(bearer.id)) missing.add(bearer.id);
  }
  if (missing.size > 0) {
    reasons.push(
      `${missing.size} application(s) bearing owned API keys are missing from the application listing`,
    );
  }
  return reasons;
}

/** Fields whose change points a reference at another object. */
const RE_POINTING_FIELDS = new Set(['members', 'principal', 'rules', 'defaultProject', 'application']);

function reliesOnAbsence(step: DraftStep): string | undefined {
  if (step.action === 'create') return `no ${step.address} exists`;
  if (step.action === 'delete') return undefined;
  const repointed = step.changes.filter((c) => RE_POINTING_FIELDS.has(c.field)).map((c) => c.field);
  if (repointed.length === 0) return undefined;
  return `the objects its ${repointed.join(', ')} now point at are the right ones`;
}

/** Drop the steps a suspect listing cannot support, with one warning each (see the module comment). */
export function holdAbsenceDependentSteps(ctx: PlanContext, reasons: readonly string[]): void {
  if (reasons.length === 0) return;
  const held = new Map<string, string>();
  for (const step of ctx.steps) {
    const why = reliesOnAbsence(step);
    if (why !== undefined) held.set(step.id, why);
  }
  let grew = held.size > 0;
  while (grew) {
    grew = false;
    for (const step of ctx.steps) {
      if (held.has(step.id) || step.action === 'delete') continue;
      const waitsOn = referencesOf(step.after).find((ref) => 'step' in ref && held.has(ref.step));
      if (waitsOn) {
        held.set(step.id, `${waitsOn.address} exists, and its create is held`);
        grew = true;
      }
    }
  }
  const kept = ctx.steps.filter((step) => !held.has(step.id));
  for (const step of ctx.steps) {
    const why = held.get(step.id);
    if (why === undefined) continue;
    ctx.diagnose({
      severity: 'warning',
      code: 'held-suspect-listing',
      message: `${step.action} held for this pass: it relies on the listing to show that ${why}, and the listing looks incomplete`,
      subject: ctx.desiredByAddress.get(step.address) ?? step.address,
    });
  }
  ctx.steps.splice(0, ctx.steps.length, ...kept);
}

/**
 * Refuse (error) a plan deleting more owned objects than the limits allow. The refusal lists what
 * would have been deleted, by address and live id, so the operator can judge whether to lift the
 * guard (the first MAX_DETAILS, then a count).
 */
export function guardMassDelete(ctx: PlanContext): void {
  const { options } = ctx;
  const counted = ctx.steps.filter((s) => s.action === 'delete' && s.countsTowardMassDelete);
  const deletions = counted.length;
  if (deletions === 0 || options.allowMassDelete) return;
  const owned = ownedCount(ctx);
  const percent = owned === 0 ? 100 : (deletions * 100) / owned;
  const overAbsolute = deletions > options.maxDeletes;
  const overPercent = deletions >= 2 && percent > options.maxDeletePercent;
  if (!overAbsolute && !overPercent) return;
  ctx.diagnose({
    severity: 'error',
    code: 'mass-delete',
    message: `the plan would delete ${deletions} of ${owned} owned objects (${Math.round(percent)}%), over the limit of ${
      overAbsolute ? `${options.maxDeletes} deletions` : `${options.maxDeletePercent}%`
    }; plan refused`,
    hint: 'check the desired-state directory; if intended, re-run with --allow-mass-delete or raise --max-deletes / --max-delete-percent',
    details: boundedDetails(
      counted
        .map((step) => ({ address: step.address, id: targetId(step as PlanStep) ?? '' }))
        .sort((a, b) => compareAddresses(a.address, b.address) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(({ address, id }) => `${address} (${id})`),
    ),
  });
}
