/** metadata.renamedFrom (issue #13 item 5): parsed for Project, Application, Group and Policy only, checked across resources. */
import { describe, expect, it } from 'vitest';
import { expectOne, load } from './helpers.js';

const doc = (kind: string, name: string, renamed: string, spec = '') =>
  `apiVersion: scw-gitops/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  renamedFrom: ${renamed}\n${spec}`;

describe('metadata.renamedFrom', () => {
  it('is read for the four named kinds', () => {
    const r = load({
      'a.yaml': [
        doc('Project', 'website', '[web]'),
        doc('Application', 'deployer', '[ci, old-ci]'),
        doc('Group', 'developers', '[devs]'),
        doc(
          'Policy',
          'read',
          '[ro]',
          'spec:\n  principal:\n    group: developers\n  rules:\n    - permissionSets: [IAMReadOnly]\n      organization: true\n',
        ),
      ].join('---\n'),
    });
    expect(r.diagnostics).toEqual([]);
    expect(Object.fromEntries(r.state!.resources.map((x) => [x.address, x.renamedFrom]))).toEqual({
      'Project/website': ['web'],
      'Application/deployer': ['ci', 'old-ci'],
      'Group/developers': ['devs'],
      'Policy/read': ['ro'],
    });
  });

  it('is not a field of ApiKey', () => {
    const r = load({
      'test.yaml': `${doc('Application', 'app', '[]')}---\n${doc('ApiKey', 'k', '[old]', 'spec:\n  application: app\n')}`,
    });
    const d = r.diagnostics.find((x) => x.code === 'unknown-field')!;
    expect([d.resource, d.field]).toEqual(['ApiKey/k', 'metadata.renamedFrom']);
  });

  it('refuses its own name, a name still declared, and a name claimed twice', () => {
    expectOne(load({ 'test.yaml': doc('Application', 'app', '[app]') }).diagnostics, {
      code: 'invalid-rename',
      line: 5,
      col: 16,
      resource: 'Application/app',
      field: 'metadata.renamedFrom',
      message: /own name/,
    });
    const still = load({
      'test.yaml': `${doc('Application', 'new', '[old]')}---\napiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: old\n`,
    }).diagnostics;
    expectOne(still, {
      code: 'invalid-rename',
      line: 5,
      col: 16,
      resource: 'Application/new',
      field: 'metadata.renamedFrom',
      message: /still declared/,
    });
    const twice = load({
      'test.yaml': `${doc('Group', 'a', '[old]')}---\n${doc('Group', 'b', '[old]')}`,
    }).diagnostics;
    expect(twice.filter((d) => d.code === 'invalid-rename').map((d) => d.resource)).toEqual([
      'Group/a',
      'Group/b',
    ]);
    // The same earlier name for two kinds is two different objects.
    expect(
      load({ 'test.yaml': `${doc('Group', 'a', '[old]')}---\n${doc('Application', 'b', '[old]')}` })
        .diagnostics,
    ).toEqual([]);
  });
});
