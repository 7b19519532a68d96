/**
 * The KeyGenerator: API tokens, ids, symmetric keys, key pairs, JWKs, signatures and key
 * derivation. Pure (no I/O, no storage), portable (no Node built-ins). Exposed by the manager as
 * `km.generator` and usable on its own.
 *
 * @example
 * ```ts
 * import { keyGenerator } from 'keywarden';
 * const { token } = keyGenerator.generateApiToken({ prefix: 'sk_live' });
 * keyGenerator.checkApiToken(token).ok; // true
 * ```
 * @module
 */
import { encodeBase62Uint32, isBase62, randomBase62 } from './base62.js';
import { crc32Ascii } from './crc32.js';
import { deriveKey } from './derive.js';
import { generateId, generateIds } from './ids.js';
import { importJwk, jwkThumbprint, symmetricJwk, toPublicJwk, validateJwk } from './jwk.js';
import { generateKeyPair } from './keypairs.js';
import { defaultAlgorithm, signWithJwk, verifyWithJwk } from './signing.js';
import { generateHmacKey, generateSymmetricKey } from './symmetric.js';
import {
  checkApiToken,
  generateApiToken,
  generateApiTokens,
  isApiTokenPrefix,
  parseApiToken,
} from './tokens.js';

export { BASE62_ALPHABET, encodeBase62Uint32, isBase62, MAX_BASE62_LENGTH, randomBase62 } from './base62.js';
export { crc32Ascii } from './crc32.js';
export type { DeriveHash, DeriveKeyParams, KeyMaterialInput } from './derive.js';
export { DERIVE_LIMITS, deriveKey } from './derive.js';
export {
  DEFAULT_ID_LENGTH,
  generateId,
  generateIds,
  MAX_ID_BATCH_COUNT,
  MAX_ID_LENGTH,
  MIN_ID_LENGTH,
} from './ids.js';
export type { SymmetricJwkAlgorithm } from './jwk.js';
export { importJwk, jwkThumbprint, symmetricJwk, toPublicJwk } from './jwk.js';
export type { EcCurve, EcJwk, Jwk, JwkCommon, OctJwk, OkpJwk, PublicJwk, RsaJwk } from './jwk-types.js';
export { MAX_OCT_BYTES, MAX_RSA_BITS, MIN_OCT_BYTES, MIN_RSA_BITS, validateJwk } from './jwk-validate.js';
export type { GeneratedKeyPair, KeyPairAlgorithm, KeyPairSpec } from './keypairs.js';
export { generateKeyPair } from './keypairs.js';
export type { SigningAlgorithm } from './signing.js';
export {
  clearCryptoKeyCache,
  defaultAlgorithm,
  SIGNING_ALGORITHMS,
  signWithJwk,
  verifyWithJwk,
} from './signing.js';
export type { HmacHash } from './symmetric.js';
export { generateHmacKey, generateSymmetricKey, HMAC_KEY_BYTES } from './symmetric.js';
export type {
  ApiTokenCheck,
  ApiTokenRejection,
  GenerateApiTokenOptions,
  GeneratedApiToken,
  ParsedApiToken,
} from './tokens.js';
export {
  API_TOKEN_CHECKSUM_LENGTH,
  API_TOKEN_ID_LENGTH,
  API_TOKEN_MAX_LENGTH,
  API_TOKEN_MIN_LENGTH,
  API_TOKEN_PREFIX_MAX_LENGTH,
  API_TOKEN_PREFIX_PATTERN,
  API_TOKEN_SECRET_LENGTH,
  checkApiToken,
  generateApiToken,
  generateApiTokens,
  isApiTokenPrefix,
  MAX_BATCH_COUNT,
  parseApiToken,
} from './tokens.js';

/**
 * Every generator function in one frozen object: `km.generator`, or standalone.
 *
 * @example
 * ```ts
 * import { keyGenerator } from 'keywarden';
 * const { privateJwk, publicJwk, kid } = await keyGenerator.generateKeyPair({ type: 'ed25519' });
 * ```
 */
export const keyGenerator = /* @__PURE__ */ Object.freeze({
  generateApiToken,
  generateApiTokens,
  checkApiToken,
  parseApiToken,
  isApiTokenPrefix,
  generateId,
  generateIds,
  randomBase62,
  encodeBase62Uint32,
  isBase62,
  crc32Ascii,
  generateSymmetricKey,
  generateHmacKey,
  generateKeyPair,
  jwkThumbprint,
  toPublicJwk,
  symmetricJwk,
  validateJwk,
  importJwk,
  signWithJwk,
  verifyWithJwk,
  defaultAlgorithm,
  deriveKey,
});

/** The type of {@link keyGenerator} (what `km.generator` is). */
export type KeyGenerator = typeof keyGenerator;
