/**
 * The slow password KDFs behind `deriveKey` and `passphraseKms`, each on the fastest
 * implementation the runtime has, none of them in a bundle by default:
 * - PBKDF2: WebCrypto (every supported runtime), noble without it;
 * - scrypt: the native crypto module on the native backend (Node, Bun, Deno; off the main thread),
 *   noble elsewhere;
 * - Argon2id: noble.
 * Noble comes from `registerNobleKdfs()` (keywarden/crypto/noble) or, on a server runtime, is
 * loaded on first use (./noble-fallback.ts); neither: `ERR_UNSUPPORTED` naming the field.
 * All give the same bytes (test/generator/derive.test.ts runs known answers on both backends).
 * @internal
 * @module
 */
import { cryptoBackend } from '../internal/crypto-backend.js';
import { nativeCrypto } from '../internal/crypto-native.js';
import { type NobleKdfModules, nobleKdfs, nobleMissing } from './noble-fallback.js';
import { bufferSource } from './webcrypto.js';

/** Hashes PBKDF2 runs with. */
export type Pbkdf2Hash = 'SHA-256' | 'SHA-384' | 'SHA-512';

async function requireKdfs(algorithm: string, field: string): Promise<NobleKdfModules> {
  const noble = await nobleKdfs();
  if (noble === null) throw nobleMissing(algorithm, field, 'registerNobleKdfs');
  return noble;
}

/**
 * PBKDF2-HMAC (RFC 8018), `length` bytes.
 * @example
 * ```ts
 * declare const password: Uint8Array;
 * declare const salt: Uint8Array;
 * const key = await pbkdf2('SHA-256', password, salt, 600_000, 32);
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (field `params.method`) without WebCrypto and noble.
 */
export async function pbkdf2(
  hash: Pbkdf2Hash,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle) {
    const key = await subtle.importKey('raw', bufferSource(password), 'PBKDF2', false, ['deriveBits']);
    const params = { name: 'PBKDF2', hash, salt: bufferSource(salt), iterations };
    return new Uint8Array(await subtle.deriveBits(params, key, length * 8));
  }
  const noble = await requireKdfs('PBKDF2', 'params.method');
  const nobleHash = { 'SHA-256': noble.sha256, 'SHA-384': noble.sha384, 'SHA-512': noble.sha512 }[hash];
  return noble.pbkdf2Async(nobleHash, password, salt, { c: iterations, dkLen: length });
}

/** scrypt cost parameters and output size. */
export interface ScryptOptions {
  /** CPU/memory cost (a power of two). */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelization. */
  p: number;
  /** Output bytes. */
  dkLen: number;
  /**
   * Largest memory noble may use, in bytes (must exceed 128 · r · (N + p)). The native path
   * allows exactly what OpenSSL needs, 128 · r · (N + p + 2): callers bound N, r and p first.
   */
  maxmem: number;
}

/**
 * scrypt (RFC 7914).
 * @example
 * ```ts
 * declare const password: Uint8Array;
 * declare const salt: Uint8Array;
 * const key = await scrypt(password, salt, { N: 2 ** 15, r: 8, p: 1, dkLen: 32, maxmem: 2 ** 26 }, 'params.method');
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (`field`) without a native scrypt and noble; Error from
 *   the implementation for parameters it refuses.
 */
export async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  options: ScryptOptions,
  field: string,
): Promise<Uint8Array> {
  const c = cryptoBackend().name === 'native' ? nativeCrypto() : null;
  if (typeof c?.scrypt === 'function') {
    const { N, r, p, dkLen } = options;
    const maxmem = 128 * r * (N + p + 2);
    return new Promise((resolve, reject) => {
      c.scrypt?.(password, salt, dkLen, { N, r, p, maxmem }, (error, key) => {
        if (error) reject(error);
        else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
      });
    });
  }
  const noble = await requireKdfs('scrypt', field);
  return noble.scryptAsync(password, salt, options);
}

/** Argon2id parameters. */
export interface Argon2idOptions {
  /** Passes. */
  t: number;
  /** Memory in KiB. */
  m: number;
  /** Lanes. */
  p: number;
  /** Output bytes. */
  dkLen: number;
  /** Secret value K. */
  key?: Uint8Array;
  /** Associated data X. */
  personalization?: Uint8Array;
}

/**
 * Argon2id (RFC 9106), on noble.
 * @example
 * ```ts
 * declare const password: Uint8Array;
 * declare const salt: Uint8Array;
 * const key = await argon2id(password, salt, { t: 3, m: 65536, p: 1, dkLen: 32 });
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (field `params.method`) without noble; Error from noble
 *   for parameters it refuses.
 */
export async function argon2id(
  password: Uint8Array,
  salt: Uint8Array,
  options: Argon2idOptions,
): Promise<Uint8Array> {
  const noble = await requireKdfs('Argon2id', 'params.method');
  return noble.argon2idAsync(password, salt, options);
}
