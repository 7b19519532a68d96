import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { FAKE_CLOCK_START, fakeClock } from '../../src/testing/fake-clock.js';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    if (isKeywardenError(e, 'ERR_VALIDATION')) return e.field ?? '(none)';
    throw e;
  }
  return undefined;
}

describe('fakeClock', () => {
  it('starts at 2030-01-01T00:00:00Z by default and does not move on its own', () => {
    const clock = fakeClock();
    expect(FAKE_CLOCK_START).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(clock.now()).toBe(FAKE_CLOCK_START);
    expect(clock.now()).toBe(FAKE_CLOCK_START);
  });

  it('starts at a given epoch ms or Date', () => {
    expect(fakeClock({ now: 0 }).now()).toBe(0);
    expect(fakeClock({ now: 1_700_000_000_123 }).now()).toBe(1_700_000_000_123);
    expect(fakeClock({ now: new Date('2025-06-01T12:00:00Z') }).now()).toBe(
      Date.parse('2025-06-01T12:00:00Z'),
    );
  });

  it('advances by duration strings and milliseconds', () => {
    const clock = fakeClock({ now: 0 });
    clock.advance('1h30m');
    expect(clock.now()).toBe(5_400_000);
    clock.advance(250);
    expect(clock.now()).toBe(5_400_250);
    clock.advance('90d');
    expect(clock.now()).toBe(5_400_250 + 90 * 86_400_000);
    clock.advance(0);
    expect(clock.now()).toBe(5_400_250 + 90 * 86_400_000);
  });

  it('set moves time anywhere, including backwards', () => {
    const clock = fakeClock();
    clock.set(42);
    expect(clock.now()).toBe(42);
    clock.set(-1000);
    expect(clock.now()).toBe(-1000);
  });

  it('rejects bad durations with ERR_VALIDATION and keeps the time', () => {
    const clock = fakeClock({ now: 10 });
    for (const bad of [-1, 1.5, Number.NaN, '', 'soon', '10x', '-5m', '1h 30m', null, undefined]) {
      expect(fieldOf(() => clock.advance(bad as never))).toBe('duration');
    }
    expect(clock.now()).toBe(10);
  });

  it('rejects a time that leaves the safe integer range', () => {
    const clock = fakeClock({ now: Number.MAX_SAFE_INTEGER - 5 });
    expect(fieldOf(() => clock.advance(10))).toBe('duration');
    expect(clock.now()).toBe(Number.MAX_SAFE_INTEGER - 5);
  });

  it('rejects bad set values and bad start times', () => {
    const clock = fakeClock({ now: 7 });
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '5', null]) {
      expect(fieldOf(() => clock.set(bad as never))).toBe('ms');
    }
    expect(clock.now()).toBe(7);
    for (const bad of [1.5, Number.NaN, new Date('nope'), '2030' as never]) {
      expect(fieldOf(() => fakeClock({ now: bad }))).toBe('now');
    }
  });

  it('advance is additive (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 ** 12 }), { maxLength: 20 }), (steps) => {
        const clock = fakeClock({ now: 0 });
        for (const s of steps) clock.advance(s);
        expect(clock.now()).toBe(steps.reduce((a, b) => a + b, 0));
      }),
    );
  });
});
