/**
 * Table-driven structural validation of YAML nodes against `fields.ts`: unknown fields (with a
 * did-you-mean), wrong types, string lengths and patterns, list sizes and duplicates, required and
 * mutually exclusive fields. Pure: works on parsed `yaml` nodes, returns plain values.
 *
 * Every check reports and continues, so one pass finds every problem of a document. The returned
 * value keeps only the parts that passed, which lets the semantic checks (`validate.ts`) still
 * look at references of a document that has unrelated mistakes.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
} from 'yaml';
import type { Diagnostic, Severity, SourceLocation } from '../model/diagnostics.js';
import { closest, didYouMean } from './did-you-mean.js';
import { parseDuration } from '../model/duration.js';
import type { ArrayType, Field, FieldType, ObjectType, StringType } from './fields.js';

export interface CheckContext {
  readonly file: string;
  readonly lineCounter: LineCounter;
  readonly doc: Document.Parsed;
  /** `Kind/name` for diagnostics, when known. */
  resource: string | undefined;
  readonly diagnostics: Diagnostic[];
  /** Dotted field path → location of its key (array items: of the item). */
  readonly fieldSources: Record<string, SourceLocation>;
  /** Dotted field path → location of its value (the key's when the value is empty). */
  readonly valueSources: Record<string, SourceLocation>;
  /** Every field path of the kind (`spec.rotation.overlap`), for "belongs under" hints. */
  readonly knownPaths: readonly string[];
  /**
   * What each alias of the document names (aliases.ts): a lookup instead of `Alias.resolve`, which
   * searches the whole document on every call.
   */
  readonly aliasTargets?: ReadonlyMap<Alias, Node>;
}

export function locationOf(ctx: Pick<CheckContext, 'file' | 'lineCounter'>, offset: number): SourceLocation {
  const p = ctx.lineCounter.linePos(offset);
  return { file: ctx.file, line: p.line, col: p.col };
}

export function nodeLocation(ctx: Pick<CheckContext, 'file' | 'lineCounter'>, node: Node): SourceLocation {
  return locationOf(ctx, node.range?.[0] ?? 0);
}

export function report(
  ctx: CheckContext,
  severity: Severity,
  code: string,
  location: SourceLocation,
  field: string | undefined,
  message: string,
  hint?: string,
): void {
  ctx.diagnostics.push({
    severity,
    code,
    message,
    location,
    ...(ctx.resource !== undefined ? { resource: ctx.resource } : {}),
    ...(field ? { field } : {}),
    ...(hint ? { hint } : {}),
  });
}

/**
 * Follows aliases (`*anchor`) to the node they name. An alias whose anchor is unknown (anchors do
 * not cross documents) is returned as is and reported as a wrong type by the caller. A missing
 * value (`key:` with nothing after it) is `null`.
 */
export function resolveNode(ctx: CheckContext, node: unknown): Node | null {
  let n: unknown = node;
  for (let i = 0; i < 32 && isAlias(n); i++) {
    const target = ctx.aliasTargets ? ctx.aliasTargets.get(n) : n.resolve(ctx.doc);
    if (target === undefined) return n;
    n = target;
  }
  if (isScalar(n) && (n.value === null || n.value === undefined) && !n.source) return null;
  return (n as Node | null | undefined) ?? null;
}

export function describeNode(node: Node | null): string {
  if (node === null) return 'an empty value';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'an empty value';
    if (typeof v === 'string') return 'a string';
    if (typeof v === 'boolean') return `a boolean (${v})`;
    if (typeof v === 'number' || typeof v === 'bigint') return `a number (${String(v)})`;
  }
  if (isAlias(node))
    return `an alias to an unknown anchor (*${node.source}); anchors only work inside one document`;
  return 'an unsupported value';
}

export function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function typeName(t: FieldType): string {
  switch (t.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
  }
}

function countChars(s: string): number {
  return [...s].length;
}

/** A real calendar instant: the pattern checks syntax, this checks month/day/hour ranges. */
export function isValidTimestamp(text: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 60) return false;
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d < 1 || d > daysInMonth) return false;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return !Number.isNaN(Date.parse(text.replace(/t/, 'T').replace(/z$/, 'Z')));
}

