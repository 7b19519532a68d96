/**
 * The cron parser of rotation schedules (src/records/cron.ts): the syntax croner 11 read before it,
 * checked case by case and against croner itself (a dev dependency now) on generated expressions:
 * the same expressions accepted and refused, the same next runs.
 */
import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardenError } from '../../src/errors.js';
import { parseCron } from '../../src/records/cron.js';

const T0 = Date.UTC(2030, 0, 1); // a Tuesday, 00:00:00 UTC
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const next = (expression: string, after = T0) => iso(parseCron(expression, 'cron').next(after));

/** croner's answer: the next run as ISO, null, or 'invalid'. */
function croner(expression: string, after: number): string | null {
  try {
    const run = new Cron(expression, { timezone: 'UTC', paused: true }).nextRun(new Date(after));
    return run ? run.toISOString() : null;
  } catch {
    return 'invalid';
  }
}
function ours(expression: string, after: number): string | null {
  try {
    return iso(parseCron(expression, 'cron').next(after));
  } catch (e) {
    if (!(e instanceof KeywardenError)) throw e;
    return 'invalid';
  }
}

describe('parseCron', () => {
  it.each([
    ['0 3 * * 1', '2030-01-07T03:00:00.000Z'],
    ['* * * * *', '2030-01-01T00:01:00.000Z'],
    ['*/15 * * * * *', '2030-01-01T00:00:15.000Z'],
    ['0 0 0 1 1 * 2031', '2031-01-01T00:00:00.000Z'],
    ['0 0 * * MON-FRI', '2030-01-02T00:00:00.000Z'],
    ['0 0 * feb *', '2030-02-01T00:00:00.000Z'],
    ['0 0 13 * FRI', '2030-01-04T00:00:00.000Z'], // either matches
    ['0 0 13 * +FRI', '2030-09-13T00:00:00.000Z'], // both must
    ['0 0 1 * ?', '2030-02-01T00:00:00.000Z'],
    ['0 0 L * *', '2030-01-31T00:00:00.000Z'],
    ['0 0 30W 3 *', '2030-03-29T00:00:00.000Z'], // the 30th is a Saturday
    ['0 0 1W 6 *', '2030-06-03T00:00:00.000Z'], // the 1st is a Saturday: Monday the 3rd
    ['0 0 * * FRI#L', '2030-01-25T00:00:00.000Z'],
    ['0 0 * * 5L', '2030-01-25T00:00:00.000Z'],
    ['0 0 * * 1#5', '2030-04-29T00:00:00.000Z'],
    ['0 0 * * 7', '2030-01-06T00:00:00.000Z'],
    ['0 0 29 2 *', '2032-02-29T00:00:00.000Z'],
    ['0 0 29 2 +MON', '2044-02-29T00:00:00.000Z'],
    ['@weekly', '2030-01-06T00:00:00.000Z'],
    ['  @Daily ', '2030-01-02T00:00:00.000Z'],
    ['2031-01-01T00:00:00', '2031-01-01T00:00:00.000Z'],
    ['2031-01-01T00:00:00+02:00', '2030-12-31T22:00:00.000Z'],
  ])('%s fires next at %s', (expression, expected) => {
    expect(next(expression)).toBe(expected);
  });

  it('is strictly after the given time, to the second', () => {
    expect(next('0 3 * * *', Date.UTC(2030, 0, 1, 3))).toBe('2030-01-02T03:00:00.000Z');
    expect(next('0 3 * * *', Date.UTC(2030, 0, 1, 2, 59, 59, 500))).toBe('2030-01-01T03:00:00.000Z');
  });

  it('is null for a schedule that never fires (again)', () => {
    expect(next('0 0 31 2 *')).toBeNull();
    expect(next('0 0 31W 4 *')).toBeNull();
    expect(next('0 0 0 1 1 * 2029')).toBeNull();
    expect(next('2029-01-01T00:00:00Z')).toBeNull();
  });

  it.each([
    ['', 'found 0'],
    ['not a cron', 'found 3'],
    ['0 0 * * * * * *', 'found 8'],
    ['61 * * * *', "minute '61'"],
    ['0 24 * * *', "hour '24'"],
    ['0 0 32 * *', "day-of-month '32'"],
    ['0 0 * 13 *', "month '13'"],
    ['0 0 * * 8', "day-of-week '8'"],
    ['0 0 0 1 1 * 10000', "year '10000'"],
    ['5/15 * * * *', 'steps from a single value'],
    ['*/0 * * * *', 'step'],
    ['*/61 * * * *', 'step larger than 60'],
    ['0 0 * * 5-1', 'larger to a smaller'],
    ['0 0 L-1 * *', 'L that is not on its own'],
    ['0 0 1-5W * *', 'W not after a single day'],
    ['0 0 * * 1#6', '# not followed by 1-5 or L'],
    ['0 0 * * JANUARY', 'not allowed'],
    ['0 0 1 * +', 'empty after +'],
    ['1,,2 * * * *', 'empty list entry'],
    ['@reboot', '@reboot'],
    ['12:30', 'not a date'],
  ])('%j is refused: ERR_VALIDATION naming the field (%s)', (expression, why) => {
    let error: unknown;
    try {
      parseCron(expression, 'policy.cron');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeywardenError);
    expect((error as KeywardenError).code).toBe('ERR_VALIDATION');
    expect((error as KeywardenError).field).toBe('policy.cron');
    expect((error as KeywardenError).message).toMatch(/^policy\.cron: must be a valid cron expression/);
    expect((error as KeywardenError).message).toContain(why);
  });

  it('answers as croner did on generated expressions: accepted or refused, and the next runs', () => {
    // mostly valid fields (values in range, sometimes one past it), so the arithmetic is compared too
    const bounds = [
      [0, 59],
      [0, 59],
      [0, 23],
      [1, 31],
      [1, 12],
      [0, 7],
    ] as const;
    const names: string[][] = [[], [], [], [], ['JAN', 'feb', 'Dec'], ['SUN', 'mon', 'FRI', 'sat']];
    const fieldOf = (i: number) => {
      const [min, max] = bounds[i] as readonly [number, number];
      const value = fc.oneof(
        { weight: 30, arbitrary: fc.integer({ min, max }).map(String) },
        { weight: 1, arbitrary: fc.constantFrom(String(min - 1), String(max + 1), 'x', '') },
        ...((names[i] ?? []).length > 0
          ? [{ weight: 6, arbitrary: fc.constantFrom(...(names[i] ?? [])) }]
          : []),
      );
      const step = fc.integer({ min: 0, max: max + 2 }).map(String);
      const extras =
        i === 3
          ? [fc.constantFrom('L', 'LW', 'W'), fc.integer({ min: 0, max: 32 }).map((d) => `${d}W`)]
          : i === 5
            ? [
                fc
                  .tuple(value, fc.constantFrom('#1', '#2', '#4', '#5', '#6', '#L', 'L'))
                  .map(([a, n]) => `${a}${n}`),
                fc.tuple(value, value, fc.constantFrom('#2', '#L')).map(([a, b, n]) => `${a}-${b}${n}`),
              ]
            : [];
      const item = fc.oneof(
        value,
        value,
        fc.tuple(value, value).map(([a, b]) => (Number(a) > Number(b) ? `${b}-${a}` : `${a}-${b}`)),
        step.map((x) => `*/${x}`),
        fc.tuple(value, value, step).map(([a, b, x]) => `${a}-${b}/${x}`),
        fc.tuple(value, step).map(([a, x]) => `${a}/${x}`),
        ...extras,
      );
      return fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom('*', '?') },
        { weight: 5, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => xs.join(',')) },
      );
    };
    const plus = fc.constantFrom('', '', '+');
    const year = fc.oneof(
      fc.constant('*'),
      fc.integer({ min: 1965, max: 2110 }).map(String),
      fc.constantFrom('2030-2040/3', '*/7', '0', '10000'),
    );
    const expression = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .tuple(fieldOf(1), fieldOf(2), fieldOf(3), fieldOf(4), fieldOf(5), plus)
          .map(([a, b, c, d, e, p]) => `${a} ${b} ${c} ${d} ${p}${e}`),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fieldOf(0), fieldOf(1), fieldOf(2), fieldOf(3), fieldOf(4), fieldOf(5), year)
          .map(([s, a, b, c, d, e, y]) => `${s} ${a} ${b} ${c} ${d} ${e} ${y}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '@yearly',
          '@monthly',
          '@weekly',
          '@daily',
          '@hourly',
          '@annually',
          '@midnight',
          '@every',
          '2031-02-03T04:05:06',
          '2031-02-03T04:05:06.789Z',
          '2031-02-03T04:05:06-07:00',
          'Mon, 03 Feb 2031 04:05:06 GMT',
        ),
      },
    );
    const after = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });
    let accepted = 0;
    fc.assert(
      fc.property(expression, after, (expr, at) => {
        if (process.env['CRON_COLLECT']) {
          const a = croner(expr, at);
          const b = ours(expr, at);
          if (a !== b) console.log('DIFF', JSON.stringify(expr), new Date(at).toISOString(), a, b);
          return;
        }
        const theirs = croner(expr, at);
        expect(ours(expr, at), expr).toBe(theirs);
        if (theirs !== 'invalid' && theirs !== null) {
          accepted++;
          const t = Date.parse(theirs);
          expect(ours(expr, t), `${expr} after ${theirs}`).toBe(croner(expr, t));
        }
      }),
      { numRuns: Number(process.env['CRON_RUNS'] ?? 3000) },
    );
    expect(accepted).toBeGreaterThan(300); // enough valid ones to compare the arithmetic too
  }, 120_000);
});
