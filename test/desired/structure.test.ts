/** Syntax, document shape, header and field-level rules (derived from the field tables). */
import { describe, expect, it } from 'vitest';
import { codes, diagnosticsOf, expectOne, header, load } from './helpers.js';

describe('YAML and document shape', () => {
  it('reports a YAML syntax error with its position', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}spec:\n  description: [unclosed\n`);
    expectOne(diags, { code: 'yaml-syntax', line: 7, col: 1, message: /Flow sequence/ });
  });

  it('reports a duplicate key as a syntax error at the second key', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}spec:\n  description: a\n  description: b\n`);
    expectOne(diags, { code: 'yaml-syntax', line: 7, col: 3, message: /unique/ });
  });

  it('keeps checking the other documents of a file after a syntax error', () => {
    const diags = diagnosticsOf(`a: [\n---\n${header('Project', 'web')}spec:\n  descripton: x\n`);
    expect(codes(diags)).toEqual(['yaml-syntax', 'unknown-field']);
    expectOne(diags, {
      code: 'unknown-field',
      line: 8,
      col: 3,
      resource: 'Project/web',
      field: 'spec.descripton',
    });
  });

  it('refuses a document that is not a mapping', () => {
    const diags = diagnosticsOf(`---\n- kind: Project\n`);
    expectOne(diags, { code: 'not-a-mapping', line: 2, col: 1, message: /got a list/ });
  });

  it('skips empty documents and comment-only documents', () => {
    const r = load({
      'a.yaml': `# only a comment\n---\n---\n# another\n---\n${header('Project', 'web')}---\n`,
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.state?.resources.map((x) => x.address)).toEqual(['Project/web']);
  });

  it('resolves YAML aliases inside a document', () => {
    const text = `${header('Application', 'a1')}spec:\n  description: &d shared text\n  tags: [*d]\n`;
    const r = load({ 'a.yaml': text });
    expect(r.diagnostics).toEqual([]);
    const a1 = r.state?.resources[0];
    expect(a1 && 'tags' in a1 ? a1.tags : undefined).toEqual(['shared text']);
  });

  it('explains an alias to an anchor of another document', () => {
    const text = `${header('Application', 'a1')}spec:\n  tags: &common [a]\n---\n${header('Application', 'a2')}spec:\n  tags: *common\n`;
    expectOne(diagnosticsOf(text), {
      code: 'wrong-type',
      line: 13,
      col: 9,
      resource: 'Application/a2',
      field: 'spec.tags',
      message: /unknown anchor \(\*common\); anchors only work inside one document/,
    });
  });
});

describe('header', () => {
  it('requires apiVersion', () => {
    const diags = diagnosticsOf(`kind: Project\nmetadata:\n  name: web\n`);
    expectOne(diags, {
      code: 'missing-field',
      line: 1,
      col: 1,
      resource: 'Project/web',
      field: 'apiVersion',
    });
  });

  it('refuses an unknown apiVersion', () => {
    const diags = diagnosticsOf(header('Project', 'web').replace('v1alpha1', 'v1'));
    expectOne(diags, {
      code: 'unknown-api-version',
      line: 1,
      col: 13,
      resource: 'Project/web',
      field: 'apiVersion',
      hint: 'expected `scw-gitops/v1alpha1`',
    });
  });

  it('requires kind', () => {
    const diags = diagnosticsOf(`apiVersion: scw-gitops/v1alpha1\nmetadata:\n  name: web\n`);
    expectOne(diags, { code: 'missing-field', line: 1, col: 1, field: 'kind' });
  });

  it('refuses an unknown kind with a did-you-mean', () => {
    const diags = diagnosticsOf(header('Aplication', 'web'));
    expectOne(diags, {
      code: 'unknown-kind',
      line: 2,
      col: 7,
      field: 'kind',
      hint: 'did you mean `Application`?',
    });
    expectOne(diagnosticsOf(header('apikey', 'k')), {
      code: 'unknown-kind',
      line: 2,
      col: 7,
      field: 'kind',
      hint: 'did you mean `ApiKey`?',
    });
  });

  it('requires metadata.name', () => {
    const diags = diagnosticsOf(`apiVersion: scw-gitops/v1alpha1\nkind: Project\nmetadata:\n  adopt: true\n`);
    expectOne(diags, { code: 'missing-field', line: 3, col: 1, field: 'metadata.name' });
  });

  it('requires spec where it has required fields', () => {
    const diags = diagnosticsOf(header('ApiKey', 'k'));
    expectOne(diags, { code: 'missing-field', line: 1, col: 1, resource: 'ApiKey/k', field: 'spec' });
  });
});

