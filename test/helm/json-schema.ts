/**
 * Validator for the JSON Schema subset our hand-written schemas use (draft-07 style `definitions`
 * and 2020-12 `$defs`): type, properties, required, additionalProperties (bool or schema), enum,
 * const, pattern, minLength, maxLength, minimum, maximum, minItems, maxItems, items, oneOf, $ref.
 * Returns one message per problem, each starting with the JSON pointer of the value.
 */
type Schema = Record<string, unknown>;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

export function validateJsonSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];

  function resolve(ref: string): Schema {
    const m = /^#\/(definitions|\$defs)\/(.+)$/.exec(ref);
    const table = m ? (root[m[1]!] as Record<string, Schema> | undefined) : undefined;
    const s = m && table ? table[m[2]!] : undefined;
    if (!s) throw new Error(`unresolvable $ref ${ref}`);
    return s;
  }

  function check(schema: Schema, v: unknown, ptr: string, out: string[]): void {
    if (typeof schema.$ref === 'string') {
      check(resolve(schema.$ref), v, ptr, out);
      return;
    }
    const at = ptr || '/';
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(t, typeOf(v)))) {
        out.push(`${at}: expected ${types.join('|')}, got ${typeOf(v)}`);
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === v)) {
      out.push(`${at}: must be one of ${JSON.stringify(schema.enum)}`);
    }
    if ('const' in schema && schema.const !== v) out.push(`${at}: must be ${JSON.stringify(schema.const)}`);
    if (typeof v === 'string') {
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v)) {
        out.push(`${at}: does not match ${schema.pattern}`);
      }
      if (typeof schema.minLength === 'number' && [...v].length < schema.minLength)
        out.push(`${at}: too short`);
      if (typeof schema.maxLength === 'number' && [...v].length > schema.maxLength)
        out.push(`${at}: too long`);
    }
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum)
        out.push(`${at}: below ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum)
        out.push(`${at}: above ${schema.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems) out.push(`${at}: too few items`);
      if (typeof schema.maxItems === 'number' && v.length > schema.maxItems)
        out.push(`${at}: too many items`);
      if (schema.items && typeof schema.items === 'object') {
        for (const [i, item] of v.entries()) check(schema.items as Schema, item, `${ptr}/${i}`, out);
      }
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required as string[] | undefined) ?? []) {
        if (!(r in obj)) out.push(`${at}: missing required property '${r}'`);
      }
      for (const [k, child] of Object.entries(obj)) {
        if (props[k]) check(props[k], child, `${ptr}/${k}`, out);
        else if (schema.additionalProperties === false) out.push(`${ptr}/${k}: unknown property '${k}'`);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
          check(schema.additionalProperties as Schema, child, `${ptr}/${k}`, out);
        }
      }
    }
    if (Array.isArray(schema.oneOf)) {
      const passing = (schema.oneOf as Schema[]).filter((s) => {
        const sub: string[] = [];
        check(s, v, ptr, sub);
        return sub.length === 0;
      });
      if (passing.length !== 1)
        out.push(`${at}: must match exactly one schema of oneOf (matched ${passing.length})`);
    }
  }

  check(root, value, '', errors);
  return errors;
}
