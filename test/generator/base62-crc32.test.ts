import { crc32 as nodeCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASE62_ALPHABET,
  crc32Ascii,
  encodeBase62Uint32,
  isBase62,
  MAX_BASE62_LENGTH,
  randomBase62,
} from '../../src/crypto/index.js';
import { isKeywardenError } from '../../src/errors.js';

function expectValidation(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    expect((error as { field?: string }).field).toBe(field);
    return;
  }
  throw new Error('expected ERR_VALIDATION');
}

describe('base62', () => {
  it('uses the 0-9A-Za-z alphabet in digit order', () => {
    expect(BASE62_ALPHABET).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
    expect(new Set(BASE62_ALPHABET).size).toBe(62);
  });

  it('randomBase62 returns exactly the asked length, only alphabet characters', () => {
    for (const n of [1, 2, 12, 32, 100, MAX_BASE62_LENGTH]) {
      const s = randomBase62(n);
      expect(s).toHaveLength(n);
      expect(isBase62(s)).toBe(true);
    }
  });

  it('randomBase62 is uniform: chi-square over 124,000 characters, no modulo bias', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 124; i++) {
      for (const ch of randomBase62(1000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    const expected = 124_000 / 62;
    let chi = 0;
    for (const c of counts.values()) chi += (c - expected) ** 2 / expected;
    // df = 61: mean 61, sd ~11. 160 is ~9 sd out (never flakes); byte % 62 without
    // rejection gives chi ~ 800 here, so the bound also catches modulo bias.
    expect(chi).toBeLessThan(160);
  });

  it('randomBase62 rejects bad lengths', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, MAX_BASE62_LENGTH + 1, '12' as unknown as number]) {
      expectValidation(() => randomBase62(bad), 'length');
    }
  });

  it('encodeBase62Uint32 pads to the width and round-trips', () => {
    expect(encodeBase62Uint32(0, 6)).toBe('000000');
    expect(encodeBase62Uint32(61, 6)).toBe('00000z');
    expect(encodeBase62Uint32(62, 6)).toBe('000010');
    expect(encodeBase62Uint32(0xffffffff, 6)).toBe('4gfFC3');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const s = encodeBase62Uint32(n, 6);
        expect(s).toHaveLength(6);
        let back = 0;
        for (const ch of s) back = back * 62 + BASE62_ALPHABET.indexOf(ch);
        expect(back).toBe(n);
      }),
    );
  });

  it('encodeBase62Uint32 rejects out-of-range values and widths', () => {
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN])
      expectValidation(() => encodeBase62Uint32(bad, 6), 'value');
    for (const bad of [0, 12, 2.5]) expectValidation(() => encodeBase62Uint32(1, bad), 'width');
    expectValidation(() => encodeBase62Uint32(62, 1), 'width');
  });

  it('isBase62 accepts only non-empty alphabet strings and never throws', () => {
    expect(isBase62('aZ09')).toBe(true);
    for (const bad of ['', 'a-b', 'a_b', 'é', 'a b', '=', null, undefined, 42, {}, ['a']]) {
      expect(isBase62(bad)).toBe(false);
    }
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(isBase62(s)).toBe(s.length > 0 && /^[0-9A-Za-z]+$/.test(s));
      }),
    );
  });
});

describe('crc32Ascii', () => {
  it('matches the IEEE check value and zlib', () => {
    expect(crc32Ascii('123456789')).toBe(0xcbf43926);
    expect(crc32Ascii('')).toBe(0);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) }),
        (s) => {
          expect(crc32Ascii(s)).toBe(nodeCrc32(s));
        },
      ),
    );
  });

  it('rejects non-ASCII and non-strings', () => {
    expectValidation(() => crc32Ascii('héllo'), 'text');
    expectValidation(() => crc32Ascii(5 as unknown as string), 'text');
  });
});
