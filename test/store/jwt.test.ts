/**
 * `km.keys.signJwt` / `verifyJwt`: interoperable with `jose` both ways for HS256, ES256, EdDSA and
 * RS256 (jose verifies our tokens against `km.keys.jwks` or the exported HMAC key; we verify
 * tokens jose signs with the exported private key), kid follows rotation, and every claim check and
 * attack (alg none, algorithm confusion, tampering, unknown kid, expiry, nbf, iat, aud, iss, sub,
 * typ, missing exp) is refused with its code.
 */
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../src/internal/bytes.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import type { CreateKeyOptions } from '../../src/store/key-types.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { expectKw } from './api-keys-helpers.js';

const KINDS: { alg: string; create: Omit<CreateKeyOptions, 'name'> }[] = [
  { alg: 'HS256', create: { type: 'hmac', algorithm: 'HS256' } },
  { alg: 'ES256', create: { type: 'ecdsa', algorithm: 'ES256' } },
  { alg: 'EdDSA', create: { type: 'ed25519' } },
  { alg: 'RS256', create: { type: 'rsa', algorithm: 'RS256' } },
];

/** What jose verifies our tokens with: the JWKS for asymmetric keys, the exported secret for HMAC. */
async function joseVerifier(km: KeyManager, name: string, alg: string) {
  if (alg === 'HS256') {
    const jwk = (await km.keys.export(name, { includePrivate: true })) as jose.JWK;
    return { key: await jose.importJWK(jwk, 'HS256') };
  }
  return { jwks: jose.createLocalJWKSet((await km.keys.jwks(name)) as jose.JSONWebKeySet) };
}

async function joseVerify(km: KeyManager, name: string, alg: string, token: string, now: number) {
  const v = await joseVerifier(km, name, alg);
  const opts = { currentDate: new Date(now), algorithms: [alg] };
  return v.jwks ? jose.jwtVerify(token, v.jwks, opts) : jose.jwtVerify(token, v.key as Uint8Array, opts);
}

/** jose signs with the key's exported private (or symmetric) JWK. */
async function joseSign(km: KeyManager, name: string, alg: string, claims: jose.JWTPayload, now: number) {
  const jwk = (await km.keys.export(name, { includePrivate: true })) as jose.JWK;
  const key = await jose.importJWK(jwk, alg);
  const info = await km.keys.info(name);
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg, kid: info.kid!, typ: 'JWT' })
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(now / 1000) + 600)
    .sign(key);
}

describe.each(KINDS)('$alg interoperates with jose', ({ alg, create }) => {
  it('jose verifies what signJwt signs, with kid and alg from the key', async () => {
    const { km, clock } = createTestKeyManager();
    const info = await km.keys.create({ name: 'jwt', ...create });
    const token = await km.keys.signJwt(
      'jwt',
      { role: 'admin' },
      {
        expiresIn: '15m',
        audience: 'api',
        issuer: 'https://issuer.example',
        subject: 'user_1',
        jwtId: 'j1',
      },
    );
    const { payload, protectedHeader } = await joseVerify(km, 'jwt', alg, token, clock.now());
    expect(protectedHeader).toEqual({ alg, typ: 'JWT', kid: info.kid });
    const nowSec = Math.floor(clock.now() / 1000);
    expect(payload).toEqual({
      role: 'admin',
      iat: nowSec,
      exp: nowSec + 900,
      aud: 'api',
      iss: 'https://issuer.example',
      sub: 'user_1',
      jti: 'j1',
    });
    const r = await km.keys.verifyJwt('jwt', token, { audience: 'api', issuer: 'https://issuer.example' });
    expect(r).toEqual({ valid: true, header: protectedHeader, payload });
  });

  it('verifyJwt accepts what jose signs with the exported key, and refuses it tampered', async () => {
    const { km, clock } = createTestKeyManager();
    await km.keys.create({ name: 'jwt', ...create });
    const token = await joseSign(km, 'jwt', alg, { sub: 'svc', aud: ['a', 'b'] }, clock.now());
    const r = await km.keys.verifyJwt('jwt', token, { audience: 'b', subject: 'svc' });
    expect(r.valid && r.payload['sub']).toBe('svc');
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = toBase64Url(new TextEncoder().encode(JSON.stringify({ sub: 'root', exp: 9e9 })));
    expect(await km.keys.verifyJwt('jwt', `${h}.${forged}.${s}`)).toMatchObject({
      valid: false,
      code: 'INVALID_SIGNATURE',
    });
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    expect((await km.keys.verifyJwt('jwt', `${h}.${p}.${flipped}`)).valid).toBe(false);
  });

  it('after a rotation new tokens carry the new kid; old tokens verify while the old version is accepted', async () => {
    const { km, clock } = createTestKeyManager();
    const before = await km.keys.create({ name: 'jwt', ...create });
    const old = await km.keys.signJwt('jwt', {}, { expiresIn: '1h' });
    await km.rotator.rotate(before.id, { strategy: 'overlap' } as never);
    const after = await km.keys.info('jwt');
    expect(after.kid).not.toBe(before.kid);
    const fresh = await km.keys.signJwt('jwt', {}, { expiresIn: '1h' });
    expect(jose.decodeProtectedHeader(fresh).kid).toBe(after.kid);
    expect(jose.decodeProtectedHeader(old).kid).toBe(before.kid);
    expect((await km.keys.verifyJwt('jwt', old)).valid).toBe(true);
    expect((await km.keys.verifyJwt('jwt', fresh)).valid).toBe(true);
    if (alg !== 'HS256') {
      // a JWKS client picks the version by kid
      await joseVerify(km, 'jwt', alg, old, clock.now());
      await joseVerify(km, 'jwt', alg, fresh, clock.now());
    }
  });
});

