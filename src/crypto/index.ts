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
  /**
   * {@link generateApiToken}: a new API token (prefix, 12-character id, 32-character secret, CRC-32
   * checksum).
   */
  generateApiToken,
  /** {@link generateApiTokens}: `count` tokens with one prefix and fresh ids. */
  generateApiTokens,
  /** {@link checkApiToken}: checks a token's layout and checksum offline, without storage; never throws. */
  checkApiToken,
  /** {@link parseApiToken}: a well-formed token's prefix, id and secret, or `null`. */
  parseApiToken,
  /** {@link isApiTokenPrefix}: whether a string is a valid token prefix (1–32 of `[a-z0-9_]`). */
  isApiTokenPrefix,
  /** {@link generateId}: a random base62 id (8–64 characters, default 12). */
  generateId,
  /** {@link generateIds}: `count` random base62 ids. */
  generateIds,
  /** {@link randomBase62}: a uniformly random base62 string (no modulo bias). */
  randomBase62,
  /** {@link encodeBase62Uint32}: an unsigned 32-bit integer in base62, zero-padded. */
  encodeBase62Uint32,
  /** {@link isBase62}: whether a string is non-empty base62. */
  isBase62,
  /** {@link crc32Ascii}: the CRC-32 (IEEE, as zlib computes it) of an ASCII string. */
  crc32Ascii,
  /** {@link generateSymmetricKey}: random AES key bytes (128 or 256 bits). */
  generateSymmetricKey,
  /** {@link generateHmacKey}: random HMAC key bytes as long as the hash output. */
  generateHmacKey,
  /**
   * {@link generateKeyPair}: an asymmetric signing key pair as private and public JWKs with a thumbprint
   * `kid`.
   */
  generateKeyPair,
  /** {@link jwkThumbprint}: the RFC 7638 thumbprint of a JWK (base64url SHA-256). */
  jwkThumbprint,
  /** {@link toPublicJwk}: the public part of a JWK (private members dropped). */
  toPublicJwk,
  /** {@link symmetricJwk}: raw key bytes as an `oct` JWK. */
  symmetricJwk,
  /** {@link validateJwk}: strict validation of a JWK, returning a normalized copy. */
  validateJwk,
  /** {@link importJwk}: validates and normalizes a JWK from outside (field `jwk` in errors). */
  importJwk,
  /** {@link signWithJwk}: signs bytes with a private or `oct` JWK. */
  signWithJwk,
  /** {@link verifyWithJwk}: verifies a signature with a JWK; false (never a throw) for a bad signature. */
  verifyWithJwk,
  /** {@link defaultAlgorithm}: the algorithm to use with a JWK (its `alg`, or its type's default). */
  defaultAlgorithm,
  /** {@link deriveKey}: key material from a secret (HKDF) or a password (PBKDF2, scrypt, Argon2id). */
  deriveKey,
});

/** The type of {@link keyGenerator} (what `km.generator` is). */
export type KeyGenerator = typeof keyGenerator;
