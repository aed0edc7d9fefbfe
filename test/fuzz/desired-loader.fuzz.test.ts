/**
 * Fuzzing the desired-state loader and validator (pure: `loadDesiredFromTexts`), ≥ 10,000
 * generated cases per `npm test` run: mutated copies of examples/basic, random text, random
 * structures under a valid header, mixed documents, invalid UTF-8, alias bombs ("billion
 * laughs"), huge strings and deep nesting. See fuzz-cases.ts for the property. The seed is fixed
 * here (reproducible); `npm run chaos` runs a longer fuzz with a fresh seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDesiredFromTexts } from '../../src/desired/load.js';
import { billionLaughs, checkLoader, exampleFiles, FAMILIES, FUZZ_OPTS } from './fuzz-cases.js';

const TOTAL = 10_000;
// every family runs at least 5 cases, so the families together run a little over TOTAL
const SEED = 20261123;
/** Families run by this file; the others run in desired-loader-random.fuzz.test.ts (vitest runs files in parallel). */
const SPLIT_HERE = new Set(['mutated example file', 'mutated example set', 'huge strings', 'deep nesting']);

describe('desired-state loader fuzzing', { timeout: 120_000 }, () => {
  it('examples/basic loads without error (the mutation base is valid)', () => {
    const r = loadDesiredFromTexts('/fuzz', exampleFiles(), FUZZ_OPTS);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.state?.resources.length).toBeGreaterThan(10);
  });

  let cases = 0;
  for (const fam of FAMILIES.filter((f) => SPLIT_HERE.has(f.name))) {
    const numRuns = Math.max(5, Math.round(TOTAL * fam.share));
    it(`${fam.name}: ${numRuns} cases, a diagnostic result every time, state only without errors`, () => {
      fc.assert(
        fc.property(fam.arb(), (files) => {
          cases++;
          const v = checkLoader(files);
          expect(v, v ? `${v.kind}: ${v.detail}` : '').toBeUndefined();
        }),
        { numRuns, seed: SEED, endOnFailure: true },
      );
    });
  }

  it('ran its share of the 10,000 cases (the other share is in desired-loader-random.fuzz.test.ts)', () => {
    const share = FAMILIES.filter((f) => SPLIT_HERE.has(f.name)).reduce(
      (n, f) => n + Math.max(5, Math.round(TOTAL * f.share)),
      0,
    );
    const rest = FAMILIES.filter((f) => !SPLIT_HERE.has(f.name)).reduce(
      (n, f) => n + Math.max(5, Math.round(TOTAL * f.share)),
      0,
    );
    expect(cases).toBe(share);
    expect(share + rest).toBeGreaterThanOrEqual(TOTAL);
  });

  it('a valid example set with one broken document never yields a state (no partial apply)', () => {
    const files = exampleFiles();
    for (let i = 0; i < files.length; i++) {
      const broken = files.map((f, j) =>
        j === i ? { ...f, text: `${f.text}\n---\nkind: Application\n` } : f,
      );
      const r = loadDesiredFromTexts('/fuzz', broken, FUZZ_OPTS);
      expect(r.state, files[i]!.file).toBeUndefined();
      expect(r.diagnostics.some((d) => d.severity === 'error' && d.location?.file === files[i]!.file)).toBe(
        true,
      );
    }
  });

  it('a 10-level billion-laughs bomb in every walked list is refused with diagnostics, not expanded', () => {
    for (const where of ['top', 'members', 'rules', 'permission-sets', 'tags']) {
      const v = checkLoader([{ file: 'bomb.yaml', text: billionLaughs(10, 10, where) }]);
      expect(v, `${where}: ${v?.kind} ${v?.detail}`).toBeUndefined();
    }
  });
});
