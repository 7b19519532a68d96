import { createHmac, createPublicKey, constants as nodeCrypto, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/crypto/jwk.js';
import type { Jwk } from '../../src/crypto/jwk-types.js';
import { signWithJwk } from '../../src/crypto/signing.js';
import { isKeywardenError } from '../../src/errors.js';
import { fromBase64Url, utf8Encode } from '../../src/internal/bytes.js';
import type { CreateKeyOptions, KeyAlgorithm } from '../../src/store/key-types.js';
import { allAudit, makeHarness } from '../support/store-context.js';

async function err(p: Promise<unknown>): Promise<{ code: string; field?: string | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isKeywardenError(e)) return { code: e.code, field: e.field };
    return { code: `untyped:${String(e)}` };
  }
  return { code: 'ok' };
}

const NODE_HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Verifies with node:crypto (an independent implementation). */
function nodeCheck(
  alg: KeyAlgorithm,
  jwk: Record<string, unknown>,
  data: Uint8Array,
  sig: Uint8Array,
): boolean {
  if (alg.startsWith('HS')) {
    const mac = createHmac(NODE_HASH[alg.slice(2)] as string, fromBase64Url(jwk['k'] as string))
      .update(data)
      .digest();
    return Buffer.compare(mac, Buffer.from(sig)) === 0;
  }
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  if (alg === 'EdDSA') return nodeVerify(null, data, key, sig);
  const hash = NODE_HASH[alg.slice(2, 5).replace('K', '')] as string;
  if (alg.startsWith('ES')) return nodeVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
  if (alg.startsWith('PS')) {
    return nodeVerify(
      hash,
      data,
      { key, padding: nodeCrypto.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 },
      sig,
    );
  }
  return nodeVerify(hash, data, key, sig);
}

const MATRIX: [Omit<CreateKeyOptions, 'name'>, KeyAlgorithm][] = [
  [{ type: 'hmac' }, 'HS256'],
  [{ type: 'hmac', algorithm: 'HS384' }, 'HS384'],
  [{ type: 'hmac', algorithm: 'HS512' }, 'HS512'],
  [{ type: 'ed25519' }, 'EdDSA'],
  [{ type: 'ecdsa' }, 'ES256'],
  [{ type: 'ecdsa', algorithm: 'P-384' }, 'ES384'],
  [{ type: 'ecdsa', algorithm: 'ES384' }, 'ES384'],
  [{ type: 'ecdsa', algorithm: 'secp256k1' }, 'ES256K'],
  [{ type: 'rsa' }, 'RS256'],
  [{ type: 'rsa', algorithm: 'RS384' }, 'RS384'],
  [{ type: 'rsa', algorithm: 'RS512' }, 'RS512'],
  [{ type: 'rsa', algorithm: 'PS256' }, 'PS256'],
  [{ type: 'rsa', algorithm: 'PS384', modulusLength: 3072 }, 'PS384'],
  [{ type: 'rsa', algorithm: 'PS512' }, 'PS512'],
];

