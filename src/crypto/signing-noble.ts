/**
 * Pure-JS signatures through noble: Ed25519 and ECDSA (P-256, P-384, secp256k1). Used for
 * ES256K always, and for EdDSA/ES256/ES384 when WebCrypto cannot handle them.
 * @internal
 * @module
 */
import { fromBase64Url, zeroize } from '../internal/bytes.js';
import { EC_CURVES, ed25519, uncompressedPoint } from './curves.js';
import type { EcCurve, EcJwk } from './jwk-types.js';

/**
 * Ed25519 signature (64 bytes) with the private seed `d` (base64url).
 * @example
 * ```ts
 * declare const jwk: { d: string; x: string }; // an Ed25519 JWK
 * ed25519SignNoble(jwk.d, data);
 * ```
 * @throws Error from noble for a malformed `d` (callers validate the JWK first).
 */
export function ed25519SignNoble(d: string, data: Uint8Array): Uint8Array {
  const secret = fromBase64Url(d);
  try {
    return ed25519.sign(data, secret);
  } finally {
    zeroize(secret);
  }
}

/**
 * RFC 8032 strict (zip215: false, as OpenSSL); false for anything malformed.
 * @example
 * ```ts
 * declare const jwk: { x: string }; // an Ed25519 public JWK
 * ed25519VerifyNoble(jwk.x, data, sig); // boolean
 * ```
 * @throws never
 */
export function ed25519VerifyNoble(x: string, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, data, fromBase64Url(x), { zip215: false });
  } catch {
    return false;
  }
}

/**
 * ECDSA signature, JOSE raw `r || s`, low-S.
 * @example
 * ```ts
 * declare const jwk: { d: string }; // a P-256 JWK
 * ecdsaSignNoble('P-256', jwk.d, data); // 64 bytes
 * ```
 * @throws Error from noble for a malformed `d` (callers validate the JWK first).
 */
export function ecdsaSignNoble(crv: EcCurve, d: string, data: Uint8Array): Uint8Array {
  const secret = fromBase64Url(d);
  try {
    return EC_CURVES[crv].ecdsa.sign(data, secret, { prehash: true, lowS: true, format: 'compact' });
  } finally {
    zeroize(secret);
  }
}

/**
 * ECDSA verification of raw `r || s`; accepts high-S (as OpenSSL, WebCrypto and Go produce).
 * @example
 * ```ts
 * declare const jwk: EcJwk;
 * ecdsaVerifyNoble(jwk, data, sig); // boolean
 * ```
 * @throws never
 */
export function ecdsaVerifyNoble(jwk: EcJwk, data: Uint8Array, signature: Uint8Array): boolean {
  const { ecdsa, size } = EC_CURVES[jwk.crv];
  if (signature.length !== 2 * size) return false;
  try {
    const point = uncompressedPoint(fromBase64Url(jwk.x), fromBase64Url(jwk.y));
    return ecdsa.verify(signature, data, point, { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

/**
 * Rewrites a raw `r || s` signature to low-S (`s ≤ n/2`, replacing s by n − s), so verifiers that
 * insist on low-S (noble's default, Bitcoin-style) accept it. Same validity for everyone else.
 * @example
 * ```ts
 * declare const webCryptoSignature: Uint8Array;
 * toLowS('P-256', webCryptoSignature);
 * ```
 * @throws Error from noble when `signature` is not a valid raw signature.
 */
export function toLowS(crv: EcCurve, signature: Uint8Array): Uint8Array {
  const { ecdsa } = EC_CURVES[crv];
  const sig = ecdsa.Signature.fromBytes(signature, 'compact');
  if (!sig.hasHighS()) return signature;
  return new ecdsa.Signature(sig.r, ecdsa.Point.Fn.ORDER - sig.s).toBytes('compact');
}
