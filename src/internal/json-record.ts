/**
 * `z.record(z.string(), z.unknown())` and `z.record(z.string(), z.json())` as one small walker:
 * the same values pass, the same copy comes out and the same first issue (code and path) is
 * reported, without zod's record, lazy and JSON-union schemas (~3.9 KB of every minified manager
 * bundle for the two places that used them: the stored-record shape check and the backup schema).
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import type { JsonObject } from '../ports/json.js';

/**
 * zod's plain-object test (`isPlainObject` of zod/v4/core/util), so exactly the objects `z.record`
 * takes pass here: an object that is not an array whose constructor, if it is a function, has a
 * prototype with an own `isPrototypeOf` (Object, or a null-prototype object). Written out: reaching
 * zod's `util` namespace would bundle all of it.
 */
function isPlainObject(o: unknown): o is Record<PropertyKey, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
  const ctor = (o as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return true; // absent or replaced
  const proto: unknown = ctor.prototype;
  if (typeof proto !== 'object' || proto === null || Array.isArray(proto)) return false;
  return Object.hasOwn(proto, 'isPrototypeOf');
}
const isEnumerable = (o: object, key: PropertyKey): boolean =>
  Object.prototype.propertyIsEnumerable.call(o, key);

/** The first problem found, at its path relative to the checked value. */
type Problem = z.core.$ZodRawIssue;

/**
 * A copy of a plain object with string keys (as `z.record(z.string(), …)` makes it: own enumerable
 * keys in `Reflect.ownKeys` order, `__proto__` skipped), its values copied as JSON when `json`;
 * `undefined` with the first problem in `problems` otherwise.
 */
function copyRecord(input: unknown, path: PropertyKey[], json: boolean, problems: Problem[]) {
  if (!isPlainObject(input)) {
    problems.push({ code: 'invalid_type', expected: 'record', input, path });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const key of Reflect.ownKeys(input)) {
    if (key === '__proto__' || !isEnumerable(input, key)) continue;
    if (typeof key === 'symbol') {
      problems.push({ code: 'invalid_key', origin: 'record', issues: [], input: key, path: [...path, key] });
      return undefined;
    }
    out[key] = json ? copyJson(input[key], [...path, key], problems) : input[key];
    if (problems.length > 0) return undefined;
  }
  return out;
}

/**
 * A copy of a JSON value (a string, a finite number, a boolean, null, an array or a plain object of
 * JSON values, as `z.json()` takes them); `undefined` with the first problem in `problems`
 * otherwise. A value that is none of these is `invalid_union` at its own path, as `z.json()`'s
 * union reports it; a bad value inside an array or object is reported at its own, deeper path.
 */
function copyJson(value: unknown, path: PropertyKey[], problems: Problem[]): unknown {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      out.push(copyJson(value[i], [...path, i], problems));
      if (problems.length > 0) return undefined;
    }
    return out;
  }
  if (isPlainObject(value)) return copyRecord(value, path, true, problems);
  problems.push({ code: 'invalid_union', errors: [], input: value, path });
  return undefined;
}

const recordOf = (json: boolean) =>
  z.pipe(
    z.unknown(),
    z.transform((input, payload) => {
      const problems: Problem[] = [];
      const out = copyRecord(input, [], json, problems);
      payload.issues.push(...problems);
      return out;
    }),
  );

/**
 * A plain object with string keys and any values; parses to a shallow copy. What
 * `z.record(z.string(), z.unknown())` accepts, with its first issue.
 *
 * @example
 * ```ts
 * const shape = z.looseObject({ data: plainRecordSchema() });
 * shape.safeParse({ data: [] }).success; // false: invalid_type at data
 * ```
 * @throws never (a schema; parsing reports issues)
 */
export function plainRecordSchema(): z.ZodMiniType<Record<string, unknown>> {
  return recordOf(false) as unknown as z.ZodMiniType<Record<string, unknown>>;
}

/**
 * A plain object of JSON values; parses to a deep copy. What `z.record(z.string(), z.json())`
 * accepts, with its first issue.
 *
 * @example
 * ```ts
 * const shape = z.strictObject({ meta: jsonRecordSchema() });
 * shape.safeParse({ meta: { a: [1, 'x'] } }).success; // true
 * shape.safeParse({ meta: { a: Number.NaN } }).success; // false: invalid_union at meta.a
 * ```
 * @throws never (a schema; parsing reports issues)
 */
export function jsonRecordSchema(): z.ZodMiniType<JsonObject> {
  return recordOf(true) as unknown as z.ZodMiniType<JsonObject>;
}
