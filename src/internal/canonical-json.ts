/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, `undefined` members
 * dropped. Used for audit digests and JWK thumbprints-independent hashing.
 * @internal
 * @module
 */
import type { JsonValue } from '../ports/json.js';

/**
 * Whether `JSON.stringify(value)` is already the canonical text of a plain object: its own keys
 * come in sorted order (JSON.stringify writes them in that same order) and every value is a
 * string, a finite number, a boolean, null or undefined (both drop undefined members alike). An
 * audit row's `context` and `data` are such objects; this skips the per-key work for them.
 *
 * @example
 * ```ts
 * flatAndSorted({ a: 1, b: 'x' }); // true: JSON.stringify gives its canonical text
 * flatAndSorted({ b: 1, a: 2 });   // false (unsorted)
 * flatAndSorted({ a: { b: 1 } });  // false (nested)
 * ```
 * @throws never
 */
export function flatAndSorted(value: object): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false; // no toJSON, nothing inherited
  let prev: string | null = null;
  for (const k in value) {
    if (!Object.hasOwn(value, k)) return false;
    if (prev !== null && !(prev < k)) return false;
    prev = k;
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined && !isJsonScalar(v)) return false;
  }
  return true;
}

/** Canonical texts of frozen flat objects, by object: such an object can never change. */
const flatTexts = new WeakMap<object, string>();

/**
 * The canonical JSON text of a flat object with sorted keys (see {@link flatAndSorted}), or null
 * for any other value. The text of a frozen object whose properties are all data properties (no
 * getter) is remembered: that object cannot change, so a hot path that reuses one (an audit row's
 * `data` for the same call) serializes it once.
 *
 * @example
 * ```ts
 * flatText(Object.freeze({ a: 1, b: 'x' })); // '{"a":1,"b":"x"}' (remembered)
 * flatText({ b: 1, a: 2 }); // null (unsorted)
 * ```
 * @throws never
 */
export function flatText(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const known = flatTexts.get(value);
  if (known !== undefined) return known;
  if (!flatAndSorted(value)) return null;
  const text = JSON.stringify(value);
  if (frozenData(value)) flatTexts.set(value, text);
  return text;
}

/**
 * Whether `value` is frozen and every own property of it is a data property (so it reads the
 * same forever). Checked once per object by the callers that remember something about it.
 *
 * @example
 * ```ts
 * frozenData(Object.freeze({ a: 1 })); // true
 * frozenData({ a: 1 }); // false
 * ```
 * @throws never
 */
export function frozenData(value: object): boolean {
  if (!Object.isFrozen(value)) return false;
  for (const k of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, k);
    if (d === undefined || !('value' in d)) return false;
  }
  return true;
}

/**
 * Whether `value` is a JSON scalar whose `JSON.stringify` text is its canonical text: null, a
 * string, a boolean or a finite number.
 *
 * @example
 * ```ts
 * isJsonScalar('x'); // true
 * isJsonScalar(Number.NaN); // false
 * ```
 * @throws never
 */
export function isJsonScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/**
 * Serializes `value` canonically. Throws TypeError for non-finite numbers and non-JSON values.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 * @throws TypeError for a non-finite number or a value that is not JSON.
 */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number in canonical JSON');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
      if (flatAndSorted(value)) return JSON.stringify(value);
      const keys = Object.keys(value).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const v = (value as Record<string, JsonValue | undefined>)[k];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`value of type ${typeof value} is not JSON`);
  }
}
