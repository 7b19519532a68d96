/**
 * Symmetric key material: AES keys and HMAC keys, raw bytes from the CSPRNG. The caller owns the
 * returned buffer and should `fill(0)` it when done.
 * @module
 */
import { validationError } from '../errors.js';
import { randomBytes } from '../internal/bytes.js';

/** Hash functions HMAC keys are sized for. */
export type HmacHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/**
 * HMAC key size per hash: the hash's output size, as RFC 7518 §3.2 requires for HS*.
 *
 * @example
 * ```ts
 * HMAC_KEY_BYTES['SHA-384']; // 48
 * ```
 */
export const HMAC_KEY_BYTES: Readonly<Record<HmacHash, number>> = Object.freeze({
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
});

/**
 * A random AES key.
 *
 * @param bits - 128 or 256 (default 256)
 * @example
 * ```ts
 * const key = generateSymmetricKey(); // Uint8Array(32)
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `bits`) for any other size.
 */
export function generateSymmetricKey(bits: 128 | 256 = 256): Uint8Array {
  if (bits !== 128 && bits !== 256) throw validationError('bits', 'must be 128 or 256');
  return randomBytes(bits / 8);
}

/**
 * A random HMAC key as long as the hash output (32, 48 or 64 bytes).
 *
 * @param hash - `'SHA-256'` (default), `'SHA-384'` or `'SHA-512'`
 * @example
 * ```ts
 * const key = generateHmacKey('SHA-512'); // Uint8Array(64)
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `hash`) for any other hash.
 */
export function generateHmacKey(hash: HmacHash = 'SHA-256'): Uint8Array {
  if (hash !== 'SHA-256' && hash !== 'SHA-384' && hash !== 'SHA-512') {
    throw validationError('hash', "must be 'SHA-256', 'SHA-384' or 'SHA-512'");
  }
  return randomBytes(HMAC_KEY_BYTES[hash]);
}
