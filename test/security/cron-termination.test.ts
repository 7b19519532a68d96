/**
 * The own cron parser (src/records/cron.ts) must never hang: an expression with no future run
 * (February 30th, the 31st of a 30-day month, a weekday condition no date meets) ends with null, and
 * so does a start the calendar cannot represent (NaN, ±Infinity, past the last Date): the search
 * loop must not spin on an invalid date, where every comparison with NaN is false.
 */
import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/records/cron.js';
import { parsePolicyInput, rotationPolicySchema } from '../../src/records/policy-schema.js';
import { nextOccurrence } from '../../src/records/schedule.js';

const MAX_DATE = 8.64e15;

describe('cron: expressions without a future run end with null', () => {
  it.each(['0 0 30 2 *', '0 0 31 2 *', '0 0 31 4,6,9,11 *', '0 0 0 30 2 ? 2030', '0 0 31W 2 *'])(
    '%s',
    (expression) => {
      const s = parseCron(expression, 'cron');
      expect(s.next(0)).toBeNull();
      expect(s.next(Date.UTC(2026, 11, 5))).toBeNull();
    },
  );
});

describe('cron: a start the calendar cannot represent ends with null instead of looping', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['the last Date', MAX_DATE],
    ['past the last Date', MAX_DATE + 1000],
    ['1e300', 1e300],
  ])('after = %s', (_name, after) => {
    // each of these looped forever before the fix (new Date(NaN) gives NaN fields, and
    // `NaN > endYear` is false, so the loop never ended)
    expect(parseCron('0 0 30 2 *', 'cron').next(after)).toBeNull();
    expect(parseCron('0 3 * * MON', 'cron').next(after)).toBeNull();
    expect(nextOccurrence({ every: null, schedule: null, cron: '0 3 * * *', anchorAt: 0 }, after)).toBeNull();
  });

  it('a normal start still finds the next run', () => {
    expect(parseCron('0 3 * * MON', 'cron').next(Date.UTC(2026, 11, 5))).toBe(Date.UTC(2026, 11, 7, 3));
  });
});

describe('cron: input length', () => {
  it('an expression over 256 characters is refused without being parsed (one issue, the length)', () => {
    for (const cron of ['x'.repeat(300), `0 ${'1,'.repeat(20_000)}1 * * *`]) {
      const r = rotationPolicySchema.safeParse({ cron });
      expect(r.success).toBe(false);
      // before the fix the cron parser also ran on it and added its own issue
      expect(r.error?.issues.map((i) => i.code)).toEqual(['too_big']);
    }
    expect(() => parsePolicyInput({ cron: 'x'.repeat(300) }, 'policy')).toThrow(/policy\.cron is too big/);
  });

  it('a valid expression of 256 characters or fewer is still checked (never fires: refused)', () => {
    const r = rotationPolicySchema.safeParse({ cron: '0 0 30 2 *' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('never fires');
  });
});
