/**
 * `spec.ignoreTags` / settings `defaults.ignoreTags` (docs/concepts.md, "Tags other tools add"):
 * tags matching a pattern are left to whoever adds them. A pattern is a tag, where `*` stands for
 * any run of characters (`cost-center=*`, `console*`); without `*` it must match exactly.
 */
import { userTags } from './ownership.js';

/** A predicate for "this live tag is someone else's", from the patterns (none: matches nothing). */
export function ignoredTagMatcher(patterns: readonly string[]): (tag: string) => boolean {
  if (patterns.length === 0) return () => false;
  const regexes = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*')}$`,
        's',
      ),
  );
  return (tag) => regexes.some((r) => r.test(tag));
}

/**
 * The tags to write: the declared ones, then the live tags other tools own (matching `patterns`,
 * not declared, not scw-gitops's own), in their live order. Ours are added by the caller.
 */
export function withIgnoredTags(
  declared: readonly string[],
  live: readonly string[],
  patterns: readonly string[] | undefined,
): string[] {
  const ignored = ignoredTagMatcher(patterns ?? []);
  return [...declared, ...userTags(live).filter((t) => ignored(t) && !declared.includes(t))];
}

/** The effective patterns of an object: the settings' defaults, then its own, without repeats. */
export function effectiveIgnoreTags(
  defaults: readonly string[] | undefined,
  own: readonly string[] | undefined,
): string[] {
  return [...new Set([...(defaults ?? []), ...(own ?? [])])];
}
