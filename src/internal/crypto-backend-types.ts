/**
 * The primitives every hot path needs (random bytes, SHA-256, HMAC, AES-256-GCM), as one interface
 * with two implementations: the runtime's native crypto (`node:crypto` reached through
 * `process.getBuiltinModule`, never a static import) and pure-JS noble. Both produce the same bytes
 * for the same inputs; `test/internal/crypto-backend.test.ts` cross-checks every operation.
 * @internal
 * @module
 */
import type { gcm } from '@noble/ciphers/aes.js';
import type { hmac } from '@noble/hashes/hmac.js';
import type { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { randomBytes } from '@noble/hashes/utils.js';

/** The hashes HMAC runs with. */
export type BackendHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** An HMAC bound to one key: the key is set up once, `destroy()` wipes what can be wiped. */
export interface KeyedMac {
  /** The MAC of `data` (a new buffer the caller owns). Throws after `destroy()`. */
  mac(data: Uint8Array): Uint8Array;
  /**
   * The MAC of the UTF-8 bytes of `text`, encoded, in one native call (no intermediate buffers);
   * only the native backend has it (callers fall back to `mac` and their own encoding).
   */
  macText?(text: string, encoding: 'base64url' | 'hex'): string;
  /**
   * The MAC of `data` as 64 lowercase hex characters, without a result buffer; only the native
   * backend has it (callers fall back to `mac` and their own hex).
   */
  macHex?(data: Uint8Array): string;
  /** Wipes the key copy or keyed state; later `mac` calls throw. Idempotent. */
  destroy(): void;
}

/** One implementation of the symmetric primitives. */
export interface CryptoBackend {
  /** `'native'` (the runtime's crypto module) or `'noble'` (pure JS). */
  readonly name: 'native' | 'noble';
  /** `length` bytes from the CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** SHA-256 of `data` (32 bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /**
   * SHA-256 of the UTF-8 bytes of `text`, as 64 lowercase hex characters (the audit chain hash:
   * one call instead of encode, digest and hex on the hot path of every audited operation).
   */
  sha256Hex(text: string): string;
  /** HMAC of `data` under `key`. */
  hmac(hash: BackendHash, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * HMAC-SHA256 under a key set up once (`key` is copied; the caller may zero it). `closed` makes
   * the error thrown after `destroy()`.
   */
  keyedSha256(key: Uint8Array, closed: () => Error): KeyedMac;
  /** AES-256-GCM with a 12-byte nonce: `ciphertext || tag(16)`. */
  aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /**
   * Opens `ciphertext || tag(16)`. Throws a plain Error on failed authentication (callers map it
   * to their own error); never returns unauthenticated bytes.
   */
  aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

/**
 * The noble functions the pure-JS backend is built from (`gcm` of @noble/ciphers/aes.js; `hmac`,
 * `sha256`/`sha384`/`sha512` and `randomBytes` of @noble/hashes). Where they come from depends on
 * the runtime: the `#noble-primitives` import of package.json (see ./noble-primitives.ts).
 */
export interface NoblePrimitives {
  /** AES-GCM: `gcm(key, nonce, aad).encrypt(plaintext)` / `.decrypt(sealed)`. */
  gcm: typeof gcm;
  /** HMAC over one of the hashes below. */
  hmac: typeof hmac;
  /** SHA-256. */
  sha256: typeof sha256;
  /** SHA-384. */
  sha384: typeof sha384;
  /** SHA-512. */
  sha512: typeof sha512;
  /** Bytes from `crypto.getRandomValues`. */
  randomBytes: typeof randomBytes;
}