describe('km.keys: sign and verify', () => {
  it.each(MATRIX)('%o signs with %s; node:crypto agrees; verify round-trips', async (opts, alg) => {
    const { km } = makeHarness();
    const info = await km.keys.create({ name: 'k', ...opts } as CreateKeyOptions);
    expect(info).toMatchObject({ name: 'k', type: opts.type, algorithm: alg, version: 1 });
    expect(info.kid).toBeTypeOf('string');
    const data = utf8Encode('header.payload');
    const sig = await km.keys.sign('k', data);
    expect(await km.keys.verify('k', data, sig)).toBe(true);
    expect(await km.keys.verify('k', 'header.payload', sig)).toBe(true);
    expect(await km.keys.verify('k', 'header.payloaD', sig)).toBe(false);
    const flipped = Uint8Array.from(sig);
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(await km.keys.verify('k', data, flipped)).toBe(false);
    expect(await km.keys.verify('k', data, sig.subarray(1))).toBe(false);
    expect(await km.keys.verify('k', data, 'not base64 !')).toBe(false);
    expect(await km.keys.verify('k', data, new Uint8Array(0))).toBe(false);
    const jwk = (await km.keys.export('k', opts.type === 'hmac' ? { includePrivate: true } : {})) as Record<
      string,
      unknown
    >;
    expect(nodeCheck(alg, jwk, data, sig)).toBe(true);
    expect(nodeCheck(alg, jwk, utf8Encode('other'), sig)).toBe(false);
    if (opts.type === 'rsa') expect(info.modulusLength).toBe(opts.modulusLength ?? 2048);
    if (opts.type === 'ecdsa')
      expect(info.curve).toBe({ ES256: 'P-256', ES384: 'P-384', ES256K: 'secp256k1' }[alg as 'ES256']);
  });

  it('accepts a base64url signature string', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'k', type: 'ed25519' });
    const sig = await km.keys.sign('k', 'data');
    expect(await km.keys.verify('k', 'data', Buffer.from(sig).toString('base64url'))).toBe(true);
  });

  it('an aes key neither signs nor verifies; a missing key is ERR_NOT_FOUND', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'enc', type: 'aes' });
    expect((await err(km.keys.sign('enc', 'x'))).code).toBe('ERR_INVALID_STATE');
    expect((await err(km.keys.verify('enc', 'x', new Uint8Array(32)))).code).toBe('ERR_INVALID_STATE');
    expect((await err(km.keys.sign('nope', 'x'))).code).toBe('ERR_NOT_FOUND');
  });

  it('an expired key does not sign, verifies nothing and publishes no JWKS', async () => {
    const { km, clock } = makeHarness();
    const info = await km.keys.create({ name: 'k', type: 'ed25519', expiresIn: '1h' });
    expect(info.expiresAt).toBe(clock.now() + 3_600_000);
    const sig = await km.keys.sign('k', 'd');
    clock.advance('1h');
    expect((await err(km.keys.sign('k', 'd'))).code).toBe('ERR_INVALID_STATE');
    expect(await km.keys.verify('k', 'd', sig)).toBe(false);
    expect(await km.keys.jwks('k')).toEqual({ keys: [] });
  });

  it('names are unique per environment and tenant', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'k', type: 'hmac' });
    expect((await err(km.keys.create({ name: 'k', type: 'ed25519' }))).code).toBe('ERR_ALREADY_EXISTS');
    await km.keys.create({ name: 'k', type: 'ed25519', environment: 'production' });
    await km.keys.create({ name: 'k', type: 'ed25519', tenantId: 'acme' });
    expect((await km.keys.list()).items).toHaveLength(3);
    expect((await km.keys.list({ tenantId: 'acme' })).items).toHaveLength(1);
  });
});

