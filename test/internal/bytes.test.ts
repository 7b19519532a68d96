import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  constantTimeEqual,
  constantTimeEqualString,
  fromBase64Url,
  fromHex,
  randomBytes,
  toBase64Url,
  toHex,
  zeroize,
} from '../../src/internal/bytes.js';

describe('base64url', () => {
  it('matches Node for every byte string and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const encoded = toBase64Url(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64Url(encoded)).toEqual(bytes);
        // standard alphabet with padding decodes to the same bytes
        expect(fromBase64Url(Buffer.from(bytes).toString('base64'))).toEqual(bytes);
      }),
    );
  });

  it('rejects bad characters, impossible lengths and non-canonical trailing bits', () => {
    expect(() => fromBase64Url('ab$d')).toThrow(TypeError);
    expect(() => fromBase64Url('a')).toThrow(TypeError);
    expect(() => fromBase64Url('abc===')).toThrow(TypeError);
    expect(() => fromBase64Url('AB')).toThrow(TypeError); // 'AB' leaves non-zero trailing bits
    expect(() => fromBase64Url('é')).toThrow(TypeError);
    expect(fromBase64Url('AA')).toEqual(new Uint8Array([0]));
  });
});

describe('hex', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
  });
});

describe('constant-time equality', () => {
  it('agrees with ordinary equality on bytes and strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(Buffer.from(a).equals(Buffer.from(b)));
        expect(constantTimeEqual(a, a.slice())).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqualString(a, b)).toBe(a === b);
      }),
    );
  });
});

describe('randomBytes', () => {
  it('returns the requested length, below, at and above the pooled size, across pool refills', () => {
    for (const n of [0, 1, 16, 255, 256, 257, 5000]) expect(randomBytes(n)).toHaveLength(n);
    const seen = new Set<string>();
    // 600 × 16 bytes crosses the 4 KiB pool boundary twice; every draw must be fresh
    for (let i = 0; i < 600; i++) seen.add(toHex(randomBytes(16)));
    expect(seen.size).toBe(600);
  });

  it('hands out independent copies (zeroing one never touches another)', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const bCopy = b.slice();
    zeroize(a);
    expect(b).toEqual(bCopy);
    expect(b.some((x) => x !== 0)).toBe(true);
  });
});

describe('concatBytes and zeroize', () => {
  it('concatenates and zeroes', () => {
    const joined = concatBytes(new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3]));
    expect(joined).toEqual(new Uint8Array([1, 2, 3]));
    zeroize(joined, null, undefined);
    expect(joined).toEqual(new Uint8Array(3));
  });
});
