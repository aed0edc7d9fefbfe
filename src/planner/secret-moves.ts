/**
 * Secret moves and the records of deleted keys (docs/design/secret-moves.md).
 *
 * - A current key whose secret is not where git puts it now is replaced, and the key it replaces
 *   is retired, not deleted: a consumer may hold it (I2). When the key's record is found at
 *   another place of the sinks, `spec.sink` changed: the step says `sink-moved`, from where to
 *   where. The old record stays at the old place, holding a live key, until the overlap ends.
 * - A key deleted by the plan (overlap over, pruned, never delivered, …) takes with it the records
 *   of it found in the sinks (`DeleteStep.removeRecords`); the executor removes each after a
 *   point read, just before deleting the key.
 */
import { formatDuration } from '../model/duration.js';
import type { PlannedSink, SinkObservation } from '../model/plan.js';
import type { PlanContext } from './context.js';
import type { KeyScope, ReplaceInit } from './key-steps.js';
import type { LiveKeyEntry } from './live-index.js';

/** The records of a key to remove with it: `{ removeRecords }` when some were found, else `{}`. */
export function recordRemovals(
  ctx: PlanContext,
  accessKey: string,
): { removeRecords?: readonly PlannedSink[] } {
  const found = ctx.keyRecords.get(accessKey);
  return found !== undefined && found.length > 0 ? { removeRecords: [...found] } : {};
}

/**
 * The replacement of a `ready` key whose secret the sink at its desired place does not hold:
 * moved (its record is elsewhere), or lost (no record of it anywhere we looked). Either way the
 * old key is retired and deleted only after the overlap.
 */
export function custodyReplacement(
  scope: KeyScope,
  current: LiveKeyEntry,
  observation: SinkObservation,
  changes: ReplaceInit['changes'],
): ReplaceInit {
  const { ctx, after } = scope;
  const key = current.key;
  const overlap = formatDuration(after.rotation.overlapMs);
  const elsewhere = ctx.keyRecords.get(key.accessKey) ?? [];
  if (elsewhere.length > 0) {
    const from = elsewhere.map((p) => p.target).join(', ');
    return {
      reason: 'sink-moved',
      detail: `the secret moves from ${from} to ${after.sink.target}: a new key is delivered there; key ${key.accessKey} stays at ${from} until its overlap of ${overlap} ends, then it and its record go`,
      dispose: 'retire',
      changes: [{ field: 'sink', before: from, after: after.sink.target }, ...changes],
    };
  }
  return {
    reason: 'custody-lost',
    detail:
      observation.accessKey === null
        ? `the sink holds no secret for key ${key.accessKey}; it is retired (a consumer may hold it) and deleted after its overlap of ${overlap}`
        : `the sink holds access key ${observation.accessKey}, not the current key ${key.accessKey}; it is retired (a consumer may hold it) and deleted after its overlap of ${overlap}`,
    dispose: 'retire',
    changes,
  };
}

/**
 * One warning when the plan deletes keys and some sink could not be searched for their records:
 * those records, if any, stay in place.
 */
export function noteUnsearchedRecords(ctx: PlanContext): void {
  if (ctx.unsearchedSinks.length === 0) return;
  const deletes = ctx.steps.some((s) => s.kind === 'ApiKey' && s.action === 'delete');
  if (!deletes) return;
  ctx.diagnose({
    severity: 'warning',
    code: 'sink-records-unsearched',
    message: `records of deleted keys may stay in place: ${ctx.unsearchedSinks.join('; ')}`,
    hint: 'give the sink credentials the right to list (see docs/concepts.md, "Secret moves and records"), or set removeRecords: false on the sink',
  });
}
