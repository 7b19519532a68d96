/**
 * Signatures through WebCrypto: RSA always (RS* = RSASSA-PKCS1-v1_5, PS* = RSASSA-PSS with salt
 * length = hash size, RFC 7518 §3.5), and ES256/ES384/EdDSA when the runtime supports them (they
 * measured 25-30× faster than pure-JS noble on Node 20; see docs). Imported CryptoKeys are cached
 * in a bounded map keyed by a SHA-256 over the members used, so repeated calls skip `importKey`.
 * @internal
 * @module
 */
import { validationError } from '../errors.js';
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import type { EcJwk, OkpJwk, RsaJwk } from './jwk-types.js';
import { bufferSource, subtleCrypto } from './webcrypto.js';

/** Algorithms this module can run. */
export type WebCryptoAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'EdDSA';

/**
 * Most CryptoKeys kept; the least recently used entry is dropped first.
 *
 * @example
 * ```ts
 * WEBCRYPTO_KEY_CACHE_SIZE; // 256
 * ```
 */
export const WEBCRYPTO_KEY_CACHE_SIZE = 256;
/** Imported keys; `null` records that this runtime cannot import the key (callers fall back). */
const cache = new Map<string, Promise<CryptoKey | null>>();

interface Params {
  importAlgorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  signAlgorithm: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
  members: readonly string[];
  privateMembers: readonly string[];
}

const HASH_BYTES: Record<string, number> = { '256': 32, '384': 48, '512': 64 };

function paramsOf(alg: WebCryptoAlgorithm): Params {
  if (alg === 'EdDSA') {
    return {
      importAlgorithm: { name: 'Ed25519' },
      signAlgorithm: { name: 'Ed25519' },
      members: ['crv', 'x'],
      privateMembers: ['d'],
    };
  }
  const bits = alg.slice(2);
  const hash = `SHA-${bits}`;
  if (alg.startsWith('ES')) {
    const namedCurve = alg === 'ES256' ? 'P-256' : 'P-384';
    return {
      importAlgorithm: { name: 'ECDSA', namedCurve },
      signAlgorithm: { name: 'ECDSA', hash },
      members: ['crv', 'x', 'y'],
      privateMembers: ['d'],
    };
  }
  const name = alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
  return {
    importAlgorithm: { name, hash },
    signAlgorithm: name === 'RSA-PSS' ? { name, saltLength: HASH_BYTES[bits] as number } : { name },
    members: ['n', 'e'],
    privateMembers: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
  };
}

type SupportedJwk = RsaJwk | EcJwk | OkpJwk;

/** Imports (or takes from the cache) the key; null when the runtime cannot (non-RSA only). */
function importKey(jwk: SupportedJwk, alg: WebCryptoAlgorithm, usage: 'sign' | 'verify', field: string) {
  const params = paramsOf(alg);
  const names = usage === 'sign' ? [...params.members, ...params.privateMembers] : params.members;
  const record = jwk as unknown as Record<string, string>;
  const clean: JsonWebKey = { kty: jwk.kty };
  let material = `${usage}\n${alg}`;
  for (const m of names) {
    const value = record[m] as string;
    (clean as Record<string, string>)[m] = value;
    material += `\n${value}`;
  }
  const cacheKey = toBase64Url(cryptoBackend().sha256(utf8Encode(material)));
  const cached = cache.get(cacheKey);
  if (cached) {
    cache.delete(cacheKey); // refresh recency
    cache.set(cacheKey, cached);
    return cached;
  }
  const pending = subtleCrypto()
    .importKey('jwk', clean, params.importAlgorithm, false, [usage])
    .catch((cause: unknown): null => {
      if (jwk.kty !== 'RSA') return null; // e.g. no Ed25519 in this browser: use noble
      cache.delete(cacheKey);
      throw Object.assign(validationError(field, 'is not an RSA key WebCrypto accepts'), { cause });
    });
  cache.set(cacheKey, pending);
  if (cache.size > WEBCRYPTO_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return pending;
}

/**
 * Signs through WebCrypto; `null` when the runtime cannot handle this key type (caller falls
 * back to noble). ECDSA output is raw `r || s` as WebCrypto produces it (possibly high-S).
 * @example
 * ```ts
 * declare const privateJwk: EcJwk;
 * const sig = await webCryptoSign(privateJwk, 'ES256', data, 'privateJwk'); // null: sign with @noble/curves
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field) for an RSA key WebCrypto refuses;
 *   `ERR_UNSUPPORTED` for RSA without WebCrypto.
 */
export async function webCryptoSign(
  jwk: SupportedJwk,
  alg: WebCryptoAlgorithm,
  data: Uint8Array,
  field: string,
): Promise<Uint8Array | null> {
  if (!(globalThis as { crypto?: Crypto }).crypto?.subtle && jwk.kty !== 'RSA') return null;
  const key = await importKey(jwk, alg, 'sign', field);
  if (key === null) return null;
  return new Uint8Array(await subtleCrypto().sign(paramsOf(alg).signAlgorithm, key, bufferSource(data)));
}

/**
 * Verifies through WebCrypto; `null` when unsupported here; false for any malformed signature.
 * @example
 * ```ts
 * declare const publicJwk: RsaJwk;
 * const ok = await webCryptoVerify(publicJwk, 'RS256', data, sig, 'jwk'); // null: verify with @noble/curves
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field) for an RSA key WebCrypto refuses;
 *   `ERR_UNSUPPORTED` for RSA without WebCrypto.
 */
export async function webCryptoVerify(
  jwk: SupportedJwk,
  alg: WebCryptoAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  field: string,
): Promise<boolean | null> {
  if (!(globalThis as { crypto?: Crypto }).crypto?.subtle && jwk.kty !== 'RSA') return null;
  const key = await importKey(jwk, alg, 'verify', field);
  if (key === null) return null;
  try {
    return await subtleCrypto().verify(
      paramsOf(alg).signAlgorithm,
      key,
      bufferSource(signature),
      bufferSource(data),
    );
  } catch {
    return false;
  }
}

/**
 * Empties the CryptoKey cache (e.g. after revoking keys, or in tests).
 *
 * @example
 * ```ts
 * clearCryptoKeyCache();
 * ```
 * @throws never
 */
export function clearCryptoKeyCache(): void {
  cache.clear();
}

/**
 * Number of cached CryptoKeys. @internal
 * @example
 * ```ts
 * cryptoKeyCacheSize(); // 3
 * ```
 * @throws never
 */
export function cryptoKeyCacheSize(): number {
  return cache.size;
}
