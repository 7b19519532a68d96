/**
 * Sign and verify with JWKs: HS256/384/512 (HMAC), EdDSA (Ed25519), ES256/ES384/ES256K
 * (ECDSA; JOSE raw `r || s` signatures), RS256/384/512 and PS256/384/512.
 * On the native crypto backend (src/internal/crypto-backend.ts) everything but ES256K runs on the
 * runtime's crypto module; otherwise EdDSA/ES256/ES384 use WebCrypto, RSA needs WebCrypto, and
 * HMAC runs on the crypto backend. ES256K always uses noble, and so do EdDSA/ES256/ES384 where
 * WebCrypto lacks them: registered with `registerNobleCurves()` or loaded on first use on a server
 * runtime (./noble-fallback.ts), else `ERR_UNSUPPORTED` (field `alg`).
 * Verification accepts high-S ECDSA signatures made by other libraries.
 * @module
 */
import { KeywardenError, validationError } from '../errors.js';
import { constantTimeEqual, fromBase64Url, zeroize } from '../internal/bytes.js';
import { type BackendHash, cryptoBackend } from '../internal/crypto-backend.js';
import type { NativeKeyObject } from '../internal/crypto-native.js';
import { EC_CURVES, toLowS } from './curves.js';
import type { Jwk, OctJwk, PublicJwk } from './jwk-types.js';
import { validateJwk } from './jwk-validate.js';
import { nobleCurves, nobleMissing } from './noble-fallback.js';
import {
  cachedNativeKey,
  clearNativeKeyCache,
  importNativeKey,
  type NativeAlgorithm,
  nativeSigning,
  signNative,
  verifyNative,
} from './signing-native.js';
import type { NobleSigning } from './signing-noble.js';
import {
  clearCryptoKeyCache as clearWebCryptoKeyCache,
  type WebCryptoAlgorithm,
  webCryptoSign,
  webCryptoVerify,
} from './signing-webcrypto.js';

/**
 * Empties the imported-key caches (WebCrypto CryptoKeys and native key objects), e.g. after
 * revoking keys, or in tests.
 *
 * @example
 * ```ts
 * clearCryptoKeyCache();
 * ```
 * @throws never
 */
export function clearCryptoKeyCache(): void {
  clearWebCryptoKeyCache();
  clearNativeKeyCache();
}

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

