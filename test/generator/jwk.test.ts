import { describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  importJwk,
  type Jwk,
  jwkThumbprint,
  symmetricJwk,
  toPublicJwk,
  validateJwk,
} from '../../src/crypto/index.js';
import { toBase64Url } from '../../src/internal/bytes.js';
import { validationField } from './helpers.js';

const RFC7638_RSA = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB' +
    'ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8K' +
    'JZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBni' +
    'Iqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
} as const;

// RFC 8037 Appendix A.1-A.3
const RFC8037_OKP = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    expect(jwkThumbprint(RFC7638_RSA)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('matches the RFC 8037 A.3 Ed25519 example and ignores the private member', () => {
    expect(jwkThumbprint(RFC8037_OKP)).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(jwkThumbprint(toPublicJwk(RFC8037_OKP))).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('is the kid of generated keys, same for private and public', async () => {
    const { privateJwk, publicJwk, kid } = await generateKeyPair({ type: 'ecdsa', curve: 'P-256' });
    expect(jwkThumbprint(publicJwk)).toBe(kid);
    expect(jwkThumbprint(privateJwk)).toBe(kid);
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('rejects invalid JWKs', () => {
    expect(validationField(() => jwkThumbprint({ kty: 'RSA', e: 'AQAB' } as never))).toBe('jwk.n');
  });
});

describe('toPublicJwk', () => {
  it('strips private members and private key_ops', () => {
    expect(toPublicJwk({ ...RFC8037_OKP, kid: 'k1', key_ops: ['sign', 'verify'] })).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: RFC8037_OKP.x,
      kid: 'k1',
      key_ops: ['verify'],
    });
  });

  it('strips every RSA private member', async () => {
    const { privateJwk } = await generateKeyPair({ type: 'rsa', modulusLength: 2048 });
    const pub = toPublicJwk(privateJwk);
    expect(Object.keys(pub).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n']);
  });

  it('refuses oct keys', () => {
    expect(validationField(() => toPublicJwk(symmetricJwk(new Uint8Array(32), 'HS256')))).toBe('jwk.kty');
  });
});

describe('symmetricJwk', () => {
  it('wraps bytes as an oct JWK with its thumbprint as kid', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    const jwk = symmetricJwk(bytes, 'HS256');
    expect(jwk).toEqual({ kty: 'oct', k: toBase64Url(bytes), alg: 'HS256', kid: jwkThumbprint(jwk) });
  });

  it('enforces per-algorithm sizes', () => {
    expect(validationField(() => symmetricJwk(new Uint8Array(31), 'HS256'))).toBe('bytes');
    expect(validationField(() => symmetricJwk(new Uint8Array(32), 'HS384'))).toBe('bytes');
    expect(validationField(() => symmetricJwk(new Uint8Array(32), 'A128GCM'))).toBe('bytes');
    expect(symmetricJwk(new Uint8Array(16), 'A128GCM').k).toHaveLength(22);
    expect(validationField(() => symmetricJwk(new Uint8Array(32), 'RS256' as never))).toBe('alg');
    expect(validationField(() => symmetricJwk('key' as never, 'HS256'))).toBe('bytes');
  });
});

describe('validateJwk', () => {
  const b64 = (n: number, fill = 1) => toBase64Url(new Uint8Array(n).fill(fill));

  it('returns a normalized copy without unknown members', () => {
    const out = validateJwk({ ...RFC7638_RSA, x5c: ['zzz'], ext: true }, 'key');
    expect(out).toEqual(RFC7638_RSA);
    expect(importJwk(RFC8037_OKP)).toEqual(RFC8037_OKP);
  });

  it('accepts every generated key type', async () => {
    for (const spec of [
      { type: 'ed25519' },
      { type: 'ecdsa', curve: 'P-256' },
      { type: 'ecdsa', curve: 'P-384' },
      { type: 'ecdsa', curve: 'secp256k1' },
    ] as const) {
      const { privateJwk, publicJwk } = await generateKeyPair(spec);
      expect(validateJwk(privateJwk, 'k')).toEqual(privateJwk);
      expect(validateJwk(publicJwk, 'k')).toEqual(publicJwk);
    }
  });

  it('names the bad member for each malformed input', async () => {
    const ec = (await generateKeyPair({ type: 'ecdsa', curve: 'P-256' })).privateJwk as Jwk & {
      x: string;
      y: string;
    };
    const rsa = (await generateKeyPair({ type: 'rsa', modulusLength: 2048 })).privateJwk;
    const cases: [unknown, string][] = [
      [null, 'k'],
      ['{"kty":"oct"}', 'k'],
      [[RFC8037_OKP], 'k'],
      [{}, 'k.kty'],
      [{ kty: 'XYZ' }, 'k.kty'],
      [{ ...RFC8037_OKP, crv: 'Ed448' }, 'k.crv'],
      [{ ...RFC8037_OKP, x: b64(31) }, 'k.x'],
      [{ ...RFC8037_OKP, x: `${RFC8037_OKP.x}=` }, 'k.x'],
      [{ ...RFC8037_OKP, x: RFC8037_OKP.x.replace('_', '/') }, 'k.x'],
      [{ ...RFC8037_OKP, x: `${RFC8037_OKP.x.slice(0, -1)}p` }, 'k.x'], // non-canonical trailing bits
      [{ ...RFC8037_OKP, x: 42 }, 'k.x'],
      [{ ...RFC8037_OKP, d: b64(33) }, 'k.d'],
      [{ ...ec, crv: 'P-521' }, 'k.crv'],
      [{ ...ec, crv: 'P-384' }, 'k.x'],
      [{ ...ec, y: ec.x }, 'k.x'], // not on the curve
      [{ ...ec, y: undefined }, 'k.y'],
      [{ ...ec, d: b64(32, 0) }, 'k.d'], // zero scalar
      [{ ...ec, d: b64(32, 0xff) }, 'k.d'], // scalar >= n
      [{ ...ec, kid: 5 }, 'k.kid'],
      [{ ...ec, use: 'both' }, 'k.use'],
      [{ ...ec, key_ops: 'sign' }, 'k.key_ops'],
      [{ ...ec, alg: '' }, 'k.alg'],
      [{ kty: 'RSA', n: b64(128, 0xff), e: 'AQAB' }, 'k.n'], // 1024-bit
      [{ kty: 'RSA', n: b64(256, 0xfe), e: 'AQAB' }, 'k.n'], // even
      [{ ...RFC7638_RSA, e: 'AQ' }, 'k.e'], // e = 1
      [{ ...RFC7638_RSA, e: 'AQAA' }, 'k.e'], // even
      [{ ...RFC7638_RSA, oth: [] }, 'k.oth'],
      [{ ...rsa, qi: undefined }, 'k.qi'],
      [{ ...RFC7638_RSA, d: rsa.d }, 'k.p'],
      [{ kty: 'oct', k: b64(15) }, 'k.k'],
      [{ kty: 'oct', k: '' }, 'k.k'],
    ];
    for (const [input, field] of cases) expect(validationField(() => validateJwk(input, 'k'))).toBe(field);
  });

  it('turns a throwing getter into ERR_VALIDATION', () => {
    const hostile = new Proxy(
      { kty: 'OKP', crv: 'Ed25519' },
      {
        get(target, p) {
          if (p === 'x') throw new Error('boom');
          return Reflect.get(target, p);
        },
      },
    );
    expect(validationField(() => validateJwk(hostile, 'k'))).toBe('k');
  });

  it('never leaks key material in error messages', () => {
    const d = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A';
    try {
      validateJwk({ kty: 'OKP', crv: 'Ed25519', x: 'bad', d }, 'k');
    } catch (error) {
      expect(String(error)).not.toContain(d);
      expect(JSON.stringify(error)).not.toContain(d);
      return;
    }
    throw new Error('expected a throw');
  });
});