describe('km.keys: jwks and export', () => {
  it('jwks holds the public key with kid, alg and use, never private members', async () => {
    const { km } = makeHarness();
    const info = await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
    const { keys } = await km.keys.jwks('jwt');
    expect(keys).toHaveLength(1);
    const [k] = keys;
    expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', kid: info.kid, alg: 'ES256', use: 'sig' });
    expect(k).not.toHaveProperty('d');
    expect(jwkThumbprint(k as never)).toBe(info.kid);
  });

  it('symmetric keys have no JWKS and need includePrivate to export', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'h', type: 'hmac' });
    expect((await err(km.keys.jwks('h'))).code).toBe('ERR_INVALID_STATE');
    expect(await err(km.keys.export('h'))).toMatchObject({
      code: 'ERR_INVALID_STATE',
      field: 'options.includePrivate',
    });
    const jwk = (await km.keys.export('h', { includePrivate: true })) as Jwk;
    expect(jwk).toMatchObject({ kty: 'oct', alg: 'HS256' });
    expect(fromBase64Url((jwk as { k: string }).k)).toHaveLength(32);
  });

  it('export is public by default, private only when asked, and audited', async () => {
    const { km, inner } = makeHarness();
    const info = await km.keys.create({ name: 'k', type: 'ed25519' });
    const pub = await km.keys.export('k');
    expect(pub).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: info.kid, alg: 'EdDSA' });
    expect(pub).not.toHaveProperty('d');
    const priv = (await km.keys.export('k', { includePrivate: true, format: 'jwk' })) as Jwk;
    expect(priv).toHaveProperty('d');
    const sig = await signWithJwk(priv, 'EdDSA', utf8Encode('m'));
    expect(await km.keys.verify('k', 'm', sig)).toBe(true);
    const exported = (await allAudit(inner)).filter((e) => e.type === 'key.exported');
    expect(exported.map((e) => e.data['includePrivate'])).toEqual([false, true]);
    expect((await err(km.keys.export('k', { version: 7 }))).code).toBe('ERR_NOT_FOUND');
  });

  it('export fails closed when the audit write fails', async () => {
    const { km, hooks } = makeHarness();
    await km.keys.create({ name: 'k', type: 'ed25519' });
    hooks.failAudit = true;
    expect((await err(km.keys.export('k', { includePrivate: true }))).code).toBe('ERR_AUDIT');
  });

  it('info, list and delete', async () => {
    const { km, inner } = makeHarness();
    await km.keys.create({ name: 'k', type: 'hmac', tags: ['a'], meta: { team: 'x' } });
    const info = await km.keys.info('k');
    expect(info).toMatchObject({
      tags: ['a'],
      meta: { team: 'x' },
      status: 'active',
      versions: [{ version: 1, state: 'current' }],
    });
    expect((await km.keys.list({ tag: 'a' })).items.map((k) => k.name)).toEqual(['k']);
    expect(await km.keys.delete('k')).toBe(true);
    expect(await km.keys.delete('k')).toBe(false);
    expect((await err(km.keys.info('k'))).code).toBe('ERR_NOT_FOUND');
    const types = (await allAudit(inner)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['key.created', 'key.deleted']));
  });
});

describe('km.keys: aes encrypt and decrypt', () => {
  it('round-trips with and without aad; wrong aad or tampering is ERR_DECRYPT', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'files', type: 'aes' });
    const ct = await km.keys.encrypt('files', 'hello world', { aad: 'file:1' });
    expect(new TextDecoder().decode(await km.keys.decrypt('files', ct, { aad: 'file:1' }))).toBe(
      'hello world',
    );
    expect((await err(km.keys.decrypt('files', ct, { aad: 'file:2' }))).code).toBe('ERR_DECRYPT');
    expect((await err(km.keys.decrypt('files', ct))).code).toBe('ERR_DECRYPT');
    for (let i = 0; i < ct.length; i++) {
      const bad = Uint8Array.from(ct);
      bad[i] = (bad[i] as number) ^ 0x01;
      expect((await err(km.keys.decrypt('files', bad, { aad: 'file:1' }))).code).toBe('ERR_DECRYPT');
    }
    expect((await err(km.keys.decrypt('files', ct.subarray(0, 10), { aad: 'file:1' }))).code).toBe(
      'ERR_DECRYPT',
    );
    expect((await err(km.keys.decrypt('files', new Uint8Array(0)))).code).toBe('ERR_DECRYPT');
    const bytes = await km.keys.encrypt('files', new Uint8Array([1, 2, 3]));
    expect(Array.from(await km.keys.decrypt('files', bytes))).toEqual([1, 2, 3]);
  });

  it('a ciphertext of another aes key does not open', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'a', type: 'aes' });
    await km.keys.create({ name: 'b', type: 'aes' });
    const ct = await km.keys.encrypt('a', 'x');
    expect((await err(km.keys.decrypt('b', ct))).code).toBe('ERR_DECRYPT');
  });

  it('only aes keys encrypt', async () => {
    const { km } = makeHarness();
    await km.keys.create({ name: 'h', type: 'hmac' });
    expect((await err(km.keys.encrypt('h', 'x'))).code).toBe('ERR_INVALID_STATE');
    expect((await err(km.keys.decrypt('h', new Uint8Array(40)))).code).toBe('ERR_INVALID_STATE');
  });
});
