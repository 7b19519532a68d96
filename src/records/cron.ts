/**
 * A small cron parser for rotation schedules, evaluated in UTC. It reads the syntax croner 11 read
 * before it (the expressions it accepted, it accepts; those it refused, it refuses; the next run is
 * the same, which test/rotation/cron.test.ts checks against croner):
 *
 * - 5 fields (`minute hour day-of-month month day-of-week`), 6 (a leading `second`) or 7 (and a
 *   trailing `year`, 1–9999); fields separated by any whitespace;
 * - `*`, `?` (the same as `*`), lists `a,b`, ranges `a-b`, steps `*\/n` and `a-b/n` (not `a/n`);
 * - names `JAN`–`DEC` and `SUN`–`SAT` (any case); day-of-week `7` is Sunday like `0`;
 * - day of month: `L` (last day), `LW` (last weekday), `15W` (the weekday nearest the 15th, in
 *   the same month);
 * - day of week: `5#2` (second Friday), `5#L` or `5L` (last Friday), a leading `+` for AND;
 * - day of month and day of week both restricted (neither is `*` or `?`): either matches (OR);
 * - nicknames `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`;
 * - a string with `:` after its first character is one date (what `Date.parse` reads; without a
 *   zone designator the time is UTC): it fires once.
 *
 * @internal
 * @module
 */
import { validationError } from '../errors.js';

/** A parsed cron expression. */
export interface CronSchedule {
  /**
   * The first time (epoch ms, a whole second) strictly after `after` that the expression
   * matches, or null when it never fires again (no match within 400 years, the Gregorian cycle;
   * or after the last listed year).
   *
   * @example
   * ```ts
   * parseCron('0 3 * * 1', 'cron').next(Date.UTC(2030, 0, 31)); // Date.UTC(2030, 1, 4, 3)
   * ```
   * @throws never
   */
  next(after: number): number | null;
}

type Bits = Uint8Array;

/** [smallest value, largest value, step limit] of second, minute, hour, day, month, weekday, year. */
const LIMITS = [
  [0, 59, 60],
  [0, 59, 60],
  [0, 23, 24],
  [1, 31, 31],
  [1, 12, 12],
  [0, 7, 7],
  [1, 9999, 10000],
] as const;
/** Where `*\/n` starts in each field (croner counts years from 0). */
const STAR_FROM = [0, 0, 0, 1, 1, 0, 0];
const FIELD_NAMES = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week', 'year'];
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC'.split('|');
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT'.split('|');
/** `nth` bit for the last occurrence of a weekday in the month. */
const LAST = 64;

/** An epoch ms from UTC parts; months and days overflow as in `Date.UTC`; years below 100 stay. */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  return t.setUTCHours(h, mi, s, 0);
}
const daysIn = (y: number, mo: number) => new Date(utc(y, mo + 1, 0)).getUTCDate();
const weekday = (y: number, mo: number, d: number) => new Date(utc(y, mo, d)).getUTCDay();

/**
 * Parses `expression` (see the module comment for the syntax).
 *
 * @example
 * ```ts
 * parseCron('0 3 * * MON', 'policy.cron').next(Date.now());
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field`, with what is wrong (the field count, a
 *   value out of range, a bad step, a misplaced `L`, `W`, `#` or `+`, an invalid date).
 */