describe('unknown fields', () => {
  it('at the top level', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}status: {}\n`);
    expectOne(diags, { code: 'unknown-field', line: 5, col: 1, resource: 'Project/web', field: 'status' });
  });

  it('in spec, with a did-you-mean', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}spec:\n  descripton: x\n`);
    expectOne(diags, {
      code: 'unknown-field',
      line: 6,
      col: 3,
      resource: 'Project/web',
      field: 'spec.descripton',
      hint: 'did you mean `description`?',
    });
  });

  it('nested (rotation), case-insensitive suggestion', () => {
    const diags = diagnosticsOf(
      `${header('ApiKey', 'k')}spec:\n  application: app\n  rotation:\n    rotatebefore: 1d\n`,
    );
    expectOne(diags, {
      code: 'unknown-field',
      line: 8,
      col: 5,
      resource: 'ApiKey/k',
      field: 'spec.rotation.rotatebefore',
      hint: 'did you mean `rotateBefore`?',
    });
  });

  it('in a list item', () => {
    const text = `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules:\n    - permissionSet: [A]\n      organization: true\n`;
    const diags = diagnosticsOf(text);
    expectOne(diags, {
      code: 'unknown-field',
      line: 8,
      col: 7,
      resource: 'Policy/p',
      field: 'spec.rules[0].permissionSet',
      hint: 'did you mean `permissionSets`?',
    });
  });

  it('YAML merge keys are explained', () => {
    const text = `${header('Application', 'app')}spec:\n  <<: { description: x }\n`;
    expectOne(diagnosticsOf(text), {
      code: 'unknown-field',
      line: 6,
      col: 3,
      resource: 'Application/app',
      field: 'spec.<<',
      hint: /merge keys are not supported/,
    });
  });

  it('a spec field put under metadata says where it belongs', () => {
    const diags = diagnosticsOf(`${header('Application', 'app')}  tags: [x]\n`);
    expectOne(diags, {
      code: 'unknown-field',
      line: 5,
      col: 3,
      resource: 'Application/app',
      field: 'metadata.tags',
      hint: '`tags` belongs at `spec.tags`',
    });
  });
});

