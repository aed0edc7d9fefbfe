/**
 * Findings of the loader fuzzing that need a fix outside test/fuzz (reported to the owner of
 * src/desired). Each test states the input, what is expected and fails until the fix lands.
 */
import { describe, expect, it } from 'vitest';
import { checkLoader } from './fuzz-cases.js';

describe('loader fuzzing findings', () => {
  // Was: src/desired/load.ts loadDesiredFromTexts: `diagnostics.push(...parsed.diagnostics)` spread
  // one argument per diagnostic; a file with ~125k+ diagnostics (here 150,000 duplicate keys,
  // 750 KB) overflows the call stack and the loader throws RangeError instead of answering.
  it('a file with 150,000 duplicate keys gets diagnostics, not a RangeError', () => {
    // Only the crash is asserted here: such a file takes seconds to load (150,000 diagnostics, no
    // cap), which the hang bound of the fuzz cases would flag on a loaded machine.
    const v = checkLoader([{ file: 'dup.yaml', text: 'a: b\n'.repeat(150_000) }]);
    expect(v?.kind === 'hang' ? undefined : v, v ? `${v.kind}: ${v.detail}` : '').toBeUndefined();
  });
});
