/**
 * The elliptic curves keywarden uses, by JWK `crv` name, with their coordinate sizes and the
 * JOSE algorithm each one signs with (RFC 7518 §3.4, RFC 8812 §3.2).
 * @internal
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { EcCurve } from './jwk-types.js';

/** One supported short-Weierstrass curve. */
export interface EcCurveInfo {
  /** noble's ECDSA implementation (prehashes with the curve's hash: SHA-256 or SHA-384). */
  ecdsa: typeof p256;
  /** Bytes per coordinate and per scalar. */
  size: number;
  /** The JOSE algorithm for this curve. */
  alg: 'ES256' | 'ES384' | 'ES256K';
}

/**
 * Supported EC curves.
 *
 * @example
 * ```ts
 * EC_CURVES['P-384'].alg; // 'ES384'
 * ```
 */
export const EC_CURVES: Readonly<Record<EcCurve, EcCurveInfo>> = Object.freeze({
  'P-256': { ecdsa: p256, size: 32, alg: 'ES256' },
  'P-384': { ecdsa: p384, size: 48, alg: 'ES384' },
  secp256k1: { ecdsa: secp256k1, size: 32, alg: 'ES256K' },
});

/**
 * True when `crv` is a supported EC curve name.
 * @example
 * ```ts
 * isEcCurve('P-256'); // true
 * ```
 * @throws never
 */
export function isEcCurve(crv: unknown): crv is EcCurve {
  return typeof crv === 'string' && Object.hasOwn(EC_CURVES, crv);
}

/**
 * `0x04 || x || y`, the SEC 1 uncompressed point encoding noble takes.
 * @example
 * ```ts
 * declare const x: Uint8Array;
 * declare const y: Uint8Array;
 * p256.verify(sig, data, uncompressedPoint(x, y));
 * ```
 * @throws never
 */
export function uncompressedPoint(x: Uint8Array, y: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + x.length + y.length);
  out[0] = 4;
  out.set(x, 1);
  out.set(y, 1 + x.length);
  return out;
}

export { ed25519 };
