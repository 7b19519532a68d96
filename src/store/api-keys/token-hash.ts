/**
 * The keyed token hash, `base64url(HMAC-SHA256(pepper, token))`, made fast: the HMAC key schedule
 * (inner and outer padded-key blocks) is computed once, and every call clones that state into one
 * reusable scratch state, so hashing an API token costs three SHA-256 blocks and no key setup.
 * @internal
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64Url, utf8Encode } from '../../internal/bytes.js';

/** The slice of noble's HMAC state used here. */
interface HmacState {
  _cloneInto(to?: HmacState): HmacState;
  clone(): HmacState;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
  destroy(): void;
}

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
 * const hasher = createTokenHasher(pepper);
 * const h = hasher.hash('kw_...'); // 43 base64url characters
 * hasher.destroy();
 * ```
 * @throws Error from noble for an empty key; `hash` throws `closedError()` after `destroy()`.
 */
export function createTokenHasher(pepper: Uint8Array, closedError: () => Error): TokenHasher {
  let keyed: HmacState | null = hmac.create(sha256, pepper) as unknown as HmacState;
  let scratch: HmacState | null = keyed.clone();
  const out = new Uint8Array(32);
  const ascii = new Uint8Array(256);
  return {
    hash(token: string): string {
      if (keyed === null || scratch === null) throw closedError();
      keyed._cloneInto(scratch);
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
      scratch.update(bytes ?? utf8Encode(token));
      scratch.digestInto(out);
      ascii.fill(0, 0, Math.min(n, ascii.length));
      const result = toBase64Url(out);
      out.fill(0);
      return result;
    },
    destroy(): void {
      keyed?.destroy();
      scratch?.destroy();
      keyed = null;
      scratch = null;
    },
  };
}
