/**
 * JWK helpers: RFC 7638 thumbprints, public projections, symmetric JWKs.
 * @module
 */
import { validationError } from '../errors.js';
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import type { Jwk, OctJwk, PublicJwk } from './jwk-types.js';
import { validateJwk } from './jwk-validate.js';

export type * from './jwk-types.js';
export { validateJwk } from './jwk-validate.js';

/** The members RFC 7638 §3.2 hashes, per `kty`, in lexicographic order. */
const THUMBPRINT_MEMBERS = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
} as const;

/**
 * RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order, no
 * whitespace, base64url. Generated keys use it as their `kid`. For `oct` keys the thumbprint is
 * a hash of the secret itself: fine as an internal id, but never publish it (keywarden publishes
 * kids only for public keys).
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `jwk…`) when `jwk` is not a valid JWK.
 */
export function jwkThumbprint(jwk: Jwk | PublicJwk): string {
  const valid = validateJwk(jwk, 'jwk');
  const record = valid as unknown as Record<string, string>;
  const parts = THUMBPRINT_MEMBERS[valid.kty].map((m) => `${JSON.stringify(m)}:${JSON.stringify(record[m])}`);
  return toBase64Url(cryptoBackend().sha256(utf8Encode(`{${parts.join(',')}}`)));
}

/**
 * The public part of a key: drops `d` (and the RSA CRT members). Keeps `kid`, `alg`, `use`,
 * `key_ops` (private operations removed). Symmetric keys have no public part.
 *
 * @example
 * ```ts
 * declare const privateJwk: PublicJwk | Jwk;
 * const { publicJwk } = await generateKeyPair({ type: 'ed25519' });
 * toPublicJwk(privateJwk); // { kty: 'OKP', crv: 'Ed25519', x: '…', kid, alg }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `jwk…`) for an invalid JWK or an `oct` key.
 */
export function toPublicJwk(jwk: Jwk | PublicJwk): PublicJwk {
  const valid = validateJwk(jwk, 'jwk');
  const common: { kid?: string; alg?: string; use?: 'sig' | 'enc'; key_ops?: string[] } = {};
  if (valid.kid !== undefined) common.kid = valid.kid;
  if (valid.alg !== undefined) common.alg = valid.alg;
  if (valid.use !== undefined) common.use = valid.use;
  if (valid.key_ops !== undefined) {
    common.key_ops = valid.key_ops.filter((op) => op === 'verify' || op === 'encrypt' || op === 'wrapKey');
  }
  switch (valid.kty) {
    case 'OKP':
      return { kty: 'OKP', crv: valid.crv, x: valid.x, ...common };
    case 'EC':
      return { kty: 'EC', crv: valid.crv, x: valid.x, y: valid.y, ...common };
    case 'RSA':
      return { kty: 'RSA', n: valid.n, e: valid.e, ...common };
    default:
      throw validationError('jwk.kty', "'oct' keys are secret and have no public part");
  }
}

/** Algorithms a symmetric JWK may be labelled with. */
export type SymmetricJwkAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'A128GCM' | 'A256GCM' | 'A128KW' | 'A256KW';
const SYMMETRIC_ALGS: Readonly<Record<SymmetricJwkAlgorithm, readonly [number, number]>> = {
  HS256: [32, 512],
  HS384: [48, 512],
  HS512: [64, 512],
  A128GCM: [16, 16],
  A256GCM: [32, 32],
  A128KW: [16, 16],
  A256KW: [32, 32],
};

/**
 * Wraps raw key bytes as an `oct` JWK. Its `kid` is the RFC 7638 thumbprint (see
 * {@link jwkThumbprint} on why that must stay private for symmetric keys).
 *
 * @param bytes - the key; HMAC keys must be at least the hash size (RFC 7518 §3.2), AES keys exact
 * @param alg - the algorithm the key is for
 * @example
 * ```ts
 * symmetricJwk(generateHmacKey(), 'HS256'); // { kty: 'oct', k: '…', alg: 'HS256', kid: '…' }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `bytes` or `alg`.
 */
export function symmetricJwk(bytes: Uint8Array, alg: SymmetricJwkAlgorithm): OctJwk {
  // typeof first: Object.hasOwn converts its key, which throws for an object without toString
  const range =
    typeof alg === 'string' && Object.hasOwn(SYMMETRIC_ALGS, alg) ? SYMMETRIC_ALGS[alg] : undefined;
  if (range === undefined)
    throw validationError('alg', `must be one of ${Object.keys(SYMMETRIC_ALGS).join(', ')}`);
  if (!(bytes instanceof Uint8Array)) throw validationError('bytes', 'must be a Uint8Array');
  if (bytes.length < range[0] || bytes.length > range[1]) {
    throw validationError(
      'bytes',
      `must be ${range[0]}${range[1] === range[0] ? '' : `-${range[1]}`} bytes for ${alg}`,
    );
  }
  const jwk: OctJwk = { kty: 'oct', k: toBase64Url(bytes), alg };
  jwk.kid = jwkThumbprint(jwk);
  return jwk;
}

/**
 * Validates and normalizes a JWK from outside (alias of {@link validateJwk} with field `'jwk'`).
 *
 * @example
 * ```ts
 * declare const text: string;
 * const jwk = importJwk(JSON.parse(text));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad member (`jwk.x`, `jwk.crv`, …).
 */
export function importJwk(input: unknown): Jwk {
  return validateJwk(input, 'jwk');
}
