/**
 * Signatures on the runtime's native crypto module (see src/internal/crypto-native.ts): EdDSA,
 * ES256/ES384 (JOSE raw `r || s`, made low-S here), RS256/384/512 and PS256/384/512 (salt length =
 * hash size, RFC 7518 §3.5). Used when the native backend is chosen; ES256K stays on noble.
 * @internal
 * @module
 */
import { validationError } from '../errors.js';
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import { type NativeCrypto, type NativeKeyObject, nativeCrypto } from '../internal/crypto-native.js';
import { toLowS } from './curves.js';
import type { EcJwk, OkpJwk, RsaJwk } from './jwk-types.js';

/** Algorithms this module runs. */
export type NativeAlgorithm =
  | 'EdDSA'
  | 'ES256'
  | 'ES384'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512';

/** A JWK this module can import. */
export type NativeJwk = RsaJwk | EcJwk | OkpJwk;

const HASH: Record<NativeAlgorithm, string | null> = {
  EdDSA: null,
  ES256: 'sha256',
  ES384: 'sha384',
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
};
const SALT: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
// the curve of each ECDSA algorithm, for the low-S rewrite
const CURVE: Partial<Record<NativeAlgorithm, 'P-256' | 'P-384'>> = { ES256: 'P-256', ES384: 'P-384' };

const MEMBERS: Record<NativeJwk['kty'], { pub: readonly string[]; priv: readonly string[] }> = {
  OKP: { pub: ['crv', 'x'], priv: ['d'] },
  EC: { pub: ['crv', 'x', 'y'], priv: ['d'] },
  RSA: { pub: ['n', 'e'], priv: ['d', 'p', 'q', 'dp', 'dq', 'qi'] },
};

/**
 * The native crypto module when signatures run natively (the native backend is the chosen one),
 * else null.
 *
 * @example
 * ```ts
 * declare const key: NativeKeyObject;
 * const c = nativeSigning();
 * if (c) signNative(c, key, 'ES256', data);
 * ```
 * @throws never
 */
export function nativeSigning(): NativeCrypto | null {
  return cryptoBackend().name === 'native' ? nativeCrypto() : null;
}

/**
 * Imports the members of `jwk` an operation needs as a native key object; null when the runtime
 * refuses a non-RSA key (the caller falls back to noble).
 *
 * @example
 * ```ts
 * declare const c: NativeCrypto;
 * declare const privateJwk: NativeJwk;
 * const key = importNativeKey(c, privateJwk, 'sign', 'privateJwk');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field) for an RSA key the runtime refuses.
 */
export function importNativeKey(
  c: NativeCrypto,
  jwk: NativeJwk,
  usage: 'sign' | 'verify',
  field: string,
): NativeKeyObject | null {
  const names = MEMBERS[jwk.kty];
  const record = jwk as unknown as Record<string, string>;
  const clean: Record<string, string> = { kty: jwk.kty };
  for (const m of names.pub) clean[m] = record[m] as string;
  if (usage === 'sign') for (const m of names.priv) clean[m] = record[m] as string;
  try {
    return usage === 'sign'
      ? c.createPrivateKey({ key: clean, format: 'jwk' })
      : c.createPublicKey({ key: clean, format: 'jwk' });
  } catch (cause) {
    if (jwk.kty !== 'RSA') return null;
    throw Object.assign(validationError(field, 'is not an RSA key this runtime accepts'), { cause });
  }
}

function options(c: NativeCrypto, key: NativeKeyObject, alg: NativeAlgorithm): object {
  if (alg === 'EdDSA') return key;
  if (alg.startsWith('ES')) return { key, dsaEncoding: 'ieee-p1363' };
  if (alg.startsWith('PS')) {
    return { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[HASH[alg] as string] };
  }
  return { key, padding: c.constants.RSA_PKCS1_PADDING };
}

/**
 * Signs with an imported private key. ECDSA output is raw `r || s`, always low-S.
 *
 * @example
 * ```ts
 * declare const c: NativeCrypto;
 * declare const key: NativeKeyObject;
 * const sig = signNative(c, key, 'ES256', data); // 64 bytes
 * ```
 * @throws Error from the runtime when the key does not fit the algorithm (callers check first).
 */
export function signNative(
  c: NativeCrypto,
  key: NativeKeyObject,
  alg: NativeAlgorithm,
  data: Uint8Array,
): Uint8Array {
  const raw = c.sign(HASH[alg], data, options(c, key, alg));
  const out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const crv = CURVE[alg];
  return crv === undefined ? out : toLowS(crv, out);
}

/**
 * Verifies with an imported public key; false for any malformed or wrong signature (accepts high-S).
 *
 * @example
 * ```ts
 * declare const c: NativeCrypto;
 * declare const key: NativeKeyObject;
 * verifyNative(c, key, 'EdDSA', data, sig); // boolean
 * ```
 * @throws never
 */
export function verifyNative(
  c: NativeCrypto,
  key: NativeKeyObject,
  alg: NativeAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return c.verify(HASH[alg], data, options(c, key, alg), signature);
  } catch {
    return false;
  }
}

/**
 * Most imported key objects kept by {@link cachedNativeKey}; the least recently used goes first.
 *
 * @example
 * ```ts
 * NATIVE_KEY_CACHE_SIZE; // 256
 * ```
 */
export const NATIVE_KEY_CACHE_SIZE = 256;
const cache = new Map<string, NativeKeyObject | null>();

/**
 * {@link importNativeKey} through a bounded cache keyed by a SHA-256 over the members used (as the
 * WebCrypto path does), for `signWithJwk`/`verifyWithJwk` called with the same JWK again.
 *
 * @example
 * ```ts
 * declare const c: NativeCrypto;
 * declare const publicJwk: NativeJwk;
 * const key = cachedNativeKey(c, publicJwk, 'ES256', 'verify', 'jwk');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field) for an RSA key the runtime refuses.
 */
export function cachedNativeKey(
  c: NativeCrypto,
  jwk: NativeJwk,
  alg: NativeAlgorithm,
  usage: 'sign' | 'verify',
  field: string,
): NativeKeyObject | null {
  const names = MEMBERS[jwk.kty];
  const record = jwk as unknown as Record<string, string>;
  let material = `${usage}\n${alg}\n${jwk.kty}`;
  for (const m of names.pub) material += `\n${record[m]}`;
  if (usage === 'sign') for (const m of names.priv) material += `\n${record[m]}`;
  const id = toBase64Url(cryptoBackend().sha256(utf8Encode(material)));
  const hit = cache.get(id);
  if (hit !== undefined) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  const key = importNativeKey(c, jwk, usage, field);
  cache.set(id, key);
  if (cache.size > NATIVE_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return key;
}

/**
 * Empties the native key cache (`clearCryptoKeyCache` calls it).
 *
 * @example
 * ```ts
 * clearNativeKeyCache();
 * ```
 * @throws never
 */
export function clearNativeKeyCache(): void {
  cache.clear();
}
