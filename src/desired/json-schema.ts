/**
 * JSON Schema (draft 2020-12) of the desired-state documents, derived from the same tables as the
 * validator (`fields.ts`). `scripts/gen-schema.ts` writes it to `schema/scw-gitops.schema.json`;
 * a test fails when the checked-in file differs from this output.
 *
 * Editors (yaml-language-server: `# yaml-language-server: $schema=<path>`) apply it to each
 * document of a multi-document file: completion, hover descriptions and typo detection
 * (`additionalProperties: false` everywhere). Cross-resource rules (references, duplicates,
 * marker room, expiry in the future) are only in `scw-gitops validate`.
 */
import { API_VERSION } from '../model/resources.js';
import {
  DURATION_TYPE,
  type Field,
  type FieldType,
  KIND_TABLES,
  type KindTable,
  type ObjectType,
  TAGS_TYPE,
} from './fields.js';

export type JsonSchema = { [key: string]: unknown };

export const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** Repository-relative path of the generated file. */
export const SCHEMA_FILE = 'schema/scw-gitops.schema.json';

/** Field types emitted once under `$defs` and referenced by `$ref`. */
const SHARED: ReadonlyMap<FieldType, string> = new Map<FieldType, string>([
  [DURATION_TYPE, 'duration'],
  [TAGS_TYPE, 'tags'],
]);

function typeSchema(t: FieldType, inline = false): JsonSchema {
  const shared = inline ? undefined : SHARED.get(t);
  if (shared !== undefined) return { $ref: `#/$defs/${shared}` };
  switch (t.type) {
    case 'string':
      return {
        type: 'string',
        ...(t.minLength !== undefined ? { minLength: t.minLength } : {}),
        ...(t.maxLength !== undefined ? { maxLength: t.maxLength } : {}),
        ...(t.pattern !== undefined ? { pattern: t.pattern } : {}),
        ...(t.enum !== undefined ? { enum: [...t.enum] } : {}),
        ...(t.format === 'date-time' ? { format: 'date-time' } : {}),
      };
    case 'boolean':
      return { type: 'boolean', ...(t.const !== undefined ? { const: t.const } : {}) };
    case 'array':
      return {
        type: 'array',
        items: typeSchema(t.items),
        ...(t.minItems !== undefined ? { minItems: t.minItems } : {}),
        ...(t.maxItems !== undefined ? { maxItems: t.maxItems } : {}),
        ...(t.uniqueItems ? { uniqueItems: true } : {}),
      };
    case 'object':
      return objectSchema(t, {});
  }
}

function fieldSchema(f: Field): JsonSchema {
  return { description: f.description, ...typeSchema(f.type) };
}

function objectSchema(t: ObjectType, leading: Readonly<Record<string, JsonSchema>>): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...leading };
  for (const [name, f] of Object.entries(t.fields)) properties[name] = fieldSchema(f);
  const required = [
    ...Object.keys(leading),
    ...Object.entries(t.fields)
      .filter(([, f]) => f.required)
      .map(([n]) => n),
  ];
  const constraints: JsonSchema[] = [];
  for (const group of t.exactlyOneOf ?? []) {
    constraints.push({ oneOf: group.map((k) => ({ required: [k] })) });
  }
  for (const group of t.atMostOneOf ?? []) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        constraints.push({ not: { required: [group[i]!, group[j]!] } });
      }
    }
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
    ...(constraints.length === 1 ? constraints[0] : constraints.length > 1 ? { allOf: constraints } : {}),
  };
}

function kindSchema(table: KindTable): JsonSchema {
  const document: ObjectType = {
    type: 'object',
    fields: {
      metadata: { required: true, description: 'Identity of the resource.', type: table.metadata },
      spec: { required: table.specRequired, description: 'Desired configuration.', type: table.spec },
    },
  };
  return {
    description: table.description,
    ...objectSchema(document, {
      apiVersion: { description: 'Format version of this document.', const: API_VERSION },
      kind: { description: table.description, const: table.kind },
    }),
  };
}

export function buildJsonSchema(): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const t of KIND_TABLES) defs[t.kind] = kindSchema(t);
  for (const [t, name] of SHARED) defs[name] = typeSchema(t, true);
  return {
    $schema: SCHEMA_DIALECT,
    title: `scw-gitops desired state (${API_VERSION})`,
    description:
      'One resource per YAML document: Project, Application, ApiKey, Group or Policy. Generated from src/desired/fields.ts by scripts/gen-schema.ts; do not edit.',
    oneOf: KIND_TABLES.map((t) => ({ $ref: `#/$defs/${t.kind}` })),
    $defs: defs,
  };
}

/** The exact text of `schema/scw-gitops.schema.json`. */
export function renderSchemaFile(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}
