/**
 * Settings: one diagnostic per mistake. A sink that is declared but invalid is not also "no sink
 * named …" for `defaults.sink`, and a misspelt required key is not also "… is required".
 */
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';

const HEADER = 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsource:\n  dir: desired\n';

function codes(body: string): string[] {
  return parseSettings(HEADER + body, { file: 'settings.yaml', baseDir: '/etc/scw' }).diagnostics.map(
    (d) => `${d.code} ${d.field ?? ''}`,
  );
}

describe('settings: one mistake, one diagnostic', () => {
  it('a sink of a misspelt type: that error, not also an unknown defaults.sink', () => {
    expect(
      codes('sinks:\n  - name: local\n    type: fil\n    dir: ../s\ndefaults:\n  sink: local\n'),
    ).toEqual(['invalid-value sinks[0].type']);
  });

  it('a sink with a misspelt name key: the unknown field only', () => {
    expect(
      codes('sinks:\n  - nam: local\n    type: file\n    dir: ../s\ndefaults:\n  sink: local\n'),
    ).toEqual(['unknown-field sinks[0].nam']);
  });

  it('a misspelt required key of a sink: not also "… is required"', () => {
    expect(codes('sinks:\n  - name: local\n    type: file\n    dri: ../s\n')).toEqual([
      'unknown-field sinks[0].dri',
    ]);
  });

  it('an undeclared defaults.sink is still reported', () => {
    expect(
      codes('sinks:\n  - name: local\n    type: file\n    dir: ../s\ndefaults:\n  sink: vault\n'),
    ).toEqual(['unknown-sink defaults.sink']);
  });

  it('a required key that is simply missing is still reported', () => {
    expect(codes('sinks:\n  - name: local\n    type: file\n')).toEqual(['missing-field sinks[0].dir']);
  });
});
