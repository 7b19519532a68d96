import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey as NodeJwk,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { toLowS } from '../../src/crypto/curves.js';
import {
  type Jwk,
  type SigningAlgorithm,
  signWithJwk,
  symmetricJwk,
  verifyWithJwk,
} from '../../src/crypto/index.js';
import { nobleSigning } from '../../src/crypto/signing-noble.js';
import { useCryptoBackend } from '../../src/internal/crypto-backend.js';
import { data, keyFor, ORDER, pair, toBig } from './helpers.js';

const fromBig = (v: bigint, size: number) =>
  Uint8Array.from(Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'));
const nodePub = (jwk: object) => createPublicKey({ key: jwk as NodeJwk, format: 'jwk' });
const nodePriv = (jwk: object) => createPrivateKey({ key: jwk as NodeJwk, format: 'jwk' });
const noble = nobleSigning({ ed25519, p256, p384, secp256k1 });
const ecdsaSignNoble = noble.ecdsaSign;
const ecdsaVerifyNoble = noble.ecdsaVerify;
const ed25519SignNoble = noble.ed25519Sign;
const ed25519VerifyNoble = noble.ed25519Verify;

describe('cross-library checks with node:crypto', () => {
  it('Ed25519: node-made signatures verify, ours verify in node', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
    const sig = nodeSign(null, data, privateKey);
    expect(await verifyWithJwk(jwk, 'EdDSA', data, sig)).toBe(true);

    const ours = await pair('ed25519');
    const ourSig = await signWithJwk(ours.privateJwk, 'EdDSA', data);
    expect(nodeVerify(null, data, nodePub(ours.publicJwk), ourSig)).toBe(true);
    // node signs with our private JWK; we verify
    expect(
      await verifyWithJwk(ours.publicJwk, 'EdDSA', data, nodeSign(null, data, nodePriv(ours.privateJwk))),
    ).toBe(true);
  });

  it.each([
    ['ES256', 'P-256', 'prime256v1', 'sha256', 32],
    ['ES384', 'P-384', 'secp384r1', 'sha384', 48],
    ['ES256K', 'secp256k1', 'secp256k1', 'sha256', 32],
  ] as const)(
    '%s: node signatures verify, including high-S; ours verify in node',
    async (alg, crv, curve, hash, size) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
      for (let i = 0; i < 4; i++) {
        const sig = new Uint8Array(nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
        expect(await verifyWithJwk(jwk, alg, data, sig)).toBe(true);
        const r = sig.subarray(0, size);
        const s = toBig(sig.subarray(size));
        const flipped = ORDER[crv] - s;
        const high = s > ORDER[crv] / 2n ? s : flipped;
        const low = s > ORDER[crv] / 2n ? flipped : s;
        for (const variant of [high, low]) {
          const raw = new Uint8Array([...r, ...fromBig(variant, size)]);
          expect(await verifyWithJwk(jwk, alg, data, raw)).toBe(true);
          expect(nodeVerify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
        }
      }
      const ours = await pair(crv);
      const ourSig = await signWithJwk(ours.privateJwk, alg, data);
      expect(
        nodeVerify(hash, data, { key: nodePub(ours.publicJwk), dsaEncoding: 'ieee-p1363' }, ourSig),
      ).toBe(true);
    },
  );

  it('RSA: node-made RS256/PS256/RS512 verify, ours verify in node', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
    const pss = { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(await verifyWithJwk(jwk, 'RS256', data, nodeSign('sha256', data, privateKey))).toBe(true);
    expect(await verifyWithJwk(jwk, 'RS512', data, nodeSign('sha512', data, privateKey))).toBe(true);
    expect(await verifyWithJwk(jwk, 'PS256', data, nodeSign('sha256', data, pss))).toBe(true);
    // wrong hash or padding for the alg fails
    expect(await verifyWithJwk(jwk, 'RS384', data, nodeSign('sha256', data, privateKey))).toBe(false);
    expect(await verifyWithJwk(jwk, 'RS256', data, nodeSign('sha256', data, pss))).toBe(false);

    const ours = await pair('rsa');
    const pub = nodePub(ours.publicJwk);
    expect(nodeVerify('sha256', data, pub, await signWithJwk(ours.privateJwk, 'RS256', data))).toBe(true);
    const ps = await signWithJwk(ours.privateJwk, 'PS512', data);
    expect(
      nodeVerify('sha512', data, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }, ps),
    ).toBe(true);
  });

  it('HMAC matches node createHmac', async () => {
    const key = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      const jwk = symmetricJwk(key, alg);
      const mac = createHmac(hash, key).update(data).digest();
      expect(Buffer.from(await signWithJwk(jwk, alg, data)).equals(mac)).toBe(true);
      expect(await verifyWithJwk(jwk, alg, data, mac)).toBe(true);
    }
  });
});

