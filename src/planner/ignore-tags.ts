/**
 * `spec.ignoreTags` and `defaults.ignoreTags` in the planner (docs/concepts.md, "Tags other tools
 * add"): the live tags they match are not drift, the planned value carries the patterns so that
 * the executor keeps those tags (read just before the write), and the object's 10 tags must still
 * hold the declared ones, the ignored live ones and scw-gitops's own.
 */
import type { DesiredResource } from '../model/desired.js';
import { effectiveIgnoreTags, ignoredTagMatcher } from '../model/ignore-tags.js';
import type { LiveObject } from '../model/plan.js';
import { userTags } from '../model/ownership.js';
import { MAX_TAGS } from '../desired/fields.js';
import type { PlanContext } from './context.js';

type Tagged = Extract<DesiredResource, { kind: 'Application' | 'Group' | 'Policy' }>;

function isTagged(desired: DesiredResource): desired is Tagged {
  return desired.kind === 'Application' || desired.kind === 'Group' || desired.kind === 'Policy';
}

/** The patterns of a desired object (the settings' defaults, then its own); none for untagged kinds. */
export function ignorePatterns(ctx: PlanContext, desired: DesiredResource): string[] {
  return isTagged(desired) ? effectiveIgnoreTags(ctx.options.ignoreTags, desired.ignoreTags) : [];
}

/** "This live tag belongs to another tool": it matches a pattern and is not declared. */
export function ignoredTags(ctx: PlanContext, desired: DesiredResource): (tag: string) => boolean {
  if (!isTagged(desired)) return () => false;
  const matches = ignoredTagMatcher(ignorePatterns(ctx, desired));
  return (tag) => matches(tag) && !desired.tags.includes(tag);
}

/**
 * Declared tags + the live ignored ones + scw-gitops's (ownership, preventDestroy) must fit the
 * API's limit: an error on the object, naming the ignored tags that take the room.
 */
export function checkTagRoom(ctx: PlanContext, desired: DesiredResource, before: LiveObject): void {
  if (!isTagged(desired) || before.kind === 'Project' || before.kind === 'ApiKey') return;
  const ignored = ignoredTags(ctx, desired);
  const kept = userTags(before.object.tags).filter(ignored);
  const ours = 1 + (desired.preventDestroy === true ? 1 : 0);
  const total = desired.tags.length + kept.length + ours;
  if (kept.length === 0 || total <= MAX_TAGS) return;
  ctx.diagnose({
    severity: 'error',
    code: 'too-many-tags',
    message: `${desired.tags.length} declared tag(s), ${kept.length} live tag(s) left to other tools by ignoreTags (${kept.join(', ')}) and ${ours} of scw-gitops make ${total}; Scaleway allows ${MAX_TAGS}`,
    subject: desired,
    field: 'spec.tags',
    hint: 'declare fewer tags, or remove some of the ignored tags from the live object',
  });
}
