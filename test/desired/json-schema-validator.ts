/**
 * Test-only JSON Schema (2020-12) validator for exactly the subset that
 * `src/desired/json-schema.ts` and the Helm chart's values.schema.json use: type, properties,
 * required, additionalProperties (false or a schema), enum, const, pattern, minLength/maxLength,
 * minimum/maximum, minItems/maxItems, uniqueItems, items, oneOf,
 * allOf, not, $ref to `#/$defs/...`, plus the annotations $schema, title, description, format,
 * $defs. Any other keyword throws, so the generator cannot start emitting something this
 * validator silently ignores.
 */

type Schema = object;

const SUPPORTED = new Set([
  '$schema',
  'title',
  'description',
  'format',
  '$defs',
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'oneOf',
  'allOf',
  'not',
]);

export interface SchemaError {
  /** JSON pointer of the failing value in the instance. */
  readonly path: string;
  readonly message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function validateJsonSchema(rootSchema: Schema, instance: unknown): SchemaError[] {
  const root = rootSchema as Record<string, unknown>;
  const resolveRef = (ref: string): Schema => {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const defs = root['$defs'] as Record<string, Schema> | undefined;
    const target = defs?.[m[1]!];
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return target;
  };

  const check = (schemaObject: Schema, value: unknown, path: string): SchemaError[] => {
    const schema = schemaObject as Record<string, unknown>;
    for (const k of Object.keys(schema)) {
      if (!SUPPORTED.has(k)) throw new Error(`unsupported JSON Schema keyword ${k} at ${path || '/'}`);
    }
    const errors: SchemaError[] = [];
    const fail = (message: string, at = path) => errors.push({ path: at || '/', message });
    if (typeof schema['$ref'] === 'string') errors.push(...check(resolveRef(schema['$ref']), value, path));
    const t = schema['type'];
    if (t !== undefined) {
      const actual = typeOf(value);
      const ok = t === actual || (t === 'number' && actual === 'integer');
      if (!ok) {
        fail(`expected ${String(t)}, got ${actual}`);
        return errors; // the remaining keywords of this schema assume the type
      }
    }
    if ('const' in schema && !deepEqual(schema['const'], value))
      fail(`must be ${JSON.stringify(schema['const'])}`);
    if (Array.isArray(schema['enum']) && !schema['enum'].some((e) => deepEqual(e, value))) {
      fail(`must be one of ${JSON.stringify(schema['enum'])}`);
    }
    if (typeof value === 'string') {
      const len = [...value].length;
      if (typeof schema['minLength'] === 'number' && len < schema['minLength']) fail('too short');
      if (typeof schema['maxLength'] === 'number' && len > schema['maxLength']) fail('too long');
      if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) {
        fail(`does not match ${schema['pattern']}`);
      }
    }
    if (typeof value === 'number') {
      if (typeof schema['minimum'] === 'number' && value < schema['minimum'])
        fail(`below ${schema['minimum']}`);
      if (typeof schema['maximum'] === 'number' && value > schema['maximum'])
        fail(`above ${schema['maximum']}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema['minItems'] === 'number' && value.length < schema['minItems']) fail('too few items');
      if (typeof schema['maxItems'] === 'number' && value.length > schema['maxItems']) fail('too many items');
      if (schema['uniqueItems'] === true) {
        for (let i = 0; i < value.length; i++) {
          for (let j = 0; j < i; j++)
            if (deepEqual(value[i], value[j])) fail(`items ${j} and ${i} are equal`);
        }
      }
      if (schema['items'] !== undefined) {
        value.forEach((item, i) => {
          errors.push(...check(schema['items'] as Schema, item, `${path}/${i}`));
        });
      }
    }
    if (typeOf(value) === 'object') {
      const obj = value as Record<string, unknown>;
      const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      for (const req of (schema['required'] as string[] | undefined) ?? []) {
        if (!Object.hasOwn(obj, req)) fail(`missing required property ${req}`);
      }
      for (const [k, v] of Object.entries(obj)) {
        const sub = Object.hasOwn(props, k) ? props[k] : undefined;
        if (sub) errors.push(...check(sub, v, `${path}/${k}`));
        else if (schema['additionalProperties'] === false) fail(`unknown property ${k}`, `${path}/${k}`);
        else if (
          typeof schema['additionalProperties'] === 'object' &&
          schema['additionalProperties'] !== null
        ) {
          errors.push(...check(schema['additionalProperties'] as Schema, v, `${path}/${k}`));
        } else if (schema['additionalProperties'] !== undefined && schema['additionalProperties'] !== true) {
          throw new Error('additionalProperties must be false, true or a schema');
        }
      }
    }
    if (Array.isArray(schema['allOf'])) {
      for (const s of schema['allOf'] as Schema[]) errors.push(...check(s, value, path));
    }
    if (Array.isArray(schema['oneOf'])) {
      const results = (schema['oneOf'] as Schema[]).map((s) => check(s, value, path));
      const passing = results.filter((r) => r.length === 0).length;
      if (passing !== 1) {
        fail(`must match exactly one schema of oneOf (matches ${passing})`);
        if (passing === 0) {
          // Report the branch that came closest, so failures are readable.
          const best = results.reduce((a, b) => (b.length < a.length ? b : a));
          errors.push(...best);
        }
      }
    }
    if (schema['not'] !== undefined && check(schema['not'] as Schema, value, path).length === 0) {
      fail('must not match the schema in not');
    }
    return errors;
  };

  return check(root, instance, '');
}
