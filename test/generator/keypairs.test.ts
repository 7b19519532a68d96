import { createPrivateKey, type JsonWebKey as NodeJwk } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, jwkThumbprint, type KeyPairSpec, validateJwk } from '../../src/crypto/index.js';
import { fromBase64Url } from '../../src/internal/bytes.js';
import { validationFieldAsync } from './helpers.js';

/** node derives the public key from our private JWK: it must equal our public JWK. */
function nodePublicOf(privateJwk: object): Record<string, unknown> {
  const key = createPrivateKey({ key: privateJwk as NodeJwk, format: 'jwk' });
  return key.export({ format: 'jwk' }) as Record<string, unknown>;
}

describe('generateKeyPair', () => {
  it('Ed25519: RFC 8037 OKP JWKs, 32-byte x and d, EdDSA, thumbprint kid', async () => {
    const { privateJwk, publicJwk, kid, alg } = await generateKeyPair({ type: 'ed25519' });
    expect(alg).toBe('EdDSA');
    expect(publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid, alg });
    expect(privateJwk).toEqual({ ...publicJwk, d: expect.any(String) });
    expect(fromBase64Url(privateJwk.d as string)).toHaveLength(32);
    expect(kid).toBe(jwkThumbprint(publicJwk));
    expect(nodePublicOf(privateJwk).x).toBe(publicJwk.kty === 'OKP' && publicJwk.x);
  });

  it.each([
    ['P-256', 'ES256', 32],
    ['P-384', 'ES384', 48],
    ['secp256k1', 'ES256K', 32],
  ] as const)('ECDSA %s: EC JWK with x, y, d of %s', async (curve, expectedAlg, size) => {
    const { privateJwk, publicJwk, kid, alg } = await generateKeyPair({ type: 'ecdsa', curve });
    expect(alg).toBe(expectedAlg);
    expect(publicJwk).toEqual({
      kty: 'EC',
      crv: curve,
      x: expect.any(String),
      y: expect.any(String),
      kid,
      alg,
    });
    expect(privateJwk).toEqual({ ...publicJwk, d: expect.any(String) });
    for (const m of ['x', 'y', 'd'] as const) {
      expect(fromBase64Url((privateJwk as unknown as Record<string, string>)[m] as string)).toHaveLength(
        size,
      );
    }
    const derived = nodePublicOf(privateJwk);
    expect([derived.x, derived.y]).toEqual([(publicJwk as { x: string }).x, (publicJwk as { y: string }).y]);
  });

  it('RSA 2048 default: RS256, complete private JWK, node derives the same public key', async () => {
    const { privateJwk, publicJwk, kid, alg } = await generateKeyPair({ type: 'rsa', modulusLength: 2048 });
    expect(alg).toBe('RS256');
    expect(Object.keys(publicJwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n']);
    expect(Object.keys(privateJwk).sort()).toEqual([
      'alg',
      'd',
      'dp',
      'dq',
      'e',
      'kid',
      'kty',
      'n',
      'p',
      'q',
      'qi',
    ]);
    expect(fromBase64Url((publicJwk as { n: string }).n)).toHaveLength(256);
    expect((publicJwk as { e: string }).e).toBe('AQAB');
    expect(kid).toBe(jwkThumbprint(publicJwk));
    expect(nodePublicOf(privateJwk).n).toBe((publicJwk as { n: string }).n);
    expect(validateJwk(privateJwk, 'k')).toEqual(privateJwk);
  });

  it('RSA 3072 with SHA-384 is RS384; SHA-512 is RS512', async () => {
    // 4096 takes seconds to generate; the modulus length is passed through to WebCrypto the same way.
    const a = await generateKeyPair({ type: 'rsa', modulusLength: 3072, hash: 'SHA-384' });
    expect(a.alg).toBe('RS384');
    expect(fromBase64Url((a.publicJwk as { n: string }).n)).toHaveLength(384);
    const b = await generateKeyPair({ type: 'rsa', modulusLength: 2048, hash: 'SHA-512' });
    expect(b.alg).toBe('RS512');
  });

  it('makes a different key every time', async () => {
    const kids = new Set<string>();
    for (let i = 0; i < 20; i++) kids.add((await generateKeyPair({ type: 'ed25519' })).kid);
    expect(kids.size).toBe(20);
  });

  it('rejects bad specs, naming the field', async () => {
    const cases: [unknown, string][] = [
      [null, 'spec'],
      [{ type: 'dsa' }, 'spec.type'],
      [{ type: 'ecdsa' }, 'spec.curve'],
      [{ type: 'ecdsa', curve: 'P-521' }, 'spec.curve'],
      [{ type: 'rsa', modulusLength: 1024 }, 'spec.modulusLength'],
      [{ type: 'rsa', modulusLength: 2048, hash: 'SHA-1' }, 'spec.hash'],
      [{ type: 'ed25519', curve: 'P-256' }, 'spec'],
    ];
    for (const [spec, field] of cases) {
      expect(await validationFieldAsync(() => generateKeyPair(spec as KeyPairSpec))).toBe(field);
    }
  });
});
