/**
 * Generators and the property for fuzzing the desired-state loader (pure parse + validate,
 * `loadDesiredFromTexts`). Shared by the `npm test` run (test/fuzz/desired-loader.fuzz.test.ts)
 * and the longer run of `npm run chaos` (bench/chaos.ts).
 *
 * The property, for every generated set of files:
 *   - the loader returns (never throws) a result with a diagnostics array of well-formed diagnostics;
 *   - `state` is present exactly when there is no error diagnostic (never a partial state);
 *   - a state, when present, holds one resource per valid document;
 *   - one case stays below a generous bound (a hang detector, not a speed check).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { type DesiredFile, type LoadResult, loadDesiredFromTexts } from '../../src/desired/load.js';

export const FUZZ_NOW = new Date('2026-06-01T12:00:00Z');
export const FUZZ_OPTS = { instance: 'default', now: FUZZ_NOW, sinkNames: ['local'], defaultSink: 'local' };
/** A single case taking longer than this is reported as a hang. */
export const CASE_BOUND_MS = 5_000;

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The files of examples/basic (a valid desired state), relative paths. */
export function exampleFiles(): DesiredFile[] {
  const root = join(REPO, 'examples/basic');
  const out: DesiredFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push({ file: relative(root, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(root);
  return out;
}

export interface Violation {
  readonly kind: 'threw' | 'partial-state' | 'no-state-without-error' | 'bad-diagnostic' | 'hang';
  readonly detail: string;
}

/** Runs the loader on `files` and returns what is wrong with the answer (undefined: nothing). */
export function checkLoader(files: readonly DesiredFile[]): Violation | undefined {
  const t0 = performance.now();
  let r: LoadResult;
  try {
    r = loadDesiredFromTexts('/fuzz', files, FUZZ_OPTS);
  } catch (err) {
    const e = err as Error;
    return { kind: 'threw', detail: `${e?.name}: ${e?.message} @ ${e?.stack?.split('\n')[1]?.trim()}` };
  }
  const ms = performance.now() - t0;
  if (ms > CASE_BOUND_MS) return { kind: 'hang', detail: `${ms.toFixed(0)} ms` };
  if (!Array.isArray(r.diagnostics)) return { kind: 'bad-diagnostic', detail: 'diagnostics is not an array' };
  for (const d of r.diagnostics) {
    if (
      (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'info') ||
      typeof d.code !== 'string' ||
      typeof d.message !== 'string' ||
      d.message.length === 0
    ) {
      return { kind: 'bad-diagnostic', detail: JSON.stringify(d).slice(0, 300) };
    }
    if (d.location && (!(d.location.line >= 1) || !(d.location.col >= 1))) {
      return { kind: 'bad-diagnostic', detail: `location ${JSON.stringify(d.location)}` };
    }
  }
  const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0 && r.state) return { kind: 'partial-state', detail: `${errors} errors and a state` };
  if (errors === 0 && !r.state) return { kind: 'no-state-without-error', detail: 'no error and no state' };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// generators

const KINDS = ['Project', 'Application', 'Group', 'Policy', 'ApiKey'] as const;

/** Text mutations applied to a valid file. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
  fc.record({
    op: fc.constant('insert-yaml' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      ':',
      '- ',
      '\n',
      '\n  ',
      '"',
      "'",
      '{',
      '[',
      '&a ',
      '*a',
      '!!binary ',
      '<<: *a\n',
      '---\n',
      '...\n',
      '\t',
      '#',
      '|\n',
      '>-\n',
      '? ',
      '%YAML 1.1\n',
      '\uFEFF',
      '\u0000',
      '\uD800',
      '~',
      'null',
      'true',
      '0x1F',
      '1e400',
      '2026-13-45T99:99:99Z',
    ),
  }),
  fc.record({ op: fc.constant('dup-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('drop-line' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap-lines' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('replace-value' as const),
    at: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function applyMutation(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % (text.length + 1);
  const lines = text.split('\n');
  const li = lines.length === 0 ? 0 : m.at % lines.length;
  switch (m.op) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + m.len);
    case 'insert':
    case 'insert-yaml':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'dup-line':
      lines.splice(li, 0, lines[li] ?? '');
      return lines.join('\n');
    case 'drop-line':
      lines.splice(li, 1);
      return lines.join('\n');
    case 'swap-lines': {
      const lj = m.to % lines.length;
      [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
      return lines.join('\n');
    }
    case 'truncate':
      return text.slice(0, at);
    case 'replace-value': {
      const line = lines[li] ?? '';
      const colon = line.indexOf(': ');
      if (colon < 0) return text;
      lines[li] = `${line.slice(0, colon + 2)}${JSON.stringify(m.value) ?? 'null'}`;
      return lines.join('\n');
    }
  }
}

/** One file of examples/basic mutated 1-4 times, loaded alone. */
export function mutatedExampleFile(): fc.Arbitrary<DesiredFile[]> {
  const files = exampleFiles();
  return fc
    .tuple(fc.nat({ max: files.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) => [{ file: files[i]!.file, text: ms.reduce(applyMutation, files[i]!.text) }]);
}

/** The whole of examples/basic with one file mutated 1-4 times (the other files stay valid). */
export function mutatedExampleSet(): fc.Arbitrary<DesiredFile[]> {
  const files = exampleFiles();
  return fc
    .tuple(fc.nat({ max: files.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) =>
      files.map((f, j) => (j === i ? { file: f.file, text: ms.reduce(applyMutation, f.text) } : f)),
    );
}

/** Arbitrary text, including lone surrogates and control characters. */
export function randomText(): fc.Arbitrary<DesiredFile[]> {
  return fc
    .oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ maxLength: 200, unit: 'grapheme' }),
      fc.string({ maxLength: 200, unit: 'binary' }),
      fc.string({
        maxLength: 200,
        unit: fc.constantFrom(
          ':',
          '-',
          ' ',
          '\n',
          '[',
          ']',
          '{',
          '}',
          '&',
          '*',
          'a',
          '"',
          '!',
          '|',
          '>',
          '?',
          ',',
          '#',
          '\t',
        ),
      }),
    )
    .map((text) => [{ file: 'random.yaml', text }]);
}

/** Bytes that are not valid UTF-8, decoded the way readFile(…, 'utf8') does (U+FFFD). */
export function invalidUtf8(): fc.Arbitrary<DesiredFile[]> {
  const examples = exampleFiles();
  return fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat({ max: examples.length - 1 }), fc.nat())
    .map(([bytes, i, at]) => {
      const base = Buffer.from(examples[i]!.text, 'utf8');
      const pos = at % (base.length + 1);
      const junk = Buffer.from(bytes.map((b) => b | 0x80)); // high bytes: mostly invalid sequences
      const buf = Buffer.concat([base.subarray(0, pos), junk, base.subarray(pos)]);
      return [{ file: 'utf8.yaml', text: buf.toString('utf8') }];
    });
}

/** Random structures under a (usually) valid header. */
export function randomStructures(): fc.Arbitrary<DesiredFile[]> {
  const name = fc.oneof(
    fc.constantFrom('a', 'web', 'ci-runner', 'x.y', 'default'),
    fc.string({ maxLength: 70 }),
  );
  const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));
  return fc
    .array(
      fc.record(
        {
          apiVersion: fc.constantFrom('scw-gitops/v1alpha1', 'scw-gitops/v1alpha1', 'v1', 7),
          kind: fc.oneof(fc.constantFrom(...KINDS), fc.string({ maxLength: 10 })),
          metadata: fc.oneof(fc.record({ name }, { requiredKeys: [] }), value),
          spec: fc.oneof(value, fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 5 })),
        },
        { requiredKeys: [] },
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((docs) => [
      {
        file: 'structures.yaml',
        text: docs
          .map((d) => {
            try {
              return stringify(d);
            } catch {
              return 'x: 1\n';
            }
          })
          .join('---\n'),
      },
    ]);
}

