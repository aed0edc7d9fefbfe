import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/desired/did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['descripton', 'description', 1],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1], // adjacent transposition counts once
    ['tags', 'tasg', 1],
  ])('%s → %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  const fields = ['description', 'tags', 'members', 'rotateBefore', 'maxAge'];
  it('suggests near misses, case-insensitively', () => {
    expect(closest('descripton', fields)).toBe('description');
    expect(closest('Description', fields)).toBe('description');
    expect(closest('rotatebefore', fields)).toBe('rotateBefore');
    expect(closest('tag', fields)).toBe('tags');
    expect(closest('max_age', fields)).toBe('maxAge');
  });

  it('suggests a longer candidate the input is a prefix of', () => {
    expect(closest('vault', ['local', 'vault-prod'])).toBe('vault-prod');
    expect(closest('va', ['local', 'vault-prod'])).toBeUndefined();
  });

  it('stays quiet when nothing is close', () => {
    expect(closest('status', fields)).toBeUndefined();
    expect(closest('x', fields)).toBeUndefined();
    expect(closest('tags', fields)).toBeUndefined(); // exact match is not a suggestion
  });

  it('formats the hint', () => {
    expect(didYouMean('membres', fields)).toBe('did you mean `members`?');
    expect(didYouMean('zzz', fields)).toBeUndefined();
  });
});
