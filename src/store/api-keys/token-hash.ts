/**
 * The keyed token hash, `base64url(HMAC-SHA256(pepper, token))`, on the crypto backend in use
 * (native HMAC where the runtime has it; noble with a precomputed key schedule elsewhere).
 * @internal
 * @module
 */

import { toBase64Url, utf8Encode } from '../../internal/bytes.js';
import { cryptoBackend } from '../../internal/crypto-backend.js';

/** A token hasher bound to one pepper. */
export interface TokenHasher {
  /** base64url HMAC-SHA256 of the UTF-8 `token`. Throws after `destroy()`. */
  hash(token: string): string;
  /** Wipes the keyed states; later `hash` calls throw. Idempotent. */
  destroy(): void;
}

/**
 * Creates a hasher keyed with `pepper` (the bytes are not kept: only the derived HMAC states,
 * which `destroy()` wipes; the caller zeroes `pepper`).
 *
 * @example
 * ```ts
 * const hasher = createTokenHasher(pepper, () => new KeywardenError('ERR_CLOSED', 'the manager is closed'));
 * const h = hasher.hash('kw_...'); // 43 base64url characters
 * hasher.destroy();
 * ```
 * @throws TypeError for an empty pepper; `hash` throws `closedError()` after `destroy()`.
 */
export function createTokenHasher(pepper: Uint8Array, closedError: () => Error): TokenHasher {
  if (!(pepper instanceof Uint8Array) || pepper.length === 0)
    throw new TypeError('pepper must be non-empty bytes');
  const keyed = cryptoBackend().keyedSha256(pepper, closedError);
  const ascii = new Uint8Array(256);
  return {
    hash(token: string): string {
      if (keyed.macText !== undefined) return keyed.macText(token, 'base64url');
      const n = token.length;
      let bytes: Uint8Array | null = n <= ascii.length ? ascii.subarray(0, n) : null;
      if (bytes) {
        for (let i = 0; i < n; i++) {
          const c = token.charCodeAt(i);
          if (c > 0x7f) {
            bytes = null;
            break;
          }
          ascii[i] = c;
        }
      }
      let out: Uint8Array;
      try {
        out = keyed.mac(bytes ?? utf8Encode(token));
      } finally {
        ascii.fill(0, 0, Math.min(n, ascii.length));
      }
      const result = toBase64Url(out);
      out.fill(0);
      return result;
    },
    destroy(): void {
      keyed.destroy();
    },
  };
}
