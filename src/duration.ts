/**
 * Durations: a number of milliseconds, or a string such as `'90d'`, `'12h'`, `'15m'`, `'30s'`,
 * `'500ms'`, `'2w'`, `'1y'` (365 days), or a sum like `'1h30m'`.
 * @module
 */
import { KeywardenError } from './errors.js';

/** A number of milliseconds or a string like `'90d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

const PART = /(\d+)(ms|s|m|h|d|w|y)/gy;

/** Largest accepted duration: 1000 years. */
export const MAX_DURATION_MS = 1000 * UNIT_MS.y!;

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('90d'); // 7776000000
 * parseDuration('1h30m'); // 5400000
 * parseDuration(250); // 250
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (naming `field`) for negative, non-integer, empty,
 *   unknown-unit or over-long (> 1000 years) input.
 */
export function parseDuration(input: Duration, field = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0 || input > MAX_DURATION_MS) {
      throw new KeywardenError(
        'ERR_VALIDATION',
        `${field} must be a whole number of milliseconds from 0 to 1000 years`,
        { field },
      );
    }
    return input;
  }
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) {
    throw new KeywardenError(
      'ERR_VALIDATION',
      `${field} must be a number of milliseconds or a string like '90d'`,
      { field },
    );
  }
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  for (;;) {
    const m = PART.exec(input);
    if (!m) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = PART.lastIndex;
  }
  if (pos !== input.length || pos === 0 || !Number.isSafeInteger(total) || total > MAX_DURATION_MS) {
    throw new KeywardenError(
      'ERR_VALIDATION',
      `${field} must look like '90d', '12h', '15m', '30s', '500ms' or '1h30m'`,
      { field },
    );
  }
  return total;
}
