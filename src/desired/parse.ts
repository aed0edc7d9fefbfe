/**
 * Parsing one YAML file of the desired state (pure: text + file name in, documents and
 * diagnostics out). Each non-empty document must be one resource:
 *
 *   apiVersion: scw-gitops/v1alpha1
 *   kind: Project | Application | ApiKey | Group | Policy
 *   metadata: { name, adopt? }
 *   spec: { ... }            # per kind, see fields.ts
 *
 * Syntax errors, non-mapping documents, the header (apiVersion, kind) and every field are checked
 * here; rules that need several fields or several resources are in `validate.ts`.
 */
import {
  type Alias,
  Composer,
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  type YAMLError,
} from 'yaml';
import type { Diagnostic, SourceLocation } from '../model/diagnostics.js';
import { API_VERSION, type Address, address } from '../model/resources.js';
import {
  type CheckContext,
  checkObject,
  describeNode,
  fieldPaths,
  nodeLocation,
  report,
} from './check-fields.js';
import { indexAliases, MAX_ALIAS_EXPANSION } from './aliases.js';
import { closest, didYouMean } from './did-you-mean.js';
import { KIND_TABLES, type KindTable, kindTable, type ObjectType } from './fields.js';

/** One resource document after the field checks (values may be partial when `valid` is false). */
export interface ParsedDocument {
  readonly table: KindTable;
  readonly kind: KindTable['kind'];
  /** `metadata.name` as written (possibly invalid when `valid` is false). */
  readonly name: string;
  readonly address: Address;
  readonly file: string;
  /** No error was found in this document by the field checks. */
  readonly valid: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly spec: Readonly<Record<string, unknown>>;
  /** Location of the `metadata.name` value (or of the document when there is none). */
  readonly source: SourceLocation;
  readonly fieldSources: Readonly<Record<string, SourceLocation>>;
  /** Dotted field path → location of the value, for diagnostics about values. */
  readonly valueSources: Readonly<Record<string, SourceLocation>>;
  /**
   * Paths of the fields the field checks reported an error on (`spec.lifetime`,
   * `spec.rules[0].permissionSets[1]`). Such a field is present but unusable: it is missing from
   * `spec`, yet the rules that read it must not treat it as absent (one mistake, one diagnostic).
   */
  readonly invalidFields: ReadonlySet<string>;
}

/** The name of a document whose kind is a misspelling of a known one (`kind: Aplication`). */
export interface GuessedName {
  readonly kind: KindTable['kind'];
  readonly name: string;
}

export interface ParseResult {
  readonly documents: ParsedDocument[];
  readonly diagnostics: Diagnostic[];
  /**
   * Names declared by documents of a misspelt kind: references to them are not reported as
   * undeclared (the kind's error already says what to fix).
   */
  readonly guessedNames: GuessedName[];
}

/** The whole document as an object type, so top-level fields get the same checks as nested ones. */
function documentType(table: KindTable): ObjectType {
  return {
    type: 'object',
    fields: {
      metadata: { required: true, description: 'Identity of the resource.', type: table.metadata },
      spec: { required: table.specRequired, description: 'Desired configuration.', type: table.spec },
    },
  };
}

const KNOWN_PATHS = new Map(KIND_TABLES.map((t) => [t.kind, fieldPaths(documentType(t), '')]));

function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

function mapGet(map: Node, key: string): { key: Node; value: Node | null } | undefined {
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) {
      return { key: pair.key as Node, value: (pair.value as Node | null) ?? null };
    }
  }
  return undefined;
}

/**
 * Offsets of every scalar mapping key that repeats an earlier key of the same mapping, at any
 * depth, in one linear walk (an explicit stack, so deep nesting cannot overflow the call stack).
 */
function duplicateKeyOffsets(root: Node | null): number[] {
  const out: number[] = [];
  const stack: unknown[] = root === null ? [] : [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const k = pair.key.value;
          if (seen.has(k)) out.push(pair.key.range?.[0] ?? 0);
          else seen.add(k);
        } else if (pair.key !== null && pair.key !== undefined) {
          stack.push(pair.key);
        }
        if (pair.value !== null && pair.value !== undefined) stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (item !== null && item !== undefined) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  return out.sort((a, b) => a - b);
}

function isEmptyDocument(contents: Node | null): boolean {
  return (
    contents === null || (isScalar(contents) && (contents.value === null || contents.value === undefined))
  );
}

/** First line of a `yaml` error message, without the position it repeats. */
function syntaxMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim();
}

export interface ParseLimits {
  /** Nodes aliases may add to this file (default MAX_ALIAS_EXPANSION); beyond, the file is refused. */
  readonly maxAliasExpansion?: number;
}

/** Lexemes between two safe points of `parseDesiredSteps`. */
const LEXEMES_PER_STEP = 2048;

