import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultAlgorithm,
  generateKeyPair,
  type Jwk,
  SIGNING_ALGORITHMS,
  signWithJwk,
  symmetricJwk,
  verifyWithJwk,
} from '../../src/crypto/index.js';
import { cryptoKeyCacheSize } from '../../src/crypto/signing-webcrypto.js';
import { data, keyFor, ORDER, pair, toBig, validationFieldAsync } from './helpers.js';

describe('sign/verify round trips', () => {
  it.each(SIGNING_ALGORITHMS.map((a) => [a]))('%s: verifies, rejects tampering', async (alg) => {
    const { priv, pub } = await keyFor(alg);
    const sig = await signWithJwk(priv, alg, data);
    const expectedLength = { ES256: 64, ES256K: 64, ES384: 96, EdDSA: 64, HS256: 32, HS384: 48, HS512: 64 }[
      alg as string
    ];
    expect(sig.length).toBe(expectedLength ?? 256);
    expect(await verifyWithJwk(pub, alg, data, sig)).toBe(true);
    expect(await verifyWithJwk(priv, alg, data, sig)).toBe(true);

    const tamperedData = data.slice();
    tamperedData[3] = (tamperedData[3] as number) ^ 1;
    expect(await verifyWithJwk(pub, alg, tamperedData, sig)).toBe(false);
    for (const at of [0, sig.length >> 1, sig.length - 1]) {
      const tamperedSig = sig.slice();
      tamperedSig[at] = (tamperedSig[at] as number) ^ 0x80;
      expect(await verifyWithJwk(pub, alg, data, tamperedSig)).toBe(false);
    }
    // garbage: empty, truncated, extended, zeros, all-ones
    for (const garbage of [
      new Uint8Array(0),
      sig.subarray(0, sig.length - 1),
      new Uint8Array([...sig, 0]),
      new Uint8Array(sig.length),
      new Uint8Array(sig.length).fill(0xff),
    ]) {
      expect(await verifyWithJwk(pub, alg, data, garbage)).toBe(false);
    }
  });

  it('never throws for random signatures (property)', async () => {
    const { pub: ec } = await keyFor('ES256');
    const { pub: ed } = await keyFor('EdDSA');
    const { pub: rsa } = await keyFor('PS256');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0, 1, 2), async (sig, which) => {
        const [jwk, alg] = (
          [
            [ec, 'ES256'],
            [ed, 'EdDSA'],
            [rsa, 'PS256'],
          ] as const
        )[which];
        expect(await verifyWithJwk(jwk, alg, data, sig)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('signs empty data and SharedArrayBuffer-backed data', async () => {
    const { priv, pub } = await keyFor('RS256');
    const shared = new Uint8Array(new SharedArrayBuffer(data.length));
    shared.set(data);
    const sig = await signWithJwk(priv, 'RS256', shared);
    expect(await verifyWithJwk(pub, 'RS256', data, sig)).toBe(true);
    const empty = await signWithJwk(priv, 'RS256', new Uint8Array(0));
    expect(await verifyWithJwk(pub, 'RS256', new Uint8Array(0), empty)).toBe(true);
  });

  it('ECDSA signatures are JOSE raw r||s and low-S', async () => {
    for (const [alg, crv] of [
      ['ES256', 'P-256'],
      ['ES384', 'P-384'],
      ['ES256K', 'secp256k1'],
    ] as const) {
      const { priv } = await keyFor(alg);
      const sig = await signWithJwk(priv, alg, data);
      const s = toBig(sig.subarray(sig.length / 2));
      expect(s <= ORDER[crv] / 2n).toBe(true);
    }
  });

  it('caches imported CryptoKeys', async () => {
    const { priv, pub } = await keyFor('PS384');
    const sig = await signWithJwk(priv, 'PS384', data);
    await verifyWithJwk(pub, 'PS384', data, sig);
    const size = cryptoKeyCacheSize();
    for (let i = 0; i < 5; i++) {
      expect(await verifyWithJwk(pub, 'PS384', data, await signWithJwk(priv, 'PS384', data))).toBe(true);
    }
    expect(cryptoKeyCacheSize()).toBe(size);
  });
});

describe('key/algorithm mismatches and bad inputs', () => {
  it('throws ERR_VALIDATION naming alg when the alg does not fit the key', async () => {
    const ed = await pair('ed25519');
    const p256 = await pair('P-256');
    const rsa = await pair('rsa');
    const hs = symmetricJwk(new Uint8Array(64), 'HS512');
    const cases: [Jwk, string][] = [
      [ed.publicJwk as Jwk, 'ES256'],
      [p256.publicJwk as Jwk, 'ES384'],
      [p256.publicJwk as Jwk, 'ES256K'],
      [p256.publicJwk as Jwk, 'EdDSA'],
      [rsa.publicJwk as Jwk, 'HS256'],
      [hs, 'RS256'],
      [ed.publicJwk as Jwk, 'none'],
      [ed.publicJwk as Jwk, 'ES512'],
    ];
    for (const [jwk, alg] of cases) {
      expect(
        await validationFieldAsync(() => verifyWithJwk(jwk, alg as 'ES256', data, new Uint8Array(64))),
      ).toBe('alg');
    }
    expect(await validationFieldAsync(() => signWithJwk(ed.privateJwk, 'ES256', data))).toBe('alg');
  });

  it('refuses to sign with a public key, or with an HMAC key shorter than the hash', async () => {
    const ed = await pair('ed25519');
    expect(await validationFieldAsync(() => signWithJwk(ed.publicJwk as Jwk, 'EdDSA', data))).toBe(
      'privateJwk.d',
    );
    const rsa = await pair('rsa');
    expect(await validationFieldAsync(() => signWithJwk(rsa.publicJwk as Jwk, 'RS256', data))).toBe(
      'privateJwk.d',
    );
    const short = symmetricJwk(new Uint8Array(32), 'HS256');
    expect(await validationFieldAsync(() => signWithJwk(short, 'HS512', data))).toBe('privateJwk.k');
    expect(await validationFieldAsync(() => verifyWithJwk(short, 'HS384', data, new Uint8Array(48)))).toBe(
      'jwk.k',
    );
  });

  it('validates the JWK, data and signature arguments', async () => {
    const ed = await pair('ed25519');
    expect(
      await validationFieldAsync(() => verifyWithJwk({ kty: 'OKP' } as never, 'EdDSA', data, data)),
    ).toBe('jwk.crv');
    expect(await validationFieldAsync(() => signWithJwk(null as never, 'EdDSA', data))).toBe('privateJwk');
    expect(await validationFieldAsync(() => signWithJwk(ed.privateJwk, 'EdDSA', 'text' as never))).toBe(
      'data',
    );
    expect(
      await validationFieldAsync(() => verifyWithJwk(ed.publicJwk, 'EdDSA', data, [1, 2] as never)),
    ).toBe('signature');
  });

  it('an inconsistent RSA private key is a validation error, not a raw error', async () => {
    const a = await pair('rsa');
    const b = await generateKeyPair({ type: 'rsa', modulusLength: 2048 });
    const franken = { ...(a.privateJwk as Jwk), p: (b.privateJwk as { p: string }).p };
    expect(await validationFieldAsync(() => signWithJwk(franken as Jwk, 'RS256', data))).toBe('privateJwk.p');
  });
});

describe('defaultAlgorithm', () => {
  it('picks the type default, or a fitting alg member', async () => {
    expect(defaultAlgorithm((await pair('ed25519')).publicJwk)).toBe('EdDSA');
    expect(defaultAlgorithm((await pair('P-384')).publicJwk)).toBe('ES384');
    expect(defaultAlgorithm((await pair('secp256k1')).publicJwk)).toBe('ES256K');
    const rsa = (await pair('rsa')).publicJwk;
    expect(defaultAlgorithm({ ...rsa, alg: undefined } as never)).toBe('RS256');
    expect(defaultAlgorithm({ ...rsa, alg: 'PS384' })).toBe('PS384');
    expect(defaultAlgorithm({ ...rsa, alg: 'ES256' })).toBe('RS256');
    expect(defaultAlgorithm(symmetricJwk(new Uint8Array(64), 'HS512'))).toBe('HS512');
    const { alg: _drop, ...oct } = symmetricJwk(new Uint8Array(32), 'HS256');
    expect(defaultAlgorithm(oct)).toBe('HS256');
  });
});
