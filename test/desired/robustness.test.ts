import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDesiredFromTexts } from '../../src/desired/load.js';
import { NOW } from './helpers.js';

const opts = { instance: 'default', now: NOW };
const run = (text: string) => loadDesiredFromTexts('/d', [{ file: 'f.yaml', text }], opts);

describe('robustness', () => {
  it('never throws on arbitrary text, and every located diagnostic points inside the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = run(text);
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const d of r.diagnostics) {
          if (!d.location) continue;
          expect(d.location.line).toBeGreaterThanOrEqual(1);
          expect(d.location.line).toBeLessThanOrEqual(lines + 1);
          expect(d.location.col).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary YAML values under a valid header', () => {
    const kinds = fc.constantFrom('Project', 'Application', 'Group', 'Policy', 'ApiKey');
    fc.assert(
      fc.property(kinds, fc.jsonValue(), fc.jsonValue(), (kind, metadata, spec) => {
        const text = stringify({ apiVersion: 'scw-gitops/v1alpha1', kind, metadata, spec });
        const r = run(text);
        // Garbage never yields a state with resources built from invalid values.
        if (r.state) {
          for (const res of r.state.resources) expect(typeof res.name).toBe('string');
        } else {
          expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
