import { hkdfSync, pbkdf2Sync, scryptSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeriveKeyParams, deriveKey } from '../../src/crypto/index.js';
import { validationFieldAsync } from './helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nodeHash = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

describe('deriveKey: hkdf', () => {
  it('matches RFC 5869 test case 1', async () => {
    const out = await deriveKey({
      method: 'hkdf',
      ikm: new Uint8Array(22).fill(0x0b),
      salt: Uint8Array.from({ length: 13 }, (_, i) => i),
      info: Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i),
      length: 42,
    });
    expect(hex(out)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('matches node hkdfSync for every hash (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.uint8Array({ maxLength: 32 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 16, max: 64 }),
        fc.constantFrom('SHA-256', 'SHA-384', 'SHA-512' as const),
        async (ikm, salt, info, length, hash) => {
          const ours = await deriveKey({ method: 'hkdf', ikm, salt, info, length, hash });
          const theirs = new Uint8Array(
            hkdfSync(nodeHash[hash], ikm, salt, Buffer.from(info, 'utf8'), length),
          );
          expect(hex(ours)).toBe(hex(theirs));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('treats strings as UTF-8 and leaves caller buffers untouched', async () => {
    const ikm = new Uint8Array(32).fill(7);
    const a = await deriveKey({ method: 'hkdf', ikm, info: 'ключ', length: 32 });
    const b = await deriveKey({ method: 'hkdf', ikm, info: new TextEncoder().encode('ключ'), length: 32 });
    expect(hex(a)).toBe(hex(b));
    expect(ikm.every((v) => v === 7)).toBe(true);
  });
});

describe('deriveKey: pbkdf2 and scrypt', () => {
  it('pbkdf2 matches node pbkdf2Sync', async () => {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const ours = await deriveKey({
        method: 'pbkdf2',
        password: 'pässword',
        salt: 'saltsalt',
        iterations: 1000,
        length: 32,
        hash,
      });
      expect(hex(ours)).toBe(pbkdf2Sync('pässword', 'saltsalt', 1000, 32, nodeHash[hash]).toString('hex'));
    }
  });

  it('scrypt matches node scryptSync', async () => {
    const ours = await deriveKey({
      method: 'scrypt',
      password: 'password',
      salt: 'NaCl-salt',
      N: 1024,
      r: 8,
      p: 2,
      length: 64,
    });
    expect(hex(ours)).toBe(scryptSync('password', 'NaCl-salt', 64, { N: 1024, r: 8, p: 2 }).toString('hex'));
  });
});

describe('deriveKey: argon2id', () => {
  it('matches the RFC 9106 §5.3 test vector (secret and associated data)', async () => {
    const out = await deriveKey({
      method: 'argon2id',
      password: new Uint8Array(32).fill(1),
      salt: new Uint8Array(16).fill(2),
      secret: new Uint8Array(8).fill(3),
      associatedData: new Uint8Array(12).fill(4),
      t: 3,
      m: 32,
      p: 4,
      length: 32,
    });
    expect(hex(out)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });

  it('matches the reference implementation vector (password/somesalt, t=2, m=256, p=1)', async () => {
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
  });

  it('is sensitive to every parameter', async () => {
    const base = {
      method: 'argon2id',
      password: 'pw',
      salt: 'saltsalt',
      t: 1,
      m: 64,
      p: 1,
      length: 32,
    } as const;
    const seen = new Set<string>();
    for (const params of [
      base,
      { ...base, password: 'pX' },
      { ...base, salt: 'saltsalX' },
      { ...base, t: 2 },
      { ...base, m: 72 },
      { ...base, p: 2 },
      { ...base, secret: 'pepper' },
    ]) {
      seen.add(hex(await deriveKey(params)));
    }
    expect(seen.size).toBe(7);
  });
});

describe('deriveKey: validation', () => {
  const pb = { method: 'pbkdf2', password: 'pw', salt: 'saltsalt', iterations: 1000, length: 32 } as const;
  const sc = { method: 'scrypt', password: 'pw', salt: 'saltsalt', N: 1024, r: 8, p: 1, length: 32 } as const;
  const ar = { method: 'argon2id', password: 'pw', salt: 'saltsalt', t: 1, m: 64, p: 1, length: 32 } as const;
  const hk = { method: 'hkdf', ikm: new Uint8Array(32), length: 32 } as const;

  it.each<[string, unknown, string]>([
    ['non-object', 'hkdf', 'params'],
    ['unknown method', { ...hk, method: 'bcrypt' }, 'params.method'],
    ['extra key', { ...hk, rounds: 3 }, 'params'],
    ['length too short', { ...hk, length: 15 }, 'params.length'],
    ['length too long', { ...hk, length: 65 }, 'params.length'],
    ['length not integer', { ...hk, length: 32.5 }, 'params.length'],
    ['ikm too short', { ...hk, ikm: new Uint8Array(15) }, 'params.ikm'],
    ['ikm wrong type', { ...hk, ikm: [1, 2, 3] }, 'params.ikm'],
    ['bad hash', { ...hk, hash: 'SHA-1' }, 'params.hash'],
    ['pbkdf2 iterations low', { ...pb, iterations: 999 }, 'params.iterations'],
    ['pbkdf2 iterations high', { ...pb, iterations: 10_000_001 }, 'params.iterations'],
    ['pbkdf2 short salt', { ...pb, salt: 'short' }, 'params.salt'],
    ['pbkdf2 empty password', { ...pb, password: '' }, 'params.password'],
    ['pbkdf2 missing salt', { ...pb, salt: undefined }, 'params.salt'],
    ['scrypt N not power of two', { ...sc, N: 1536 }, 'params.N'],
    ['scrypt N too small', { ...sc, N: 512 }, 'params.N'],
    ['scrypt N too big', { ...sc, N: 2 ** 23 }, 'params.N'],
    ['scrypt memory over 1 GiB', { ...sc, N: 2 ** 22, r: 8 }, 'params.N'],
    ['scrypt r', { ...sc, r: 0 }, 'params.r'],
    ['scrypt p', { ...sc, p: 17 }, 'params.p'],
    ['argon2 m < 8p', { ...ar, m: 16, p: 4 }, 'params.m'],
    ['argon2 m too small', { ...ar, m: 7 }, 'params.m'],
    ['argon2 t zero', { ...ar, t: 0 }, 'params.t'],
    ['argon2 empty secret', { ...ar, secret: '' }, 'params.secret'],
  ])('%s', async (_name, params, field) => {
    expect(await validationFieldAsync(() => deriveKey(params as DeriveKeyParams))).toBe(field);
  });
});
