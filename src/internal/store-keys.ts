/**
 * Subkeys of the store pepper. The pepper (32 random bytes, KMS-wrapped in meta `store.pepper`)
 * keys the API-token hash directly; every other use derives its own key from it with
 * HKDF-SHA256 and a distinct label, so no two purposes ever share a key.
 * @internal
 * @module
 */
import { utf8Encode } from './bytes.js';
import { hkdf } from './hkdf.js';

/**
 * HKDF `info` label of the audit digest key (`HMAC-SHA256(key, canonical event)`).
 *
 * @example
 * ```ts
 * const key = deriveStoreSubkey(pepper, AUDIT_DIGEST_LABEL);
 * ```
 */
export const AUDIT_DIGEST_LABEL = 'keywarden/audit-digest/v1';

/**
 * Derives a 32-byte subkey of `pepper` for one purpose: `HKDF-SHA256(ikm = pepper, salt = none,
 * info = label)`. The caller owns (and zeroes) both the pepper and the result.
 *
 * @example
 * ```ts
 * const key = deriveStoreSubkey(pepper, 'keywarden/record-mac/v1');
 * try { console.log(key.length); } finally { zeroize(key); }
 * ```
 * @throws TypeError when `pepper` is not 32 bytes or `label` does not start with `keywarden/`.
 */
export function deriveStoreSubkey(pepper: Uint8Array, label: string): Uint8Array {
  if (!(pepper instanceof Uint8Array) || pepper.length !== 32) throw new TypeError('pepper must be 32 bytes');
  if (typeof label !== 'string' || !label.startsWith('keywarden/')) {
    throw new TypeError('label must start with "keywarden/"');
  }
  return hkdf('SHA-256', pepper, undefined, utf8Encode(label), 32);
}
