/**
 * Removing the records of a key the plan deletes (`DeleteStep.removeRecords`,
 * docs/design/secret-moves.md). Each record is read just before it is removed (the sink's
 * `remove` makes that point read) and removed only when it still holds this access key and
 * carries our ownership: this instance, this key name, our layout or labels. Anything else at the
 * place (another key delivered there since, a record someone else wrote) is left alone and noted.
 *
 * Records go before the key: a crash in between leaves a live key without a record, which the
 * next pass deletes, rather than a dead record nobody would find again. A record that cannot be
 * removed does not keep the key alive (a pruned or retired key must go): the key is deleted, and
 * the step fails afterwards, naming the record to remove by hand.
 */
import type { pino } from 'pino';
import { toAppError } from '../errors.js';
import type { DeleteStep, ReplaceStep } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import { toSinkLocation } from '../model/sink-location.js';
import { backoffMs } from './retry.js';
import type { RunContext } from './run-context.js';

export interface RecordRemovals {
  /** One phrase per record: what happened to it (for the step's note). */
  readonly notes: readonly string[];
  /** One phrase per record that could not be removed. */
  readonly failures: readonly string[];
}

export async function removeKeyRecords(
  ctx: RunContext,
  step: Pick<DeleteStep | ReplaceStep, 'name' | 'removeRecords'>,
  accessKey: string,
  log: pino.Logger,
): Promise<RecordRemovals> {
  const notes: string[] = [];
  const failures: string[] = [];
  const owner = { accessKey, instance: ctx.plan.instance, keyName: step.name };
  for (const place of step.removeRecords ?? []) {
    const sink = ctx.sinks.get(place.sink);
    if (!sink?.remove) {
      failures.push(
        `${place.target}: sink ${place.sink} ${sink ? 'cannot remove records' : 'is not configured'}`,
      );
      continue;
    }
    const location = toSinkLocation(place);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await sink.remove(location, owner);
        if (outcome === 'removed') notes.push(`record ${place.target} removed`);
        else if (outcome === 'absent') notes.push(`record ${place.target} already gone`);
        else {
          notes.push(
            `record ${place.target} left in place (${outcome === 'not-ours' ? 'no longer ours' : 'it holds another key now'})`,
          );
        }
        log.info({ sinkLocation: place.target, outcome }, 'record of a deleted key');
        break;
      } catch (err) {
        const error = scrubSecrets(toAppError(err).message);
        const retryable = (err as { retryable?: unknown }).retryable === true;
        if (!retryable || attempt >= ctx.policy.sinkAttempts) {
          log.warn({ sinkLocation: place.target, error }, 'record of a deleted key could not be removed');
          failures.push(`${place.target}: ${error}`);
          break;
        }
        await ctx.clock.sleep(backoffMs(ctx.policy, attempt, ctx.policy.sinkDelayMs));
      }
    }
  }
  return { notes, failures };
}
