import { crc32 as nodeCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  API_TOKEN_CHECKSUM_LENGTH,
  API_TOKEN_ID_LENGTH,
  API_TOKEN_MAX_LENGTH,
  API_TOKEN_MIN_LENGTH,
  API_TOKEN_PREFIX_PATTERN,
  API_TOKEN_SECRET_LENGTH,
  checkApiToken,
  encodeBase62Uint32,
  generateApiToken,
  generateApiTokens,
  isApiTokenPrefix,
  parseApiToken,
} from '../../src/crypto/index.js';
import { validationField } from './helpers.js';

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const validPrefix = fc.stringMatching(API_TOKEN_PREFIX_PATTERN);

function withChecksum(body: string): string {
  return body + encodeBase62Uint32(nodeCrc32(body), 6);
}

describe('token layout', () => {
  it('has the documented constants', () => {
    expect([API_TOKEN_ID_LENGTH, API_TOKEN_SECRET_LENGTH, API_TOKEN_CHECKSUM_LENGTH]).toEqual([12, 32, 6]);
    expect(API_TOKEN_MIN_LENGTH).toBe(1 + 1 + 12 + 1 + 32 + 6);
    expect(API_TOKEN_MAX_LENGTH).toBe(32 + 1 + 12 + 1 + 32 + 6);
  });

  it('generates {prefix}_{id}_{secret}{checksum} with a zlib-compatible CRC-32', () => {
    const { token, id, prefix } = generateApiToken({ prefix: 'sk_live' });
    expect(prefix).toBe('sk_live');
    expect(token).toMatch(/^sk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    expect(token.slice(8, 20)).toBe(id);
    const body = token.slice(0, -6);
    expect(token.slice(-6)).toBe(encodeBase62Uint32(nodeCrc32(body), 6));
  });

  it('embeds a given id', () => {
    const r = generateApiToken({ prefix: 'kw', id: 'AbCdEf012345' });
    expect(r.id).toBe('AbCdEf012345');
    expect(parseApiToken(r.token)?.id).toBe('AbCdEf012345');
  });

  it('parses a hand-built known token', () => {
    const body = `a_b_${'0'.repeat(12)}_${'z'.repeat(32)}`;
    const token = withChecksum(body);
    expect(checkApiToken(token)).toEqual({
      ok: true,
      prefix: 'a_b',
      id: '0'.repeat(12),
      secret: 'z'.repeat(32),
    });
  });

  it('generates distinct secrets and ids', () => {
    const tokens = generateApiTokens(1000, { prefix: 'kw' });
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1000);
    expect(new Set(tokens.map((t) => t.id)).size).toBe(1000);
    for (const t of tokens) expect(checkApiToken(t.token).ok).toBe(true);
  });
});