function checkString(
  node: Node,
  t: StringType,
  field: Field,
  path: string,
  ctx: CheckContext,
): string | undefined {
  if (!isScalar(node) || typeof node.value !== 'string') {
    const scalar = isScalar(node) ? node.value : undefined;
    const quote =
      typeof scalar === 'number' || typeof scalar === 'boolean'
        ? `quote it: "${String(isScalar(node) ? (node.source ?? scalar) : scalar)}"`
        : undefined;
    report(
      ctx,
      'error',
      'wrong-type',
      nodeLocation(ctx, node),
      path,
      `expected a string, got ${describeNode(node)}`,
      quote,
    );
    return undefined;
  }
  const value = node.value;
  const loc = nodeLocation(ctx, node);
  const len = countChars(value);
  const fail = (code: string, message: string, hint?: string): undefined => {
    report(ctx, 'error', field.code ?? code, loc, path, message, hint);
    return undefined;
  };
  if (t.minLength !== undefined && len < t.minLength) {
    return fail(
      'too-short',
      t.minLength === 1 ? 'must not be empty' : `must be at least ${t.minLength} characters (is ${len})`,
    );
  }
  if (t.maxLength !== undefined && len > t.maxLength) {
    return fail('too-long', `is ${len} characters long; the maximum is ${t.maxLength}`);
  }
  if (t.pattern !== undefined && !new RegExp(t.pattern, 'u').test(value)) {
    return fail(
      'invalid-format',
      `${JSON.stringify(value)} is not valid: ${t.patternHint ?? `must match ${t.pattern}`}`,
    );
  }
  if (t.enum !== undefined && !t.enum.includes(value)) {
    return fail(
      'invalid-value',
      `${JSON.stringify(value)} is not one of ${t.enum.map((e) => `\`${e}\``).join(', ')}`,
      didYouMean(value, t.enum),
    );
  }
  if (t.format === 'duration' && parseDuration(value) === undefined) {
    return fail('invalid-duration', `${JSON.stringify(value)} is too large`);
  }
  if (t.format === 'date-time' && !isValidTimestamp(value)) {
    return fail('invalid-timestamp', `${JSON.stringify(value)} is not a valid date and time`);
  }
  return value;
}

function checkArray(
  node: Node,
  t: ArrayType,
  field: Field,
  path: string,
  ownerLoc: SourceLocation,
  ctx: CheckContext,
): unknown[] | undefined {
  if (!isSeq(node)) return undefined;
  const out: unknown[] = [];
  const seen = new Map<string, number>();
  node.items.forEach((raw, i) => {
    const itemPath = `${path}[${i}]`;
    const item = resolveNode(ctx, raw);
    const itemLoc = item ? nodeLocation(ctx, item) : ownerLoc;
    ctx.fieldSources[itemPath] = itemLoc;
    ctx.valueSources[itemPath] = itemLoc;
    const v = checkValue(item, t.items, field, itemPath, itemLoc, ctx);
    if (v === undefined) return;
    if (t.uniqueItems && typeof v === 'string') {
      const first = seen.get(v);
      if (first !== undefined) {
        report(
          ctx,
          'error',
          'duplicate-item',
          itemLoc,
          itemPath,
          `${JSON.stringify(v)} is listed twice (also at ${path}[${first}])`,
        );
        return;
      }
      seen.set(v, i);
    }
    out.push(v);
  });
  const n = node.items.length;
  if (t.minItems !== undefined && n < t.minItems) {
    report(
      ctx,
      'error',
      'too-few-items',
      nodeLocation(ctx, node),
      path,
      t.minItems === 1 ? 'must list at least one item' : `must list at least ${t.minItems} items (has ${n})`,
    );
  }
  if (t.maxItems !== undefined && n > t.maxItems) {
    report(
      ctx,
      'error',
      'too-many-items',
      nodeLocation(ctx, node),
      path,
      `has ${n} items; the maximum is ${t.maxItems}`,
      t.maxItemsHint,
    );
  }
  return out;
}

/**
 * Checks `node` against a field type and returns the plain value: `undefined` when the value is
 * unusable (wrong type, a string breaking a constraint); lists and mappings keep their valid
 * parts. Whether the document is valid is decided by the error diagnostics, not by this value.
 */
export function checkValue(
  node: Node | null,
  t: FieldType,
  field: Field,
  path: string,
  ownerLoc: SourceLocation,
  ctx: CheckContext,
): unknown {
  const wrongType = (): undefined => {
    report(
      ctx,
      'error',
      'wrong-type',
      node ? nodeLocation(ctx, node) : ownerLoc,
      path,
      `expected ${typeName(t)}, got ${describeNode(node)}`,
    );
    return undefined;
  };
  switch (t.type) {
    case 'string':
      if (node === null) return wrongType();
      return checkString(node, t, field, path, ctx);
    case 'boolean': {
      if (!isScalar(node) || typeof node.value !== 'boolean') return wrongType();
      if (t.const !== undefined && node.value !== t.const) {
        report(
          ctx,
          'error',
          'invalid-value',
          nodeLocation(ctx, node),
          path,
          `must be ${String(t.const)} when present (omit the field otherwise)`,
        );
        return undefined;
      }
      return node.value;
    }
    case 'array':
      if (!isSeq(node)) return wrongType();
      return checkArray(node, t, field, path, ownerLoc, ctx);
    case 'object':
      if (!isMap(node)) return wrongType();
      return checkObject(node, t, path, ownerLoc, ctx);
  }
}

/**
 * Checks a mapping. `ownerLoc` is where a missing required field is reported: the key that owns
 * this mapping (`spec:`), or the mapping itself for list items and documents.
 */
export function checkObject(
  node: Node,
  t: ObjectType,
  path: string,
  ownerLoc: SourceLocation,
  ctx: CheckContext,
  extraKeys: readonly string[] = [],
): Record<string, unknown> | undefined {
  if (!isMap(node)) return undefined;
  const out: Record<string, unknown> = {};
  const present = new Map<string, SourceLocation>();
  /** Fields an unknown key looks like (`aplication` → `application`): not reported missing too. */
  const meant = new Set<string>();
  for (const pair of node.items) {
    const keyNode = resolveNode(ctx, pair.key);
    const keyLoc = keyNode ? nodeLocation(ctx, keyNode) : ownerLoc;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      report(ctx, 'error', 'invalid-key', keyLoc, path || undefined, `field names must be strings`);
      continue;
    }
    const key = keyNode.value;
    const fieldPath = joinPath(path, key);
    if (extraKeys.includes(key)) continue;
    const field = Object.hasOwn(t.fields, key) ? t.fields[key] : undefined;
    if (field === undefined) {
      const lookalike = closest(key, Object.keys(t.fields));
      if (lookalike !== undefined) meant.add(lookalike);
      report(
        ctx,
        'error',
        'unknown-field',
        keyLoc,
        fieldPath,
        `unknown field \`${key}\`${path ? ` in \`${path}\`` : ''}`,
        unknownFieldHint(key, path, [...Object.keys(t.fields), ...extraKeys], ctx.knownPaths),
      );
      continue;
    }
    present.set(key, keyLoc);
    ctx.fieldSources[fieldPath] = keyLoc;
    const valueNode = resolveNode(ctx, pair.value);
    ctx.valueSources[fieldPath] = valueNode ? nodeLocation(ctx, valueNode) : keyLoc;
    const value = checkValue(valueNode, field.type, field, fieldPath, keyLoc, ctx);
    if (value !== undefined) out[key] = value;
  }
  for (const [key, field] of Object.entries(t.fields)) {
    if (field.required && !present.has(key) && !meant.has(key)) {
      report(
        ctx,
        'error',
        'missing-field',
        ownerLoc,
        joinPath(path, key),
        `required field \`${key}\` is missing${path ? ` in \`${path}\`` : ''}`,
      );
    }
  }
  for (const group of t.exactlyOneOf ?? []) {
    const set = group.filter((k) => present.has(k));
    if (set.length === 0 && !group.some((k) => meant.has(k))) {
      report(
        ctx,
        'error',
        'missing-field',
        ownerLoc,
        path || undefined,
        `exactly one of ${group.map((k) => `\`${k}\``).join(', ')} is required`,
      );
    }
  }
  for (const group of [...(t.exactlyOneOf ?? []), ...(t.atMostOneOf ?? [])]) {
    // In the order written, so the diagnostic points at the field that made it a conflict.
    const set = group
      .filter((k) => present.has(k))
      .sort((a, b) => {
        const la = present.get(a)!;
        const lb = present.get(b)!;
        return la.line - lb.line || la.col - lb.col;
      });
    if (set.length > 1) {
      const second = set[1]!;
      report(
        ctx,
        'error',
        'conflicting-fields',
        present.get(second)!,
        joinPath(path, second),
        `\`${set.join('` and `')}\` cannot be used together; use only one of ${group.map((k) => `\`${k}\``).join(', ')}`,
      );
    }
  }
  return out;
}

function unknownFieldHint(
  key: string,
  path: string,
  siblings: readonly string[],
  knownPaths: readonly string[],
): string | undefined {
  if (key === '<<')
    return 'YAML merge keys are not supported; write the fields out (anchors and aliases of whole values work)';
  const local = didYouMean(key, siblings);
  if (local) return local;
  // The field exists elsewhere (e.g. `tags` under metadata instead of spec).
  const elsewhere = knownPaths.find((p) => p.split('.').at(-1) === key && p !== joinPath(path, key));
  if (elsewhere) return `\`${key}\` belongs at \`${elsewhere}\``;
  return undefined;
}

/** Every dotted field path of an object type (array items are transparent). */
export function fieldPaths(t: ObjectType, prefix: string): string[] {
  const out: string[] = [];
  for (const [key, field] of Object.entries(t.fields)) {
    const p = joinPath(prefix, key);
    out.push(p);
    let ft: FieldType = field.type;
    while (ft.type === 'array') ft = ft.items;
    if (ft.type === 'object') out.push(...fieldPaths(ft, p));
  }
  return out;
}