const HMAC_HASHES = {
  HS256: { hash: 'SHA-256', outputLen: 32 },
  HS384: { hash: 'SHA-384', outputLen: 48 },
  HS512: { hash: 'SHA-512', outputLen: 64 },
} as const satisfies Record<string, { hash: BackendHash; outputLen: number }>;
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
 * defaultAlgorithm({ kty: 'EC', crv: 'P-384', x: '…', y: '…' }); // 'ES384'
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
 * the runtime's crypto (native or WebCrypto, imported keys cached); ES256K, and the others where
 * WebCrypto lacks them, on noble (`registerNobleCurves()` from `keywarden/crypto/noble`; loaded
 * on first use on Node, Bun and Deno). Decoded key bytes are zeroed after use.
 *
 * @example
 * ```ts
 * const { privateJwk } = await generateKeyPair({ type: 'ed25519' });
 * const sig = await signWithJwk(privateJwk, 'EdDSA', new TextEncoder().encode('hello'));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `privateJwk…` (malformed, or no private part),
 *   `alg` (unknown, or does not fit the key) or `data`; `ERR_UNSUPPORTED` (field `alg`) for an
 *   algorithm this runtime can only run on noble when noble is not registered.
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
      return cryptoBackend().hmac(HMAC_HASHES[alg as HmacAlgorithm].hash, key, data);
    } finally {
      zeroize(key);
    }
  }
  if (jwk.d === undefined) throw validationError(`${field}.d`, 'is required to sign (this is a public key)');
  if (!(jwk.kty === 'EC' && jwk.crv === 'secp256k1')) {
    const c = nativeSigning();
    if (c !== null) {
      const key = cachedNativeKey(c, jwk, alg as NativeAlgorithm, 'sign', field);
      if (key !== null) return signNative(c, key, alg as NativeAlgorithm, data);
    }
    const fast = await webCryptoSign(jwk, alg as WebCryptoAlgorithm, data, field);
    if (fast) return jwk.kty === 'EC' ? toLowS(jwk.crv, fast) : fast;
    if (jwk.kty === 'RSA') throw new KeywardenError('ERR_UNSUPPORTED', 'RSA signing needs WebCrypto');
  }
  const noble = await requireNoble(alg);
  return jwk.kty === 'EC' ? noble.ecdsaSign(jwk.crv, jwk.d, data) : noble.ed25519Sign(jwk.d, data);
}

/** Noble's signing (registered, or loaded on a server runtime), else `ERR_UNSUPPORTED` naming `alg`. */
async function requireNoble(alg: SigningAlgorithm): Promise<NobleSigning> {
  const noble = await nobleCurves();
  if (noble === null) throw nobleMissing(alg, 'alg', 'registerNobleCurves');
  return noble;
}

function verifyHmac(jwk: OctJwk, alg: HmacAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  const { hash, outputLen } = HMAC_HASHES[alg];
  if (signature.length !== outputLen) return false;
  const key = fromBase64Url(jwk.k);
  const expected = cryptoBackend().hmac(hash, key, data);
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
 * declare const publicJwk: PublicJwk | Jwk;
 * declare const signature: Uint8Array;
 * const ok = await verifyWithJwk(publicJwk, 'ES256', data, signature);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `jwk…` (malformed key), `alg` (unknown, or does
 *   not fit the key, e.g. ES256 with an Ed25519 key), `data` or `signature` (not a Uint8Array);
 *   `ERR_UNSUPPORTED` (field `alg`) as {@link signWithJwk}.
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
  if (key.kty === 'OKP' && signature.length !== 64) return false;
  if (key.kty === 'EC' && signature.length !== 2 * EC_CURVES[key.crv].size) return false;
  const c = key.kty === 'oct' || (key.kty === 'EC' && key.crv === 'secp256k1') ? null : nativeSigning();
  if (c !== null) {
    const imported = cachedNativeKey(c, key as NativeJwkOf, alg as NativeAlgorithm, 'verify', field);
    if (imported !== null) return verifyNative(c, imported, alg as NativeAlgorithm, data, signature);
  }
  switch (key.kty) {
    case 'oct':
      return verifyHmac(key, alg as HmacAlgorithm, data, signature);
    case 'OKP': {
      const fast = await webCryptoVerify(key, 'EdDSA', data, signature, field);
      return fast ?? (await requireNoble(alg)).ed25519Verify(key.x, data, signature);
    }
    case 'EC': {
      if (key.crv !== 'secp256k1') {
        const fast = await webCryptoVerify(key, alg as WebCryptoAlgorithm, data, signature, field);
        if (fast !== null) return fast;
      }
      return (await requireNoble(alg)).ecdsaVerify(key, data, signature);
    }
    case 'RSA': {
      const result = await webCryptoVerify(key, alg as WebCryptoAlgorithm, data, signature, field);
      if (result === null) throw new KeywardenError('ERR_UNSUPPORTED', 'RSA verification needs WebCrypto');
      return result;
    }
  }
}

type NativeJwkOf = Exclude<Jwk, OctJwk>;

/** A signing key made ready once: {@link prepareSigner}. */
export interface PreparedSigner {
  /** The algorithm it signs with. */
  readonly alg: SigningAlgorithm;
  /** Signs `data` (same bytes as {@link signWithJwk}). Throws `ERR_INVALID_STATE` after `destroy()`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Zeroes the key bytes it holds (HMAC, noble) and drops its key object. Idempotent. */
  destroy(): void;
}

/** A verification key made ready once: {@link prepareVerifier}. */
export interface PreparedVerifier {
  /** As {@link verifyWithJwk}: false for a wrong or malformed signature. */
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Zeroes the key bytes it holds (HMAC keys) and drops its key object. Idempotent. */
  destroy(): void;
}

function destroyedError(): Error {
  return new KeywardenError('ERR_INVALID_STATE', 'this prepared key was destroyed');
}

/**
 * An HMAC key prepared for repeated use: HMAC-SHA256 as a keyed state of the crypto backend (the
 * padded key blocks computed once, ~25% less CPU per MAC on the native backend; the decoded key is
 * zeroed at once and the state by `destroy`), SHA-384/512 with the decoded bytes (zeroed by
 * `destroy`). `check` and `run` throw `destroyedError()` after `destroy`.
 */
function preparedHmac(
  key: Uint8Array,
  hash: BackendHash,
): { check(): void; run(data: Uint8Array): Uint8Array; destroy(): void } {
  let destroyed = false;
  const check = (): void => {
    if (destroyed) throw destroyedError();
  };
  if (hash === 'SHA-256') {
    const keyed = cryptoBackend().keyedSha256(key, destroyedError);
    key.fill(0);
    return {
      check,
      run: (data) => keyed.mac(data),
      destroy() {
        destroyed = true;
        keyed.destroy();
      },
    };
  }
  return {
    check,
    run(data) {
      check();
      return cryptoBackend().hmac(hash, key, data);
    },
    destroy() {
      destroyed = true;
      key.fill(0);
    },
  };
}

/**
 * Prepares a private (or `oct`) JWK for repeated signing: an HMAC key is decoded once (and zeroed
 * by `destroy`), a key the native backend can run is imported once as a native key object;
 * anything else signs through {@link signWithJwk} on each call.
 *
 * @example
 * ```ts
 * declare const privateJwk: Jwk;
 * const signer = prepareSigner(privateJwk, 'ES256');
 * const sig = await signer.sign(data);
 * signer.destroy();
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `privateJwk…` or `alg`, as {@link signWithJwk}.
 */
