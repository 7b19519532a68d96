/**
 * Asymmetric key pairs as JWKs: Ed25519, ECDSA P-256/P-384 and RSA through WebCrypto; secp256k1
 * (and Ed25519/P-256/P-384 where WebCrypto lacks them) through noble, registered or loaded on first
 * use (./noble-fallback.ts). `kid` is the RFC 7638 thumbprint of the public key.
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { toBase64Url, zeroize } from '../internal/bytes.js';
import { parseTagged } from '../internal/validate.js';
import { EC_CURVES } from './curves.js';
import { jwkThumbprint } from './jwk.js';
import type { EcJwk, OkpJwk, PublicJwk, RsaJwk } from './jwk-types.js';
import { nobleCurves, nobleMissing } from './noble-fallback.js';
import { subtleCrypto } from './webcrypto.js';

/** What {@link generateKeyPair} makes. */
export type KeyPairSpec =
  | {
      /** An Ed25519 pair (`alg` `EdDSA`). */
      type: 'ed25519';
    }
  | {
      /** An ECDSA pair. */
      type: 'ecdsa';
      /** The curve: `P-256` (`alg` `ES256`), `P-384` (`ES384`) or `secp256k1` (`ES256K`). */
      curve: 'P-256' | 'P-384' | 'secp256k1';
    }
  | {
      /** An RSA pair (public exponent 65537). */
      type: 'rsa';
      /** Modulus size in bits. */
      modulusLength: 2048 | 3072 | 4096;
      /** The hash of its `alg`: `SHA-256` (default, `RS256`), `SHA-384` (`RS384`) or `SHA-512` (`RS512`). */
      hash?: 'SHA-256' | 'SHA-384' | 'SHA-512' | undefined;
    };

/** Asymmetric signing algorithms a generated pair defaults to. */
export type KeyPairAlgorithm = 'EdDSA' | 'ES256' | 'ES384' | 'ES256K' | 'RS256' | 'RS384' | 'RS512';

/** A generated key pair. `privateJwk` is secret: seal it, never log it. */
export interface GeneratedKeyPair {
  /** The private key (carries `kid` and `alg`). */
  privateJwk: OkpJwk | EcJwk | RsaJwk;
  /** The public key (carries `kid` and `alg`), ready for a JWKS. */
  publicJwk: PublicJwk;
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  /** Default JOSE algorithm for the key. */
  alg: KeyPairAlgorithm;
}

/**
 * The schema of each key `type` (parsed with `parseTagged`, a discriminated union by `type`), built
 * on the first `generateKeyPair` call (not at import: issue 16's cold start; a local memo, see
 * derive.ts).
 */
let builtSpecSchemas: ReturnType<typeof buildSpecSchemas> | undefined;
const specSchemas = () => (builtSpecSchemas ??= buildSpecSchemas());
const buildSpecSchemas = () => [
  z.strictObject({ type: z.literal('ed25519') }),
  z.strictObject({ type: z.literal('ecdsa'), curve: z.enum(['P-256', 'P-384', 'secp256k1']) }),
  z.strictObject({
    type: z.literal('rsa'),
    modulusLength: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]),
    hash: z.optional(z.enum(['SHA-256', 'SHA-384', 'SHA-512'])),
  }),
];

const RSA_ALG = { 'SHA-256': 'RS256', 'SHA-384': 'RS384', 'SHA-512': 'RS512' } as const;

function finish<P extends OkpJwk | EcJwk | RsaJwk>(
  privateJwk: P,
  publicJwk: PublicJwk,
  alg: KeyPairAlgorithm,
) {
  const kid = jwkThumbprint(publicJwk);
  privateJwk.kid = kid;
  privateJwk.alg = alg;
  publicJwk.kid = kid;
  publicJwk.alg = alg;
  return { privateJwk, publicJwk, kid, alg };
}

type CurveName = 'Ed25519' | 'P-256' | 'P-384' | 'secp256k1';

/** The private JWK members WebCrypto made (`x`, `y`, `d` as base64url), or null when it cannot. */
async function webCryptoPair(curve: CurveName): Promise<Record<string, unknown> | null> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle || curve === 'secp256k1') return null;
  try {
    const algorithm = curve === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: curve };
    const pair = (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
    return (await subtle.exportKey('jwk', pair.privateKey)) as Record<string, unknown>;
  } catch {
    return null; // e.g. no Ed25519 in this browser: noble, when there is one
  }
}

