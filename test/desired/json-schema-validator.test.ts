import { describe, expect, it } from 'vitest';
import { validateJsonSchema } from './json-schema-validator.js';

const paths = (schema: object, value: unknown) => validateJsonSchema(schema, value).map((e) => e.path);

describe('test-only JSON Schema validator', () => {
  it('checks type, const and enum', () => {
    expect(paths({ type: 'string' }, 'x')).toEqual([]);
    expect(paths({ type: 'string' }, 1)).toEqual(['/']);
    expect(paths({ type: 'boolean' }, null)).toEqual(['/']);
    expect(paths({ type: 'array' }, {})).toEqual(['/']);
    expect(paths({ type: 'object' }, [])).toEqual(['/']);
    expect(paths({ const: true }, true)).toEqual([]);
    expect(paths({ const: true }, false)).toEqual(['/']);
    expect(paths({ enum: ['a', 'b'] }, 'b')).toEqual([]);
    expect(paths({ enum: ['a', 'b'] }, 'c')).toEqual(['/']);
  });

  it('checks string length (in code points) and pattern', () => {
    const s = { type: 'string', minLength: 2, maxLength: 3, pattern: '^[a-zé]+$' };
    expect(paths(s, 'ab')).toEqual([]);
    expect(paths(s, 'éé')).toEqual([]);
    expect(paths(s, 'a')).toEqual(['/']);
    expect(paths(s, 'abcd')).toEqual(['/']);
    expect(paths(s, 'A1')).toEqual(['/']);
  });

  it('checks arrays: items, minItems, maxItems, uniqueItems', () => {
    const s = { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, uniqueItems: true };
    expect(paths(s, ['a'])).toEqual([]);
    expect(paths(s, [])).toEqual(['/']);
    expect(paths(s, ['a', 'b', 'c'])).toEqual(['/']);
    expect(paths(s, ['a', 'a'])).toEqual(['/']);
    expect(paths(s, ['a', 1])).toEqual(['/1']);
  });

  it('checks objects: properties, required, additionalProperties false', () => {
    const s = {
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'object', properties: {}, additionalProperties: false },
      },
      required: ['a'],
      additionalProperties: false,
    };
    expect(paths(s, { a: 'x' })).toEqual([]);
    expect(paths(s, {})).toEqual(['/']);
    expect(paths(s, { a: 'x', c: 1 })).toEqual(['/c']);
    expect(paths(s, { a: 'x', b: { d: 1 } })).toEqual(['/b/d']);
    expect(paths(s, { a: 2 })).toEqual(['/a']);
  });

  it('checks oneOf (exactly one), allOf and not', () => {
    const exactlyOne = { oneOf: [{ required: ['a'] }, { required: ['b'] }] };
    expect(paths(exactlyOne, { a: 1 })).toEqual([]);
    expect(paths(exactlyOne, { a: 1, b: 1 })).toEqual(['/']);
    expect(paths(exactlyOne, {})).toContain('/');
    const atMostOne = { allOf: [{ not: { required: ['a', 'b'] } }, { not: { required: ['c', 'd'] } }] };
    expect(paths(atMostOne, { a: 1, c: 1 })).toEqual([]);
    expect(paths(atMostOne, { a: 1, b: 1 })).toEqual(['/']);
    expect(paths(atMostOne, { c: 1, d: 1, a: 1 })).toEqual(['/']);
  });

  it('resolves $ref to $defs', () => {
    const s = {
      $defs: { name: { type: 'string', minLength: 1 } },
      type: 'object',
      properties: { n: { $ref: '#/$defs/name' } },
    };
    expect(paths(s, { n: 'x' })).toEqual([]);
    expect(paths(s, { n: '' })).toEqual(['/n']);
    expect(() => validateJsonSchema({ $ref: '#/$defs/missing' }, 1)).toThrow(/unresolved/);
    expect(() => validateJsonSchema({ $ref: 'https://example.com/x' }, 1)).toThrow(/unsupported \$ref/);
  });

  it('refuses keywords outside its subset instead of ignoring them', () => {
    expect(() => validateJsonSchema({ exclusiveMinimum: 3 }, 1)).toThrow(
      /unsupported JSON Schema keyword exclusiveMinimum/,
    );
    expect(() => validateJsonSchema({ type: 'object', additionalProperties: 'no' }, { a: 'x' })).toThrow(
      /additionalProperties must be false, true or a schema/,
    );
  });

  it('checks minimum/maximum and additionalProperties given as a schema', () => {
    expect(paths({ type: 'integer', minimum: 1, maximum: 3 }, 2)).toEqual([]);
    expect(paths({ type: 'integer', minimum: 1, maximum: 3 }, 0)).toEqual(['/']);
    expect(paths({ type: 'integer', minimum: 1, maximum: 3 }, 4)).toEqual(['/']);
    const labels = { type: 'object', additionalProperties: { type: 'string' } };
    expect(paths(labels, { a: 'x' })).toEqual([]);
    expect(paths(labels, { a: 'x', b: 1 })).toEqual(['/b']);
  });
});
