/**
 * A controllable {@link Clock} for tests: time moves only when you say so.
 * @module
 */
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import type { Clock } from '../ports/clock.js';

/**
 * Default start of a {@link fakeClock}: 2030-01-01T00:00:00Z.
 *
 * @example
 * ```ts
 * FAKE_CLOCK_START; // Date.UTC(2030, 0, 1)
 * ```
 */
export const FAKE_CLOCK_START = Date.UTC(2030, 0, 1);

/** A {@link Clock} whose time you set and advance. */
export interface FakeClock extends Clock {
  /** Current fake time, epoch milliseconds. */
  now(): number;
  /**
   * Moves time forward by `duration` (`'90d'`, `'1h30m'`, or milliseconds).
   * @throws KeywardenError `ERR_VALIDATION` (field `duration`) for a negative or malformed duration.
   */
  advance(duration: Duration): void;
  /**
   * Sets the time to `ms` (epoch milliseconds, may move backwards).
   * @throws KeywardenError `ERR_VALIDATION` (field `ms`) unless `ms` is a safe integer.
   */
  set(ms: number): void;
}

/** Options of {@link fakeClock}. */
export interface FakeClockOptions {
  /** Start time: epoch milliseconds or a `Date`. Default 2030-01-01T00:00:00Z. */
  now?: number | Date;
}

function checkTime(ms: unknown, field: string): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms)) {
    throw new KeywardenError('ERR_VALIDATION', `${field} must be a whole number of epoch milliseconds`, {
      field,
    });
  }
  return ms;
}

/**
 * Creates a fake clock starting at `options.now` (default 2030-01-01T00:00:00Z). Pass it as the
 * manager's `clock` and move time with `advance` or `set` to drive expiry and rotation.
 *
 * @example
 * ```ts
 * const clock = fakeClock();
 * const km = createKeyManager({ storage: memoryStorage(), kms, clock });
 * const { token } = await km.apiKeys.create({ name: 'ci', expiresIn: '1h' });
 * clock.advance('2h');
 * (await km.apiKeys.verify(token)).valid; // false, code 'EXPIRED'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `now`) when `now` is not a whole number of
 *   milliseconds or is an invalid `Date`.
 */
export function fakeClock(options: FakeClockOptions = {}): FakeClock {
  const start = options.now instanceof Date ? options.now.getTime() : (options.now ?? FAKE_CLOCK_START);
  let current = checkTime(start, 'now');
  return {
    now: () => current,
    advance(duration: Duration): void {
      const next = current + parseDuration(duration, 'duration');
      current = checkTime(next, 'duration');
    },
    set(ms: number): void {
      current = checkTime(ms, 'ms');
    },
  };
}
