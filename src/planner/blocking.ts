/**
 * Failure isolation (docs/concepts.md, "Failure isolation"): an error about one object blocks that
 * object and what depends on it, and nothing else. Run once every object is planned:
 *
 *  1. Roots: the subject of every error diagnostic (`PlanContext.block`, or any error with a
 *     subject). An error without a subject is plan-wide and refuses the plan (build-plan.ts).
 *  2. Dependents: every desired object that refers to a blocked one by name, transitively (a key
 *     through its application or project, a group through its members, a policy through its
 *     principal or rule projects); and, as a safety net, any step that refers to the create step
 *     of a blocked object.
 *  3. Every diagnostic gets its scope: an error the root and its dependents, a warning its subject,
 *     a diagnostic without a subject the plan.
 *  4. The steps of blocked objects are dropped. A blocked API key is planned again in keep-alive
 *     mode (api-keys.ts): its rotation, expiry and custody repair on its own bearer, and the end of
 *     its previous keys' overlap, go on whatever blocks it (invariant I1), unless it has no secret
 *     destination.
 *
 * Returns the blocked objects, sorted by address. Pure.
 */
import type { Diagnostic, DiagnosticScope } from '../model/diagnostics.js';
import { type DesiredApiKey, desiredReferences } from '../model/desired.js';
import {
  type BlockedObject,
  isKeepAlive,
  type Plan,
  type PlannedSink,
  referencesOf,
  summarize,
} from '../model/plan.js';
import { type Address, compareAddresses, parseAddress } from '../model/resources.js';
import { planApiKeyKeepAlive } from './api-keys.js';
import type { PlanContext } from './context.js';

function isAddress(value: string | undefined): value is Address {
  return value !== undefined && parseAddress(value) !== undefined;
}

/** Desired addresses that refer to each address (the reverse of `desiredReferences`). */
function dependentsIndex(ctx: PlanContext): Map<Address, Address[]> {
  const index = new Map<Address, Address[]>();
  for (const resource of ctx.desired.resources) {
    for (const target of desiredReferences(resource)) {
      const list = index.get(target);
      if (list) list.push(resource.address);
      else index.set(target, [resource.address]);
    }
  }
  return index;
}

function closure(root: Address, index: ReadonlyMap<Address, readonly Address[]>): Address[] {
  const seen = new Set<Address>([root]);
  const queue = [root];
  while (queue.length > 0) {
    for (const next of index.get(queue.shift()!) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  seen.delete(root);
  return [...seen].sort(compareAddresses);
}

function withScope(d: Diagnostic, scope: DiagnosticScope): Diagnostic {
  return { ...d, scope };
}

export function applyBlocks(
  ctx: PlanContext,
  destinations: ReadonlyMap<Address, PlannedSink>,
): BlockedObject[] {
  const index = dependentsIndex(ctx);
  /** Root → its dependents; the first error (in diagnostic order) of each root explains it. */
  const roots = new Map<Address, { readonly error: Diagnostic; readonly dependents: Address[] }>();
  for (const d of ctx.diagnostics) {
    if (d.severity !== 'error' || !isAddress(d.resource) || roots.has(d.resource)) continue;
    roots.set(d.resource, { error: d, dependents: closure(d.resource, index) });
  }

  // Every diagnostic carries its scope.
  for (let i = 0; i < ctx.diagnostics.length; i++) {
    const d = ctx.diagnostics[i]!;
    if (!isAddress(d.resource)) ctx.diagnostics[i] = withScope(d, { type: 'plan' });
    else if (d.severity === 'error') {
      const root = roots.get(d.resource)!;
      ctx.diagnostics[i] = withScope(d, {
        type: 'objects',
        addresses: [d.resource, ...root.dependents],
      });
    } else ctx.diagnostics[i] = withScope(d, { type: 'objects', addresses: [d.resource] });
  }

  // What blocks each blocked address: itself (a root), or the first root it depends on.
  const blockedBy = new Map<Address, Address>();
  const sortedRoots = [...roots.keys()].sort(compareAddresses);
  for (const root of sortedRoots) blockedBy.set(root, root);
  for (const root of sortedRoots) {
    for (const dependent of roots.get(root)!.dependents) {
      if (!blockedBy.has(dependent)) blockedBy.set(dependent, root);
    }
  }
  if (blockedBy.size === 0) return [];

  // Drop the steps of blocked objects, then whatever refers to a dropped create step.
  const dropped = new Set<string>();
  const keep = ctx.steps.filter((step) => {
    if (!blockedBy.has(step.address)) return true;
    dropped.add(step.id);
    return false;
  });
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of keep) {
      if (dropped.has(step.id) || step.action === 'delete') continue;
      const ref = referencesOf(step.after).find((r) => 'step' in r && dropped.has(r.step));
      if (ref === undefined) continue;
      dropped.add(step.id);
      if (!blockedBy.has(step.address))
        blockedBy.set(step.address, blockedBy.get(ref.address) ?? ref.address);
      grew = true;
    }
  }
  ctx.steps.splice(0, ctx.steps.length, ...keep.filter((step) => !dropped.has(step.id)));

  // Blocked keys that have somewhere to put a secret keep being rotated.
  const keptAlive = new Set<Address>();
  for (const [address] of blockedBy) {
    const resource = ctx.desiredByAddress.get(address);
    const sink = destinations.get(address);
    if (resource?.kind !== 'ApiKey' || sink === undefined) continue;
    const before = ctx.steps.length;
    planApiKeyKeepAlive(ctx, resource as DesiredApiKey, sink);
    const added = ctx.steps.splice(before);
    ctx.steps.push(...added.filter(isKeepAlive));
    keptAlive.add(address);
  }

  return [...blockedBy.entries()]
    .sort(([a], [b]) => compareAddresses(a, b))
    .map(([address, root]): BlockedObject => {
      const error = roots.get(root)?.error;
      const location =
        address === root && error?.location ? error.location : ctx.desiredByAddress.get(address)?.source;
      const code = error?.code ?? 'blocked';
      const message =
        address === root ? (error?.message ?? 'blocked') : `depends on ${root}, which is blocked (${code})`;
      return {
        address,
        code,
        message,
        ...(location ? { location } : {}),
        ...(address !== root ? { blockedBy: root } : {}),
        ...(keptAlive.has(address) ? { keepAlive: true } : {}),
      };
    });
}

/** One diagnostic per (severity, code, subject, field, message): re-planning may repeat a warning. */
export function dedupeDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = JSON.stringify([d.severity, d.code, d.resource, d.field, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Only the steps of a plan that keep keys alive (`isKeepAlive`): what the daemon applies from the
 * last valid desired state while the newest one is invalid (docs/concepts.md, "The last valid
 * desired state"). Their dependencies on dropped steps are dropped with them (a keep-alive step
 * refers to known ids only). Pure.
 */
export function keepAliveOnly(plan: Plan): Plan {
  const steps = plan.steps.filter(isKeepAlive);
  const kept = new Set(steps.map((s) => s.id));
  const pruned = steps.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((id) => kept.has(id)) }));
  return { ...plan, steps: pruned, summary: summarize(pruned) };
}
