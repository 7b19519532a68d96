/**
 * Pure-JS signatures through noble: Ed25519 and ECDSA (P-256, P-384, secp256k1), and key
 * generation on those curves. Built from noble's modules handed in (only types are imported here),
 * so nothing of @noble/curves is in a bundle unless `registerNobleCurves()` (keywarden/crypto/noble)
 * imports it, or a server runtime loads it on first use (./noble-fallback.ts). Used for ES256K
 * where the runtime cannot sign it, and for EdDSA/ES256/ES384 where WebCrypto cannot.
 * @internal
 * @module
 */
import type { ed25519 } from '@noble/curves/ed25519.js';
import type { p256, p384 } from '@noble/curves/nist.js';
import type { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromBase64Url, zeroize } from '../internal/bytes.js';
import { EC_CURVES, uncompressedPoint } from './curves.js';
import type { EcCurve, EcJwk } from './jwk-types.js';

/** The noble curve objects keywarden signs with. */
export interface NobleCurveModules {
  /** `ed25519` from `@noble/curves/ed25519.js`. */
  ed25519: typeof ed25519;
  /** `p256` from `@noble/curves/nist.js`. */
  p256: typeof p256;
  /** `p384` from `@noble/curves/nist.js`. */
  p384: typeof p384;
  /** `secp256k1` from `@noble/curves/secp256k1.js`. */
  secp256k1: typeof secp256k1;
}

/** A fresh key pair: the secret (32 or 48 bytes, the caller zeroes it) and the public key bytes. */
export interface NobleKeyPair {
  /** The secret scalar (ECDSA) or seed (Ed25519). */
  secret: Uint8Array;
  /** Ed25519: the 32-byte public key; ECDSA: `0x04 || x || y`. */
  publicKey: Uint8Array;
}

/** Signing, verification and key generation on noble. */
export interface NobleSigning {
  /** Ed25519 signature (64 bytes) with the private seed `d` (base64url). Throws for a malformed `d`. */
  ed25519Sign(d: string, data: Uint8Array): Uint8Array;
  /** RFC 8032 strict (zip215: false, as OpenSSL); false for anything malformed. */
  ed25519Verify(x: string, data: Uint8Array, signature: Uint8Array): boolean;
  /** ECDSA signature, JOSE raw `r || s`, low-S. Throws for a malformed `d`. */
  ecdsaSign(crv: EcCurve, d: string, data: Uint8Array): Uint8Array;
  /** ECDSA verification of raw `r || s`; accepts high-S (as OpenSSL, WebCrypto and Go produce). */
  ecdsaVerify(jwk: EcJwk, data: Uint8Array, signature: Uint8Array): boolean;
  /** A new key pair on `curve`. */
  generate(curve: 'Ed25519' | EcCurve): NobleKeyPair;
}

/**
 * Signing on the given noble modules.
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js';
 * import { p256, p384 } from '@noble/curves/nist.js';
 * import { secp256k1 } from '@noble/curves/secp256k1.js';
 * declare const privateJwk: EcJwk & { d: string };
 * const noble = nobleSigning({ ed25519, p256, p384, secp256k1 });
 * noble.ecdsaSign('secp256k1', privateJwk.d, data); // 64 bytes
 * ```
 * @throws never (the functions it returns throw as described on {@link NobleSigning})
 */
export function nobleSigning(m: NobleCurveModules): NobleSigning {
  const ecdsaOf = (crv: EcCurve): typeof p256 =>
    crv === 'P-256' ? m.p256 : crv === 'P-384' ? m.p384 : (m.secp256k1 as unknown as typeof p256);
  return {
    ed25519Sign(d, data) {
      const secret = fromBase64Url(d);
      try {
        return m.ed25519.sign(data, secret);
      } finally {
        zeroize(secret);
      }
    },
    ed25519Verify(x, data, signature) {
      if (signature.length !== 64) return false;
      try {
        return m.ed25519.verify(signature, data, fromBase64Url(x), { zip215: false });
      } catch {
        return false;
      }
    },
    ecdsaSign(crv, d, data) {
      const secret = fromBase64Url(d);
      try {
        return ecdsaOf(crv).sign(data, secret, { prehash: true, lowS: true, format: 'compact' });
      } finally {
        zeroize(secret);
      }
    },
    ecdsaVerify(jwk, data, signature) {
      if (signature.length !== 2 * EC_CURVES[jwk.crv].size) return false;
      try {
        const point = uncompressedPoint(fromBase64Url(jwk.x), fromBase64Url(jwk.y));
        return ecdsaOf(jwk.crv).verify(signature, data, point, {
          prehash: true,
          lowS: false,
          format: 'compact',
        });
      } catch {
        return false;
      }
    },
    generate(curve) {
      const lib = curve === 'Ed25519' ? m.ed25519 : ecdsaOf(curve);
      const secret = lib.utils.randomSecretKey();
      const publicKey =
        curve === 'Ed25519' ? m.ed25519.getPublicKey(secret) : ecdsaOf(curve).getPublicKey(secret, false);
      return { secret, publicKey };
    },
  };
}
