/**
 * Matching and ownership: which live object, if any, a desired project, application, group or
 * policy is (names are identity). In order:
 *
 *  - ours (this instance's marker, not protected): update it; extra owned copies of the same
 *    name are deleted when pruning of the kind is on, else reported;
 *  - protected (Scaleway-managed, not editable or not deletable, the default project): error;
 *  - another instance's marker: error;
 *  - nothing: an owned object of an earlier name (`metadata.renamedFrom`) is renamed in place
 *    (renames.ts), else create;
 *  - unmarked: error, unless adoption is asked (`metadata.adopt`, `--adopt`) and exactly one exists.
 *
 * Every live object of the desired name joins the fingerprint scope.
 */
import type { DesiredResource } from '../model/desired.js';
import type { PlanContext } from './context.js';
import { deleteNamedStep } from './delete-steps.js';
import { KIND_LABEL, type LiveEntry, type NamedKind } from './live-index.js';
import { matchRenamed } from './renames.js';

export type DesiredNamed = DesiredResource & { kind: NamedKind };

export type Match =
  /** Nothing of that name: create it. */
  | { readonly type: 'absent' }
  /** Our object: update it when it differs. */
  | { readonly type: 'ours'; readonly entry: LiveEntry }
  /** An unmarked object to take over. */
  | { readonly type: 'adopt'; readonly entry: LiveEntry }
  /** Our object under an earlier name (`metadata.renamedFrom`): renamed in place (renames.ts). */
  | { readonly type: 'renamed'; readonly entry: LiveEntry };

/** The match for `desired`, or undefined when it conflicts (an error diagnostic says why). */
export function matchNamed(ctx: PlanContext, desired: DesiredNamed): Match | undefined {
  const entries = ctx.index.named(desired.kind, desired.name);
  for (const entry of entries) ctx.touch(desired.kind, entry.id);
  const label = KIND_LABEL[desired.kind];

  const ours = entries.filter((e) => ctx.index.isOurs(e) && !e.protected);
  if (ours.length > 0) {
    const [primary, ...extras] = ours as [LiveEntry, ...LiveEntry[]];
    ctx.matched.add(primary.id);
    for (const extra of extras) {
      ctx.matched.add(extra.id);
      if (ctx.options.prune[desired.kind]) {
        deleteNamedStep(
          ctx,
          extra,
          'pruned',
          `duplicate: ${desired.address} is ${primary.id}; this extra owned copy is deleted`,
        );
      } else {
        ctx.diagnose({
          severity: 'warning',
          code: 'duplicate-owned',
          message: `${ours.length} owned live ${label}s are named "${desired.name}"; using ${primary.id}, leaving ${extra.id} alone (pruning of ${desired.kind} is off)`,
          subject: desired,
        });
      }
    }
    return { type: 'ours', entry: primary };
  }

  const protectedOne = entries.find((e) => e.protected);
  if (protectedOne) {
    ctx.diagnose({
      severity: 'error',
      code: 'protected-conflict',
      message: `the live ${label} ${protectedOne.id} named "${desired.name}" is ${protectedOne.protectedWhy}; scw-gitops never changes it`,
      subject: desired,
      hint: 'rename the resource in git',
    });
    return undefined;
  }

  const foreign = entries.find((e) => e.owner !== undefined);
  if (foreign) {
    ctx.diagnose({
      severity: 'error',
      code: 'foreign-owner',
      message: `the live ${label} ${foreign.id} named "${desired.name}" belongs to scw-gitops instance "${foreign.owner}"`,
      subject: desired,
      hint: 'rename the resource, or remove it from the other instance first',
    });
    return undefined;
  }

  if (entries.length === 0) return matchRenamed(ctx, desired);
  if (!(desired.adopt || ctx.options.adoptAll)) {
    ctx.diagnose({
      severity: 'error',
      code: 'conflict',
      message: `a live ${label} named "${desired.name}" already exists (id ${entries.map((e) => e.id).join(', ')}) without the scw-gitops marker`,
      subject: desired,
      hint: 'set metadata.adopt: true (or run with --adopt) to take it over, or rename the resource',
    });
    return undefined;
  }
  if (entries.length > 1) {
    ctx.diagnose({
      severity: 'error',
      code: 'ambiguous-adopt',
      message: `cannot adopt: ${entries.length} live ${label}s are named "${desired.name}" (${entries.map((e) => e.id).join(', ')})`,
      subject: desired,
      hint: 'delete or rename the extra ones in Scaleway first',
    });
    return undefined;
  }
  const entry = entries[0]!;
  ctx.matched.add(entry.id);
  return { type: 'adopt', entry };
}