export function prepareSigner(privateJwk: Jwk, alg: SigningAlgorithm): PreparedSigner {
  const field = 'privateJwk';
  const jwk = prepare(privateJwk, alg, field, new Uint8Array(0));
  if (jwk.kty === 'oct') {
    const mac = preparedHmac(fromBase64Url(jwk.k), HMAC_HASHES[alg as HmacAlgorithm].hash);
    return {
      alg,
      sign: async (data) => {
        if (!(data instanceof Uint8Array)) {
          mac.check();
          throw validationError('data', 'must be a Uint8Array');
        }
        return mac.run(data);
      },
      destroy: mac.destroy,
    };
  }
  if (jwk.d === undefined) throw validationError(`${field}.d`, 'is required to sign (this is a public key)');
  const c = jwk.kty === 'EC' && jwk.crv === 'secp256k1' ? null : nativeSigning();
  let native: NativeKeyObject | null = c === null ? null : importNativeKey(c, jwk, 'sign', field);
  if (c !== null && native !== null) {
    return {
      alg,
      sign: async (data) => {
        if (native === null) throw destroyedError();
        if (!(data instanceof Uint8Array)) throw validationError('data', 'must be a Uint8Array');
        return signNative(c, native, alg as NativeAlgorithm, data);
      },
      destroy() {
        native = null;
      },
    };
  }
  let held: Jwk | null = jwk;
  return {
    alg,
    sign: async (data) => {
      if (held === null) throw destroyedError();
      return signWithJwk(held, alg, data);
    },
    destroy() {
      held = null;
    },
  };
}

/**
 * Prepares a JWK for repeated verification (see {@link prepareSigner}).
 *
 * @example
 * ```ts
 * declare const publicJwk: PublicJwk | Jwk;
 * const verifier = prepareVerifier(publicJwk, 'EdDSA');
 * await verifier.verify(data, sig); // boolean
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `jwk…` or `alg`, as {@link verifyWithJwk}.
 */
export function prepareVerifier(input: Jwk | PublicJwk, alg: SigningAlgorithm): PreparedVerifier {
  const field = 'jwk';
  const jwk = prepare(input, alg, field, new Uint8Array(0));
  const check = (data: unknown, signature: unknown): void => {
    if (!(data instanceof Uint8Array)) throw validationError('data', 'must be a Uint8Array');
    if (!(signature instanceof Uint8Array)) throw validationError('signature', 'must be a Uint8Array');
  };
  if (jwk.kty === 'oct') {
    const { hash, outputLen } = HMAC_HASHES[alg as HmacAlgorithm];
    const mac = preparedHmac(fromBase64Url(jwk.k), hash);
    return {
      verify: async (data, signature) => {
        mac.check();
        check(data, signature);
        if (signature.length !== outputLen) return false;
        const expected = mac.run(data as Uint8Array);
        const ok = constantTimeEqual(expected, signature);
        zeroize(expected);
        return ok;
      },
      destroy: mac.destroy,
    };
  }
  const c = jwk.kty === 'EC' && jwk.crv === 'secp256k1' ? null : nativeSigning();
  let native: NativeKeyObject | null = c === null ? null : importNativeKey(c, jwk, 'verify', field);
  const size = jwk.kty === 'OKP' ? 64 : jwk.kty === 'EC' ? 2 * EC_CURVES[jwk.crv].size : 0;
  if (c !== null && native !== null) {
    return {
      verify: async (data, signature) => {
        if (native === null) throw destroyedError();
        check(data, signature);
        if (size !== 0 && signature.length !== size) return false;
        return verifyNative(c, native, alg as NativeAlgorithm, data, signature);
      },
      destroy() {
        native = null;
      },
    };
  }
  let held: Jwk | null = jwk;
  return {
    verify: async (data, signature) => {
      if (held === null) throw destroyedError();
      return verifyWithJwk(held, alg, data, signature);
    },
    destroy() {
      held = null;
    },
  };
}
