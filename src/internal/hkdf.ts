/**
 * HKDF (RFC 5869) over the crypto backend's HMAC: native where the runtime has it, noble
 * elsewhere, the same bytes either way (test/internal/hkdf.test.ts checks them against noble's
 * `hkdf` and the RFC's test vectors). Replaces noble's `hkdf` so the store keys, the KMS wrap key
 * and `deriveKey` load no noble module on Node (issue 16's cold start).
 * @internal
 * @module
 */
import { zeroize } from './bytes.js';
import { type BackendHash, cryptoBackend } from './crypto-backend.js';

const HASH_BYTES: Record<BackendHash, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/**
 * `length` bytes of HKDF-`hash` (extract, then expand) of `ikm`, with `salt` (none: a block of
 * zeros, as the RFC says) and `info` (none: empty). Inputs are not modified or retained; the
 * intermediate keys are zeroed.
 *
 * @example
 * ```ts
 * declare const pepper: Uint8Array;
 * const key = hkdf('SHA-256', pepper, undefined, new TextEncoder().encode('keywarden/x/v1'), 32);
 * ```
 * @throws RangeError when `length` is not an integer from 0 to 255 · the hash length.
 */
export function hkdf(
  hash: BackendHash,
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array | undefined,
  length: number,
): Uint8Array {
  const size = HASH_BYTES[hash];
  if (!Number.isInteger(length) || length < 0 || length > 255 * size) {
    throw new RangeError(`HKDF length must be 0 to ${255 * size}`);
  }
  const backend = cryptoBackend();
  const prk = backend.hmac(hash, salt === undefined || salt.length === 0 ? new Uint8Array(size) : salt, ikm);
  const context = info ?? new Uint8Array(0);
  // T(i) = HMAC(PRK, T(i-1) || info || i), T(0) empty; one buffer holds T(i-1) || info || i
  const input = new Uint8Array(size + context.length + 1);
  const out = new Uint8Array(length);
  try {
    let previous = 0; // bytes of T(i-1) at the front of `input`
    for (let i = 1, at = 0; at < length; i++) {
      input.set(context, previous);
      input[previous + context.length] = i;
      const block = backend.hmac(hash, prk, input.subarray(0, previous + context.length + 1));
      out.set(block.subarray(0, Math.min(size, length - at)), at);
      at += size;
      input.set(block, 0);
      previous = size;
      zeroize(block);
    }
  } finally {
    zeroize(prk, input);
  }
  return out;
}
