/**
 * The two crypto backends (native via process.getBuiltinModule('crypto'), pure-JS noble) give the
 * same bytes for every operation, and what one makes the other opens: hashes, HMACs, AES-256-GCM,
 * signatures (sign with one, verify with the other), and a whole store written under one backend
 * and read under the other.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateKeyPair } from '../../src/crypto/keypairs.js';
import {
  clearCryptoKeyCache,
  prepareSigner,
  prepareVerifier,
  type SigningAlgorithm,
  signWithJwk,
  verifyWithJwk,
} from '../../src/crypto/signing.js';
import { cryptoBackend, requestedBackend, useCryptoBackend } from '../../src/internal/crypto-backend.js';
import type { CryptoBackend } from '../../src/internal/crypto-backend-types.js';
import { nativeBackend, nativeCrypto } from '../../src/internal/crypto-native.js';
import { nobleBackend as loadNobleBackend } from '../../src/internal/crypto-noble.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';

const c = nativeCrypto();
if (c === null) throw new Error('this test needs a runtime with process.getBuiltinModule("crypto")');
const native = nativeBackend(c);
// on Node noble is loaded on first use (package.json "imports", the `node` target)
const nobleBackend = loadNobleBackend();
if (nobleBackend === null) throw new Error('this test needs @noble/hashes and @noble/ciphers installed');
const backends: Array<[string, CryptoBackend]> = [
  ['native', native],
  ['noble', nobleBackend],
];
const bytes = (n: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const SIZES = [0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 128, 1000, 70_000];

afterEach(() => {
  useCryptoBackend('auto');
  clearCryptoKeyCache();
});

describe('backend selection', () => {
  it('auto picks native on this runtime unless KEYWARDEN_CRYPTO=noble', () => {
    useCryptoBackend('auto');
    expect(cryptoBackend().name).toBe(requestedBackend() === 'noble' ? 'noble' : 'native');
  });

  it('can be switched to either backend and back', () => {
    expect(useCryptoBackend('noble')?.name).toBe('noble');
    expect(cryptoBackend()).toBe(nobleBackend);
    expect(useCryptoBackend('native')?.name).toBe('native');
    expect(cryptoBackend().name).toBe('native');
  });
});

describe('symmetric primitives give identical bytes on both backends', () => {
  it('SHA-256 of every block-boundary size', () => {
    for (const n of SIZES) expect(native.sha256(bytes(n))).toEqual(nobleBackend.sha256(bytes(n)));
    // a known answer: SHA-256("abc")
    const abc = native.sha256(new TextEncoder().encode('abc'));
    expect(Buffer.from(abc).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('SHA-256 as hex of a text (the audit chain hash): both backends equal createHash, also for multi-byte and lone-surrogate text, and a runtime whose one-shot hash misbehaves falls back', () => {
    const texts = ['', 'abc', 'é'.repeat(700), `${'a'.repeat(63)}😀`, 'x'.repeat(70_000), 'lone \ud800 half'];
    for (const text of texts) {
      const expected = c.createHash('sha256').update(text).digest('hex');
      expect(native.sha256Hex(text)).toBe(expected);
      expect(nobleBackend.sha256Hex(text)).toBe(expected);
    }
    expect(native.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // a crypto module whose one-shot hash answers wrong bytes, or throws: createHash is used instead
    const wrong = nativeBackend({
      ...c,
      hash: (() => '00'.repeat(32)) as unknown as typeof c.hash,
    } as typeof c);
    const throwing = nativeBackend({
      ...c,
      hash: (() => {
        throw new TypeError('no');
      }) as unknown as typeof c.hash,
    } as typeof c);
    for (const backend of [wrong, throwing]) {
      expect(backend.sha256Hex('abc')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    }
  });

  it('HMAC-SHA256/384/512 with short, block-sized and over-long keys', () => {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      for (const keyLength of [1, 32, 64, 128, 200]) {
        for (const n of SIZES) {
          const key = bytes(keyLength, 7);
          expect(native.hmac(hash, key, bytes(n))).toEqual(nobleBackend.hmac(hash, key, bytes(n)));
        }
      }
    }
  });

  it('a keyed HMAC-SHA256 equals the one-shot HMAC, keeps its own key copy, and refuses after destroy', () => {
    for (const [, b] of backends) {
      const key = bytes(32, 9);
      const keyed = b.keyedSha256(key, () => new Error('closed'));
      key.fill(0); // the caller zeroes its copy
      for (const n of SIZES)
        expect(keyed.mac(bytes(n))).toEqual(nobleBackend.hmac('SHA-256', bytes(32, 9), bytes(n)));
      keyed.destroy();
      keyed.destroy();
      expect(() => keyed.mac(bytes(3))).toThrow('closed');
    }
  });

  it('the native keyed HMAC (padded keys over crypto.hash, or createHmac without it) equals noble for every key and message length', () => {
    const texts = [
      '',
      'kw_abc',
      'x'.repeat(2047),
      'x'.repeat(2048),
      'x'.repeat(2049),
      'y'.repeat(70_000),
      'é'.repeat(700), // 1,400 bytes: fits the scratch buffer
      'é'.repeat(1500), // 3,000 bytes: does not
      `${'a'.repeat(2047)}😀`, // a surrogate pair across the scratch boundary
      'lone \ud800 surrogate \udfff', // encoded as U+FFFD, as createHmac does
    ];
    const { hash: _oneShot, ...withoutOneShot } = c;
    for (const backend of [native, nativeBackend(withoutOneShot)]) {
      for (const keyLength of [1, 32, 64, 65, 128, 200]) {
        const key = bytes(keyLength, 5);
        const keyed = backend.keyedSha256(key, () => new Error('closed'));
        key.fill(0);
        const expectedKey = bytes(keyLength, 5);
        for (const n of SIZES) {
          expect(keyed.mac(bytes(n))).toEqual(nobleBackend.hmac('SHA-256', expectedKey, bytes(n)));
          expect(Object.getPrototypeOf(keyed.mac(bytes(n)))).toBe(Uint8Array.prototype);
        }
        for (const text of texts) {
          const want = nobleBackend.hmac('SHA-256', expectedKey, new TextEncoder().encode(text));
          expect(keyed.macText?.(text, 'hex')).toBe(Buffer.from(want).toString('hex'));
          expect(keyed.macText?.(text, 'base64url')).toBe(Buffer.from(want).toString('base64url'));
        }
        keyed.destroy();
        expect(() => keyed.macText?.('x', 'hex')).toThrow('closed');
        expect(() => keyed.mac(bytes(1))).toThrow('closed');
      }
    }
  });

  it('random bytes have the asked length and are not constant', () => {
    for (const [, b] of backends) {
      const a = b.randomBytes(32);
      expect(a).toBeInstanceOf(Uint8Array);
      expect(a.length).toBe(32);
      expect(a).not.toEqual(b.randomBytes(32));
    }
  });

  it('returns plain Uint8Arrays (never a Buffer that would print or serialise differently)', () => {
    const key = bytes(32);
    const nonce = bytes(12);
    for (const out of [
      native.sha256(bytes(3)),
      native.hmac('SHA-256', key, bytes(3)),
      native.aesGcmEncrypt(key, nonce, bytes(5), bytes(0)),
      native.aesGcmDecrypt(key, nonce, native.aesGcmEncrypt(key, nonce, bytes(5), bytes(0)), bytes(0)),
    ]) {
      expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    }
  });
});

describe('AES-256-GCM: same ciphertext, and each opens what the other sealed', () => {
  const key = bytes(32, 3);
  const nonce = bytes(12, 5);

  it('encrypts to identical bytes and decrypts across backends', () => {
    for (const n of SIZES) {
      for (const aadLength of [0, 13, 200]) {
        const aad = bytes(aadLength, 11);
        const plain = bytes(n, 2);
        const a = native.aesGcmEncrypt(key, nonce, plain, aad);
        const b = nobleBackend.aesGcmEncrypt(key, nonce, plain, aad);
        expect(a).toEqual(b);
        expect(a.length).toBe(n + 16);
        expect(native.aesGcmDecrypt(key, nonce, b, aad)).toEqual(plain);
        expect(nobleBackend.aesGcmDecrypt(key, nonce, a, aad)).toEqual(plain);
      }
    }
  });

  it('both refuse a flipped bit anywhere, a wrong aad, a wrong key, a wrong nonce, a cut tag', () => {
    const plain = bytes(40);
    const aad = bytes(9);
    const sealed = native.aesGcmEncrypt(key, nonce, plain, aad);
    for (const [, b] of backends) {
      for (let i = 0; i < sealed.length; i += 7) {
        const bad = sealed.slice();
        bad[i] = (bad[i] as number) ^ 1;
        expect(() => b.aesGcmDecrypt(key, nonce, bad, aad)).toThrow();
      }
      expect(() => b.aesGcmDecrypt(key, nonce, sealed, bytes(9, 2))).toThrow();
      expect(() => b.aesGcmDecrypt(bytes(32, 4), nonce, sealed, aad)).toThrow();
      expect(() => b.aesGcmDecrypt(key, bytes(12, 6), sealed, aad)).toThrow();
      expect(() => b.aesGcmDecrypt(key, nonce, sealed.subarray(0, sealed.length - 1), aad)).toThrow();
      expect(() => b.aesGcmDecrypt(key, nonce, sealed.subarray(0, 15), aad)).toThrow();
      expect(() => b.aesGcmEncrypt(bytes(16), nonce, plain, aad)).toThrow();
    }
  });
});

type Case = { alg: SigningAlgorithm; spec: Parameters<typeof generateKeyPair>[0] };
const CASES: Case[] = [
  { alg: 'EdDSA', spec: { type: 'ed25519' } },
  { alg: 'ES256', spec: { type: 'ecdsa', curve: 'P-256' } },
  { alg: 'ES384', spec: { type: 'ecdsa', curve: 'P-384' } },
  { alg: 'ES256K', spec: { type: 'ecdsa', curve: 'secp256k1' } },
  { alg: 'RS256', spec: { type: 'rsa', modulusLength: 2048 } },
  { alg: 'PS384', spec: { type: 'rsa', modulusLength: 2048 } },
  { alg: 'PS512', spec: { type: 'rsa', modulusLength: 2048 } },
];

describe('signatures: made on one backend, verified on the other', () => {
  const data = new TextEncoder().encode('the same message on both sides');

  for (const { alg, spec } of CASES) {
    it(`${alg}: native ↔ noble/WebCrypto, one-shot and prepared`, async () => {
      const { privateJwk, publicJwk } = await generateKeyPair(spec);
      useCryptoBackend('native');
      const byNative = await signWithJwk(privateJwk, alg, data);
      const preparedNative = prepareSigner(privateJwk, alg);
      const byPrepared = await preparedNative.sign(data);
      const nativeVerifier = prepareVerifier(publicJwk, alg);
      useCryptoBackend('noble');
      clearCryptoKeyCache();
      const byNoble = await signWithJwk(privateJwk, alg, data);
      expect(await verifyWithJwk(publicJwk, alg, data, byNative)).toBe(true);
      expect(await verifyWithJwk(publicJwk, alg, data, byPrepared)).toBe(true);
      expect(await prepareVerifier(publicJwk, alg).verify(data, byPrepared)).toBe(true);
      useCryptoBackend('native');
      expect(await verifyWithJwk(publicJwk, alg, data, byNoble)).toBe(true);
      expect(await nativeVerifier.verify(data, byNoble)).toBe(true);
      if (alg === 'EdDSA') {
        expect(byNative).toEqual(byNoble); // Ed25519 is deterministic
        expect(byPrepared).toEqual(byNoble);
      }
      // a flipped bit fails on both
      const bad = byNoble.slice();
      bad[5] = (bad[5] as number) ^ 1;
      expect(await nativeVerifier.verify(data, bad)).toBe(false);
      expect(await nativeVerifier.verify(data, bad.subarray(1))).toBe(false);
      useCryptoBackend('noble');
      expect(await verifyWithJwk(publicJwk, alg, data, bad)).toBe(false);
      preparedNative.destroy();
      await expect(preparedNative.sign(data)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    });
  }

  it('HS256/HS512: identical MACs, prepared or not, and the prepared key is zeroed on destroy', async () => {
    const k = Buffer.from(bytes(64, 8)).toString('base64url');
    for (const alg of ['HS256', 'HS512'] as const) {
      const jwk = { kty: 'oct' as const, k };
      useCryptoBackend('native');
      const a = await signWithJwk(jwk, alg, data);
      const signer = prepareSigner(jwk, alg);
      expect(await signer.sign(data)).toEqual(a);
      useCryptoBackend('noble');
      expect(await signWithJwk(jwk, alg, data)).toEqual(a);
      expect(await prepareVerifier(jwk, alg).verify(data, a)).toBe(true);
      signer.destroy();
      await expect(signer.sign(data)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    }
  });

  it('native ECDSA signatures are always low-S, as the noble ones', async () => {
    useCryptoBackend('native');
    for (const [alg, curve, noble] of [
      ['ES256', 'P-256', p256],
      ['ES384', 'P-384', p384],
    ] as const) {
      const { privateJwk } = await generateKeyPair({ type: 'ecdsa', curve });
      const signer = prepareSigner(privateJwk, alg);
      for (let i = 0; i < 64; i++) {
        const sig = await signer.sign(bytes(20, i));
        expect(noble.Signature.fromBytes(sig, 'compact').hasHighS()).toBe(false);
      }
    }
  });
});

describe('a store written on one backend reads on the other', () => {
  for (const [first, second] of [
    ['native', 'noble'],
    ['noble', 'native'],
  ] as const) {
    it(`${first} → ${second}: secrets, API keys, record MACs, signing keys, audit chain`, async () => {
      const storage = memoryStorage();
      const masterKey = generateMasterKey();
      useCryptoBackend(first);
      const km1 = createKeyManager({
        storage,
        kms: localKms({ masterKey: masterKey.slice() }),
        usage: false,
      });
      await km1.secrets.set('db', 'p@ss');
      const { token } = await km1.apiKeys.create({ name: 'ci', scopes: ['a:b'] });
      await km1.keys.create({ name: 'jwt', type: 'ed25519' });
      await km1.keys.create({ name: 'mac', type: 'hmac' });
      await km1.keys.create({ name: 'files', type: 'aes' });
      const data = new TextEncoder().encode('payload');
      const edSig = await km1.keys.sign('jwt', data);
      const macSig = await km1.keys.sign('mac', data);
      const ct = await km1.keys.encrypt('files', data);
      await km1.close();

      useCryptoBackend(second);
      const km2 = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
      expect(await km2.secrets.get('db')).toBe('p@ss');
      expect((await km2.apiKeys.verify(token)).valid).toBe(true);
      expect(await km2.keys.verify('jwt', data, edSig)).toBe(true);
      expect(await km2.keys.sign('jwt', data)).toEqual(edSig);
      expect(await km2.keys.sign('mac', data)).toEqual(macSig);
      expect(await km2.keys.decrypt('files', ct)).toEqual(data);
      expect((await km2.audit.verify()).ok).toBe(true);
      await km2.close();
    });
  }
});
