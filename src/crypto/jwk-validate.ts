/**
 * Strict JWK validation: shape per `kty`/`crv`, canonical base64url members of the right length,
 * EC and Ed25519 public points on their curve, RSA moduli of a safe size. Returns a normalized
 * copy holding only the known members.
 * @module
 */
import { KeywardenError, validationError } from '../errors.js';
import { fromBase64Url, toHex, zeroize } from '../internal/bytes.js';
import { EC_CURVES, isEcCurve, isEcPoint, isEcScalar, isEd25519Point } from './curves.js';
import type { EcJwk, Jwk, JwkCommon, OctJwk, OkpJwk, RsaJwk } from './jwk-types.js';

/**
 * Smallest RSA modulus accepted, in bits.
 *
 * @example
 * ```ts
 * MIN_RSA_BITS; // 2048
 * ```
 */
export const MIN_RSA_BITS = 2048;
/**
 * Largest RSA modulus accepted, in bits.
 *
 * @example
 * ```ts
 * MAX_RSA_BITS; // 8192
 * ```
 */
export const MAX_RSA_BITS = 8192;
/**
 * Symmetric key size bounds, in bytes.
 *
 * @example
 * ```ts
 * MIN_OCT_BYTES; // 16
 * ```
 */
export const MIN_OCT_BYTES = 16;
/**
 * Largest symmetric key accepted, in bytes.
 *
 * @example
 * ```ts
 * MAX_OCT_BYTES; // 512
 * ```
 */
export const MAX_OCT_BYTES = 512;

const BASE64URL_CHAR = /^[A-Za-z0-9_-]*$/;
const RSA_PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

type Obj = Record<string, unknown>;

/**
 * Public points already proven valid (`crv:x:y`), so hot paths (verify on every request) skip the
 * curve arithmetic (~0.1 ms for an Ed25519 decode). Holds public data only; bounded.
 */
const VALID_POINTS = new Map<string, true>();
const VALID_POINTS_MAX = 1024;

function checkPointOnce(id: string, isValid: () => boolean): boolean {
  if (VALID_POINTS.has(id)) return true;
  if (!isValid()) return false;
  VALID_POINTS.set(id, true);
  if (VALID_POINTS.size > VALID_POINTS_MAX) {
    const oldest = VALID_POINTS.keys().next().value;
    if (oldest !== undefined) VALID_POINTS.delete(oldest);
  }
  return true;
}

/** Decodes a required base64url member; checks the alphabet (no padding, no `+/`) and canonical form. */
function member(jwk: Obj, name: string, field: string): Uint8Array {
  const value = jwk[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
    throw validationError(`${field}.${name}`, 'must be a non-empty base64url string');
  }
  if (!BASE64URL_CHAR.test(value))
    throw validationError(`${field}.${name}`, 'must be base64url without padding');
  try {
    return fromBase64Url(value);
  } catch {
    throw validationError(`${field}.${name}`, 'must be canonical base64url');
  }
}

function sized(jwk: Obj, name: string, field: string, bytes: number): Uint8Array {
  const value = member(jwk, name, field);
  if (value.length !== bytes) {
    value.fill(0);
    throw validationError(`${field}.${name}`, `must encode ${bytes} bytes`);
  }
  return value;
}

function common(jwk: Obj, field: string): JwkCommon {
  const out: JwkCommon = {};
  const { kid, alg, use, key_ops: ops } = jwk;
  if (kid !== undefined) {
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
      throw validationError(`${field}.kid`, 'must be a string of 1-256 characters');
    }
    out.kid = kid;
  }
  if (alg !== undefined) {
    if (typeof alg !== 'string' || alg.length === 0 || alg.length > 32) {
      throw validationError(`${field}.alg`, 'must be a string of 1-32 characters');
    }
    out.alg = alg;
  }
  if (use !== undefined) {
    if (use !== 'sig' && use !== 'enc') throw validationError(`${field}.use`, "must be 'sig' or 'enc'");
    out.use = use;
  }
  if (ops !== undefined) {
    if (!Array.isArray(ops) || ops.length > 8 || !ops.every((o) => typeof o === 'string' && o.length <= 32)) {
      throw validationError(`${field}.key_ops`, 'must be an array of at most 8 strings');
    }
    out.key_ops = [...(ops as string[])];
  }
  return out;
}

function validateOkp(jwk: Obj, field: string): OkpJwk {
  if (jwk.crv !== 'Ed25519') throw validationError(`${field}.crv`, "must be 'Ed25519'");
  const x = sized(jwk, 'x', field, 32);
  if (!checkPointOnce(`Ed25519:${jwk.x}`, () => isEd25519Point(x))) {
    throw validationError(`${field}.x`, 'is not a valid Ed25519 public key');
  }
  const out: OkpJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, ...common(jwk, field) };
  if (jwk.d !== undefined) {
    sized(jwk, 'd', field, 32).fill(0);
    out.d = jwk.d as string;
  }
  return out;
}

