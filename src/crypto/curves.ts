/**
 * The elliptic curves keywarden uses, by JWK `crv` name: their coordinate sizes, the JOSE
 * algorithm each one signs with (RFC 7518 §3.4, RFC 8812 §3.2), and the few checks that need only
 * the curve equation (is a public point on its curve, is a private scalar in range, low-S
 * rewriting), in plain bigint arithmetic. Signing and key generation run on the runtime's crypto
 * (native or WebCrypto) or on noble when registered (./noble-fallback.ts), so this module pulls no
 * curve library into a bundle. test/generator/curves.test.ts checks every function against noble.
 * @internal
 * @module
 */
import type { EcCurve } from './jwk-types.js';

/** One supported short-Weierstrass curve `y² = x³ + ax + b (mod p)` of prime order `n`. */
export interface EcCurveInfo {
  /** Bytes per coordinate and per scalar. */
  size: number;
  /** The JOSE algorithm for this curve. */
  alg: 'ES256' | 'ES384' | 'ES256K';
  /** The field prime. */
  p: bigint;
  /** The curve coefficient a. */
  a: bigint;
  /** The curve coefficient b. */
  b: bigint;
  /** The group order. */
  n: bigint;
}

const P256 = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P384 =
  0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn;

/**
 * Supported EC curves.
 *
 * @example
 * ```ts
 * EC_CURVES['P-384'].alg; // 'ES384'
 * ```
 */
