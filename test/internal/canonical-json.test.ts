/**
 * canonicalJson serializes a flat object whose keys are already sorted with one JSON.stringify
 * (the audit row's `context` and `data`); every other shape goes key by key. Both must give the
 * text of the definition: keys sorted by UTF-16 code units, undefined members dropped, non-JSON
 * values refused. Checked against a reference written from that definition, over generated values.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson, flatAndSorted, flatText, frozenData } from '../../src/internal/canonical-json.js';
import type { JsonValue } from '../../src/ports/json.js';
import { frozenGetter } from '../support/frozen-getter.js';

function reference(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('non-finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => reference(v ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts = keys
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${parts.join(',')}}`;
  }
  throw new TypeError('not JSON');
}

/** A small deterministic generator (xorshift), so a failure is reproducible. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const KEYS = ['a', 'b', 'B', 'é', '', '9', '10', 'z9', 'toolId', 'agentId', '\u2028', '😀', '__x'];
const SCALARS: JsonValue[] = [
  null,
  true,
  false,
  0,
  -0,
  1.5,
  -3,
  1e21,
  1e-7,
  '',
  'x',
  'a"b\\c',
  '\u0001',
  '\ud800',
  'é😀',
];

function scalarObject(r: () => number, sorted: boolean): Record<string, JsonValue | undefined> {
  const keys = KEYS.filter(() => r() < 0.5);
  if (sorted) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const o: Record<string, JsonValue | undefined> = {};
  for (const k of keys) o[k] = r() < 0.1 ? undefined : SCALARS[Math.floor(r() * SCALARS.length)];
  return o;
}

describe('canonicalJson', () => {
  it('flat objects, sorted or not, with integer-like keys: the text of the definition', () => {
    const r = rng(0x5eed);
    let oneStep = 0;
    for (let i = 0; i < 2000; i++) {
      const o = scalarObject(r, i % 2 === 0);
      if (flatAndSorted(o)) oneStep++;
      expect(canonicalJson(o as JsonValue)).toBe(reference(o));
    }
    expect(oneStep).toBeGreaterThan(100); // the one-step path was exercised
  });

  it('nested values and arrays go key by key and still match', () => {
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const o = { ...scalarObject(r, true), n: scalarObject(r, true), l: [scalarObject(r, false), 1, null] };
      expect(flatAndSorted(o)).toBe(false);
      expect(canonicalJson(o as JsonValue)).toBe(reference(o));
    }
  });

  it('integer-like keys out of code-unit order are not taken as sorted', () => {
    const o = { '9': 1, '10': 2 }; // enumerated 9, 10; sorted by code units 10, 9
    expect(flatAndSorted(o)).toBe(false);
    expect(canonicalJson(o)).toBe('{"10":2,"9":1}');
  });

  it('non-JSON values are refused on either path', () => {
    expect(() => canonicalJson({ a: Number.NaN } as JsonValue)).toThrow(TypeError);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY, b: 1 } as JsonValue)).toThrow(TypeError);
    expect(() => canonicalJson({ a: (() => 1) as unknown as JsonValue })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n as unknown as JsonValue })).toThrow(TypeError);
  });

  it('objects that are not plain (a prototype, a toJSON) never take the one-step path', () => {
    const withProto = Object.assign(Object.create({ inherited: 1 }) as object, { a: 1 });
    expect(flatAndSorted(withProto)).toBe(false);
    expect(canonicalJson(withProto as JsonValue)).toBe('{"a":1}');
    const noProto = Object.assign(Object.create(null) as object, { a: 1 });
    expect(flatAndSorted(noProto)).toBe(false);
    expect(canonicalJson(noProto as JsonValue)).toBe('{"a":1}');
  });
});

describe('flatText remembers the text of objects that cannot change, and only of those', () => {
  it('gives the canonical text of flat sorted objects, null for anything else', () => {
    expect(flatText({ a: 1, b: 'x', c: null, d: undefined })).toBe('{"a":1,"b":"x","c":null}');
    expect(flatText({ b: 1, a: 2 })).toBeNull();
    expect(flatText({ a: { b: 1 } })).toBeNull();
    expect(flatText('x')).toBeNull();
    expect(flatText(null)).toBeNull();
  });

  it('a mutable object is serialized again after a change; a frozen one cannot change', () => {
    const open: Record<string, unknown> = { a: 1 };
    expect(flatText(open)).toBe('{"a":1}');
    open['a'] = 2;
    expect(flatText(open)).toBe('{"a":2}');
    const frozen = Object.freeze({ a: 1, b: 'x' });
    expect(flatText(frozen)).toBe('{"a":1,"b":"x"}');
    expect(flatText(frozen)).toBe('{"a":1,"b":"x"}');
  });

  it('a frozen object with a getter is never remembered (it may answer differently each time)', () => {
    const tricky = frozenGetter((n) => n);
    expect(frozenData(tricky)).toBe(false);
    expect(flatText(tricky)).toBe('{"a":2}'); // read once by the check, once by JSON.stringify
    expect(flatText(tricky)).toBe('{"a":4}');
    expect(frozenData(Object.freeze({ a: 1 }))).toBe(true);
    expect(frozenData({ a: 1 })).toBe(false);
  });
});