export function parseCron(expression: string, field: string): CronSchedule {
  const fail = (why: string): never => {
    throw validationError(field, `must be a valid cron expression (5 to 7 fields): ${why}`);
  };
  const text = expression.trim();
  if (expression.indexOf(':') > 0) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) fail('not a date');
    const d = new Date(t);
    // no zone designator after the date: the wall-clock time read is UTC
    const once = /[Z+-]/.test(text.slice(9))
      ? t - (((t % 1000) + 1000) % 1000)
      : utc(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds());
    return { next: (after) => (once > after ? once : null) };
  }
  let source = text;
  if (text.startsWith('@')) {
    const lower = text.toLowerCase();
    if (lower === '@reboot') fail('@reboot is not supported');
    source = NICKNAMES[lower] ?? text;
  }
  const parts = source === '' ? [] : source.split(/\s+/);
  if (parts.length < 5 || parts.length > 7) fail(`found ${parts.length}`);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length === 6) parts.push('*');

  const bits = LIMITS.map(([, max]) => new Uint8Array(max + 1));
  const nth = new Uint8Array(7);
  const near: number[] = [];
  let last = false;
  let lastWeekday = false;
  let and = false;
  const star: boolean[] = [];

  parts.forEach((raw, i) => {
    const name = FIELD_NAMES[i] as string;
    const bad = (why: string): never => fail(`${name} '${raw}' ${why}`);
    let part = raw.toUpperCase().replaceAll('?', '*');
    const names = i === 4 ? MONTHS : i === 5 ? DAYS : null;
    if (names) {
      // SUN ending a range is 7 (SUN-SUN is the whole week)
      if (i === 5) part = part.replaceAll('-SUN', '-7');
      part = part.replace(/[A-Z]+/g, (word) => {
        const at = names.findIndex((n) => word.startsWith(n));
        if (at < 0 || (word.length > 3 && word.slice(3) !== 'L')) return word;
        return `${at + (i === 4 ? 1 : 0)}${word.slice(3)}`;
      });
    }
    if (i === 5 && part.startsWith('+')) {
      and = true;
      part = part.slice(1);
      if (part === '') bad('is empty after +');
    }
    const allowed = i === 3 ? /^[\d,\-/*LW]+$/ : i === 5 ? /^[\d,\-/*#L]+$/ : /^[\d,\-/*]+$/;
    if (!allowed.test(part)) bad('has a character not allowed here');
    star[i] = part === '*';
    const [min, max, stepLimit] = LIMITS[i] as readonly [number, number, number];
    const set = bits[i] as Bits;
    if (i === 3 && part === 'LW') {
      lastWeekday = true;
      return;
    }
    for (const item of part.split(',')) {
      if (item === '') bad('has an empty list entry');
      let body = item;
      let mark = 0; // day of week: bit of the nth occurrence
      if (i === 3) {
        if (item === 'L') {
          last = true;
          continue;
        }
        if (item.includes('L')) bad('has L that is not on its own');
        if (item.endsWith('W')) {
          const day = Number(item.slice(0, -1));
          if (!/^\d+W$/.test(item)) bad('has W not after a single day');
          if (day < 1 || day > 31) bad('has a day out of range 1-31');
          near.push(day);
          continue;
        }
      } else if (i === 5) {
        const hash = item.split('#');
        if (hash.length > 2) bad('has more than one #');
        if (hash.length === 2) {
          body = hash[0] as string;
          const n = hash[1] as string;
          if (n === 'L') mark = LAST;
          else if (/^\d+$/.test(n) && Number(n) >= 1 && Number(n) <= 5) mark = 1 << Number(n);
          else bad('has # not followed by 1-5 or L');
        } else if (item.endsWith('L')) {
          body = item.slice(0, -1);
          mark = LAST;
        }
        if (mark !== 0 && !/^\d/.test(body)) bad('has # or L after something that is not a weekday');
      }
      const [range = '', step, extra] = body.split('/');
      if (extra !== undefined) bad("has more than one '/'");
      let from: number;
      let to: number;
      if (range === '*') {
        from = STAR_FROM[i] as number;
        to = max;
      } else {
        const ends = range.split('-');
        if (ends.length > 2 || !ends.every((e) => /^\d+$/.test(e))) bad(`has a bad value '${range}'`);
        from = Number(ends[0]);
        to = ends.length === 2 ? Number(ends[1]) : from;
        if (from > to) bad(`has a range from a larger to a smaller value '${range}'`);
        if (step !== undefined && ends.length === 1) bad('steps from a single value (use */n or a-b/n)');
      }
      let by = 1;
      if (step !== undefined) {
        by = /^\d+$/.test(step) ? Number(step) : 0;
        if (by < 1) bad('has a step that is not a positive number');
        if (by > stepLimit) bad(`has a step larger than ${stepLimit}`);
      }
      for (let v = from; v <= to; v += by) {
        // each value the range yields must be in range (a stepped range may end past it)
        if (range !== '*' && (v < min || v > max)) bad(`has a value out of range ${min}-${max}`);
        const value = i === 5 ? v % 7 : v;
        if (mark === 0) set[value] = 1;
        else nth[value] = (nth[value] as number) | mark;
      }
    }
  });

  const [seconds, minutes, hours, days, months, weekdays, yearBits] = bits as [
    Bits,
    Bits,
    Bits,
    Bits,
    Bits,
    Bits,
    Bits,
  ];
  const years = star[6] ? null : yearBits;

  const dayMatches = (y: number, mo: number, d: number): boolean => {
    const dim = daysIn(y, mo);
    const wd = weekday(y, mo, d);
    const nearest = (target: number): number => {
      if (target > dim) return -1;
      const w = weekday(y, mo, target);
      if (w === 6) return target === 1 ? 3 : target - 1;
      if (w === 0) return target === dim ? target - 2 : target + 1;
      return target;
    };
    const dom =
      days[d] === 1 ||
      (last && d === dim) ||
      (lastWeekday && d === nearest(dim)) ||
      near.some((target) => nearest(target) === d);
    const marks = nth[wd] as number;
    const dow =
      weekdays[wd] === 1 || (marks & (1 << Math.ceil(d / 7))) !== 0 || ((marks & LAST) !== 0 && d + 7 > dim);
    if (and) return dom && dow;
    if (star[3]) return dow;
    if (star[5]) return dom;
    return dom || dow;
  };

  // Which days of a month match depends only on its length and the weekday of its 1st: 28 masks
  // (bit d = day d), so a month without a matching day is skipped whole. An expression no date
  // meets (the 31st on a first Monday) then ends its 400-year search in ~5,000 steps, not ~150,000.
  const masks = new Map<number, number>();
  const monthMask = (y: number, mo: number): number => {
    const dim = daysIn(y, mo);
    const key = dim * 7 + weekday(y, mo, 1);
    let mask = masks.get(key);
    if (mask === undefined) {
      mask = 0;
      for (let d = 1; d <= dim; d++) if (dayMatches(y, mo, d)) mask |= 1 << d;
      masks.set(key, mask);
    }
    return mask;
  };

  return {
    next(after) {
      let t = Math.floor(after / 1000) * 1000 + 1000;
      const endYear = years ? 9999 : new Date(t).getUTCFullYear() + 400;
      for (;;) {
        const at = new Date(t);
        const y = at.getUTCFullYear();
        const mo = at.getUTCMonth();
        const d = at.getUTCDate();
        const h = at.getUTCHours();
        const mi = at.getUTCMinutes();
        // written so NaN ends it too: a start past the last Date (or NaN, ±Infinity) has no next run
        if (!(y >= 1 && y <= endYear)) return null;
        if (years && years[y] !== 1) t = utc(y + 1, 0, 1);
        else if (months[mo + 1] !== 1) t = utc(y, mo + 1, 1);
        else if ((monthMask(y, mo) & (1 << d)) === 0) {
          // the next matching day of this month, or the 1st of the next month when none is left
          const later = d >= 31 ? 0 : monthMask(y, mo) >>> (d + 1);
          t = later === 0 ? utc(y, mo + 1, 1) : utc(y, mo, d + 1 + (31 - Math.clz32(later & -later)));
        } else if (hours[h] !== 1) t = utc(y, mo, d, h + 1);
        else if (minutes[mi] !== 1) t = utc(y, mo, d, h, mi + 1);
        else if (seconds[at.getUTCSeconds()] !== 1) t += 1000;
        else return t;
      }
    },
  };
}
