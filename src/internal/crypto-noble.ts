/**
 * The pure-JS crypto backend (noble): used where the runtime has no native crypto module
 * (Workers, browsers) or when `KEYWARDEN_CRYPTO=noble` forces it. Built from the noble functions
 * that `#noble-primitives` (package.json "imports") provides: bundled statically for browsers and
 * Workers, loaded on first use on Node, Bun and Deno, which run the native backend (issue 16's
 * cold start: noble's import is not paid there unless a call needs it).
 * @internal
 * @module
 */
import { loadNoblePrimitives } from '#noble-primitives';
import { toHex, utf8Encode } from './bytes.js';
import type { BackendHash, CryptoBackend, KeyedMac, NoblePrimitives } from './crypto-backend-types.js';

/** The slice of noble's HMAC state used here. */
interface HmacState {
  _cloneInto(to?: HmacState): HmacState;
  clone(): HmacState;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
  destroy(): void;
}

/**
 * HMAC-SHA256 with the key schedule (inner and outer padded-key blocks) computed once; every call
 * clones that state into one scratch state, so a MAC costs the data blocks plus two, no key setup.
 */
function keyedSha256({ hmac, sha256 }: NoblePrimitives, key: Uint8Array, closed: () => Error): KeyedMac {
  let keyed: HmacState | null = hmac.create(sha256, key) as unknown as HmacState;
  let scratch: HmacState | null = keyed.clone();
  return {
    mac(data) {
      if (keyed === null || scratch === null) throw closed();
      keyed._cloneInto(scratch);
      scratch.update(data);
      const out = new Uint8Array(32);
      scratch.digestInto(out);
      return out;
    },
    destroy() {
      keyed?.destroy();
      scratch?.destroy();
      keyed = null;
      scratch = null;
    },
  };
}

// the same refusals as the native backend: AES-256 only, 96-bit nonces only
function checkKey(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  return key;
}
function checkNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== 12) throw new Error('AES-256-GCM needs a 12-byte nonce');
  return nonce;
}

/**
 * The noble backend over `p` (the same functions, whichever way they were loaded).
 *
 * @example
 * ```ts
 * const p = loadNoblePrimitives();
 * const backend = p ? nobleBackendOf(p) : null;
 * ```
 * @throws never itself; its AES-GCM decrypt throws on failed authentication.
 */
export function nobleBackendOf(p: NoblePrimitives): CryptoBackend {
  const { gcm, hmac, sha256, randomBytes } = p;
  const hashes = { 'SHA-256': sha256, 'SHA-384': p.sha384, 'SHA-512': p.sha512 } as const;
  return Object.freeze({
    name: 'noble' as const,
    randomBytes: (length: number) => randomBytes(length),
    sha256: (data: Uint8Array) => sha256(data),
    sha256Hex: (text: string) => toHex(sha256(utf8Encode(text))),
    hmac: (hash: BackendHash, key: Uint8Array, data: Uint8Array) => hmac(hashes[hash], key, data),
    keyedSha256: (key: Uint8Array, closed: () => Error) => keyedSha256(p, key, closed),
    aesGcmEncrypt: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) =>
      gcm(checkKey(key), checkNonce(nonce), aad).encrypt(plaintext),
    aesGcmDecrypt: (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) =>
      gcm(checkKey(key), checkNonce(nonce), aad).decrypt(sealed),
  });
}

let built: CryptoBackend | null | undefined;

/**
 * The noble backend, built on the first call (on Node, Bun and Deno that call loads noble); null
 * when noble cannot be loaded in this runtime.
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * nobleBackend()?.hmac('SHA-256', key, data); // Uint8Array(32)
 * ```
 * @throws never
 */
export function nobleBackend(): CryptoBackend | null {
  if (built === undefined) {
    const p = loadNoblePrimitives();
    built = p === null ? null : nobleBackendOf(p);
  }
  return built;
}