describe('checkApiToken properties', () => {
  it('every generated token passes and parses back, for any valid prefix (including _)', () => {
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const { token, id } = generateApiToken({ prefix });
        const r = checkApiToken(token);
        expect(r).toEqual({ ok: true, prefix, id, secret: token.slice(prefix.length + 14, -6) });
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every single-character substitution (exhaustive over positions × printable ASCII)', () => {
    for (const prefix of ['k', 'sk_live', 'a'.repeat(32)]) {
      const { token } = generateApiToken({ prefix });
      for (let i = 0; i < token.length; i++) {
        for (const ch of PRINTABLE) {
          if (ch === token[i]) continue;
          const mutated = token.slice(0, i) + ch + token.slice(i + 1);
          expect(checkApiToken(mutated).ok).toBe(false);
        }
      }
    }
  });

  it('rejects any single-character substitution in random tokens (property)', () => {
    fc.assert(
      fc.property(
        validPrefix,
        fc.nat(),
        fc.constantFrom(...PRINTABLE, 'é', '\u0000', '\u{1F600}'),
        (prefix, at, ch) => {
          const { token } = generateApiToken({ prefix });
          const i = at % token.length;
          fc.pre(token[i] !== ch);
          const mutated = token.slice(0, i) + ch + token.slice(i + 1);
          expect(checkApiToken(mutated).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects every adjacent transposition of distinct characters', () => {
    // Inside the checksummed part a swap is a burst of <= 16 bits, which CRC-32 always detects;
    // at the body/checksum boundary detection is probabilistic (~1 in 2^32 miss).
    fc.assert(
      fc.property(validPrefix, (prefix) => {
        const { token } = generateApiToken({ prefix });
        for (let i = 0; i + 1 < token.length; i++) {
          if (token[i] === token[i + 1]) continue;
          const swapped = token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2);
          expect(checkApiToken(swapped).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and rejects arbitrary values and strings', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const r = checkApiToken(value);
        expect(r.ok).toBe(false);
        expect(parseApiToken(value)).toBeNull();
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 40, maxLength: 100 }), (s) => {
        expect(checkApiToken(s).ok).toBe(false);
      }),
    );
  });

  it('gives the documented reason codes', () => {
    const { token } = generateApiToken({ prefix: 'kw' });
    expect(checkApiToken(undefined)).toEqual({ ok: false, reason: 'type' });
    expect(checkApiToken(Buffer.from(token))).toEqual({ ok: false, reason: 'type' });
    const shortest = generateApiToken({ prefix: 'k' }).token;
    expect(shortest).toHaveLength(API_TOKEN_MIN_LENGTH);
    expect(checkApiToken(shortest.slice(1))).toEqual({ ok: false, reason: 'length' });
    expect(checkApiToken('')).toEqual({ ok: false, reason: 'length' });
    expect(checkApiToken('x'.repeat(10_000_000))).toEqual({ ok: false, reason: 'length' });
    expect(checkApiToken(`${'a'.repeat(33)}${token.slice(2)}`)).toEqual({ ok: false, reason: 'length' });
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(checkApiToken(token.slice(0, -1) + last)).toEqual({ ok: false, reason: 'checksum' });
    expect(checkApiToken(token.replace('kw_', 'kw-'))).toEqual({ ok: false, reason: 'format' });
    expect(checkApiToken(` ${token.slice(1)}`)).toEqual({ ok: false, reason: 'format' });
  });

  it('rejects well-checksummed tokens whose layout is wrong', () => {
    const id = 'a'.repeat(12);
    const secret = 'b'.repeat(32);
    for (const prefix of ['_kw', 'kw_', '__', 'KW', 'k-w', 'k w', 'kwé']) {
      const body = `${prefix}_${id}_${secret}`;
      expect(checkApiToken(body + encodeBase62Uint32(nodeCrc32(body) >>> 0, 6)).ok).toBe(false);
    }
    // separators moved or replaced
    expect(checkApiToken(withChecksum(`kw_${'a'.repeat(13)}${secret}`)).ok).toBe(false);
    expect(checkApiToken(withChecksum(`kw_${id}-${secret}`)).ok).toBe(false);
    // secret holding a non-base62 character
    expect(checkApiToken(withChecksum(`kw_${id}_${'b'.repeat(31)}_`)).ok).toBe(false);
  });

  it('rejects a checksum value above 2^32', () => {
    const body = `kw_${'a'.repeat(12)}_${'b'.repeat(32)}`;
    expect(checkApiToken(`${body}zzzzzz`)).toEqual({ ok: false, reason: 'checksum' });
  });
});

describe('prefix validation', () => {
  it('isApiTokenPrefix follows the rule', () => {
    for (const ok of ['a', 'kw', 'sk_live', 'a_b_c', '0', 'a'.repeat(32), 'a__b']) {
      expect(isApiTokenPrefix(ok)).toBe(true);
    }
    for (const bad of ['', '_', '_a', 'a_', 'A', 'a-b', 'a b', 'é', 'a'.repeat(33), null, 3, ['kw']]) {
      expect(isApiTokenPrefix(bad)).toBe(false);
    }
  });

  it('generateApiToken rejects illegal prefixes and ids, naming the field', () => {
    for (const bad of ['', '_kw', 'kw_', 'KW', 'k.w', 'a'.repeat(33), 7]) {
      expect(validationField(() => generateApiToken({ prefix: bad as string }))).toBe('options.prefix');
    }
    for (const bad of ['short', 'a'.repeat(13), 'aaaaaaaaaaa_', 12]) {
      expect(validationField(() => generateApiToken({ prefix: 'kw', id: bad as string }))).toBe('options.id');
    }
    expect(validationField(() => generateApiToken(null as never))).toBe('options');
    expect(validationField(() => generateApiToken({ prefix: 'kw', extra: 1 } as never))).toBe('options');
  });

  it('rejects illegal prefixes by property', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (prefix) => {
        fc.pre(!API_TOKEN_PREFIX_PATTERN.test(prefix));
        expect(isApiTokenPrefix(prefix)).toBe(false);
        expect(validationField(() => generateApiToken({ prefix }))).toBe('options.prefix');
      }),
    );
  });

  it('generateApiTokens bounds its count', () => {
    for (const bad of [0, -1, 10_001, 1.5]) {
      expect(validationField(() => generateApiTokens(bad, { prefix: 'kw' }))).toBe('count');
    }
    expect(validationField(() => generateApiTokens(1, { prefix: 'K' }))).toBe('options.prefix');
    expect(generateApiTokens(10_000, { prefix: 'kw' })).toHaveLength(10_000);
  });
});
