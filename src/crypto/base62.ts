/**
 * Base62 (`0-9A-Za-z`): uniform random strings by rejection sampling, fixed-width encoding of
 * unsigned 32-bit integers, and an alphabet check. An encoding, not a cipher.
 * @module
 */
import { validationError } from '../errors.js';
import { randomBytes, zeroize } from '../internal/bytes.js';

/**
 * The base62 alphabet, in digit order: `0-9A-Za-z` (the same order GitHub tokens use).
 *
 * @example
 * ```ts
 * BASE62_ALPHABET[61]; // 'z'
 * ```
 */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Largest length {@link randomBase62} accepts.
 *
 * @example
 * ```ts
 * MAX_BASE62_LENGTH; // 4096
 * ```
 */
export const MAX_BASE62_LENGTH = 4096;

/**
 * `BASE62_DIGIT[charCode]` is the digit value of an ASCII base62 character, or -1.
 * @internal
 * @example
 * ```ts
 * BASE62_DIGIT['Z'.charCodeAt(0)]; // 35
 * ```
 */
export const BASE62_DIGIT: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 62; i++) table[BASE62_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Bytes at or above this are rejected: 248 = 4 × 62, so `byte % 62` is uniform below it. */
const REJECT_AT = 248;

/**
 * A uniformly random base62 string from the platform CSPRNG. Bytes ≥ 248 are discarded
 * (rejection sampling), so every character has probability exactly 1/62: no modulo bias.
 *
 * @param length - number of characters, an integer from 1 to {@link MAX_BASE62_LENGTH}
 * @example
 * ```ts
 * randomBase62(32); // 'r7GqzW0b...' (~190 bits)
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `length`) when `length` is not an integer in range.
 */
export function randomBase62(length: number): string {
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_BASE62_LENGTH) {
    throw validationError('length', `must be an integer from 1 to ${MAX_BASE62_LENGTH}`);
  }
  let out = '';
  while (out.length < length) {
    const missing = length - out.length;
    // 248/256 of bytes are kept; ask for ~10% more than needed to usually finish in one round.
    const pool = randomBytes(missing + (missing >> 3) + 4);
    for (let i = 0; i < pool.length && out.length < length; i++) {
      const byte = pool[i] as number;
      if (byte < REJECT_AT) out += BASE62_ALPHABET[byte % 62];
    }
    zeroize(pool);
  }
  return out;
}

/**
 * Encodes an unsigned 32-bit integer in base62, left-padded with `'0'` to `width` characters.
 *
 * @param value - integer from 0 to 2^32 − 1
 * @param width - output width, 1 to 11; must be wide enough for `value` (6 always suffices)
 * @example
 * ```ts
 * encodeBase62Uint32(61, 6); // '00000z'
 * encodeBase62Uint32(0xffffffff, 6); // '4gfFC3'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `value` or `width`) for out-of-range input or
 *   a value that does not fit in `width` characters.
 */
export function encodeBase62Uint32(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw validationError('value', 'must be an integer from 0 to 4294967295');
  }
  if (!Number.isSafeInteger(width) || width < 1 || width > 11) {
    throw validationError('width', 'must be an integer from 1 to 11');
  }
  let rest = value;
  let out = '';
  while (rest > 0) {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  if (out.length > width) throw validationError('width', 'is too small for the value');
  return out.padStart(width, '0');
}

/**
 * Decodes a base62 string of at most 11 characters to a number; -1 for any character outside
 * the alphabet. Used by the token checker (the result may exceed 2^32 for hostile input).
 * @internal
 * @example
 * ```ts
 * decodeBase62Range('x00010', 1, 6); // 62
 * ```
 * @throws never
 */
export function decodeBase62Range(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? (BASE62_DIGIT[code] as number) : -1;
    if (digit < 0) return -1;
    value = value * 62 + digit;
  }
  return value;
}

/**
 * True when `text` is a non-empty string made only of base62 characters.
 *
 * @example
 * ```ts
 * isBase62('abc123'); // true
 * isBase62('abc-123'); // false
 * isBase62(''); // false
 * ```
 * @throws never
 */
export function isBase62(text: unknown): text is string {
  if (typeof text !== 'string' || text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || (BASE62_DIGIT[code] as number) < 0) return false;
  }
  return true;
}
