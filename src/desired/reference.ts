/**
 * Markdown field reference of the desired-state format (`schema/REFERENCE.md`), generated from
 * the same tables as the validator and the JSON Schema, so the documentation cannot drift either.
 */
import { API_VERSION } from '../model/resources.js';
import { joinPath } from './check-fields.js';
import { type Field, type FieldType, KIND_TABLES, type KindTable, type ObjectType } from './fields.js';

function typeLabel(t: FieldType): string {
  switch (t.type) {
    case 'string':
      return t.format === 'duration'
        ? 'duration'
        : t.format === 'date-time'
          ? 'RFC 3339 timestamp'
          : 'string';
    case 'boolean':
      return t.const !== undefined ? String(t.const) : 'boolean';
    case 'array':
      return `list of ${typeLabel(t.items)}`;
    case 'object':
      return 'mapping';
  }
}

function constraints(t: FieldType): string[] {
  const out: string[] = [];
  switch (t.type) {
    case 'string':
      if (t.minLength !== undefined && t.maxLength !== undefined)
        out.push(`${t.minLength}-${t.maxLength} chars`);
      else if (t.maxLength !== undefined) out.push(`≤ ${t.maxLength} chars`);
      else if (t.minLength === 1) out.push('not empty');
      if (t.pattern !== undefined && t.format === undefined)
        out.push(`\`${t.pattern.replaceAll('|', '\\|')}\``);
      break;
    case 'array':
      if (t.minItems !== undefined) out.push(`≥ ${t.minItems} items`);
      if (t.maxItems !== undefined) out.push(`≤ ${t.maxItems} items`);
      if (t.uniqueItems) out.push('no duplicates');
      out.push(...constraints(t.items).map((c) => `items: ${c}`));
      break;
    case 'object':
      for (const g of t.exactlyOneOf ?? []) out.push(`exactly one of ${g.map((k) => `\`${k}\``).join(', ')}`);
      for (const g of t.atMostOneOf ?? []) out.push(`at most one of ${g.map((k) => `\`${k}\``).join(', ')}`);
      break;
    case 'boolean':
      break;
  }
  return out;
}

function rows(t: ObjectType, prefix: string): string[] {
  const out: string[] = [];
  for (const [name, f] of Object.entries(t.fields) as [string, Field][]) {
    const path = joinPath(prefix, name);
    const cells = [
      `\`${path}\``,
      typeLabel(f.type),
      f.required ? 'yes' : '',
      constraints(f.type).join('; '),
      f.description.replaceAll('|', '\\|'),
    ];
    out.push(`| ${cells.join(' | ')} |`);
    let inner: FieldType = f.type;
    let innerPath = path;
    while (inner.type === 'array') {
      inner = inner.items;
      innerPath = `${innerPath}[]`;
    }
    if (inner.type === 'object') out.push(...rows(inner, innerPath));
  }
  return out;
}

function kindSection(t: KindTable): string {
  return [
    `## ${t.kind}`,
    '',
    t.description,
    '',
    '| field | type | required | constraints | description |',
    '|---|---|---|---|---|',
    ...rows(t.metadata, 'metadata'),
    ...(t.specRequired ? ['| `spec` | mapping | yes |  |  |'] : []),
    ...rows(t.spec, 'spec'),
    '',
  ].join('\n');
}

export function renderReference(): string {
  return [
    '# scw-gitops desired-state reference',
    '',
    `Generated from \`src/desired/fields.ts\` by \`scripts/gen-schema.ts\`; do not edit. Every document has`,
    `\`apiVersion: ${API_VERSION}\`, a \`kind\`, \`metadata\` and (per kind) \`spec\`. Rules that span several fields or`,
    'resources (ownership-marker room in descriptions, expiry in the future, rotation arithmetic, references,',
    'duplicates, sinks) are listed in `examples/README.md`.',
    '',
    ...KIND_TABLES.map(kindSection),
  ].join('\n');
}