/** Parse one file (pure). See `parseDesiredSteps` for the same work in resumable steps. */
export function parseDesiredText(text: string, file: string, limits: ParseLimits = {}): ParseResult {
  const steps = parseDesiredSteps(text, file, limits);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Parsing one file as a generator: it pauses (yields) at safe points, after every document and
 * every few thousand lexemes, and returns the result. The loader (load.ts) gives the event loop a
 * turn at those pauses, so a large file cannot keep the daemon from answering probes or signals;
 * `parseDesiredText` runs the steps back to back. The yaml package's lexer, parser and composer are
 * driven by hand (what `parseAllDocuments` does in one go) to get those pauses.
 */
export function* parseDesiredSteps(
  text: string,
  file: string,
  limits: ParseLimits = {},
): Generator<void, ParseResult, void> {
  const lineCounter = new LineCounter();
  // The yaml package's own unique-key check is quadratic in the size of a mapping (a 40,000-key
  // file takes seconds, 150,000 minutes); duplicateKeyOffsets does the same check in linear time.
  const composer = new Composer({ uniqueKeys: false });
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const state: FileState = {
    file,
    lineCounter,
    diagnostics: [],
    documents: [],
    guessedNames: [],
    aliasBudget: limits.maxAliasExpansion ?? MAX_ALIAS_EXPANSION,
    aliasNodes: 0,
    refused: false,
  };
  let lexemes = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) {
      for (const doc of composer.next(token)) {
        handleDocument(doc, state);
        yield;
      }
    }
    if (state.refused) return state;
    if (++lexemes % LEXEMES_PER_STEP === 0) yield;
  }
  for (const token of parser.end()) for (const doc of composer.next(token)) handleDocument(doc, state);
  for (const doc of composer.end()) handleDocument(doc, state);
  return state;
}

interface FileState extends ParseResult {
  readonly file: string;
  readonly lineCounter: LineCounter;
  readonly diagnostics: Diagnostic[];
  readonly documents: ParsedDocument[];
  readonly guessedNames: GuessedName[];
  readonly aliasBudget: number;
  /** Nodes added by aliases so far in this file. */
  aliasNodes: number;
  /** The file exceeded a limit: the rest of it is not checked. */
  refused: boolean;
}

function handleDocument(doc: Document.Parsed, state: FileState): void {
  if (state.refused) return;
  const { file, lineCounter, diagnostics } = state;
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const fromYaml = (severity: 'error' | 'warning', code: string, e: YAMLError): Diagnostic => {
    const pos = e.linePos?.[0];
    return {
      severity,
      code,
      message: syntaxMessage(e.message),
      location: pos ? { file, line: pos.line, col: pos.col } : at(e.pos[0]),
    };
  };
  if (doc.errors.length > 0) {
    for (const err of doc.errors) diagnostics.push(fromYaml('error', 'yaml-syntax', err));
    return;
  }
  const duplicates = duplicateKeyOffsets((doc.contents as Node | null) ?? null);
  if (duplicates.length > 0) {
    for (const offset of duplicates) {
      diagnostics.push({
        severity: 'error',
        code: 'yaml-syntax',
        message: 'Map keys must be unique',
        location: at(offset),
      });
    }
    return;
  }
  for (const w of doc.warnings) diagnostics.push(fromYaml('warning', 'yaml-warning', w));
  const contents = (doc.contents as Node | null) ?? null;
  if (isEmptyDocument(contents)) return;
  // Aliases are counted before anything expands them (aliases.ts).
  const aliases = indexAliases(doc);
  if (aliases.cycles.length > 0) {
    for (const alias of aliases.cycles.slice(0, 10)) {
      diagnostics.push({
        severity: 'error',
        code: 'alias-cycle',
        message: `alias *${alias.source} refers to a value that contains it (its expansion never ends)`,
        location: at(alias.range?.[0] ?? 0),
        hint: 'write the value out, or alias a value defined outside it',
      });
    }
    return;
  }
  state.aliasNodes += aliases.expandedNodes - aliases.writtenNodes;
  if (state.aliasNodes > state.aliasBudget) {
    state.refused = true;
    const first = [...aliases.targets.keys()][0];
    diagnostics.push({
      severity: 'error',
      code: 'alias-limit',
      message: `aliases expand ${file} by ${formatCount(state.aliasNodes)} nodes (${aliases.aliasCount} aliases in this document); the limit is ${formatCount(state.aliasBudget)} per file, so the file is not checked further`,
      location: at(first?.range?.[0] ?? contents?.range?.[0] ?? 0),
      hint: 'write the repeated values out or split the file; aliases are meant for a few shared lists',
    });
    return;
  }
  const parsed = parseDocument(
    doc,
    contents!,
    file,
    lineCounter,
    diagnostics,
    state.guessedNames,
    aliases.targets,
  );
  if (parsed) state.documents.push(parsed);
}

