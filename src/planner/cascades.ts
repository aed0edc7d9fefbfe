/**
 * Cascades (docs/concepts.md, "Cascades and renames"): deleting an application deletes its API
 * keys on Scaleway's side (docs/design/scaleway-api.md §5). Run once every step is planned and
 * blocked objects are settled, on every application delete (pruned, or an extra owned copy):
 *
 *  - keys of ours that nobody can hold do not stop it: keys whose ApiKey left git (pruned with
 *    it), undelivered (`pending`) keys, keys this plan deletes or replaces-and-deletes anyway;
 *  - a `retiring` key still in its overlap holds it until the overlap ends;
 *  - a current key that this plan moves to another application (replace, retire) holds it until
 *    the new key's overlap ends, at the earliest one overlap from now;
 *  - a current key that does not move in this plan (its ApiKey is blocked) holds it with no end
 *    time: the deletion waits for the key's replacement.
 *
 * A held deletion leaves the plan and is listed in `plan.deferred` with its earliest time, which
 * also becomes a due time of the plan. Keys of other owners on the application are named in the
 * step's detail. Invariant I2.
 */
import type { DeferredDeletion, PlanStep } from '../model/plan.js';
import { targetId } from '../model/plan.js';
import { address } from '../model/resources.js';
import type { DraftStep, PlanContext } from './context.js';
import { newestFirst } from './live-index.js';
import { toIso } from './rotation.js';

interface Hold {
  readonly accessKey: string;
  /** Epoch ms the key may go; undefined = not known yet (still current). */
  readonly until: number | undefined;
}

function stepTarget(step: DraftStep): string | undefined {
  return targetId(step as PlanStep);
}

/** The keys on application `appId` that a consumer may still hold, with when each may go. */
function holdsOn(ctx: PlanContext, appId: string): Hold[] {
  const holds: Hold[] = [];
  const stepsOn = (accessKey: string) => ctx.steps.filter((s) => stepTarget(s) === accessKey);
  const keys = ctx.index
    .ourKeys()
    .filter((e) => e.key.bearer.type === 'application' && e.key.bearer.id === appId)
    .sort(newestFirst);
  for (const entry of keys) {
    const marker = entry.marker!;
    const accessKey = entry.key.accessKey;
    if (!ctx.desiredByAddress.has(address('ApiKey', marker.name))) continue; // pruned with it
    if (marker.state === 'pending') continue; // nobody holds its secret
    const own = stepsOn(accessKey);
    if (own.some((s) => s.action === 'delete')) continue;
    if (own.some((s) => s.action === 'replace' && s.disposeBefore === 'delete')) continue;
    if (entry.key.expiresAt !== null && Date.parse(entry.key.expiresAt) <= ctx.now) continue;
    if (marker.state === 'retiring') {
      holds.push({ accessKey, until: ctx.overlapEnds.get(accessKey) });
      continue;
    }
    const moved = own.find((s) => s.action === 'replace');
    holds.push({
      accessKey,
      until: moved?.action === 'replace' ? ctx.now + moved.after.rotation.overlapMs : undefined,
    });
  }
  return holds;
}

/** Other owners' keys on the application: they go with it too; the step says so. */
function othersOn(ctx: PlanContext, appId: string): string[] {
  return ctx.index.keys
    .filter((e) => e.key.bearer.type === 'application' && e.key.bearer.id === appId)
    .filter((e) => e.marker?.instance !== ctx.instance)
    .map((e) => e.key.accessKey)
    .sort();
}

function ourKeysOn(ctx: PlanContext, appId: string): string[] {
  return ctx.index
    .ourKeys()
    .filter((e) => e.key.bearer.type === 'application' && e.key.bearer.id === appId)
    .map((e) => e.key.accessKey)
    .sort();
}

/** `; Scaleway also deletes its 2 API keys: SCW…, SCW…` (the listed ones, else the counter). */
function cascadeNote(ctx: PlanContext, step: DraftStep, appId: string): string {
  const listed = [...ourKeysOn(ctx, appId), ...othersOn(ctx, appId)];
  const before =
    step.action === 'delete' && step.before.kind === 'Application' ? step.before.object : undefined;
  const count = Math.max(listed.length, before?.nbApiKeys ?? 0);
  if (count === 0) return '';
  const names = listed.length > 0 ? `: ${listed.join(', ')}` : '';
  return `; Scaleway also deletes its ${count} API key${count === 1 ? '' : 's'}${names}`;
}

export function deferCascades(ctx: PlanContext): void {
  const kept: DraftStep[] = [];
  for (const step of ctx.steps) {
    if (step.action !== 'delete' || step.kind !== 'Application') {
      kept.push(step);
      continue;
    }
    const appId = stepTarget(step)!;
    const holds = holdsOn(ctx, appId);
    if (holds.length === 0) {
      kept.push({ ...step, detail: `${step.detail ?? ''}${cascadeNote(ctx, step, appId)}` });
      continue;
    }
    const ends = holds.map((h) => h.until);
    const open = ends.some((t) => t === undefined);
    const notBefore = open ? undefined : Math.max(...(ends as number[]));
    if (notBefore !== undefined) ctx.dueTimes.push(notBefore);
    const keys = holds.map((h) => h.accessKey).sort();
    const deferral: DeferredDeletion = {
      address: step.address,
      kind: step.kind,
      id: appId,
      keys,
      ...(notBefore !== undefined ? { notBefore: toIso(notBefore) } : {}),
      reason: open
        ? `Scaleway would delete API key${keys.length === 1 ? '' : 's'} ${keys.join(', ')} with it, still current; deleted once replaced and past the overlap`
        : `Scaleway would delete API key${keys.length === 1 ? '' : 's'} ${keys.join(', ')} with it, still in overlap; deleted after ${toIso(notBefore!)}`,
    };
    ctx.deferred.push(deferral);
  }
  ctx.steps.splice(0, ctx.steps.length, ...kept);
}
