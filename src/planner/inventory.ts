/**
 * The inventory (src/model/inventory.ts): the state of every declared object and the keys of
 * every declared ApiKey, read from the decisions the planner made for the plan (its draft steps,
 * diagnostics, blocked addresses and key roles), so the dashboard can never disagree with the plan.
 *
 * Object state, first match wins:
 *  1. an error diagnostic about the object: `conflict` when a live object of its name is not ours
 *     (CONFLICT_CODES), else `blocked`;
 *  2. blocked without a diagnostic of its own (a reference to a blocked object): `blocked`, with
 *     `blockedBy` naming that object;
 *  3. a planned step (also when a plan-wide error refuses the plan: it is what would change): `pending`;
 *  4. declared with `metadata.adopt`: `adopted`; otherwise `in-sync`.
 * `failed` comes from an apply's outcomes (`withOutcomes`).
 */
import type { Diagnostic } from '../model/diagnostics.js';
import type { DesiredResource } from '../model/desired.js';
import type {
  Inventory,
  KeyBar,
  KeyTimelineRow,
  ObjectAction,
  ObjectDiagnostic,
  ObjectStatus,
} from '../model/inventory.js';
import { defined } from '../model/defined.js';
import type { Plan, StepOutcome } from '../model/plan.js';
import { type Address, address, compareAddresses, parseAddress } from '../model/resources.js';
import type { DraftStep, PlanContext } from './context.js';
import { type LiveKeyEntry, newestFirst } from './live-index.js';
import { toIso } from './rotation.js';

/** Error codes meaning "a live object with this name is not ours". */
export const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'conflict',
  'foreign-owner',
  'protected-conflict',
  'ambiguous-adopt',
]);

/** Addresses a desired resource refers to (the objects it depends on). */
export function referencedAddresses(resource: DesiredResource): Address[] {
  switch (resource.kind) {
    case 'Project':
    case 'Application':
      return [];
    case 'ApiKey':
      return [address('Application', resource.application), address('Project', resource.defaultProject)];
    case 'Group':
      return resource.memberApplications.map((name) => address('Application', name));
    case 'Policy': {
      const out: Address[] = [];
      if (resource.principal.type !== 'none')
        out.push(
          address(
            resource.principal.type === 'application' ? 'Application' : 'Group',
            resource.principal.name,
          ),
        );
      for (const rule of resource.rules)
        if (rule.scope.type === 'projects')
          out.push(...rule.scope.projects.map((p) => address('Project', p)));
      return out;
    }
  }
}

function toObjectDiagnostic(d: Diagnostic): ObjectDiagnostic {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
    ...defined({ location: d.location, hint: d.hint }),
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}

function actionsOf(steps: readonly DraftStep[]): ObjectAction[] {
  return steps.map((step) => ({
    action: step.action,
    reason: step.reason,
    ...defined({ detail: step.detail }),
  }));
}

interface Lookup {
  readonly ctx: PlanContext;
  readonly steps: ReadonlyMap<string, DraftStep[]>;
  readonly diagnostics: ReadonlyMap<string, Diagnostic[]>;
}

/** The first object `resource` refers to that is blocked or has an error (depth first). */
function blockingDependency(
  look: Lookup,
  resource: DesiredResource,
  seen = new Set<Address>(),
): Address | undefined {
  for (const dep of referencedAddresses(resource)) {
    if (seen.has(dep)) continue;
    seen.add(dep);
    const hasError = look.diagnostics.get(dep)?.some((d) => d.severity === 'error') ?? false;
    if (hasError) return dep;
    if (!look.ctx.blocked.has(dep)) continue;
    const desired = look.ctx.desiredByAddress.get(dep);
    return (desired && blockingDependency(look, desired, seen)) ?? dep;
  }
  return undefined;
}

function objectStatus(look: Lookup, resource: DesiredResource): ObjectStatus {
  const diagnostics = [...(look.diagnostics.get(resource.address) ?? [])].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1,
  );
  const steps = look.steps.get(resource.address) ?? [];
  const base = {
    address: resource.address,
    kind: resource.kind,
    name: resource.name,
    declared: true,
    location: resource.source,
    ...(diagnostics.length > 0 ? { diagnostics: diagnostics.map(toObjectDiagnostic) } : {}),
    ...(steps.length > 0 ? { actions: actionsOf(steps) } : {}),
  };
  const firstError = diagnostics.find((d) => d.severity === 'error');
  if (firstError) return { ...base, state: CONFLICT_CODES.has(firstError.code) ? 'conflict' : 'blocked' };
  if (look.ctx.blocked.has(resource.address)) {
    return { ...base, state: 'blocked', ...defined({ blockedBy: blockingDependency(look, resource) }) };
  }
  if (steps.length > 0) return { ...base, state: 'pending' };
  return { ...base, state: resource.adopt ? 'adopted' : 'in-sync' };
}

