/**
 * buildPlan: the pure heart of scw-gitops. (desired, live, sink observations, options, now) → Plan.
 * No I/O, no clock, no randomness: the same input gives the same plan (byte-identical JSON).
 *
 * Runbook (one module per concern, sharing one PlanContext):
 *  1. Index the live objects per kind: ours, another instance's, unmarked, protected (live-index.ts).
 *  2. Resolve where every key's secret goes and refuse shared places (secret-destinations.ts).
 *  3. Match each desired project, application, group and policy by name and plan its create,
 *     update or adoption (matching.ts, named-kinds.ts, policies.ts); references are resolved once,
 *     to ids or create steps (references.ts).
 *  4. API keys: custody, rotation, replacement, overlap ends (api-keys.ts, key-steps.ts).
 *  5. A listing that cannot be complete holds every step relying on an absence (safety.ts).
 *  6. Prune owned objects absent from git (pruning.ts); note likely renames (rename-notes.ts).
 *  7. Refuse mass deletions (safety.ts); order the steps into waves (ordering.ts).
 *
 * With `--target` (options.targets), steps 3-4 plan only the targets and what they need, and step
 * 6 prunes only targets: the plan is partial and says so (targets.ts).
 *
 * A plan with any error diagnostic is refused: it carries the diagnostics and no steps.
 */
import { sortDiagnostics } from '../model/diagnostics.js';
import type { DesiredResource } from '../model/desired.js';
import { defined } from '../model/defined.js';
import type { Inventory } from '../model/inventory.js';
import type { FingerprintScope, Plan } from '../model/plan.js';
import { PLAN_FORMAT_VERSION, summarize } from '../model/plan.js';
import { KINDS } from '../model/resources.js';
import { planApiKey } from './api-keys.js';
import { type BuildPlanInput, PlanContext } from './context.js';
import { fingerprintLive } from './fingerprint.js';
import { buildInventory } from './inventory.js';
import { planApplication, planGroup, planProject } from './named-kinds.js';
import { keyOutlook } from './outlook.js';
import { orderSteps } from './ordering.js';
import { planPolicy } from './policies.js';
import { planPruning } from './pruning.js';
import { noteRenames } from './rename-notes.js';
import { guardMassDelete, holdAbsenceDependentSteps, suspectListing } from './safety.js';
import { planSecretDestinations } from './secret-destinations.js';
import { toIso } from './rotation.js';
import { partialMark, partialWarning, warnUnknownTargets } from './targets.js';

export type { BuildPlanInput } from './context.js';
export type { SinkObservation } from '../model/plan.js';
export type { PlanOptions } from './options.js';
export { defaultPlanOptions } from './options.js';
export { orderSteps } from './ordering.js';

/** The desired resources of a kind that this plan covers (all of them, unless it is partial). */
function ofKind<K extends DesiredResource['kind']>(
  ctx: PlanContext,
  kind: K,
): Extract<DesiredResource, { kind: K }>[] {
  return ctx.desired.resources.filter(
    (r): r is Extract<DesiredResource, { kind: K }> => r.kind === kind && ctx.inScope(r.address),
  );
}

/** Non-owned live objects the plan looked at (owned ones are always in the fingerprint). */
function fingerprintScope(ctx: PlanContext): FingerprintScope {
  const scope: Partial<Record<(typeof KINDS)[number], string[]>> = {};
  for (const kind of KINDS) {
    const ids = [...ctx.touched(kind)].filter((id) => !ctx.index.ownedIds.has(id)).sort();
    if (ids.length > 0) scope[kind] = ids;
  }
  return scope;
}

export function buildPlan(input: BuildPlanInput): Plan {
  return planIn(new PlanContext(input), input.fingerprint !== false);
}

/**
 * The plan, and the inventory of the same decisions (src/planner/inventory.ts): what the daemon
 * shows for every declared object and key. The plan is the one buildPlan returns.
 */
export function buildPlanWithInventory(input: BuildPlanInput): { plan: Plan; inventory: Inventory } {
  const ctx = new PlanContext(input);
  const plan = planIn(ctx, input.fingerprint !== false);
  return { plan, inventory: buildInventory(ctx, plan) };
}

/** `fingerprint`: compute the live fingerprint (for a plan that is saved or rendered as JSON). */
function planIn(ctx: PlanContext, fingerprint: boolean): Plan {
  const { options, live, desired } = ctx;
  const now = new Date(ctx.now);

  const destinations = planSecretDestinations(ctx);
  for (const project of ofKind(ctx, 'Project')) planProject(ctx, project);
  for (const application of ofKind(ctx, 'Application')) planApplication(ctx, application);
  for (const group of ofKind(ctx, 'Group')) planGroup(ctx, group);
  for (const policy of ofKind(ctx, 'Policy')) planPolicy(ctx, policy);
  for (const key of ofKind(ctx, 'ApiKey')) planApiKey(ctx, key, destinations);

  const suspect = suspectListing(ctx);
  for (const why of suspect) {
    ctx.diagnose({
      severity: 'warning',
      code: 'suspect-listing',
      message: `${why}; pruning, and every step relying on an object being absent, is held for this pass`,
    });
  }
  holdAbsenceDependentSteps(ctx, suspect);
  planPruning(ctx, suspect);
  noteRenames(ctx);
  guardMassDelete(ctx);
  // A partial plan covers its scope, plus the keys a pruned target application takes with it.
  const partial =
    ctx.targets && ctx.scope
      ? partialMark([...ctx.targets], [...ctx.scope, ...ctx.steps.map((s) => s.address)])
      : undefined;
  if (partial) {
    ctx.diagnostics.push(partialWarning(partial));
    warnUnknownTargets(ctx, partial.targets);
  }

  const diagnostics = sortDiagnostics(ctx.diagnostics);
  const refused = diagnostics.some((d) => d.severity === 'error');
  const steps = refused ? [] : orderSteps(ctx.steps);
  const { keys, upcoming } = keyOutlook(ctx);
  const scope = fingerprintScope(ctx);
  const revision = options.revision ?? desired.revision;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: now.toISOString(),
    organizationId: live.organizationId,
    instance: options.instance,
    ...defined({ revision }),
    ...defined({ signer: revision !== undefined ? options.signer : undefined }),
    ...defined({
      liveFingerprint: fingerprint ? fingerprintLive(live, options.instance, scope) : undefined,
    }),
    fingerprintScope: scope,
    ...defined({ partial }),
    steps,
    summary: summarize(steps),
    diagnostics,
    keys,
    upcoming,
    ...defined({ nextDueAt: ctx.dueTimes.length > 0 ? toIso(Math.min(...ctx.dueTimes)) : undefined }),
  };
}