describe('noble paths (used without WebCrypto, and for ES256K)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    ['P-256', 'sha256', 'prime256v1', 32],
    ['P-384', 'sha384', 'secp384r1', 48],
  ] as const)(
    'ECDSA %s: noble sign is low-S and node-verifiable; noble verify takes node high-S',
    async (crv, hash, curve, size) => {
      const ours = await pair(crv);
      const ec = ours.privateJwk as Jwk & { kty: 'EC'; d: string };
      const sig = ecdsaSignNoble(ec.crv, ec.d, data);
      expect(toBig(sig.subarray(size)) <= ORDER[crv] / 2n).toBe(true);
      expect(nodeVerify(hash, data, { key: nodePub(ours.publicJwk), dsaEncoding: 'ieee-p1363' }, sig)).toBe(
        true,
      );
      expect(ecdsaVerifyNoble(ec, data, sig)).toBe(true);

      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const jwk = publicKey.export({ format: 'jwk' }) as Jwk & { kty: 'EC' };
      const nodeSig = new Uint8Array(nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      const s = toBig(nodeSig.subarray(size));
      const high = s > ORDER[crv] / 2n ? s : ORDER[crv] - s;
      const highSig = new Uint8Array([...nodeSig.subarray(0, size), ...fromBig(high, size)]);
      expect(ecdsaVerifyNoble(jwk, data, highSig)).toBe(true);
      expect(ecdsaVerifyNoble(jwk, data, toLowS(jwk.crv, highSig))).toBe(true);
      expect(toBig(toLowS(jwk.crv, highSig).subarray(size))).toBe(ORDER[crv] - high);
      expect(ecdsaVerifyNoble(jwk, new Uint8Array(0), highSig)).toBe(false);
      expect(ecdsaVerifyNoble(jwk, data, highSig.subarray(1))).toBe(false);
    },
  );

  it('Ed25519 noble sign/verify agree with node', async () => {
    const ours = await pair('ed25519');
    const okp = ours.privateJwk as Jwk & { kty: 'OKP'; d: string; x: string };
    const sig = ed25519SignNoble(okp.d, data);
    expect(nodeVerify(null, data, nodePub(ours.publicJwk), sig)).toBe(true);
    expect(ed25519VerifyNoble(okp.x, data, nodeSign(null, data, nodePriv(ours.privateJwk)))).toBe(true);
    expect(ed25519VerifyNoble(okp.x, data, new Uint8Array(64))).toBe(false);
    expect(ed25519VerifyNoble(okp.x, data, sig.subarray(1))).toBe(false);
  });

  it('without crypto.subtle, EdDSA/ES256/ES384 still work and RSA reports ERR_UNSUPPORTED', async () => {
    const keysByAlg = {
      EdDSA: await keyFor('EdDSA'),
      ES256: await keyFor('ES256'),
      ES384: await keyFor('ES384'),
    };
    const rsa = await keyFor('RS256');
    // a runtime with getRandomValues but no crypto.subtle (e.g. an insecure browser context), and
    // so no process.getBuiltinModule either: the noble backend
    useCryptoBackend('noble');
    onTestFinished(() => {
      useCryptoBackend('auto');
    });
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real) });
    expect(globalThis.crypto.subtle).toBeUndefined();
    for (const [alg, { priv, pub }] of Object.entries(keysByAlg)) {
      const sig = await signWithJwk(priv, alg as SigningAlgorithm, data);
      expect(await verifyWithJwk(pub, alg as SigningAlgorithm, data, sig)).toBe(true);
      expect(await verifyWithJwk(pub, alg as SigningAlgorithm, data.subarray(1), sig)).toBe(false);
    }
    await expect(signWithJwk(rsa.priv, 'RS256', data)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });
});
