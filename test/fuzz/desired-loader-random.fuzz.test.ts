/**
 * Fuzzing the desired-state loader and validator, second half (random text, structures, mixed
 * documents, invalid UTF-8, alias bombs); see desired-loader.fuzz.test.ts.
 *
 * Fuzzing the desired-state loader and validator (pure: `loadDesiredFromTexts`), ≥ 10,000
 * generated cases per `npm test` run: mutated copies of examples/basic, random text, random
 * structures under a valid header, mixed documents, invalid UTF-8, alias bombs ("billion
 * laughs"), huge strings and deep nesting. See fuzz-cases.ts for the property. The seed is fixed
 * here (reproducible); `npm run chaos` runs a longer fuzz with a fresh seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLoader, FAMILIES } from './fuzz-cases.js';

const TOTAL = 10_000;
// every family runs at least 5 cases, so the families together run a little over TOTAL
const SEED = 20261123;
/** Families run by this file; the others run in desired-loader.fuzz.test.ts (vitest runs files in parallel). */
const SPLIT_HERE = new Set(
  FAMILIES.map((f) => f.name).filter(
    (n) => !['mutated example file', 'mutated example set', 'huge strings', 'deep nesting'].includes(n),
  ),
);

describe('desired-state loader fuzzing', { timeout: 120_000 }, () => {
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

  it('ran its share of the 10,000 cases (the other share is in desired-loader.fuzz.test.ts)', () => {
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
});
