/**
 * What a browser or worker bundle does without @noble/curves and the slow KDFs: the curve checks
 * of src/crypto/curves.ts (plain bigint arithmetic) agree with noble on valid and invalid input;
 * with noble neither registered nor importable (as in a bundle), ES256K, scrypt and Argon2id throw
 * ERR_UNSUPPORTED naming the field, and after `registerNobleCurves()` / `registerNobleKdfs()` they
 * give the same answers as node:crypto and the known vectors; on Node noble is imported on first use.
 */
import { createPublicKey, verify as nodeVerify, pbkdf2Sync, scryptSync } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EC_CURVES,
  isEcPoint,
  isEcScalar,
  isEd25519Point,
  toLowS,
  uncompressedPoint,
} from '../../src/crypto/curves.js';
import { deriveKey, generateKeyPair, type Jwk, signWithJwk, verifyWithJwk } from '../../src/crypto/index.js';
import { registerNobleCurves, registerNobleKdfs } from '../../src/crypto/noble.js';
import { resetNobleFallbacks } from '../../src/crypto/noble-fallback.js';
import { isKeywardenError } from '../../src/errors.js';
import { useCryptoBackend } from '../../src/internal/crypto-backend.js';
import { data, toBig } from './helpers.js';

const NOBLE = { 'P-256': p256, 'P-384': p384, secp256k1 } as const;
const CURVES = ['P-256', 'P-384', 'secp256k1'] as const;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromBig = (v: bigint, size: number) =>
  Uint8Array.from(Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'));

async function unsupportedField(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    expect(isKeywardenError(error, 'ERR_UNSUPPORTED'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/keywarden\/crypto\/noble/);
    return (error as { field?: string }).field;
  }
  throw new Error('expected ERR_UNSUPPORTED');
}

afterEach(() => {
  vi.unstubAllGlobals();
  resetNobleFallbacks('auto');
  useCryptoBackend('auto');
});

describe('curve checks without a curve library agree with noble', () => {
  it('the curve constants are noble’s', () => {
    for (const crv of CURVES) {
      const { p, a, b, n } = NOBLE[crv].Point.CURVE();
      expect({ p, a, b, n }).toEqual({
        p: EC_CURVES[crv].p,
        a: EC_CURVES[crv].a,
        b: EC_CURVES[crv].b,
        n: EC_CURVES[crv].n,
      });
    }
  });

  it.each(CURVES)('%s: public points and private scalars, valid and not', (crv) => {
    const lib = NOBLE[crv];
    const { size, p, n } = EC_CURVES[crv];
    const agree = (x: Uint8Array, y: Uint8Array) =>
      expect(isEcPoint(crv, x, y)).toBe(lib.utils.isValidPublicKey(uncompressedPoint(x, y), false));
    for (let i = 0; i < 16; i++) {
      const point = lib.getPublicKey(lib.utils.randomSecretKey(), false);
      const x = point.subarray(1, 1 + size);
      const y = point.subarray(1 + size);
      expect(isEcPoint(crv, x, y)).toBe(true);
      const bumped = fromBig((toBig(y) + 1n) % p, size);
      agree(x, bumped);
      expect(isEcPoint(crv, x, bumped)).toBe(false);
      // the same point with y + p does not fit in size bytes for these primes; x + p neither: off-range
      expect(isEcPoint(crv, fromBig(p, size), y)).toBe(false);
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: size, maxLength: size }),
        fc.uint8Array({ minLength: size, maxLength: size }),
        (x, y) => {
          agree(x, y);
        },
      ),
      { numRuns: 200 },
    );
    expect(isEcPoint(crv, new Uint8Array(size), new Uint8Array(size))).toBe(false);
    for (const d of [0n, 1n, n - 1n, n, n + 1n, 2n ** BigInt(8 * size) - 1n]) {
      const bytes = fromBig(d, size);
      expect(isEcScalar(crv, bytes), `d = ${d}`).toBe(lib.utils.isValidSecretKey(bytes));
    }
    expect(isEcScalar(crv, new Uint8Array(size + 1).fill(1))).toBe(false);
  });

  it('Ed25519 points decode as RFC 8032 strict (noble, zip215: false) does', () => {
    const P = 2n ** 255n - 19n;
    expect(ed25519.Point.CURVE().p).toBe(P);
    const le = (v: bigint, signBit = false) => {
      const out = Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex').reverse());
      if (signBit) out[31] = (out[31] as number) | 0x80;
      return out;
    };
    const agree = (bytes: Uint8Array) =>
      expect(isEd25519Point(bytes), hex(bytes)).toBe(ed25519.utils.isValidPublicKey(bytes, false));
    for (let i = 0; i < 16; i++) {
      const pub = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
      expect(isEd25519Point(pub)).toBe(true);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        agree(bytes);
      }),
      { numRuns: 300 },
    );
    let invalid = 0;
    for (const y of [0n, 1n, 2n, P - 1n, P - 2n, P, P + 1n, 2n ** 255n - 1n]) {
      for (const sign of [false, true]) {
        agree(le(y, sign));
        if (!isEd25519Point(le(y, sign))) invalid++;
      }
    }
    expect(invalid).toBeGreaterThan(4); // y ≥ p, and x = 0 (y = ±1) with the sign bit set
    expect(isEd25519Point(new Uint8Array(31))).toBe(false);
  });

  it.each(CURVES)('%s: toLowS gives noble’s low-S form and leaves its input alone', (crv) => {
    const lib = NOBLE[crv];
    const { n, size } = EC_CURVES[crv];
    const secret = lib.utils.randomSecretKey();
    const low = lib.sign(data, secret, { prehash: true, lowS: true, format: 'compact' });
    expect(toLowS(crv, low)).toBe(low);
    const s = toBig(low.subarray(size));
    const high = new Uint8Array([...low.subarray(0, size), ...fromBig(n - s, size)]);
    const copy = high.slice();
    expect(hex(toLowS(crv, high))).toBe(hex(low));
    expect(hex(high)).toBe(hex(copy));
  });
});