/** 2250000 → "2,250,000"; astronomically large counts stay readable ("about 1.2e+21"). */
function formatCount(n: number): string {
  return n < 1e15 ? Math.round(n).toLocaleString('en-US') : `about ${n.toPrecision(2)}`;
}

function parseDocument(
  doc: Document.Parsed,
  root: Node,
  file: string,
  lineCounter: LineCounter,
  diagnostics: Diagnostic[],
  guessedNames: GuessedName[],
  aliasTargets: ReadonlyMap<Alias, Node>,
): ParsedDocument | undefined {
  // Diagnostics of this document are the ones pushed from here on (counting them all again for
  // every document would be quadratic in the number of documents).
  const first = diagnostics.length;
  const ctx: CheckContext = {
    file,
    lineCounter,
    doc,
    resource: undefined,
    diagnostics,
    fieldSources: {},
    valueSources: {},
    knownPaths: [],
    aliasTargets,
  };
  const docLoc = nodeLocation(ctx, root);
  if (!isMap(root)) {
    report(
      ctx,
      'error',
      'not-a-mapping',
      docLoc,
      undefined,
      `a resource document must be a mapping with apiVersion, kind, metadata and spec; got ${describeNode(root)}`,
    );
    return undefined;
  }

  // Header first, so every later diagnostic can name the resource.
  const kindEntry = mapGet(root, 'kind');
  const kindText = scalarString(kindEntry?.value);
  const table = kindText === undefined ? undefined : kindTable(kindText);
  const metadataEntry = mapGet(root, 'metadata');
  const nameEntry = metadataEntry?.value ? mapGet(metadataEntry.value, 'name') : undefined;
  const name = scalarString(nameEntry?.value);
  if (table && name !== undefined) ctx.resource = address(table.kind, name);

  const apiEntry = mapGet(root, 'apiVersion');
  if (!apiEntry) {
    report(
      ctx,
      'error',
      'missing-field',
      docLoc,
      'apiVersion',
      'required field `apiVersion` is missing',
      `add \`apiVersion: ${API_VERSION}\``,
    );
  } else {
    const v = scalarString(apiEntry.value);
    const loc = apiEntry.value ? nodeLocation(ctx, apiEntry.value) : nodeLocation(ctx, apiEntry.key);
    if (v === undefined) {
      report(
        ctx,
        'error',
        'wrong-type',
        loc,
        'apiVersion',
        `expected a string, got ${describeNode(apiEntry.value)}`,
      );
    } else if (v !== API_VERSION) {
      report(
        ctx,
        'error',
        'unknown-api-version',
        loc,
        'apiVersion',
        `unsupported apiVersion ${JSON.stringify(v)}`,
        `expected \`${API_VERSION}\``,
      );
    }
  }

  if (!kindEntry) {
    report(
      ctx,
      'error',
      'missing-field',
      docLoc,
      'kind',
      'required field `kind` is missing',
      `one of ${KIND_TABLES.map((t) => t.kind).join(', ')}`,
    );
    return undefined;
  }
  if (!table) {
    const loc = kindEntry.value ? nodeLocation(ctx, kindEntry.value) : nodeLocation(ctx, kindEntry.key);
    if (kindText === undefined) {
      report(
        ctx,
        'error',
        'wrong-type',
        loc,
        'kind',
        `expected a string, got ${describeNode(kindEntry.value)}`,
      );
    } else {
      const kinds = KIND_TABLES.map((t) => t.kind);
      report(
        ctx,
        'error',
        'unknown-kind',
        loc,
        'kind',
        `unknown kind ${JSON.stringify(kindText)}; expected one of ${kinds.join(', ')}`,
        didYouMean(kindText, kinds),
      );
      const meant = closest(kindText, kinds);
      const guess = meant === undefined ? undefined : kindTable(meant);
      if (guess && name !== undefined) guessedNames.push({ kind: guess.kind, name });
    }
    return undefined;
  }

  const checked = checkObject(
    root,
    documentType(table),
    '',
    docLoc,
    { ...ctx, knownPaths: KNOWN_PATHS.get(table.kind) ?? [] },
    ['apiVersion', 'kind'],
  );
  const errors = diagnostics.slice(first).filter((d) => d.severity === 'error');
  if (name === undefined) return undefined; // missing/invalid name already reported; nothing to refer to
  const metadata = (checked?.['metadata'] as Record<string, unknown> | undefined) ?? {};
  const spec = (checked?.['spec'] as Record<string, unknown> | undefined) ?? {};
  return {
    table,
    kind: table.kind,
    name,
    address: address(table.kind, name),
    file,
    valid: errors.length === 0,
    metadata,
    spec,
    source: nameEntry?.value ? nodeLocation(ctx, nameEntry.value) : docLoc,
    fieldSources: ctx.fieldSources,
    valueSources: ctx.valueSources,
    invalidFields: new Set(errors.flatMap((d) => (d.field !== undefined ? [d.field] : []))),
  };
}
