/**
 * One diagnostic for one mistake: a field that is present but invalid gets its own error, and the
 * rules that read that field stay silent about it instead of treating it as absent (an invalid
 * `lifetime` is not "this key never expires"). Likewise a misspelt field or kind is reported once,
 * not again as the missing field or the undeclared name it was meant to be.
 */
import { describe, expect, it } from 'vitest';
import type { LoadOptions } from '../../src/desired/load.js';
import { BASE, codes, expectOne, header, load } from './helpers.js';

function check(text: string, opts: Partial<LoadOptions> = {}) {
  return load({ 'base.yaml': BASE, 'test.yaml': text }, opts).diagnostics;
}
/** An ApiKey `k` of `app`; extra spec lines start at line 7. */
const key = (extra: string) => `${header('ApiKey', 'k')}spec:\n  application: app\n${extra}`;

describe('an invalid field is not also an absent one', () => {
  it('an invalid lifetime: invalid-duration only, no never-expires', () => {
    const d = check(key('  lifetime: 3 days\n'));
    expect(codes(d)).toEqual(['invalid-duration']);
    expectOne(d, {
      code: 'invalid-duration',
      line: 7,
      col: 13,
      resource: 'ApiKey/k',
      field: 'spec.lifetime',
    });
  });

  it('an invalid rotation.maxAge: invalid-duration only, no never-expires', () => {
    expect(codes(check(key('  rotation:\n    maxAge: forever\n')))).toEqual(['invalid-duration']);
  });

  it('an invalid expiresAt: its own error only, no never-expires', () => {
    expect(codes(check(key('  expiresAt: "next tuesday"\n')))).toEqual(['invalid-timestamp']);
  });

  it('an absent expiry is still warned about', () => {
    expect(codes(check(key('  description: x\n')))).toEqual(['never-expires']);
  });

  it('an invalid lifetime with rotateBefore: no "rotateBefore has no effect without a lifetime"', () => {
    const d = check(key('  lifetime: 90 days\n  rotation:\n    rotateBefore: 10d\n'));
    expect(codes(d)).toEqual(['invalid-duration']);
  });

  it('an invalid expiresAt with rotateBefore: no "rotateBefore has no effect without a lifetime"', () => {
    const d = check(key('  expiresAt: soon\n  rotation:\n    rotateBefore: 10d\n'));
    expect(codes(d)).not.toContain('rotation-ineffective');
  });

  it('an invalid rotateBefore: the overlap is not checked against a default it does not have', () => {
    // With the default rotateBefore (a third of 90d = 30d), a 40d overlap would be "longer than
    // rotateBefore"; but rotateBefore was written, wrongly: only that is reported.
    const d = check(key('  lifetime: 90d\n  rotation:\n    rotateBefore: 3 days\n    overlap: 40d\n'));
    expect(codes(d)).toEqual(['invalid-duration']);
  });

  it('a sink name of the wrong type: that error only, no "spec.sink.name is missing"', () => {
    const d = check(key('  lifetime: 30d\n  sink:\n    name: 42\n'), { sinkNames: ['local'] });
    expect(codes(d)).toEqual(['wrong-type']);
  });

  it('metadata.adopt of the wrong type: no "adoptAccessKey needs metadata.adopt: true"', () => {
    const text = `apiVersion: scw-gitops/v1alpha1\nkind: ApiKey\nmetadata:\n  name: k\n  adopt: "yes"\nspec:\n  application: app\n  lifetime: 30d\n  adoptAccessKey: SCW0123456789ABCDEFG\n`;
    expect(codes(check(text))).toEqual(['wrong-type']);
  });

  it('an invalid permission set next to acknowledgeDangerousPermissions: no "remove the acknowledgement"', () => {
    const text = `${header('Policy', 'p')}spec:\n  principal: { application: app }\n  acknowledgeDangerousPermissions: true\n  rules:\n    - permissionSets: [42]\n      organization: true\n`;
    const d = check(text);
    expect(codes(d)).toContain('wrong-type');
    expect(codes(d)).not.toContain('unneeded-acknowledgement');
  });
});

describe('a misspelling is reported once', () => {
  it('a misspelt required field: unknown-field with its did-you-mean, not also missing-field', () => {
    const d = check(`${header('ApiKey', 'k')}spec:\n  aplication: app\n  lifetime: 30d\n`);
    expect(codes(d)).toEqual(['unknown-field']);
    expectOne(d, {
      code: 'unknown-field',
      line: 6,
      col: 3,
      resource: 'ApiKey/k',
      field: 'spec.aplication',
      hint: 'did you mean `application`?',
    });
  });

  it('a misspelt member of an exactly-one-of group: not also "exactly one of … is required"', () => {
    const d = check(
      `${header('Policy', 'p')}spec:\n  principal:\n    aplication: app\n  rules:\n    - permissionSets: [ProjectReadOnly]\n      organization: true\n`,
    );
    expect(codes(d)).toEqual(['unknown-field']);
  });

  it('a field that is missing without any lookalike is still missing', () => {
    expect(codes(check(`${header('ApiKey', 'k')}spec:\n  lifetime: 30d\n`))).toEqual(['missing-field']);
  });

  it('a misspelt kind: references to its name are not "not declared"', () => {
    const text = `apiVersion: scw-gitops/v1alpha1\nkind: Aplication\nmetadata:\n  name: billing\n---\n${header('ApiKey', 'billing-key')}spec:\n  application: billing\n  lifetime: 30d\n`;
    const d = check(text);
    expect(codes(d)).toEqual(['unknown-kind']);
  });

  it('a reference to a name nobody declared is still dangling', () => {
    const d = check(`${header('ApiKey', 'k')}spec:\n  application: nobody\n  lifetime: 30d\n`);
    expect(codes(d)).toEqual(['dangling-reference']);
  });
});

describe('examples/invalid', () => {
  it('reports each mistake of mistakes.yaml once', async () => {
    const { loadDesiredState } = await import('../../src/desired/load.js');
    const { resolve } = await import('node:path');
    const r = await loadDesiredState(resolve(import.meta.dirname, '../../examples/invalid'), {
      instance: 'default',
      now: new Date('2026-06-01T00:00:00Z'),
      sinkNames: ['local'],
    });
    const seen = r.diagnostics.map((d) => `${d.resource ?? ''} ${d.field ?? ''}`);
    // Two diagnostics on one field are two mistakes only when their codes differ in kind: the
    // Policy's principal has both a conflict (two principals) and an undeclared group.
    const duplicates = seen.filter((s, i) => seen.indexOf(s) !== i);
    expect(duplicates).toEqual(['Policy/deployer spec.principal.group']);
    expect(codes(r.diagnostics)).not.toContain('never-expires');
  });
});