describe('without noble (a browser or worker bundle that registered nothing)', () => {
  it('ES256K signing, verification and key generation throw ERR_UNSUPPORTED naming the field; registerNobleCurves() brings them back', async () => {
    const k1 = await generateKeyPair({ type: 'ecdsa', curve: 'secp256k1' }); // loaded on Node
    resetNobleFallbacks(false);
    expect(await unsupportedField(() => generateKeyPair({ type: 'ecdsa', curve: 'secp256k1' }))).toBe('spec');
    expect(await unsupportedField(() => signWithJwk(k1.privateJwk, 'ES256K', data))).toBe('alg');
    expect(
      await unsupportedField(() => verifyWithJwk(k1.publicJwk, 'ES256K', data, new Uint8Array(64))),
    ).toBe('alg');
    // what WebCrypto has still works without noble
    const ed = await generateKeyPair({ type: 'ed25519' });
    expect(
      await verifyWithJwk(ed.publicJwk, 'EdDSA', data, await signWithJwk(ed.privateJwk, 'EdDSA', data)),
    ).toBe(true);

    registerNobleCurves();
    const fresh = await generateKeyPair({ type: 'ecdsa', curve: 'secp256k1' });
    const sig = await signWithJwk(fresh.privateJwk, 'ES256K', data);
    const nodeKey = createPublicKey({
      key: fresh.publicJwk as object as import('node:crypto').JsonWebKey,
      format: 'jwk',
    });
    expect(nodeVerify('sha256', data, { key: nodeKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(await verifyWithJwk(fresh.publicJwk, 'ES256K', data, sig)).toBe(true);
    expect(await verifyWithJwk(k1.publicJwk, 'ES256K', data, sig)).toBe(false);
  });

  it('without crypto.subtle either, EdDSA/ES256/ES384 need noble: ERR_UNSUPPORTED, then work once registered (keys made by noble too)', async () => {
    useCryptoBackend('noble');
    resetNobleFallbacks(false);
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real) });
    expect(await unsupportedField(() => generateKeyPair({ type: 'ed25519' }))).toBe('spec');
    registerNobleCurves();
    for (const [spec, alg] of [
      [{ type: 'ed25519' }, 'EdDSA'],
      [{ type: 'ecdsa', curve: 'P-256' }, 'ES256'],
      [{ type: 'ecdsa', curve: 'P-384' }, 'ES384'],
    ] as const) {
      const made = await generateKeyPair(spec);
      const sig = await signWithJwk(made.privateJwk, alg, data);
      expect(await verifyWithJwk(made.publicJwk, alg, data, sig)).toBe(true);
      expect(await verifyWithJwk(made.publicJwk, alg, data.subarray(1), sig)).toBe(false);
      resetNobleFallbacks(false);
      expect(await unsupportedField(() => verifyWithJwk(made.publicJwk, alg, data, sig))).toBe('alg');
      expect(await unsupportedField(() => signWithJwk(made.privateJwk as Jwk, alg, data))).toBe('alg');
      registerNobleCurves();
    }
  });

  it('scrypt and Argon2id throw ERR_UNSUPPORTED (params.method) off the native backend; registerNobleKdfs() gives the known answers', async () => {
    useCryptoBackend('noble'); // no native scrypt, as in a browser
    resetNobleFallbacks(false);
    const sc = {
      method: 'scrypt',
      password: 'password',
      salt: 'NaCl-salt',
      N: 1024,
      r: 8,
      p: 2,
      length: 64,
    } as const;
    const ar = {
      method: 'argon2id',
      password: 'password',
      salt: 'somesalt',
      t: 2,
      m: 256,
      p: 1,
      length: 32,
    } as const;
    expect(await unsupportedField(() => deriveKey(sc))).toBe('params.method');
    expect(await unsupportedField(() => deriveKey(ar))).toBe('params.method');
    registerNobleKdfs();
    expect(hex(await deriveKey(sc))).toBe(
      scryptSync('password', 'NaCl-salt', 64, { N: 1024, r: 8, p: 2 }).toString('hex'),
    );
    expect(hex(await deriveKey(ar))).toBe('9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe');
  });

  it('PBKDF2 runs on WebCrypto without noble, and on noble (registered) without WebCrypto: same bytes as node', async () => {
    resetNobleFallbacks(false);
    const params = {
      method: 'pbkdf2',
      password: 'pw',
      salt: 'saltsalt',
      iterations: 1000,
      length: 48,
      hash: 'SHA-384',
    } as const;
    const expected = pbkdf2Sync('pw', 'saltsalt', 1000, 48, 'sha384').toString('hex');
    expect(hex(await deriveKey(params))).toBe(expected);
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real) });
    expect(await unsupportedField(() => deriveKey(params))).toBe('params.method');
    registerNobleKdfs();
    expect(hex(await deriveKey(params))).toBe(expected);
  });
});

describe('on a server runtime (Node here), noble is imported on first use', () => {
  it('ES256K and Argon2id work with nothing registered, on either backend', async () => {
    for (const backend of ['native', 'noble'] as const) {
      useCryptoBackend(backend);
      resetNobleFallbacks('auto');
      const k1 = await generateKeyPair({ type: 'ecdsa', curve: 'secp256k1' });
      const sig = await signWithJwk(k1.privateJwk, 'ES256K', data);
      expect(await verifyWithJwk(k1.publicJwk, 'ES256K', data, sig)).toBe(true);
      const out = await deriveKey({
        method: 'argon2id',
        password: 'password',
        salt: 'somesalt',
        t: 2,
        m: 256,
        p: 1,
        length: 32,
      });
      expect(hex(out)).toBe('9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe');
    }
  });
});