function validateEc(jwk: Obj, field: string): EcJwk {
  const crv = jwk.crv;
  if (!isEcCurve(crv)) throw validationError(`${field}.crv`, "must be 'P-256', 'P-384' or 'secp256k1'");
  const { size } = EC_CURVES[crv];
  const x = sized(jwk, 'x', field, size);
  const y = sized(jwk, 'y', field, size);
  if (!checkPointOnce(`${crv}:${jwk.x}:${jwk.y}`, () => isEcPoint(crv, x, y))) {
    throw validationError(`${field}.x`, `is not a point on ${crv}`);
  }
  const out: EcJwk = { kty: 'EC', crv, x: jwk.x as string, y: jwk.y as string, ...common(jwk, field) };
  if (jwk.d !== undefined) {
    const d = sized(jwk, 'd', field, size);
    const ok = isEcScalar(crv, d);
    d.fill(0);
    if (!ok) throw validationError(`${field}.d`, `is not a valid ${crv} private scalar`);
    out.d = jwk.d as string;
  }
  return out;
}

function validateRsa(jwk: Obj, field: string): RsaJwk {
  const n = member(jwk, 'n', field);
  const bits = n.length * 8 - Math.clz32(n[0] as number) + 24;
  if (n[0] === 0 || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || ((n[n.length - 1] as number) & 1) === 0) {
    throw validationError(`${field}.n`, `must be an odd ${MIN_RSA_BITS}-${MAX_RSA_BITS} bit modulus`);
  }
  const e = member(jwk, 'e', field);
  if (
    e.length > 4 ||
    e[0] === 0 ||
    ((e[e.length - 1] as number) & 1) === 0 ||
    (e.length === 1 && (e[0] as number) < 3)
  ) {
    throw validationError(`${field}.e`, 'must be an odd public exponent of at most 32 bits, at least 3');
  }
  if (jwk.oth !== undefined) throw validationError(`${field}.oth`, 'multi-prime RSA keys are not supported');
  const out: RsaJwk = { kty: 'RSA', n: jwk.n as string, e: jwk.e as string, ...common(jwk, field) };
  const present = RSA_PRIVATE_MEMBERS.filter((m) => jwk[m] !== undefined);
  if (present.length > 0) {
    const primes: Uint8Array[] = [];
    for (const m of RSA_PRIVATE_MEMBERS) {
      if (jwk[m] === undefined) throw validationError(`${field}.${m}`, 'is required in a private RSA key');
      const value = member(jwk, m, field);
      if (m === 'p' || m === 'q') primes.push(value);
      else value.fill(0);
      out[m] = jwk[m] as string;
    }
    // An inconsistent CRT key can make faulty signatures that leak the factorization.
    const consistent = toBigInt(primes[0] as Uint8Array) * toBigInt(primes[1] as Uint8Array) === toBigInt(n);
    zeroize(...primes);
    if (!consistent) throw validationError(`${field}.p`, 'p * q does not equal n');
  }
  return out;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

function validateOct(jwk: Obj, field: string): OctJwk {
  const k = member(jwk, 'k', field);
  const length = k.length;
  k.fill(0);
  if (length < MIN_OCT_BYTES || length > MAX_OCT_BYTES) {
    throw validationError(`${field}.k`, `must encode ${MIN_OCT_BYTES}-${MAX_OCT_BYTES} bytes`);
  }
  return { kty: 'oct', k: jwk.k as string, ...common(jwk, field) };
}

/**
 * Validates a JWK strictly and returns a normalized copy (known members only; unknown members
 * are dropped, as RFC 7517 §4 allows). Checks: `kty`/`crv` supported; base64url members canonical
 * and of the right length; EC/Ed25519 public points valid and EC private scalars in range; RSA
 * modulus 2048–8192 bits, public exponent odd, private keys complete (all CRT members).
 * Does not check that a private member matches its public one.
 *
 * @param input - the candidate JWK
 * @param field - the name used in error fields (`'jwk'` → `'jwk.x'`)
 * @example
 * ```ts
 * const jwk = validateJwk(JSON.parse(await request.text()), 'publicJwk');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad member (`${field}.crv`, `${field}.x`, …).
 */
export function validateJwk(input: unknown, field: string): Jwk {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError(field, 'must be a JWK object');
  }
  const jwk = input as Obj;
  try {
    switch (jwk.kty) {
      case 'OKP':
        return validateOkp(jwk, field);
      case 'EC':
        return validateEc(jwk, field);
      case 'RSA':
        return validateRsa(jwk, field);
      case 'oct':
        return validateOct(jwk, field);
      default:
        throw validationError(`${field}.kty`, "must be 'OKP', 'EC', 'RSA' or 'oct'");
    }
  } catch (error) {
    if (error instanceof KeywardenError) throw error;
    // A getter or proxy threw: never leak a raw error from inside.
    throw validationError(field, 'is not a readable JWK object');
  }
}
