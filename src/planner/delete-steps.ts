/**
 * Delete steps, shared by matching (duplicate owned copies), API keys (superseded and undelivered
 * keys) and pruning (owned objects no longer in git). Deletes only ever target objects that carry
 * this instance's marker; saved plans are held to that (verify-plan.ts) and so is every delete at
 * apply time (the executor's point read).
 */
import type { ReasonCode } from '../model/plan.js';
import { address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import type { LiveEntry, LiveKeyEntry } from './live-index.js';
import { recordRemovals } from './secret-moves.js';

export function deleteNamedStep(
  ctx: PlanContext,
  entry: LiveEntry,
  reason: ReasonCode,
  detail: string,
): void {
  ctx.addStep({
    id: `delete:${entry.kind}/${entry.name}@${entry.id}`,
    action: 'delete',
    kind: entry.kind,
    name: entry.name,
    address: address(entry.kind, entry.name),
    reason,
    detail,
    before: ctx.index.liveObject(entry),
    changes: [],
    warnings: [],
    countsTowardMassDelete: true,
  });
}

/**
 * Delete one of our keys. `countsTowardMassDelete` is false for keys superseded by a successor
 * (their deletion is the end of a rotation, not a loss). Its records found in the sinks go with
 * it (secret-moves.ts).
 */
export function deleteKeyStep(
  ctx: PlanContext,
  name: string,
  entry: LiveKeyEntry,
  reason: ReasonCode,
  detail: string,
  countsTowardMassDelete: boolean,
): void {
  ctx.addStep({
    id: `delete:ApiKey/${name}@${entry.key.accessKey}`,
    action: 'delete',
    kind: 'ApiKey',
    name,
    address: address('ApiKey', name),
    reason,
    detail,
    before: { kind: 'ApiKey', object: entry.key },
    changes: [],
    warnings: [],
    countsTowardMassDelete,
    ...recordRemovals(ctx, entry.key.accessKey),
  });
}
