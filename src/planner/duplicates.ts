/**
 * Duplicate current keys (docs/concepts.md, "Duplicate current keys"; invariant I3): one declared
 * ApiKey has one current key, plus retiring ones inside their overlap. Concurrent applies, or a
 * listing that missed a key, can leave several `ready` (or `external`) keys of one name:
 *
 *  - the current one is the newest key whose secret the sink holds, else the newest;
 *  - an older one was superseded by it (two applies in a row, or a rotation interrupted before the
 *    old key was marked retiring): a previous key, deleted once the overlap since its successor's
 *    delivery has elapsed, like any rotation's (key-steps.ts);
 *  - a newer one whose secret the sink does not hold is a duplicate: nobody got its secret through
 *    us, yet someone may hold it. A warning names them all; with prune.ApiKey each is marked
 *    `retiring` (an update, reason `duplicate`) and deleted a full overlap later (key-steps.ts
 *    measures a retiring key's overlap from its own updatedAt too), never at once.
 */
import type { SinkObservation } from '../model/plan.js';
import type { KeyScope } from './key-steps.js';
import type { LiveKeyEntry } from './live-index.js';

export interface CurrentSplit {
  readonly current: LiveKeyEntry | undefined;
  /** Keys superseded: retiring ones, and current-state keys older than the current one. */
  readonly previous: LiveKeyEntry[];
  /** Other current keys: reported, and retired with prune.ApiKey (`retireDuplicates`). */
  readonly duplicates: LiveKeyEntry[];
}

/** `ready`: the current-state keys (ready, external), newest first; `retiring`: the retiring ones. */
export function splitCurrent(
  ready: readonly LiveKeyEntry[],
  retiring: readonly LiveKeyEntry[],
  observation: SinkObservation | undefined,
): CurrentSplit {
  const held = (e: LiveKeyEntry) =>
    observation !== undefined && !observation.error && observation.accessKey === e.key.accessKey;
  const at = Math.max(0, ready.findIndex(held));
  return {
    current: ready[at],
    previous: [...ready.slice(at + 1), ...retiring],
    duplicates: ready.slice(0, at),
  };
}

export function retireDuplicates(
  scope: KeyScope,
  current: LiveKeyEntry,
  duplicates: readonly LiveKeyEntry[],
  holdsCurrent: boolean,
): void {
  if (duplicates.length === 0) return;
  const { ctx, desired, after } = scope;
  const retire = ctx.options.prune.ApiKey && !scope.keepAlive;
  const all = [current, ...duplicates].map((e) => e.key.accessKey).join(', ');
  const why = holdsCurrent ? 'its secret is in the sink' : 'the newest; the sink holds none of them';
  ctx.diagnose({
    severity: 'warning',
    code: 'duplicate-current-keys',
    message: `${duplicates.length + 1} current keys for ${desired.address}: ${all}; ${current.key.accessKey} stays current (${why}). ${
      retire
        ? `The other${duplicates.length === 1 ? ' is' : 's are'} marked retiring and deleted after the overlap`
        : 'prune.ApiKey is off: the others are left alone'
    }`,
    subject: desired,
    ...(retire ? {} : { hint: 'delete the extra keys by hand, or turn on prune.ApiKey to retire them' }),
  });
  if (!retire) return;
  for (const entry of duplicates) {
    const state = entry.marker!.state;
    ctx.keyRoles.set(entry.key.accessKey, { role: 'retiring', retireAt: ctx.now + after.rotation.overlapMs });
    ctx.addStep({
      id: `update:${desired.address}@${entry.key.accessKey}`,
      action: 'update',
      kind: 'ApiKey',
      name: desired.name,
      address: desired.address,
      reason: 'duplicate',
      detail: `a second current key of ${desired.address}; ${current.key.accessKey} stays current, this one retires and is deleted after the overlap`,
      before: { kind: 'ApiKey', object: entry.key },
      after: { ...after, description: entry.description, marker: { ...after.marker, state: 'retiring' } },
      changes: [{ field: 'state', before: state, after: 'retiring' }],
      warnings: [],
    });
  }
}
