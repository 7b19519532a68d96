/**
 * The one retry policy of every compare-and-swap write in the library (records, usage counters,
 * rate-limit buckets): at most {@link MAX_CAS_ATTEMPTS} attempts, with a jittered exponential
 * {@link casBackoff} between them.
 * @internal
 * @module
 */

/**
 * Most attempts of one compare-and-swap write before `ERR_CONFLICT` is reported.
 *
 * @example
 * ```ts
 * declare const attempt: number;
 * if (attempt >= MAX_CAS_ATTEMPTS) throw new Error('too many concurrent writers');
 * ```
 */
export const MAX_CAS_ATTEMPTS = 50;

/**
 * Waits before attempt `attempt + 1`: a random time below min(50, 2^attempt) ms (full jitter).
 *
 * @example
 * ```ts
 * declare const attempt: number;
 * await casBackoff(attempt);
 * ```
 * @throws never
 */
export function casBackoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** Math.min(attempt, 6)) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
