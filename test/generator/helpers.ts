/** Shared setup of the generator tests: error-field probes and cached signing keys. */
import { expect } from 'vitest';
import {
  type GeneratedKeyPair,
  generateKeyPair,
  type Jwk,
  type SigningAlgorithm,
  symmetricJwk,
} from '../../src/crypto/index.js';
import { isKeywardenError } from '../../src/errors.js';

/** The `field` of the `ERR_VALIDATION` that `fn` throws (fails the test on anything else). */
export function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    return (error as { field?: string }).field;
  }
  throw new Error('expected ERR_VALIDATION');
}

/** The `field` of the `ERR_VALIDATION` that `fn` rejects with (fails the test on anything else). */
export async function validationFieldAsync(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    return (error as { field?: string }).field;
  }
  throw new Error('expected ERR_VALIDATION');
}

/** The message every signing test signs. */
export const data = new TextEncoder().encode('keywarden signs this');

/** The group orders of the ECDSA curves (for high-S checks). */
export const ORDER = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384':
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
} as const;

/** Big-endian bytes as a bigint. */
export const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);

const keys = new Map<string, GeneratedKeyPair>();
/** One key pair per type, generated once per test file. */
export async function pair(
  name: 'ed25519' | 'P-256' | 'P-384' | 'secp256k1' | 'rsa',
): Promise<GeneratedKeyPair> {
  let kp = keys.get(name);
  if (!kp) {
    kp = await generateKeyPair(
      name === 'ed25519'
        ? { type: 'ed25519' }
        : name === 'rsa'
          ? { type: 'rsa', modulusLength: 2048 }
          : { type: 'ecdsa', curve: name },
    );
    keys.set(name, kp);
  }
  return kp;
}

/** A signing key for `alg`: a fixed HMAC key, or the cached pair of its type. */
export async function keyFor(alg: SigningAlgorithm): Promise<{ priv: Jwk; pub: Jwk }> {
  if (alg.startsWith('HS')) {
    const size = Number(alg.slice(2)) / 8;
    const jwk = symmetricJwk(
      Uint8Array.from({ length: size }, (_, i) => i * 7),
      alg as 'HS256',
    );
    return { priv: jwk, pub: jwk };
  }
  const name =
    alg === 'EdDSA'
      ? 'ed25519'
      : alg === 'ES256'
        ? 'P-256'
        : alg === 'ES384'
          ? 'P-384'
          : alg === 'ES256K'
            ? 'secp256k1'
            : 'rsa';
  const kp = await pair(name);
  return { priv: kp.privateJwk, pub: kp.publicJwk as Jwk };
}
