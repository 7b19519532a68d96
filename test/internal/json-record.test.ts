/**
 * `jsonRecordSchema` and `plainRecordSchema` stand in for `z.record(z.string(), z.json())` and
 * `z.record(z.string(), z.unknown())` (the backup schema, the stored-record shape check) without
 * bundling zod's record and JSON-union schemas. Held against those very zod schemas over values of
 * every kind: the same values pass, the same copy comes out, the same first issue is reported (as
 * `parseInput` words it, and as the shape check names its code and path).
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { jsonRecordSchema, plainRecordSchema } from '../../src/internal/json-record.js';
import { parseInput } from '../../src/internal/validate.js';

const sym = Symbol('s');
class Thing {}
const nullProto = Object.assign(Object.create(null) as object, { x: 1 });
const protoKey = JSON.parse('{"__proto__": {"y": 1}, "z": 2}') as object;
const hidden = Object.defineProperty({ a: 1 }, 'hidden', { value: () => 1, enumerable: false });
// biome-ignore lint/suspicious/noSparseArray: a hole is a value z.json() refuses
const sparse = [1, , 3];
const VALUES: unknown[] = [
  undefined,
  null,
  1,
  'x',
  [],
  [1, 2],
  {},
  { a: 1 },
  { a: { b: [1, 2, { c: Number.NaN }] } },
  { a: Number.POSITIVE_INFINITY },
  { a: undefined },
  { a: () => 1 },
  { a: new Date(0) },
  new Date(0),
  new Thing(),
  { a: new Thing() },
  { [sym]: 1 },
  { a: 1, [sym]: 1 },
  { a: { [sym]: 1 } },
  { a: { b: undefined }, c: Number.NaN },
  nullProto,
  { n: nullProto },
  protoKey,
  hidden,
  { a: sparse },
  { 1: 'x', b: [[['deep', {}]]] },
  { a: new Map() },
  new Map(),
  { a: [undefined, Number.NaN] },
  { constructor: 1 },
  { a: { constructor: 'x' } },
  { '': true, 'a b': [null, false, 0, -0, 1e300] },
];

const outcome = (f: () => unknown) => {
  try {
    return { ok: f() };
  } catch (error) {
    return { message: (error as Error).message, field: (error as { field?: string }).field };
  }
};

describe('jsonRecordSchema / plainRecordSchema against z.record', () => {
  it('a JSON object: same acceptance, same copy, same first error as z.record(z.string(), z.json())', () => {
    const zodShape = z.strictObject({
      a: z.number(),
      data: z.record(z.string(), z.json()),
      meta: z.nullable(z.record(z.string(), z.json())),
    });
    const ownShape = z.strictObject({
      a: z.number(),
      data: jsonRecordSchema(),
      meta: z.nullable(jsonRecordSchema()),
    });
    let accepted = 0;
    for (const [i, v] of VALUES.entries()) {
      for (const input of [
        { a: 1, data: v, meta: null },
        { a: 1, data: {}, meta: v },
        { a: 'x', data: v, meta: null },
      ]) {
        const expected = outcome(() => parseInput(zodShape, input, 'bundle'));
        const actual = outcome(() => parseInput(ownShape, input, 'bundle'));
        expect(actual, `value ${i}`).toEqual(expected);
        if ('ok' in actual) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(10); // both ways are exercised
  });

  it('the copy is deep: nothing of the input object is kept, an own __proto__ key is dropped', () => {
    const input = { a: { b: [1, { c: 2 }] } };
    const out = jsonRecordSchema().parse(input) as typeof input;
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(out.a).not.toBe(input.a);
    expect(out.a.b).not.toBe(input.a.b);
    expect(out.a.b[1]).not.toBe(input.a.b[1]);
    const copy = jsonRecordSchema().parse(protoKey) as object;
    expect(Object.keys(copy)).toEqual(['z']);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it('a plain object of anything: the same first issue code and path as z.record(z.string(), z.unknown())', () => {
    const zodShape = z.looseObject({ data: z.record(z.string(), z.unknown()) });
    const ownShape = z.looseObject({ data: plainRecordSchema() });
    const first = (schema: z.ZodMiniType, v: unknown) => {
      const r = schema.safeParse({ data: v });
      return r.success
        ? 'ok'
        : `${r.error.issues[0]?.code} at ${r.error.issues[0]?.path.map(String).join('.')}`;
    };
    const seen = new Set<string>();
    for (const [i, v] of VALUES.entries()) {
      const expected = first(zodShape, v);
      expect(first(ownShape, v), `value ${i}`).toBe(expected);
      seen.add(expected.split(' ')[0]!);
    }
    expect([...seen].sort()).toEqual(['invalid_key', 'invalid_type', 'ok']);
  });
});
