/**
 * Random record ids: base62 strings from the CSPRNG (12 characters ≈ 71 bits by default).
 * @module
 */
import { validationError } from '../errors.js';
import { randomBase62 } from './base62.js';

/**
 * Default id length (the length embedded in API tokens).
 *
 * @example
 * ```ts
 * DEFAULT_ID_LENGTH; // 12
 * ```
 */
export const DEFAULT_ID_LENGTH = 12;
/**
 * Shortest id {@link generateId} makes (≈ 47 bits).
 *
 * @example
 * ```ts
 * MIN_ID_LENGTH; // 8
 * ```
 */
export const MIN_ID_LENGTH = 8;
/**
 * Longest id {@link generateId} makes.
 *
 * @example
 * ```ts
 * MAX_ID_LENGTH; // 64
 * ```
 */
export const MAX_ID_LENGTH = 64;
/**
 * Most ids {@link generateIds} makes in one call.
 *
 * @example
 * ```ts
 * MAX_ID_BATCH_COUNT; // 10_000
 * ```
 */
export const MAX_ID_BATCH_COUNT = 10_000;

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < MIN_ID_LENGTH || length > MAX_ID_LENGTH) {
    throw validationError('length', `must be an integer from ${MIN_ID_LENGTH} to ${MAX_ID_LENGTH}`);
  }
}

/**
 * A random base62 id, uniform over the alphabet.
 *
 * @param length - 8 to 64 characters (default 12)
 * @example
 * ```ts
 * generateId(); // 'a8ZkP01qXy7T'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `length`) when out of range.
 */
export function generateId(length: number = DEFAULT_ID_LENGTH): string {
  checkLength(length);
  return randomBase62(length);
}

/**
 * `count` random base62 ids (distinct with overwhelming probability; not deduplicated).
 *
 * @param count - 1 to 10,000
 * @param length - 8 to 64 characters (default 12)
 * @example
 * ```ts
 * const ids = generateIds(3); // ['…', '…', '…']
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `count` or `length`.
 */
export function generateIds(count: number, length: number = DEFAULT_ID_LENGTH): string[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_ID_BATCH_COUNT) {
    throw validationError('count', `must be an integer from 1 to ${MAX_ID_BATCH_COUNT}`);
  }
  checkLength(length);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = randomBase62(length);
  return out;
}
