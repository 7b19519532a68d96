/**
 * Input parsing for the API-key view: a plain-object check, unknown-key rejection naming the key,
 * then zod via `parseInput`. Fields are named without a root (`name`, `refill.every`); `root`
 * names the whole input when the issue has no path.
 * @internal
 * @module
 */
import type * as z from 'zod/mini';
import { KeywardenError, validationError } from '../errors.js';
import { isQuotableKey, parseInput } from './validate.js';

/**
 * True for `{}`-like objects (no class instances, no arrays).
 * @throws never
 * @example
 * ```ts
 * isPlainObject({ a: 1 }); // true
 * isPlainObject(new Date()); // false
 * ```
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Parses `input` against `schema` whose allowed keys are `keys`.
 *
 * @param prefix - prepended to field paths (`'2'` gives `'2.name'` in `createMany`)
 * @example
 * ```ts
 * const input = parseObject(createInputSchema, CREATE_KEYS, raw, 'input');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field.
 */
export function parseObject<S extends z.ZodMiniType>(
  schema: S,
  keys: ReadonlySet<string>,
  input: unknown,
  root: string,
  prefix = '',
): z.output<S> {
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  if (!isPlainObject(input)) throw validationError(prefix || root, 'must be a plain object');
  for (const key of Object.keys(input)) {
    if (!keys.has(key)) {
      throw isQuotableKey(key)
        ? validationError(at(key), 'is not a known option')
        : validationError(prefix || root, 'has an unknown option');
    }
  }
  try {
    return parseInput(schema, input, prefix);
  } catch (error) {
    if (error instanceof KeywardenError && error.field === '') {
      throw new KeywardenError('ERR_VALIDATION', `${root}${error.message}`, { field: root });
    }
    throw error;
  }
}