/** Valid example documents mixed with broken or foreign documents in one file. */
export function mixedDocuments(): fc.Arbitrary<DesiredFile[]> {
  const docs = exampleFiles().flatMap((f) =>
    f.text
      .split(/^---$/m)
      .map((d) => d.trim())
      .filter((d) => d.startsWith('apiVersion')),
  );
  const foreign = fc.constantFrom(
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n',
    '[1, 2, 3]',
    '"just a string"',
    '~',
    'apiVersion: scw-gitops/v1alpha1\nkind: Application\n',
    'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata: {name: dup}\n---\napiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata: {name: dup}\n',
    'key: [unclosed',
    '&a x: *b',
  );
  return fc
    .array(fc.oneof(fc.constantFrom(...docs), foreign), { minLength: 1, maxLength: 8 })
    .map((parts) => [{ file: 'mixed.yaml', text: parts.join('\n---\n') }]);
}

/** Deeply nested flow/block structures (stack depth). */
export function deepNesting(): fc.Arbitrary<DesiredFile[]> {
  return fc
    .tuple(fc.integer({ min: 10, max: 3000 }), fc.constantFrom('flow-seq', 'flow-map', 'block', 'in-spec'))
    .map(([n, shape]) => {
      let text: string;
      if (shape === 'flow-seq') text = `${'['.repeat(n)}${']'.repeat(n)}`;
      else if (shape === 'flow-map') text = `${'{a: '.repeat(n)}1${'}'.repeat(n)}`;
      else if (shape === 'block')
        text = Array.from({ length: Math.min(n, 400) }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
      else
        text = `apiVersion: scw-gitops/v1alpha1\nkind: Policy\nmetadata:\n  name: p\nspec:\n  rules: ${'['.repeat(n)}${']'.repeat(n)}\n`;
      return [{ file: 'deep.yaml', text }];
    });
}

/** Very long strings in every position (names, descriptions, tags, keys). */
export function hugeStrings(): fc.Arbitrary<DesiredFile[]> {
  return fc
    .tuple(
      fc.integer({ min: 1_000, max: 300_000 }),
      fc.constantFrom('name', 'description', 'tag', 'key', 'comment'),
    )
    .map(([n, where]) => {
      const big = 'x'.repeat(n);
      const desc = where === 'description' ? big : 'd';
      const nm = where === 'name' ? big : 'app';
      const tag = where === 'tag' ? big : 'team=a';
      const key = where === 'key' ? big : 'description';
      const comment = where === 'comment' ? `# ${big}\n` : '';
      return [
        {
          file: 'huge.yaml',
          text: `${comment}apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${nm}\nspec:\n  ${key}: ${desc}\n  tags: [${tag}]\n`,
        },
      ];
    });
}

/**
 * "Billion laughs": each level is a list of `width` aliases of the previous one, placed where the
 * loader walks lists (group members, policy rules, tags, permission sets) and at the top level.
 */
export function billionLaughs(levels: number, width: number, where: string): string {
  const anchors: string[] = ['  l0: &l0 [lol]'];
  for (let i = 1; i <= levels; i++) {
    anchors.push(`  l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  }
  const last = `*l${levels}`;
  const head = 'apiVersion: scw-gitops/v1alpha1';
  switch (where) {
    case 'top':
      return `${anchors.map((a) => a.trim()).join('\n')}\n`;
    case 'members':
      return `${head}\nkind: Group\nmetadata:\n  name: g\nx:\n${anchors.join('\n')}\nspec:\n  members: ${last}\n`;
    case 'rules':
      return `${head}\nkind: Policy\nmetadata:\n  name: p\nx:\n${anchors.join('\n')}\nspec:\n  principal:\n    application: a\n  rules: ${last}\n`;
    case 'permission-sets':
      return `${head}\nkind: Policy\nmetadata:\n  name: p\nx:\n${anchors.join('\n')}\nspec:\n  principal:\n    application: a\n  rules:\n    - permissionSets: ${last}\n      organization: true\n`;
    default:
      return `${head}\nkind: Application\nmetadata:\n  name: a\nx:\n${anchors.join('\n')}\nspec:\n  tags: ${last}\n`;
  }
}

export function aliasBombs(): fc.Arbitrary<DesiredFile[]> {
  return fc
    .tuple(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 2, max: 12 }),
      fc.constantFrom('top', 'members', 'rules', 'permission-sets', 'tags'),
    )
    .map(([levels, width, where]) => [{ file: 'bomb.yaml', text: billionLaughs(levels, width, where) }]);
}

/** The generator families with their share of a run (shares sum to 1; cheap cases get more). */
export const FAMILIES: ReadonlyArray<{
  name: string;
  share: number;
  arb: () => fc.Arbitrary<DesiredFile[]>;
}> = [
  { name: 'mutated example file', share: 0.4, arb: mutatedExampleFile },
  { name: 'mutated example set', share: 0.015, arb: mutatedExampleSet },
  { name: 'random text', share: 0.25, arb: randomText },
  { name: 'random structures', share: 0.08, arb: randomStructures },
  { name: 'mixed documents', share: 0.09, arb: mixedDocuments },
  { name: 'invalid UTF-8', share: 0.14, arb: invalidUtf8 },
  { name: 'alias bombs', share: 0.02, arb: aliasBombs },
  { name: 'huge strings', share: 0.004, arb: hugeStrings },
  { name: 'deep nesting', share: 0.001, arb: deepNesting },
];

/** Runs `total` cases split across the families; returns the counterexamples found. */
export function runFuzz(
  total: number,
  seed: number,
): { cases: number; failures: Array<{ family: string; violation: string; input: string }> } {
  const failures: Array<{ family: string; violation: string; input: string }> = [];
  let cases = 0;
  for (const fam of FAMILIES) {
    const numRuns = Math.max(5, Math.round(total * fam.share));
    const result = fc.check(
      fc.property(fam.arb(), (files) => {
        cases++;
        const v = checkLoader(files);
        if (v) throw new Error(`${v.kind}: ${v.detail}`);
      }),
      { numRuns, seed, endOnFailure: true },
    );
    if (result.failed) {
      const input = JSON.stringify(result.counterexample?.[0] ?? null);
      failures.push({
        family: fam.name,
        violation: String((result.errorInstance as Error | undefined)?.message ?? 'failed'),
        input: input.length > 600 ? `${input.slice(0, 600)}… (${input.length} chars)` : input,
      });
    }
  }
  return { cases, failures };
}
