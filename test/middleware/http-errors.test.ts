import { describe, expect, it } from 'vitest';
import { denial, rateLimitHeaders, STATUS_BY_CODE } from '../../src/middleware/http-errors.js';
import { firstForwarded, headerName, readToken, tokenOf } from '../../src/middleware/token.js';
import type { ApiKeyInfo } from '../../src/store/api-key-types.js';

const now = 1_000_000;
const header = (d: ReturnType<typeof denial>, name: string) => d.headers.find(([n]) => n === name)?.[1];

describe('readToken', () => {
  it.each([
    [undefined, { kind: 'missing' }],
    ['', { kind: 'missing' }],
    ['   ', { kind: 'missing' }],
    ['Basic dXNlcjpwYXNz', { kind: 'missing' }],
    ['Bearer', { kind: 'token', token: '' }],
    ['Bearer abc', { kind: 'token', token: 'abc' }],
    ['BEARER \t abc  ', { kind: 'token', token: 'abc' }],
    ['Bearerabc', { kind: 'missing' }],
    ['Bearer  \t abc ', { kind: 'token', token: 'abc' }],
    ['Bearer\tabc', { kind: 'token', token: 'abc' }],
    ['bearer abc', { kind: 'token', token: 'abc' }],
    ['Bearer a b', { kind: 'token', token: 'a b' }],
    ['Token abc', { kind: 'missing' }],
  ])('authorization %j', (value, expected) => {
    expect(readToken('authorization', value)).toStrictEqual(expected);
    // the per-request reader the middleware uses answers the same, without the result object
    expect(tokenOf('authorization', value)).toBe('token' in expected ? expected.token : undefined);
  });

  it('reads a custom header raw and bounds huge values', () => {
    expect(readToken('x-api-key', ' kw_abc ')).toStrictEqual({ kind: 'token', token: 'kw_abc' });
    expect(readToken('x-api-key', 'Bearer kw_abc')).toStrictEqual({ kind: 'token', token: 'Bearer kw_abc' });
    const huge = readToken('x-api-key', 'a'.repeat(100_000));
    expect(huge.kind === 'token' && huge.token.length).toBe(4096);
  });

  it('validates header names and reads X-Forwarded-For', () => {
    expect(headerName('X-API-Key')).toBe('x-api-key');
    expect(() => headerName('x api key')).toThrow(TypeError);
    expect(() => headerName('')).toThrow(TypeError);
    expect(firstForwarded(' 203.0.113.7 , 10.0.0.1')).toBe('203.0.113.7');
    expect(firstForwarded(',')).toBeUndefined();
    expect(firstForwarded(null)).toBeUndefined();
  });
});

describe('denial', () => {
  it('maps every code to its status', () => {
    for (const [code, status] of Object.entries(STATUS_BY_CODE)) {
      const d = denial({ code: code as keyof typeof STATUS_BY_CODE, realm: 'api', now });
      expect(d.status).toBe(status);
      expect(d.body.error.code).toBe(code);
      expect(header(d, 'cache-control')).toBe('no-store');
    }
  });

  it('names no scope when none was asked, and no details for 5xx', () => {
    expect(header(denial({ code: 'INSUFFICIENT_SCOPE', realm: 'files', now }), 'www-authenticate')).toBe(
      'Bearer realm="files", error="insufficient_scope"',
    );
    for (const code of ['UNAVAILABLE', 'INTERNAL'] as const) {
      const d = denial({ code, realm: 'api', now });
      expect(header(d, 'www-authenticate')).toBeUndefined();
      expect(d.headers.map(([n]) => n)).toStrictEqual(['content-type', 'cache-control']);
    }
  });

  it('gives Retry-After of at least 1 s, and none for exhausted credits that never refill', () => {
    const past = denial({
      code: 'RATE_LIMITED',
      realm: 'api',
      now,
      rateLimit: { limit: 5, remaining: 0, reset: now - 10 },
    });
    expect(header(past, 'retry-after')).toBe('1');
    expect(header(past, 'ratelimit-reset')).toBe('0');
    const key = { refill: null } as unknown as ApiKeyInfo;
    const usage = denial({ code: 'USAGE_EXCEEDED', realm: 'api', now, key });
    expect(header(usage, 'retry-after')).toBeUndefined();
    expect(header(usage, 'ratelimit-limit')).toBeUndefined();
  });

  it('reports RateLimit-* in whole seconds, never negative remaining', () => {
    expect(rateLimitHeaders({ limit: 10, remaining: -1, reset: now + 1500 }, now)).toStrictEqual([
      ['ratelimit-limit', '10'],
      ['ratelimit-remaining', '0'],
      ['ratelimit-reset', '2'],
    ]);
  });
});
