/**
 * The regular expressions documented for secret scanners match real keywarden tokens (found inside
 * surrounding text) and nothing that merely looks like them.
 */
import { describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/crypto/tokens.js';
import { apiKeyTokenPattern, KEYWARDEN_TOKEN_PATTERNS } from '../../src/observability/index.js';

const find = (pattern: string, text: string) => text.match(new RegExp(pattern, 'g')) ?? [];

describe('token patterns', () => {
  it('find default API keys, proxy tokens and custom prefixes in text', () => {
    const kw = generateApiToken({ prefix: 'kw' }).token;
    const kwp = generateApiToken({ prefix: 'kwp' }).token;
    const live = generateApiToken({ prefix: 'sk_live' }).token;
    const text = `export KEY=${kw}\nproxy: "${kwp}",\nSTRIPE=${live};`;
    expect(find(KEYWARDEN_TOKEN_PATTERNS.apiKey, text)).toEqual([kw]);
    expect(find(KEYWARDEN_TOKEN_PATTERNS.proxyToken, text)).toEqual([kwp]);
    expect(find(apiKeyTokenPattern('sk_live'), text)).toEqual([live]);
    expect(find(KEYWARDEN_TOKEN_PATTERNS.anyPrefix, text)).toEqual([kw, kwp, live]);
  });

  it('do not match look-alikes: glued prefixes, wrong lengths, other alphabets', () => {
    const kw = generateApiToken({ prefix: 'kw' }).token;
    const tail = kw.slice(2);
    for (const near of [
      `x${kw}`, // glued before
      `sk_${kw}`, // another prefix ending in _kw
      `${kw}Z`, // one character too many
      kw.slice(0, -1), // one too few
      `kw${tail.replace(/[A-Za-z0-9]$/, '-')}`, // non-base62 character
      `KW${tail}`, // prefix is lowercase only
    ]) {
      expect(find(KEYWARDEN_TOKEN_PATTERNS.apiKey, near)).toEqual([]);
    }
  });

  it('refuses an invalid prefix', () => {
    for (const bad of ['', '_kw', 'KW', 'a'.repeat(33), 'kw.*']) {
      expect(() => apiKeyTokenPattern(bad)).toThrowError(
        expect.objectContaining({ code: 'ERR_VALIDATION', field: 'prefix' }),
      );
    }
  });
});
