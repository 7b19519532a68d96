/**
 * Schedule arithmetic: fixed intervals, named UTC calendar schedules and cron (./cron.ts), always
 * anchored, so a late run keeps the cadence instead of drifting.
 * @internal
 * @module
 */
import { type CronSchedule, parseCron } from './cron.js';
import type { NamedSchedule } from './rotation-types.js';

/** Days in ms. */
export const DAY_MS = 86_400_000;

/** Named schedules that are fixed intervals (UTC has no DST). */
const FIXED: Partial<Record<NamedSchedule, number>> = { daily: DAY_MS, weekly: 7 * DAY_MS };
/** Named schedules that step by calendar months. */
const MONTHS: Partial<Record<NamedSchedule, number>> = { monthly: 1, quarterly: 3, yearly: 12 };

/** The named schedules. */
export const NAMED_SCHEDULES: readonly NamedSchedule[] = [
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'yearly',
];

/**
 * Adds `months` calendar months to `at` in UTC, keeping the day of month of `at` and clamping it
 * to the last day of the target month (Jan 31 + 1 month = Feb 28/29). Time of day is kept.
 *
 * @example
 * ```ts
 * addMonthsUtc(Date.UTC(2030, 0, 31), 1) === Date.UTC(2030, 1, 28); // true
 * ```
 * @throws never
 */
export function addMonthsUtc(at: number, months: number): number {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(
    targetYear,
    targetMonth,
    day,
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

const cronCache = new Map<string, CronSchedule>();

/**
 * The parsed cron `expression`, evaluated in UTC (cached, at most 256 entries).
 *
 * @example
 * ```ts
 * cronOf('0 3 * * 1').next(Date.now());
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field` (default `cron`) when the expression is
 *   invalid (see {@link parseCron}).
 */
export function cronOf(expression: string, field = 'cron'): CronSchedule {
  let job = cronCache.get(expression);
  if (!job) {
    job = parseCron(expression, field);
    if (cronCache.size >= 256) cronCache.clear();
    cronCache.set(expression, job);
  }
  return job;
}

/** What {@link nextOccurrence} needs of a policy. */
export interface ScheduleSpec {
  every: number | null;
  schedule: NamedSchedule | null;
  cron: string | null;
  /** Start of the schedule (epoch ms). Occurrences are anchor + k·period, k ≥ 1. */
  anchorAt: number;
}

/**
 * The first scheduled time strictly after `after`, or null (manual-only policy, or a cron that
 * never fires again).
 *
 * @example
 * ```ts
 * nextOccurrence({ every: 30 * DAY_MS, schedule: null, cron: null, anchorAt: 0 }, 31 * DAY_MS); // 60 days
 * ```
 * @throws never (an invalid stored cron yields null)
 */
export function nextOccurrence(spec: ScheduleSpec, after: number): number | null {
  const fixed = spec.every ?? (spec.schedule ? FIXED[spec.schedule] : undefined);
  if (fixed !== undefined && fixed !== null && fixed > 0) {
    const k = after < spec.anchorAt ? 1 : Math.floor((after - spec.anchorAt) / fixed) + 1;
    return spec.anchorAt + k * fixed;
  }
  const months = spec.schedule ? MONTHS[spec.schedule] : undefined;
  if (months !== undefined) {
    const a = new Date(spec.anchorAt);
    const b = new Date(Math.max(after, spec.anchorAt));
    const diff = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
    let k = Math.max(1, Math.floor(diff / months));
    while (addMonthsUtc(spec.anchorAt, (k - 1) * months) > after && k > 1) k--;
    for (;;) {
      const t = addMonthsUtc(spec.anchorAt, k * months);
      if (t > after) return t;
      k++;
    }
  }
  if (spec.cron !== null) {
    try {
      return cronOf(spec.cron).next(after);
    } catch {
      return null;
    }
  }
  return null;
}
