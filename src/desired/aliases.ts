/**
 * YAML aliases, counted before anything expands them (docs/design/input-limits.md).
 *
 * An alias (`*name`) stands for the whole node its anchor (`&name`) marks, so a small file can
 * stand for a huge tree: one list of 1,500 items aliased by 1,500 rules is 2,250,000 nodes to
 * check, from 100 KB of text; nested aliases ("billion laughs") grow exponentially.
 *
 * `indexAliases` walks one parsed document once, in document order, and
 * - resolves every alias to the node it names (the last anchor of that name before it, as YAML
 *   says), so the field checks look aliases up instead of searching the document each time
 *   (`Alias.resolve` of the yaml package walks the whole document per call);
 * - computes the size of the document with every alias expanded, by memoising the size of each
 *   node: linear in the written size, whatever the expansion, so an exponential bomb is measured,
 *   not expanded;
 * - finds aliases that refer to a node containing them (an infinite expansion).
 *
 * The loader compares `expandedNodes - writtenNodes` (nodes added by aliases) with a per-file
 * budget and refuses the file, naming the count and the limit, before any check walks it.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isPair,
  isScalar,
  type Node,
  type Pair,
} from 'yaml';

/** Nodes that aliases may add to one file (about what a file at the 1 MiB size limit holds). */
export const MAX_ALIAS_EXPANSION = 100_000;

export interface AliasIndex {
  /** The node each alias names; absent for an alias whose anchor is unknown. */
  readonly targets: ReadonlyMap<Alias, Node>;
  /** Aliases in the document. */
  readonly aliasCount: number;
  /** Nodes as written (scalars, collections, aliases; map pairs count their key and value). */
  readonly writtenNodes: number;
  /** Nodes with every alias replaced by what it names (a double: it can be astronomically large). */
  readonly expandedNodes: number;
  /** Aliases that name a node containing themselves (their expansion never ends). */
  readonly cycles: readonly Alias[];
}

type Visitable = Node | Pair<unknown, unknown>;

function children(node: Visitable): unknown[] {
  if (isPair(node)) return [node.key, node.value];
  if (isCollection(node)) return node.items as unknown[];
  return [];
}

function isVisitable(x: unknown): x is Visitable {
  return isPair(x) || isAlias(x) || isScalar(x) || isCollection(x);
}

/** Index the aliases of one document (see the module doc). Linear in the written size. */
export function indexAliases(doc: Document.Parsed): AliasIndex {
  const targets = new Map<Alias, Node>();
  const anchors = new Map<string, Node>();
  const size = new Map<Visitable, number>();
  const cycles: Alias[] = [];
  let aliasCount = 0;
  let written = 0;
  // Explicit stack (deep nesting must not overflow the call stack): `enter` in document order,
  // `exit` once every child has its size.
  const stack: { node: Visitable; exit: boolean }[] = [];
  const root = doc.contents as unknown;
  if (isVisitable(root)) stack.push({ node: root, exit: false });
  while (stack.length > 0) {
    const { node, exit } = stack.pop()!;
    if (exit) {
      let total = isPair(node) ? 0 : 1;
      for (const child of children(node)) if (isVisitable(child)) total += size.get(child) ?? 0;
      size.set(node, total);
      continue;
    }
    if (isAlias(node)) {
      aliasCount += 1;
      written += 1;
      const target = anchors.get(node.source);
      if (target === undefined) {
        size.set(node, 1);
        continue;
      }
      targets.set(node, target);
      const known = size.get(target);
      if (known === undefined) {
        // The target is still being walked: it contains this alias.
        cycles.push(node);
        size.set(node, 1);
      } else {
        size.set(node, known);
      }
      continue;
    }
    if (!isPair(node)) {
      written += 1;
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, node as Node);
    }
    stack.push({ node, exit: true });
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) {
      const child = kids[i];
      if (isVisitable(child)) stack.push({ node: child, exit: false });
    }
  }
  return {
    targets,
    aliasCount,
    writtenNodes: written,
    expandedNodes: isVisitable(root) ? (size.get(root) ?? 0) : 0,
    cycles,
  };
}
