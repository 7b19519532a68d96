/**
 * Sign and verify with JWKs: HS256/384/512 (HMAC, noble), EdDSA (Ed25519), ES256/ES384/ES256K
 * (ECDSA; JOSE raw `r || s` signatures), RS256/384/512 and PS256/384/512 (WebCrypto).
 * EdDSA/ES256/ES384 use WebCrypto when the runtime supports it and noble otherwise; ES256K always
 * uses noble. Verification accepts high-S ECDSA signatures made by other libraries.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { KeywardenError, validationError } from '../errors.js';
import { constantTimeEqual, fromBase64Url, zeroize } from '../internal/bytes.js';
import { EC_CURVES } from './curves.js';
import type { Jwk, OctJwk, PublicJwk } from './jwk-types.js';
import { validateJwk } from './jwk-validate.js';
import {
  ecdsaSignNoble,
  ecdsaVerifyNoble,
  ed25519SignNoble,
  ed25519VerifyNoble,
  toLowS,
} from './signing-noble.js';
import { type WebCryptoAlgorithm, webCryptoSign, webCryptoVerify } from './signing-webcrypto.js';

export { clearCryptoKeyCache } from './signing-webcrypto.js';

/**
 * Every JOSE signing algorithm keywarden implements.
 *
 * @example
 * ```ts
 * SIGNING_ALGORITHMS.includes('ES256'); // true
 * ```
 */
