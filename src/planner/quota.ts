/**
 * The organization's API-key quota (docs/concepts.md, "API-key quota"; docs/design/scaleway-api.md
 * §9): every key holds a place, an expired one too, although it authenticates nothing. So:
 *
 *  - an expired current key is deleted first, and its successor created after it (a delete step
 *    and a create step, reason `expired`), instead of a replacement that would need a free place
 *    while the dead key still holds one;
 *  - key creates and replaces run after every key deletion of the plan (`runsAfter`, ordering.ts):
 *    overlaps that are over, pruned and undelivered keys free their places first.
 *
 * A create refused with `quotas_exceeded` anyway is reported after the apply with the keys that
 * could go (src/reconciler/quota-report.ts).
 */
import type { KeyScope } from './key-steps.js';
import { createKey } from './key-steps.js';
import { deleteKeyStep } from './delete-steps.js';
import type { LiveKeyEntry } from './live-index.js';

export function replaceExpired(
  scope: KeyScope,
  current: LiveKeyEntry,
  expiredAt: string,
  warning: string,
): void {
  const { ctx, desired } = scope;
  const accessKey = current.key.accessKey;
  deleteKeyStep(
    ctx,
    desired.name,
    current,
    'expired',
    `expired ${expiredAt}: it authenticates nothing, and is deleted before its successor is created (its place in the API-key quota is needed)`,
    false,
  );
  createKey(scope, {
    reason: 'expired',
    detail: `replaces ${accessKey}, expired ${expiredAt}, once it is deleted`,
    warnings: [warning],
  });
}