function keyBars(ctx: PlanContext, plan: Plan, mine: readonly LiveKeyEntry[]): KeyBar[] {
  const rotateAt = new Map(plan.keys.map((k) => [k.accessKey, k.rotateAt] as const));
  const sorted = [...mine].sort(newestFirst);
  // Keys the decisions did not reach (a blocked key, a protected one): their marker says it all.
  const newestServing = sorted.find((e) => e.marker?.state === 'ready' || e.marker?.state === 'external');
  const bars = sorted.map((entry): KeyBar => {
    const decided = ctx.keyRoles.get(entry.key.accessKey);
    const state = entry.marker!.state;
    const role =
      decided?.role ?? (state === 'pending' ? 'pending' : entry === newestServing ? 'current' : 'retiring');
    return {
      accessKey: entry.key.accessKey,
      role,
      state,
      createdAt: entry.key.createdAt,
      expiresAt: entry.key.expiresAt,
      rotateAt: role === 'current' ? (rotateAt.get(entry.key.accessKey) ?? null) : null,
      ...(decided?.role === 'retiring' ? { retireAt: toIso(decided.retireAt) } : {}),
    };
  });
  const rank = { current: 0, pending: 1, retiring: 2 } as const;
  return bars.sort((a, b) => rank[a.role] - rank[b.role]);
}

/** The inventory of a plan built in `ctx` (call after the plan: it reads the final decisions). */
export function buildInventory(ctx: PlanContext, plan: Plan): Inventory {
  const look: Lookup = {
    ctx,
    steps: groupBy(ctx.steps, (s) => s.address),
    diagnostics: groupBy(plan.diagnostics, (d) => d.resource),
  };
  const objects = ctx.desired.resources.map((resource) => objectStatus(look, resource));
  // Owned objects git no longer declares, with the steps that remove them.
  const undeclared = [...look.steps.keys()]
    .filter((a) => !ctx.desiredByAddress.has(a as Address))
    .sort((a, b) => compareAddresses(a as Address, b as Address));
  for (const a of undeclared) {
    const parsed = parseAddress(a)!;
    objects.push({
      address: a as Address,
      kind: parsed.kind,
      name: parsed.name,
      state: 'pending',
      declared: false,
      actions: actionsOf(look.steps.get(a)!),
    });
  }
  const keys: KeyTimelineRow[] = [];
  for (const resource of ctx.desired.resources) {
    if (resource.kind !== 'ApiKey') continue;
    keys.push({
      address: resource.address,
      name: resource.name,
      application: resource.application,
      location: resource.source,
      keys: keyBars(ctx, plan, ctx.index.ourKeysByName.get(resource.name) ?? []),
    });
  }
  return { observedAt: plan.createdAt, objects, keys };
}

/**
 * The inventory after an apply of its plan: an object with a failed step is `failed` (with the
 * error); one whose steps all succeeded is no longer `pending` when `settled` (the inventory is
 * the applied plan's, made before those steps ran). A post-apply inventory (a fresh dry-run plan)
 * is passed with `settled: false`: only the failures are added to it.
 */
export function withOutcomes(
  inventory: Inventory,
  outcomes: readonly StepOutcome[],
  opts: { readonly settled: boolean },
): Inventory {
  if (outcomes.length === 0) return inventory;
  const byAddress = groupBy(outcomes, (o) => o.address);
  const objects = inventory.objects.map((object): ObjectStatus => {
    const done = byAddress.get(object.address);
    if (!done) return object;
    const failed = done.find((o) => o.result === 'failed');
    if (failed) return { ...object, state: 'failed', error: failed.error ?? 'failed' };
    if (!opts.settled || object.state !== 'pending') return object;
    if (done.some((o) => o.result === 'skipped')) return object;
    const { actions, ...rest } = object;
    return { ...rest, state: actions?.some((a) => a.action === 'adopt') ? 'adopted' : 'in-sync' };
  });
  return {
    ...inventory,
    objects: objects.filter((o) => o.declared || !(opts.settled && isGone(o, byAddress))),
  };
}

/** An undeclared object whose deletion succeeded. */
function isGone(object: ObjectStatus, byAddress: ReadonlyMap<string, StepOutcome[]>): boolean {
  const done = byAddress.get(object.address) ?? [];
  return done.length > 0 && done.every((o) => o.result === 'deleted');
}