describe('verifyJwt refuses', () => {
  async function setup() {
    const t = createTestKeyManager();
    await t.km.keys.create({ name: 'jwt', type: 'ed25519' });
    await t.km.keys.create({ name: 'rsa', type: 'rsa', algorithm: 'RS256' });
    await t.km.keys.create({ name: 'mac', type: 'hmac', algorithm: 'HS256' });
    return t;
  }
  const enc = (v: unknown) => toBase64Url(new TextEncoder().encode(JSON.stringify(v)));

  it('alg none, another alg, algorithm confusion with the public key as an HMAC secret', async () => {
    const { km, clock } = await setup();
    const exp = Math.floor(clock.now() / 1000) + 600;
    const none = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'x', exp })}.`;
    expect(await km.keys.verifyJwt('jwt', none)).toMatchObject({ valid: false, code: 'MALFORMED' });
    const noneSig = `${enc({ alg: 'none' })}.${enc({ exp })}.AAAA`;
    expect(await km.keys.verifyJwt('jwt', noneSig)).toMatchObject({ code: 'ALG_MISMATCH', claim: 'alg' });
    // the classic confusion: HS256 over the RSA public key's bytes
    const pub = JSON.stringify((await km.keys.jwks('rsa')).keys[0]);
    const confused = await new jose.SignJWT({ exp })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(pub));
    expect(await km.keys.verifyJwt('rsa', confused)).toMatchObject({ valid: false, code: 'ALG_MISMATCH' });
    const other = await km.keys.signJwt('mac', {}, { expiresIn: '1m' });
    expect(await km.keys.verifyJwt('jwt', other)).toMatchObject({ code: 'ALG_MISMATCH' });
  });

  it('an unknown kid, a crit header, garbage', async () => {
    const { km } = await setup();
    const token = await km.keys.signJwt('jwt', {}, { expiresIn: '1m' });
    const [, p, s] = token.split('.') as [string, string, string];
    expect(await km.keys.verifyJwt('jwt', `${enc({ alg: 'EdDSA', kid: 'nope' })}.${p}.${s}`)).toMatchObject({
      code: 'UNKNOWN_KID',
    });
    expect(
      await km.keys.verifyJwt('jwt', `${enc({ alg: 'EdDSA', crit: ['b64'], b64: false })}.${p}.${s}`),
    ).toMatchObject({ code: 'MALFORMED', claim: 'crit' });
    for (const bad of [
      '',
      'a.b',
      'a.b.c.d',
      `${p}.${p}`,
      `!!.${p}.${s}`,
      `${enc([1])}.${p}.${s}`,
      'x'.repeat(70_000),
    ]) {
      expect(await km.keys.verifyJwt('jwt', bad)).toMatchObject({ valid: false, code: 'MALFORMED' });
    }
    expect(await km.keys.verifyJwt('jwt', 42 as never)).toMatchObject({ code: 'MALFORMED' });
  });

  it('exp, nbf, iat, maxTokenAge with and without clockTolerance', async () => {
    const { km, clock } = await setup();
    const token = await km.keys.signJwt('jwt', {}, { expiresIn: '1m', notBefore: '10s' });
    expect(await km.keys.verifyJwt('jwt', token)).toMatchObject({ code: 'NOT_YET_VALID', claim: 'nbf' });
    expect((await km.keys.verifyJwt('jwt', token, { clockTolerance: '10s' })).valid).toBe(true);
    clock.advance('11s');
    expect((await km.keys.verifyJwt('jwt', token)).valid).toBe(true);
    expect(await km.keys.verifyJwt('jwt', token, { maxTokenAge: '5s' })).toMatchObject({
      code: 'INVALID_IAT',
    });
    clock.advance('50s');
    expect(await km.keys.verifyJwt('jwt', token)).toMatchObject({ code: 'EXPIRED', claim: 'exp' });
    expect((await km.keys.verifyJwt('jwt', token, { clockTolerance: '30s' })).valid).toBe(true);
    const future = await km.keys.signJwt(
      'jwt',
      { iat: Math.floor(clock.now() / 1000) + 120 },
      { expiresIn: '1h' },
    );
    expect(await km.keys.verifyJwt('jwt', future)).toMatchObject({ code: 'INVALID_IAT', claim: 'iat' });
    // a claim of the wrong type, signed by someone holding the key, is still refused
    const secret = (await km.keys.export('mac', { includePrivate: true })) as jose.JWK;
    const stringExp = await new jose.SignJWT({ exp: '9999999999' } as never)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(await jose.importJWK(secret, 'HS256'));
    expect(await km.keys.verifyJwt('mac', stringExp)).toMatchObject({ code: 'MALFORMED', claim: 'exp' });
  });

  it('iss, aud, sub, typ, and a token without exp unless requiredClaims says otherwise', async () => {
    const { km } = await setup();
    const token = await km.keys.signJwt(
      'jwt',
      {},
      { expiresIn: '1m', issuer: 'a', audience: ['x', 'y'], subject: 's' },
    );
    expect(await km.keys.verifyJwt('jwt', token, { issuer: 'b' })).toMatchObject({ code: 'INVALID_ISSUER' });
    expect((await km.keys.verifyJwt('jwt', token, { issuer: ['b', 'a'] })).valid).toBe(true);
    expect(await km.keys.verifyJwt('jwt', token, { audience: 'z' })).toMatchObject({
      code: 'INVALID_AUDIENCE',
    });
    expect((await km.keys.verifyJwt('jwt', token, { audience: ['z', 'y'] })).valid).toBe(true);
    expect(await km.keys.verifyJwt('jwt', token, { subject: 't' })).toMatchObject({
      code: 'INVALID_SUBJECT',
    });
    expect(await km.keys.verifyJwt('jwt', token, { typ: 'at+jwt' })).toMatchObject({ code: 'INVALID_TYP' });
    const at = await km.keys.signJwt('jwt', {}, { expiresIn: '1m', typ: 'at+jwt' });
    expect((await km.keys.verifyJwt('jwt', at, { typ: 'application/at+jwt' })).valid).toBe(true);
    const forever = await km.keys.signJwt('jwt', { sub: 'x' });
    expect(await km.keys.verifyJwt('jwt', forever)).toMatchObject({ code: 'MISSING_CLAIM', claim: 'exp' });
    expect((await km.keys.verifyJwt('jwt', forever, { requiredClaims: [] })).valid).toBe(true);
    expect(await km.keys.verifyJwt('jwt', token, { requiredClaims: ['exp', 'jti'] })).toMatchObject({
      code: 'MISSING_CLAIM',
      claim: 'jti',
    });
  });
});

describe('signJwt and verifyJwt inputs', () => {
  it('bad claims and options are ERR_VALIDATION naming the field; an aes key is ERR_INVALID_STATE', async () => {
    const { km } = createTestKeyManager();
    await km.keys.create({ name: 'jwt', type: 'ed25519' });
    await km.keys.create({ name: 'box', type: 'aes' });
    await expectKw(() => km.keys.signJwt('jwt', 'x' as never), 'ERR_VALIDATION', 'claims');
    await expectKw(() => km.keys.signJwt('jwt', { exp: 'later' } as never), 'ERR_VALIDATION', 'claims.exp');
    await expectKw(() => km.keys.signJwt('jwt', { n: 1n } as never), 'ERR_VALIDATION', 'claims');
    await expectKw(
      () => km.keys.signJwt('jwt', { exp: 1 }, { expiresIn: '1m' }),
      'ERR_VALIDATION',
      'options.expiresIn',
    );
    await expectKw(
      () => km.keys.signJwt('jwt', {}, { expiresIn: 'soon' }),
      'ERR_VALIDATION',
      'options.expiresIn',
    );
    await expectKw(
      () => km.keys.signJwt('jwt', {}, { algorithm: 'none' } as never),
      'ERR_VALIDATION',
      'options.algorithm',
    );
    await expectKw(() => km.keys.signJwt('jwt', {}, { audience: [] }), 'ERR_VALIDATION', 'options.audience');
    await expectKw(() => km.keys.signJwt('box', {}), 'ERR_INVALID_STATE');
    await expectKw(() => km.keys.signJwt('missing', {}), 'ERR_NOT_FOUND');
    const token = await km.keys.signJwt('jwt', {}, { expiresIn: '1m' });
    await expectKw(
      () => km.keys.verifyJwt('jwt', token, { clockTolerance: 'x' }),
      'ERR_VALIDATION',
      'options.clockTolerance',
    );
    await expectKw(
      () => km.keys.verifyJwt('jwt', token, { audience: 5 } as never),
      'ERR_VALIDATION',
      'options.audience',
    );
    await expectKw(
      () => km.keys.verifyJwt('jwt', token, { algorithms: ['none'] } as never),
      'ERR_VALIDATION',
      'options.algorithms',
    );
    await expectKw(() => km.keys.verifyJwt('box', token), 'ERR_INVALID_STATE');
  });
});
