/**
 * The middleware's per-request bearer reader `tokenOf` (src/middleware/token.ts) gained a fast path
 * for the usual `Bearer ` spelling. It must answer exactly what the reader it replaced answered
 * (this morning's `readToken`, kept here as the oracle) on odd inputs: scheme case, spaces, tabs,
 * other whitespace, several spaces, comma-joined duplicate headers, values around the 4096-character
 * bound, and custom headers.
 */
import { describe, expect, it } from 'vitest';
import { readToken, tokenOf } from '../../src/middleware/token.js';

const MAX = 4096;

/** The reader as it was before the fast path (main, 2026-12-05 morning). */
function oracle(header: string, value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.length > MAX ? value.slice(0, MAX) : value;
  if (header !== 'authorization') {
    const token = raw.trim();
    return token.length === 0 ? undefined : token;
  }
  const trimmed = raw.trim();
  if (trimmed.length === 0) return undefined;
  const space = trimmed.search(/[ \t]/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return space === -1 ? '' : trimmed.slice(space + 1).trim();
}

const PIECES = [
  'Bearer',
  'bearer',
  'BEARER',
  'BeArEr',
  'Bearer ',
  'Basic',
  'Token',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\u00a0',
  '\u2028',
  '\ufeff',
  ',',
  ', ',
  'kw_live_abc',
  'kwp_0123456789ab_' + 'x'.repeat(32),
  'a',
  '=',
  '"',
];

/** A deterministic generator (no Math.random: a failure must reproduce). */
function* values(count: number): Generator<string> {
  let seed = 0x2f6b_1d3;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    return seed;
  };
  for (let i = 0; i < count; i++) {
    const n = 1 + (next() % 7);
    let v = '';
    for (let j = 0; j < n; j++) v += PIECES[next() % PIECES.length];
    yield v;
  }
}

describe('tokenOf answers what the previous reader answered', () => {
  it('on 20,000 generated authorization values and custom-header values', () => {
    let compared = 0;
    for (const v of values(20_000)) {
      for (const header of ['authorization', 'x-api-key']) {
        expect(tokenOf(header, v), `${header}: ${JSON.stringify(v)}`).toBe(oracle(header, v));
        const read = readToken(header, v);
        expect(read.kind === 'token' ? read.token : undefined).toBe(oracle(header, v));
        compared++;
      }
    }
    expect(compared).toBe(40_000);
  });

  it.each([
    ['Bearer a, Bearer b'], // two Authorization headers joined by a proxy: one malformed token, not b
    ['Basic x, Bearer kw_abc'], // a bearer token hidden behind another scheme is not read
    ['Bearer\u00a0kw_abc'], // NBSP is not the separator
    ['\u00a0Bearer kw_abc\u00a0'],
    ['Bearer  \t  kw_abc'],
    ['Bearer\t\tkw_abc'],
    ['bearer kw_abc'],
    ['Bearer'],
    ['Bearer '],
    [' Bearer'],
    [null],
    [undefined],
  ])('%j', (value) => {
    expect(tokenOf('authorization', value)).toBe(oracle('authorization', value));
  });

  it('bounds a very long header the same way, on each side of the bound', () => {
    for (const len of [MAX - 8, MAX - 7, MAX - 1, MAX, MAX + 1, 100_000]) {
      for (const prefix of ['Bearer ', 'bearer\t', 'Bearer' + ' '.repeat(MAX)]) {
        const v = prefix + 'k'.repeat(Math.max(0, len - prefix.length));
        const t = tokenOf('authorization', v);
        expect(t).toBe(oracle('authorization', v));
        expect((t ?? '').length).toBeLessThanOrEqual(MAX);
      }
    }
  });
});
