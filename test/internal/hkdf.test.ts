/**
 * HKDF over the crypto backend's HMAC (src/internal/hkdf.ts) gives noble's bytes and the RFC
 * 5869 test vectors on both backends, for every hash and for lengths across block boundaries.
 */
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/internal/bytes.js';
import { type BackendHash, cryptoBackend, useCryptoBackend } from '../../src/internal/crypto-backend.js';
import { hkdf } from '../../src/internal/hkdf.js';

const NOBLE = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 } as const;
const bytes = (n: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 29 + seed) & 0xff);

afterEach(() => {
  useCryptoBackend('auto');
});

describe.each(['native', 'noble'] as const)('hkdf on the %s backend', (name) => {
  it('uses that backend', () => {
    expect(useCryptoBackend(name)?.name).toBe(name);
    expect(cryptoBackend().name).toBe(name);
  });

  it('RFC 5869 test cases 1 and 3 (SHA-256, with and without salt and info)', () => {
    useCryptoBackend(name);
    const ikm = fromHex('0b'.repeat(22));
    const one = hkdf(
      'SHA-256',
      ikm,
      fromHex('000102030405060708090a0b0c'),
      fromHex('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(toHex(one)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    const three = hkdf('SHA-256', ikm, undefined, undefined, 42);
    expect(toHex(three)).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it("gives noble's bytes for every hash, salt and length (block boundaries included)", () => {
    useCryptoBackend(name);
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as BackendHash[]) {
      for (const length of [0, 1, 16, 32, 33, 48, 64, 65, 100, 255]) {
        for (const salt of [undefined, new Uint8Array(0), bytes(16, 3), bytes(200, 5)]) {
          const ikm = bytes(40);
          const info = bytes(length % 7, 9);
          expect(hkdf(hash, ikm, salt, info, length), `${hash} ${length} ${salt?.length}`).toEqual(
            nobleHkdf(NOBLE[hash], ikm, salt, info, length),
          );
        }
      }
    }
  });

  it('refuses a length past 255 blocks, and leaves its inputs untouched', () => {
    useCryptoBackend(name);
    expect(() => hkdf('SHA-256', bytes(32), undefined, undefined, 255 * 32 + 1)).toThrow(RangeError);
    expect(hkdf('SHA-256', bytes(32), undefined, undefined, 255 * 32)).toHaveLength(255 * 32);
    const ikm = bytes(32);
    const salt = bytes(16, 2);
    const info = bytes(8, 4);
    hkdf('SHA-512', ikm, salt, info, 64);
    expect([ikm, salt, info]).toEqual([bytes(32), bytes(16, 2), bytes(8, 4)]);
  });
});