describe('types', () => {
  it('a number where a string is expected, with a hint to quote it', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}spec:\n  description: 42\n`);
    expectOne(diags, {
      code: 'wrong-type',
      line: 6,
      col: 16,
      resource: 'Project/web',
      field: 'spec.description',
      message: /expected a string, got a number \(42\)/,
      hint: 'quote it: "42"',
    });
  });

  it('a string where a list is expected', () => {
    const diags = diagnosticsOf(`${header('Application', 'app')}spec:\n  tags: team=web\n`);
    expectOne(diags, {
      code: 'wrong-type',
      line: 6,
      col: 9,
      resource: 'Application/app',
      field: 'spec.tags',
      message: /expected a list, got a string/,
    });
  });

  it('an empty value where a mapping is expected', () => {
    const diags = diagnosticsOf(`${header('ApiKey', 'k')}spec:\n  application: app\n  rotation:\n`);
    expectOne(diags, {
      code: 'wrong-type',
      line: 7,
      col: 3,
      resource: 'ApiKey/k',
      field: 'spec.rotation',
      message: /expected a mapping, got an empty value/,
    });
  });

  it('a string where a boolean is expected', () => {
    const diags = diagnosticsOf(`${header('Project', 'web')}  adopt: "yes"\n`);
    expectOne(diags, {
      code: 'wrong-type',
      line: 5,
      col: 10,
      field: 'metadata.adopt',
      resource: 'Project/web',
    });
  });

  it('a non-string name', () => {
    const diags = diagnosticsOf(header('Project', '{a: 1}'));
    expectOne(diags, { code: 'wrong-type', line: 4, col: 9, field: 'metadata.name' });
  });
});

describe('names (docs/design/scaleway-api.md §4–§8 limits)', () => {
  it.each([
    ['Project', 'my project', true],
    ['Project', 'web_1.2-x', true],
    ['Project', 'web/x', false],
    ['Project', 'café', false],
    ['Application', 'ci (prod) bot', true],
    ['Application', '"ci  bot"', true],
    ['Application', '" ci"', false],
    ['Application', 'ci@bot', false],
    ['Group', 'ops.team', true],
    ['Group', 'ops,team', false],
    ['Policy', 'read-only (web)', true],
    ['Policy', 'a:b', false],
    ['ApiKey', 'ci-deployer.prod', true],
    ['ApiKey', 'Ci', false],
    ['ApiKey', 'ci_deployer', false],
    ['ApiKey', 'ci-', false],
    ['ApiKey', 'ci deployer', false],
  ])('%s %s valid=%s', (kind, name, valid) => {
    const spec =
      kind === 'ApiKey'
        ? 'spec:\n  application: app\n  lifetime: 30d\n'
        : kind === 'Policy'
          ? 'spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true }]\n'
          : '';
    const diags = load({
      'test.yaml': `${header(kind, name)}${spec}---\n${header('Application', 'app')}`,
    }).diagnostics;
    const bad = diags.filter((d) => d.code === 'invalid-name');
    if (valid) expect(bad).toEqual([]);
    else {
      const unquoted = name.replace(/^"|"$/g, '');
      expectOne(diags, {
        code: 'invalid-name',
        line: 4,
        col: 9,
        resource: `${kind}/${unquoted}`,
        field: 'metadata.name',
      });
    }
  });

  it('at most 64 characters', () => {
    const long = 'a'.repeat(65);
    expectOne(diagnosticsOf(header('Project', long)), {
      code: 'invalid-name',
      line: 4,
      col: 9,
      resource: `Project/${long}`,
      field: 'metadata.name',
      message: /65 characters long; the maximum is 64/,
    });
    expect(diagnosticsOf(header('Project', 'a'.repeat(64)))).toEqual([]);
  });

  it('not empty', () => {
    expectOne(diagnosticsOf(header('Project', '""')), {
      code: 'invalid-name',
      line: 4,
      col: 9,
      resource: 'Project/',
      field: 'metadata.name',
      message: /must not be empty/,
    });
  });
});

describe('descriptions, tags, conditions', () => {
  it('application description at most 200', () => {
    const diags = diagnosticsOf(`${header('Application', 'app')}spec:\n  description: ${'d'.repeat(201)}\n`);
    expectOne(diags, {
      code: 'too-long',
      line: 6,
      col: 16,
      resource: 'Application/app',
      field: 'spec.description',
    });
    expect(
      diagnosticsOf(`${header('Application', 'app')}spec:\n  description: ${'d'.repeat(200)}\n`),
    ).toEqual([]);
  });

  it('descriptions cannot contain an ownership marker', () => {
    const diags = diagnosticsOf(
      `${header('Project', 'web')}spec:\n  description: "mine [scw-gitops:prod]"\n`,
    );
    expectOne(diags, {
      code: 'invalid-format',
      line: 6,
      col: 16,
      resource: 'Project/web',
      field: 'spec.description',
      message: /`\[scw-gitops:` is reserved/,
    });
    expect(diagnosticsOf(`${header('Project', 'web')}spec:\n  description: "[scw-gitops] docs"\n`)).toEqual(
      [],
    );
  });

  it('at most 9 user tags (10 with the ownership tag)', () => {
    const tags = Array.from({ length: 10 }, (_, i) => `t${i}`).join(', ');
    const diags = diagnosticsOf(`${header('Group', 'g')}spec:\n  tags: [${tags}]\n`);
    expectOne(diags, {
      code: 'too-many-items',
      line: 6,
      col: 9,
      resource: 'Group/g',
      field: 'spec.tags',
      message: /has 10 items; the maximum is 9/,
      hint: /ownership tag `scw-gitops=<instance>`/,
    });
  });

  it('no user tag starting with scw-gitops=', () => {
    const diags = diagnosticsOf(
      `${header('Policy', 'p')}spec:\n  tags: [a, scw-gitops=other]\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true }]\n`,
    );
    expectOne(diags, { code: 'invalid-tag', line: 6, col: 13, resource: 'Policy/p', field: 'spec.tags[1]' });
  });

  it('no duplicate tags', () => {
    const diags = diagnosticsOf(`${header('Application', 'app')}spec:\n  tags:\n    - x\n    - y\n    - x\n`);
    expectOne(diags, {
      code: 'duplicate-item',
      line: 9,
      col: 7,
      resource: 'Application/app',
      field: 'spec.tags[2]',
      message: /also at spec.tags\[0\]/,
    });
  });

  it('conditions at most 2048 characters', () => {
    const text = `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules:\n    - permissionSets: [A]\n      organization: true\n      condition: "${'c'.repeat(2049)}"\n`;
    expectOne(diagnosticsOf(text), {
      code: 'too-long',
      line: 10,
      col: 18,
      resource: 'Policy/p',
      field: 'spec.rules[0].condition',
      message: /2049 characters long; the maximum is 2048/,
    });
  });
});

describe('policies', () => {
  const policy = (principal: string, rules: string) =>
    `${header('Policy', 'p')}spec:\n  principal: ${principal}\n  rules: ${rules}\n`;
  const okRules = '[{ permissionSets: [A], organization: true }]';

  it('needs exactly one principal: none given', () => {
    expectOne(diagnosticsOf(policy('{}', okRules)), {
      code: 'missing-field',
      line: 6,
      col: 3,
      resource: 'Policy/p',
      field: 'spec.principal',
      message: /exactly one of `application`, `group`, `none`/,
    });
  });

  it('needs exactly one principal: two given', () => {
    expectOne(
      diagnosticsOf(`${BASE_POLICY_DECLS}${policy('{ application: app, group: admins }', okRules)}`),
      {
        code: 'conflicting-fields',
        line: 16,
        col: 34,
        resource: 'Policy/p',
        field: 'spec.principal.group',
      },
    );
  });

  it('none must be true', () => {
    expectOne(diagnosticsOf(policy('{ none: false }', okRules)), {
      code: 'invalid-value',
      line: 6,
      col: 22,
      field: 'spec.principal.none',
      resource: 'Policy/p',
    });
  });

  it('needs at least one rule', () => {
    expectOne(diagnosticsOf(policy('{ none: true }', '[]')), {
      code: 'too-few-items',
      line: 7,
      col: 10,
      field: 'spec.rules',
      resource: 'Policy/p',
    });
  });

  it('needs at least one permission set per rule', () => {
    expectOne(diagnosticsOf(policy('{ none: true }', '[{ permissionSets: [], organization: true }]')), {
      code: 'too-few-items',
      line: 7,
      col: 29,
      field: 'spec.rules[0].permissionSets',
      resource: 'Policy/p',
    });
  });

  it('needs exactly one scope per rule', () => {
    expectOne(diagnosticsOf(policy('{ none: true }', '[{ permissionSets: [A] }]')), {
      code: 'missing-field',
      line: 7,
      col: 11,
      resource: 'Policy/p',
      field: 'spec.rules[0]',
      message: /exactly one of `projects`, `organization`/,
    });
    expectOne(
      diagnosticsOf(
        policy('{ none: true }', '[{ permissionSets: [A], organization: true, projects: [default] }]'),
      ),
      { code: 'conflicting-fields', line: 7, col: 54, resource: 'Policy/p', field: 'spec.rules[0].projects' },
    );
  });

  it('permission set names are identifiers', () => {
    expectOne(
      diagnosticsOf(policy('{ none: true }', '[{ permissionSets: ["Object Storage"], organization: true }]')),
      {
        code: 'invalid-permission-set',
        line: 7,
        col: 30,
        resource: 'Policy/p',
        field: 'spec.rules[0].permissionSets[0]',
      },
    );
  });
});

const BASE_POLICY_DECLS = `${header('Application', 'app')}---\n${header('Group', 'admins')}---\n`;
