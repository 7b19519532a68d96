/**
 * Parsers for the `AMOUNT/DURATION` values of `--rate-limit` (`100/1m`: 100 requests a minute) and
 * `--refill` (`1000/1d`: credits topped up to 1000 every day).
 * @module
 */
import { parseDuration } from '../duration.js';
import { isKeywardenError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

/**
 * `AMOUNT/DURATION` → `{ amount, every }` (the duration in ms).
 *
 * @example
 * ```ts
 * amountPer('100/1m', '--rate-limit'); // { amount: 100, every: 60000 }
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2, `field` = `option`) for anything else.
 */
export function amountPer(value: string, option: string): { amount: number; every: number } {
  const m = /^\s*(\d{1,12})\s*\/\s*(\S+)\s*$/.exec(value);
  const bad = () =>
    new CliError(
      'ERR_VALIDATION',
      `${option} must be AMOUNT/DURATION, e.g. 100/1m or 1000/1d`,
      EXIT.USAGE,
      option,
    );
  if (!m) throw bad();
  const amount = Number(m[1]);
  if (amount < 1) throw bad();
  try {
    return { amount, every: parseDuration(m[2] as string, option) };
  } catch (error) {
    if (isKeywardenError(error)) throw bad();
    throw error;
  }
}
