/**
 * The one reference resolver. A desired resource names others (a key's application and default
 * project, a group's members, a policy's principal and rule projects); each name becomes an
 * `ObjectRef` here and nowhere else (the executor only follows refs):
 *
 *  1. `Project/default` that git does not declare: the organization's default project.
 *  2. A desired object: the live object it matched, or the create step that makes it.
 *  3. Otherwise an existing live object that is not ours, used read-only; several of that name
 *     are an `ambiguous-reference` error, none an `unresolved-reference` error.
 *
 * A reference to a desired object that could not be matched (a conflict) resolves to nothing,
 * without a second diagnostic: the conflict already explains it.
 */
import type { DesiredResource } from '../model/desired.js';
import type { ObjectRef } from '../model/plan.js';
import { address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import { KIND_LABEL, type NamedKind } from './live-index.js';

export function resolveReference(
  ctx: PlanContext,
  kind: NamedKind,
  name: string,
  from: DesiredResource,
  field: string,
): ObjectRef | undefined {
  const target = address(kind, name);
  if (kind === 'Project' && name === 'default' && !ctx.desiredByAddress.has(target)) {
    ctx.touch('Project', ctx.live.organizationId);
    return { address: target, id: ctx.live.organizationId };
  }
  const known = ctx.refs.get(target);
  if (known) return known;
  if (ctx.blocked.has(target)) return undefined;
  const candidates = ctx.index.named(kind, name);
  const notOurs = candidates.filter((entry) => !ctx.index.isOurs(entry));
  if (notOurs.length === 1) {
    const entry = notOurs[0]!;
    ctx.touch(kind, entry.id);
    return { address: target, id: entry.id };
  }
  if (notOurs.length > 1) {
    ctx.diagnose({
      severity: 'error',
      code: 'ambiguous-reference',
      message: `${target} matches ${notOurs.length} live ${KIND_LABEL[kind]}s (${notOurs.map((e) => e.id).join(', ')})`,
      subject: from,
      field,
      hint: `declare ${target} in git (with metadata.adopt: true) so scw-gitops knows which one is meant`,
    });
    ctx.blocked.add(target);
    return undefined;
  }
  ctx.diagnose({
    severity: 'error',
    code: 'unresolved-reference',
    message: `${target} is neither declared in git nor present in the organization`,
    subject: from,
    field,
    hint:
      candidates.length > 0
        ? `${target} is owned by scw-gitops but no longer in git; declare it again`
        : `declare ${target} or fix the name`,
  });
  ctx.blocked.add(target);
  return undefined;
}

/** What a reference points at, comparable with a live id: the id, or `step:<create step id>`. */
export function refIdentity(ref: ObjectRef): string {
  return 'id' in ref ? ref.id : `step:${ref.step}`;
}

/** Does this reference point at an object that does not exist yet (made by a create step)? */
export function isPending(ref: ObjectRef): boolean {
  return 'step' in ref;
}
