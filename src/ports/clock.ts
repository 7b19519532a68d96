/**
 * A source of time in epoch milliseconds. Inject `fakeClock()` from `keywarden/testing` in tests.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => Date.now() };
 * ```
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}
