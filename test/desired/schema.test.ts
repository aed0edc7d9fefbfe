import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { generateSchema, referencePath, schemaPath } from '../../scripts/gen-schema.js';
import { buildJsonSchema, renderSchemaFile } from '../../src/desired/json-schema.js';
import { parseDesiredText } from '../../src/desired/parse.js';
import { renderReference } from '../../src/desired/reference.js';
import { validateJsonSchema } from './json-schema-validator.js';

const repo = join(import.meta.dirname, '..', '..');
const schema = buildJsonSchema();

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.ya?ml$/.test(name) ? [p] : [];
    });
}

function documents(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((v) => v !== null && v !== undefined);
}

describe('schema/scw-gitops.schema.json', () => {
  it('is exactly what scripts/gen-schema.ts generates (regenerate with: npx tsx scripts/gen-schema.ts)', async () => {
    expect(readFileSync(schemaPath, 'utf8')).toBe(renderSchemaFile());
    expect(readFileSync(referencePath, 'utf8')).toBe(renderReference());
    await expect(generateSchema(true)).resolves.toEqual([
      { path: schemaPath, upToDate: true },
      { path: referencePath, upToDate: true },
    ]);
  });

  it('the Markdown reference lists every field of every kind', () => {
    const md = renderReference();
    for (const row of [
      '| `metadata.name` | string | yes | 1-64 chars; `^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$` |',
      '| `spec.rules[].condition` | string |  | ≤ 2048 chars |',
      '| `spec.rotation.overlap` | duration |  |  |',
      '| `spec.principal` | mapping | yes | exactly one of `application`, `group`, `none` |',
    ]) {
      expect(md).toContain(row);
    }
  });

  it('is a draft 2020-12 schema with one branch per kind and closed objects', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['oneOf']).toEqual(
      ['Project', 'Application', 'Group', 'Policy', 'ApiKey'].map((k) => ({ $ref: `#/$defs/${k}` })),
    );
    const closed = (s: unknown): void => {
      if (typeof s !== 'object' || s === null) return;
      const o = s as Record<string, unknown>;
      if (o['type'] === 'object') expect(o['additionalProperties']).toBe(false);
      for (const v of Object.values(o)) {
        if (Array.isArray(v)) v.forEach(closed);
        else closed(v);
      }
    };
    closed(schema);
  });

  it('uses patterns that compile as ECMAScript regexes with and without the u flag (editors differ)', () => {
    const patterns = new Set<string>();
    const walk = (o: unknown): void => {
      if (typeof o !== 'object' || o === null) return;
      for (const [k, v] of Object.entries(o)) {
        if (k === 'pattern' && typeof v === 'string') patterns.add(v);
        else walk(v);
      }
    };
    walk(schema);
    expect(patterns.size).toBeGreaterThanOrEqual(10);
    for (const p of patterns) {
      expect(() => new RegExp(p)).not.toThrow();
      expect(() => new RegExp(p, 'u')).not.toThrow();
    }
  });

  const basic = yamlFiles(join(repo, 'examples', 'basic'));
  it('covers the example files', () => {
    expect(basic.length).toBeGreaterThanOrEqual(5);
  });

  it.each(basic.map((f) => [relative(repo, f), f]))('accepts every document of %s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(
      /^# yaml-language-server: \$schema=(\.\.\/)+schema\/scw-gitops\.schema\.json$/,
    );
    const docs = documents(text);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(validateJsonSchema(schema, doc)).toEqual([]);
  });

  it('rejects every document of examples/invalid', () => {
    const docs = documents(readFileSync(join(repo, 'examples', 'invalid', 'mistakes.yaml'), 'utf8'));
    expect(docs).toHaveLength(5);
    for (const doc of docs) expect(validateJsonSchema(schema, doc).length).toBeGreaterThan(0);
  });

  it('rejects a typo in a field name, pointing at the field', () => {
    const text = readFileSync(join(repo, 'examples', 'basic', 'keys', 'web.yaml'), 'utf8').replace(
      'rotateBefore:',
      'rotateBefor:',
    );
    const [doc] = documents(text);
    const errors = validateJsonSchema(schema, doc);
    expect(errors).toContainEqual({
      path: '/spec/rotation/rotateBefor',
      message: 'unknown property rotateBefor',
    });
  });

  // The validator and the schema are derived from the same table: on field-level questions they
  // must agree. Each snippet is a complete document; `valid` is the expected verdict of both.
  const header = (kind: string, name: string) =>
    `apiVersion: scw-gitops/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;
  const cases: [string, string, boolean][] = [
    ['minimal project', header('Project', 'p1'), true],
    ['project name with space', header('Project', '"my project"'), true],
    ['project name with slash', header('Project', 'a/b'), false],
    ['application name trailing space', header('Application', '"app "'), false],
    ['application 9 tags', `${header('Application', 'a')}spec:\n  tags: [a, b, c, d, e, f, g, h, i]\n`, true],
    [
      'application 10 tags',
      `${header('Application', 'a')}spec:\n  tags: [a, b, c, d, e, f, g, h, i, j]\n`,
      false,
    ],
    ['reserved tag', `${header('Application', 'a')}spec:\n  tags: [scw-gitops=x]\n`, false],
    ['duplicate tag', `${header('Application', 'a')}spec:\n  tags: [x, x]\n`, false],
    ['description 201', `${header('Application', 'a')}spec:\n  description: ${'x'.repeat(201)}\n`, false],
    ['description with marker', `${header('Group', 'g')}spec:\n  description: "x [scw-gitops:a]"\n`, false],
    ['key minimal', `${header('ApiKey', 'k')}spec:\n  application: a\n`, true],
    ['key without spec', header('ApiKey', 'k'), false],
    ['key uppercase name', `${header('ApiKey', 'K')}spec:\n  application: a\n`, false],
    [
      'key lifetime+expiresAt',
      `${header('ApiKey', 'k')}spec:\n  application: a\n  lifetime: 1d\n  expiresAt: "2030-01-01T00:00:00Z"\n`,
      false,
    ],
    ['key bad duration', `${header('ApiKey', 'k')}spec:\n  application: a\n  lifetime: 1.5d\n`, false],
    [
      'key bad timestamp',
      `${header('ApiKey', 'k')}spec:\n  application: a\n  expiresAt: "2030-01-01"\n`,
      false,
    ],
    [
      'key sink',
      `${header('ApiKey', 'k')}spec:\n  application: a\n  sink: { name: s, path: a/b.env, namespace: ns, secretName: k }\n`,
      true,
    ],
    [
      'key sink absolute path',
      `${header('ApiKey', 'k')}spec:\n  application: a\n  sink: { path: /etc/x }\n`,
      false,
    ],
    [
      'policy no principal',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true }]\n`,
      true,
    ],
    [
      'policy two principals',
      `${header('Policy', 'p')}spec:\n  principal: { none: true, group: g }\n  rules: [{ permissionSets: [A], organization: true }]\n`,
      false,
    ],
    [
      'policy none false',
      `${header('Policy', 'p')}spec:\n  principal: { none: false }\n  rules: [{ permissionSets: [A], organization: true }]\n`,
      false,
    ],
    ['policy no rules', `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: []\n`, false],
    [
      'rule without scope',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A] }]\n`,
      false,
    ],
    [
      'rule with both scopes',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true, projects: [x] }]\n`,
      false,
    ],
    [
      'rule empty permission sets',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [], projects: [x] }]\n`,
      false,
    ],
    [
      'condition 2048',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true, condition: ${'c'.repeat(2048)} }]\n`,
      true,
    ],
    [
      'condition 2049',
      `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [A], organization: true, condition: ${'c'.repeat(2049)} }]\n`,
      false,
    ],
    ['group members', `${header('Group', 'g')}spec:\n  members: { applications: [a, b] }\n`, true],
    ['unknown top-level field', `${header('Group', 'g')}status: {}\n`, false],
    ['wrong apiVersion', header('Group', 'g').replace('v1alpha1', 'v1'), false],
  ];
  it.each(cases)('validator and schema agree: %s', (_name, text, valid) => {
    const fieldErrors = parseDesiredText(text, 't.yaml').diagnostics.filter((d) => d.severity === 'error');
    const [doc] = documents(text);
    const schemaErrors = validateJsonSchema(schema, doc);
    expect({ validator: fieldErrors.length === 0, schema: schemaErrors.length === 0 }).toEqual({
      validator: valid,
      schema: valid,
    });
  });
});
