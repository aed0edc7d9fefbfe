/**
 * `metadata.renamedFrom` (docs/concepts.md, "Cascades and renames"): a desired project,
 * application, group or policy with no live object of its name may take over an owned object of
 * one of its earlier names, renamed in place. Its id stays, and with it the keys of an
 * application, the members of a group and the rules of a policy: nothing is deleted or replaced.
 *
 * Only objects of ours (this instance's marker, not protected) are renamed; an unmarked object of
 * an earlier name is not ours, and the desired object is created as usual. Two owned candidates
 * is an error, and both are held (never pruned) until git says which one it means.
 */
import type { PlanContext } from './context.js';
import type { LiveEntry } from './live-index.js';
import type { DesiredNamed, Match } from './matching.js';

/**
 * The rename match for `desired`, `absent` when no earlier name has an owned object, or
 * undefined after an error. Called when no live object has the desired name.
 */
export function matchRenamed(ctx: PlanContext, desired: DesiredNamed): Match | undefined {
  const earlier = desired.renamedFrom ?? [];
  const candidates: LiveEntry[] = [];
  for (const name of earlier) {
    for (const entry of ctx.index.named(desired.kind, name)) {
      ctx.touch(desired.kind, entry.id);
      if (ctx.index.isOurs(entry) && !entry.protected) candidates.push(entry);
    }
  }
  if (candidates.length === 0) return { type: 'absent' };
  for (const entry of candidates) ctx.matched.add(entry.id);
  if (candidates.length > 1) {
    ctx.diagnose({
      severity: 'error',
      code: 'ambiguous-rename',
      message: `${candidates.length} owned objects have an earlier name of ${desired.address}: ${candidates.map((e) => `${e.name} (${e.id})`).join(', ')}; none is renamed or deleted`,
      subject: desired,
      field: 'metadata.renamedFrom',
      hint: 'list only the name of the object to keep in metadata.renamedFrom, and declare or prune the other',
    });
    return undefined;
  }
  return { type: 'renamed', entry: candidates[0]! };
}
