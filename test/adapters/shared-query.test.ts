import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLimit,
  compareKey,
  decodeCursor,
  encodeCursor,
  nameKey,
  upperBound,
} from '../../src/adapters/in-memory/query.js';
import { isKeywardenError } from '../../src/errors.js';

const expectCursorError = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    expect((error as { field?: string }).field).toBe('cursor');
    return;
  }
  throw new Error('expected ERR_VALIDATION');
};

describe('shared adapter query helpers', () => {
  it('cursors round-trip any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(decodeCursor(encodeCursor(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('rejects anything that is not an unpadded base64url cursor of JSON', () => {
    const good = encodeCursor({ seq: 5 });
    for (const bad of [
      '',
      `${good}=`,
      good.replace(/[A-Za-z]/, '+'),
      'a/b',
      '%%%',
      'bm90IGpzb24',
      42,
      null,
    ]) {
      expectCursorError(() => decodeCursor(bad));
    }
  });

  it('upperBound finds the first element strictly after (time, id)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ createdAt: fc.integer({ min: 0, max: 5 }), id: fc.string({ maxLength: 3 }) })),
        fc.integer({ min: -1, max: 6 }),
        fc.string({ maxLength: 3 }),
        (items, t, id) => {
          const sorted = [...items].sort((a, b) => compareKey(a.createdAt, a.id, b.createdAt, b.id));
          const i = upperBound(sorted, t, id);
          for (let j = 0; j < sorted.length; j++) {
            const after = compareKey(sorted[j]!.createdAt, sorted[j]!.id, t, id) > 0;
            expect(after).toBe(j >= i);
          }
        },
      ),
    );
  });

  it('nameKey keeps a null tenant apart from every tenant id', () => {
    const base = { kind: 'secret' as const, environment: 'default', name: 'X' };
    expect(nameKey({ ...base, tenantId: null })).not.toBe(nameKey({ ...base, tenantId: '' }));
    expect(nameKey({ ...base, tenantId: null })).not.toBe(nameKey({ ...base, tenantId: 'null' }));
  });

  it('checkLimit accepts 1..1000 integers only', () => {
    expect(checkLimit(1)).toBe(1);
    expect(checkLimit(1000)).toBe(1000);
    for (const bad of [0, 1001, 1.5, '10', Number.NaN, null]) expect(() => checkLimit(bad)).toThrow(/limit/);
  });
});