/** The same members made by noble, or `ERR_UNSUPPORTED` (field `spec`) when noble is not here. */
async function noblePair(curve: CurveName, alg: KeyPairAlgorithm): Promise<Record<string, string>> {
  const noble = await nobleCurves();
  if (noble === null) throw nobleMissing(alg, 'spec', 'registerNobleCurves');
  const { secret, publicKey } = noble.generate(curve);
  const size = curve === 'P-384' ? 48 : 32;
  const members =
    curve === 'Ed25519'
      ? { x: toBase64Url(publicKey), d: toBase64Url(secret) }
      : {
          x: toBase64Url(publicKey.subarray(1, 1 + size)), // 0x04 || x || y
          y: toBase64Url(publicKey.subarray(1 + size)),
          d: toBase64Url(secret),
        };
  zeroize(secret);
  return members;
}

async function generateCurvePair(curve: CurveName): Promise<GeneratedKeyPair> {
  const alg = curve === 'Ed25519' ? 'EdDSA' : EC_CURVES[curve].alg;
  const made = (await webCryptoPair(curve)) ?? (await noblePair(curve, alg));
  const { x, y, d } = made;
  if (typeof x !== 'string' || typeof d !== 'string' || (curve !== 'Ed25519' && typeof y !== 'string')) {
    throw new KeywardenError('ERR_UNSUPPORTED', `WebCrypto exported a ${curve} key without its members`);
  }
  if (curve === 'Ed25519') {
    return finish({ kty: 'OKP', crv: 'Ed25519', x, d }, { kty: 'OKP', crv: 'Ed25519', x }, alg);
  }
  const yy = y as string;
  return finish({ kty: 'EC', crv: curve, x, y: yy, d }, { kty: 'EC', crv: curve, x, y: yy }, alg);
}

const RSA_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

async function generateRsa(
  modulusLength: 2048 | 3072 | 4096,
  hash: keyof typeof RSA_ALG,
): Promise<GeneratedKeyPair> {
  const subtle = subtleCrypto();
  let exported: JsonWebKey;
  try {
    const pair = await subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash },
      true,
      ['sign', 'verify'],
    );
    exported = await subtle.exportKey('jwk', pair.privateKey);
  } catch (cause) {
    throw new KeywardenError('ERR_UNSUPPORTED', 'RSA key generation failed in this runtime', { cause });
  }
  const privateJwk = { kty: 'RSA' } as RsaJwk;
  for (const m of RSA_MEMBERS) {
    const value = exported[m];
    if (typeof value !== 'string') {
      throw new KeywardenError('ERR_UNSUPPORTED', `WebCrypto exported an RSA key without '${m}'`);
    }
    privateJwk[m] = value;
  }
  return finish(privateJwk, { kty: 'RSA', n: privateJwk.n, e: privateJwk.e }, RSA_ALG[hash]);
}

/**
 * Generates an asymmetric signing key pair as JWKs (RFC 7517; OKP per RFC 8037; secp256k1 per
 * RFC 8812). Intermediate private-key bytes (noble) are zeroed once encoded.
 *
 * @example
 * ```ts
 * const { privateJwk, publicJwk, kid, alg } = await generateKeyPair({ type: 'ecdsa', curve: 'P-256' });
 * // alg: 'ES256'; kid: RFC 7638 thumbprint of publicJwk
 * await generateKeyPair({ type: 'rsa', modulusLength: 3072, hash: 'SHA-384' }); // alg 'RS384'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `spec…` for a bad spec; `ERR_UNSUPPORTED` when
 *   the runtime has no WebCrypto RSA, or (field `spec`) for a secp256k1 pair (or an Ed25519/ECDSA
 *   one where WebCrypto lacks it) without noble (`registerNobleCurves()` from
 *   `keywarden/crypto/noble`; Node, Bun and Deno load it on their own).
 */
export async function generateKeyPair(spec: KeyPairSpec): Promise<GeneratedKeyPair> {
  const valid = parseTagged('type', specSchemas(), spec, 'spec');
  switch (valid.type) {
    case 'ed25519':
      return generateCurvePair('Ed25519');
    case 'ecdsa':
      return generateCurvePair(valid.curve);
    case 'rsa':
      return generateRsa(valid.modulusLength, valid.hash ?? 'SHA-256');
  }
}