export const EC_CURVES: Readonly<Record<EcCurve, EcCurveInfo>> = Object.freeze({
  'P-256': {
    size: 32,
    alg: 'ES256',
    p: P256,
    a: P256 - 3n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  'P-384': {
    size: 48,
    alg: 'ES384',
    p: P384,
    a: P384 - 3n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  secp256k1: {
    size: 32,
    alg: 'ES256K',
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
    a: 0n,
    b: 7n,
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  },
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

/** Big-endian unsigned integer of `bytes`. */
function toBigInt(bytes: Uint8Array, from = 0, to = bytes.length): bigint {
  let n = 0n;
  for (let i = from; i < to; i++) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

/** `base^exponent mod m`, four exponent bits at a time (a 255-bit exponent: ~254 squarings, ~64 products). */
function powMod(base: bigint, exponent: bigint, m: bigint): bigint {
  const table = [1n, mod(base, m)];
  for (let i = 2; i < 16; i++) table.push(((table[i - 1] as bigint) * (table[1] as bigint)) % m);
  let result = 1n;
  for (const digit of exponent.toString(16)) {
    for (let i = 0; i < 4; i++) result = (result * result) % m;
    const d = Number.parseInt(digit, 16);
    if (d !== 0) result = (result * (table[d] as bigint)) % m;
  }
  return result;
}

/**
 * True when `(x, y)` (big-endian coordinates of the curve's size) is a point on `crv`: both below
 * the field prime and satisfying the curve equation (every supported curve has cofactor 1, so
 * that is the whole public-key check, SEC 1 §3.2.2.1).
 * @example
 * ```ts
 * declare const x: Uint8Array;
 * declare const y: Uint8Array;
 * isEcPoint('P-256', x, y); // boolean
 * ```
 * @throws never
 */
export function isEcPoint(crv: EcCurve, x: Uint8Array, y: Uint8Array): boolean {
  const { size, p, a, b } = EC_CURVES[crv];
  if (x.length !== size || y.length !== size) return false;
  const X = toBigInt(x);
  const Y = toBigInt(y);
  if (X >= p || Y >= p) return false;
  return mod(Y * Y - (X * X * X + a * X + b), p) === 0n;
}

/**
 * True when `d` (big-endian, the curve's size) is a valid private scalar of `crv`: 1 ≤ d < n.
 * @example
 * ```ts
 * declare const d: Uint8Array;
 * isEcScalar('P-384', d); // boolean
 * ```
 * @throws never
 */
export function isEcScalar(crv: EcCurve, d: Uint8Array): boolean {
  const { size, n } = EC_CURVES[crv];
  if (d.length !== size) return false;
  const k = toBigInt(d);
  return k > 0n && k < n;
}

const ED_P = 2n ** 255n - 19n;
const ED_D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

/**
 * True when `bytes` is the encoding of an Ed25519 point, decoded strictly as RFC 8032 §5.1.3
 * says (`y` below the prime, `x² = (y² − 1) / (d·y² + 1)` has a root, no sign bit on `x = 0`):
 * what OpenSSL and noble (zip215: false) accept as a public key.
 * @example
 * ```ts
 * declare const x: Uint8Array; // the JWK's `x`, 32 bytes
 * isEd25519Point(x); // boolean
 * ```
 * @throws never
 */
export function isEd25519Point(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false;
  const last = bytes[31] as number;
  let y = BigInt(last & 0x7f);
  for (let i = 30; i >= 0; i--) y = (y << 8n) | BigInt(bytes[i] as number);
  if (y >= ED_P) return false;
  const y2 = (y * y) % ED_P;
  const u = mod(y2 - 1n, ED_P);
  if (u === 0n) return (last & 0x80) === 0; // x = 0: its sign bit must be clear
  const v = (ED_D * y2 + 1n) % ED_P; // never 0: d is not a square
  // u/v is a square exactly when u·v is one (u/v = u·v / v²): Euler's criterion
  return powMod(u * v, (ED_P - 1n) / 2n, ED_P) === 1n;
}

/**
 * A raw `r || s` ECDSA signature in low-S form (`s ≤ n/2`, replacing s by n − s): the same array
 * when it already is, else a rewritten copy, so verifiers that insist on low-S (noble's default, Bitcoin-style) accept it. Same validity for
 * everyone else.
 * @example
 * ```ts
 * declare const webCryptoSignature: Uint8Array;
 * toLowS('P-256', webCryptoSignature);
 * ```
 * @throws never
 */
export function toLowS(crv: EcCurve, signature: Uint8Array): Uint8Array {
  const { n } = EC_CURVES[crv];
  const half = signature.length / 2;
  const s = toBigInt(signature, half);
  if (s <= n >> 1n) return signature;
  const out = signature.slice();
  let t = n - s;
  for (let i = out.length - 1; i >= half; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

/**
 * The coordinates of a SEC 1 compressed point (`0x02 | 0x03` by the parity of y, then x) on
 * `crv`, or null when it is not one: wrong length or prefix, x not below the field prime, or no
 * point with that x. Every supported curve has p ≡ 3 (mod 4), so y = (x³ + ax + b)^((p+1)/4).
 * @example
 * ```ts
 * declare const compressed: Uint8Array; // 33 bytes for P-256
 * const xy = decompressEcPoint('P-256', compressed); // { x, y } or null
 * ```
 * @throws never
 */
export function decompressEcPoint(crv: EcCurve, bytes: Uint8Array): { x: Uint8Array; y: Uint8Array } | null {
  const { size, p, a, b } = EC_CURVES[crv];
  const prefix = bytes[0];
  if (bytes.length !== 1 + size || (prefix !== 2 && prefix !== 3)) return null;
  const X = toBigInt(bytes, 1);
  if (X >= p) return null;
  const rhs = mod(X * X * X + a * X + b, p);
  let Y = powMod(rhs, (p + 1n) >> 2n, p);
  if ((Y * Y) % p !== rhs) return null; // not a square: no point has this x
  if ((Y & 1n) !== BigInt(prefix & 1)) Y = mod(-Y, p);
  const y = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    y[i] = Number(Y & 0xffn);
    Y >>= 8n;
  }
  return { x: bytes.slice(1), y };
}

/**
 * `0x04 || x || y`, the SEC 1 uncompressed point encoding noble takes.
 * @example
 * ```ts
 * declare const x: Uint8Array;
 * declare const y: Uint8Array;
 * uncompressedPoint(x, y); // 1 + 2 · size bytes
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