export const SIGNING_ALGORITHMS = Object.freeze([
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
  'ES256',
  'ES384',
  'ES256K',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const);

/** A JOSE signing algorithm. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

const HMAC_HASHES = { HS256: sha256, HS384: sha384, HS512: sha512 } as const;
type HmacAlgorithm = keyof typeof HMAC_HASHES;
const EC_ALG_CURVE = { ES256: 'P-256', ES384: 'P-384', ES256K: 'secp256k1' } as const;
type EcAlgorithm = keyof typeof EC_ALG_CURVE;

function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

/** The algorithm family an alg needs, checked against the key; throws when they do not fit. */
function checkFit(jwk: Jwk, alg: SigningAlgorithm, field: string): void {
  const mismatch = (): never => {
    throw validationError('alg', `${alg} does not fit a ${jwk.kty}${'crv' in jwk ? ` ${jwk.crv}` : ''} key`);
  };
  if (alg in HMAC_HASHES) {
    if (jwk.kty !== 'oct') mismatch();
    const need = HMAC_HASHES[alg as HmacAlgorithm].outputLen;
    // RFC 7518 §3.2: the key must be at least as long as the hash output.
    if (Math.floor(((jwk as OctJwk).k.length * 3) / 4) < need) {
      throw validationError(`${field}.k`, `must be at least ${need} bytes for ${alg}`);
    }
  } else if (alg === 'EdDSA') {
    if (jwk.kty !== 'OKP') mismatch();
  } else if (alg in EC_ALG_CURVE) {
    if (jwk.kty !== 'EC' || jwk.crv !== EC_ALG_CURVE[alg as EcAlgorithm]) mismatch();
  } else if (jwk.kty !== 'RSA') {
    mismatch();
  }
}

function prepare(input: unknown, alg: unknown, field: string, data: unknown): Jwk {
  const jwk = validateJwk(input, field);
  if (!isSigningAlgorithm(alg))
    throw validationError('alg', `must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  checkFit(jwk, alg, field);
  if (!(data instanceof Uint8Array)) throw validationError('data', 'must be a Uint8Array');
  return jwk;
}

/**
 * The algorithm to use with a key: its `alg` member when that is a supported algorithm fitting
 * the key, otherwise the default for its type (oct → HS256, OKP → EdDSA, EC P-256/P-384/secp256k1
 * → ES256/ES384/ES256K, RSA → RS256).
 *
 * @example
 * ```ts
 * defaultAlgorithm({ kty: 'EC', crv: 'P-384', x, y }); // 'ES384'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `jwk…`) when `jwk` is not a valid JWK.
 */
export function defaultAlgorithm(jwk: Jwk | PublicJwk): SigningAlgorithm {
  const valid = validateJwk(jwk, 'jwk');
  if (isSigningAlgorithm(valid.alg)) {
    try {
      checkFit(valid, valid.alg, 'jwk');
      return valid.alg;
    } catch {
      // fall through to the type default
    }
  }
  switch (valid.kty) {
    case 'oct':
      return 'HS256';
    case 'OKP':
      return 'EdDSA';
    case 'EC':
      return EC_CURVES[valid.crv].alg;
    case 'RSA':
      return 'RS256';
  }
}

/**
 * Signs `data` with a private (or `oct`) JWK. ECDSA signatures are JOSE raw `r || s`
 * (64 bytes for ES256/ES256K, 96 for ES384), always low-S. RSA, ES256, ES384 and EdDSA run on
 * WebCrypto when the runtime has it (imported keys cached), otherwise on noble.
 * Decoded key bytes are zeroed after use.
 *
 * @example
 * ```ts
 * const { privateJwk } = await generateKeyPair({ type: 'ed25519' });
 * const sig = await signWithJwk(privateJwk, 'EdDSA', new TextEncoder().encode('hello'));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `privateJwk…` (malformed, or no private part),
 *   `alg` (unknown, or does not fit the key) or `data`.
 */
export async function signWithJwk(
  privateJwk: Jwk,
  alg: SigningAlgorithm,
  data: Uint8Array,
): Promise<Uint8Array> {
  const field = 'privateJwk';
  const jwk = prepare(privateJwk, alg, field, data);
  if (jwk.kty === 'oct') {
    const key = fromBase64Url(jwk.k);
    try {
      return hmac(HMAC_HASHES[alg as HmacAlgorithm], key, data);
    } finally {
      zeroize(key);
    }
  }
  if (jwk.d === undefined) throw validationError(`${field}.d`, 'is required to sign (this is a public key)');
  if (jwk.kty === 'EC' && jwk.crv === 'secp256k1') return ecdsaSignNoble(jwk.crv, jwk.d, data);
  const fast = await webCryptoSign(jwk, alg as WebCryptoAlgorithm, data, field);
  if (jwk.kty === 'EC') return fast ? toLowS(jwk.crv, fast) : ecdsaSignNoble(jwk.crv, jwk.d, data);
  if (jwk.kty === 'OKP') return fast ?? ed25519SignNoble(jwk.d, data);
  if (!fast) throw new KeywardenError('ERR_UNSUPPORTED', 'RSA signing needs WebCrypto');
  return fast;
}

function verifyHmac(jwk: OctJwk, alg: HmacAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  const hash = HMAC_HASHES[alg];
  if (signature.length !== hash.outputLen) return false;
  const key = fromBase64Url(jwk.k);
  const expected = hmac(hash, key, data);
  const ok = constantTimeEqual(expected, signature);
  zeroize(key, expected);
  return ok;
}

/**
 * Verifies a signature with a JWK (public, private or `oct`). Returns false for a wrong, tampered,
 * truncated or garbage signature, never throws for one. ECDSA accepts high-S signatures (as
 * OpenSSL, WebCrypto and Go make them).
 *
 * @example
 * ```ts
 * const ok = await verifyWithJwk(publicJwk, 'ES256', data, signature);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `jwk…` (malformed key), `alg` (unknown, or does
 *   not fit the key, e.g. ES256 with an Ed25519 key), `data` or `signature` (not a Uint8Array).
 */
export async function verifyWithJwk(
  jwk: Jwk | PublicJwk,
  alg: SigningAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const field = 'jwk';
  const key = prepare(jwk, alg, field, data);
  if (!(signature instanceof Uint8Array)) throw validationError('signature', 'must be a Uint8Array');
  switch (key.kty) {
    case 'oct':
      return verifyHmac(key, alg as HmacAlgorithm, data, signature);
    case 'OKP': {
      if (signature.length !== 64) return false;
      const fast = await webCryptoVerify(key, 'EdDSA', data, signature, field);
      return fast ?? ed25519VerifyNoble(key.x, data, signature);
    }
    case 'EC': {
      if (signature.length !== 2 * EC_CURVES[key.crv].size) return false;
      if (key.crv === 'secp256k1') return ecdsaVerifyNoble(key, data, signature);
      const fast = await webCryptoVerify(key, alg as WebCryptoAlgorithm, data, signature, field);
      return fast ?? ecdsaVerifyNoble(key, data, signature);
    }
    case 'RSA': {
      const result = await webCryptoVerify(key, alg as WebCryptoAlgorithm, data, signature, field);
      if (result === null) throw new KeywardenError('ERR_UNSUPPORTED', 'RSA verification needs WebCrypto');
      return result;
    }
  }
}
