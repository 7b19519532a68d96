/**
 * Credits (`remaining`) and their lazy refill. Pure functions: the verify path applies them inside
 * a compare-and-swap update, `get`/`list` apply them for display without writing.
 * @internal
 * @module
 */
import type { ApiKeyRefill } from '../api-key-types.js';

/** Credits as of `now`. */
export interface CreditState {
  /** null = unlimited. */
  remaining: number | null;
  refill: ApiKeyRefill | null;
}

/**
 * Applies every whole refill period that has passed since `refill.lastRefillAt`: `remaining` is
 * topped up to `refill.amount` (never lowered) and `lastRefillAt` moves forward by whole periods,
 * so periods stay aligned to the original schedule.
 *
 * @example
 * ```ts
 * applyRefill({ remaining: 0, refill: { amount: 10, every: 1000, lastRefillAt: 0 } }, 2500);
 * // { remaining: 10, refill: { amount: 10, every: 1000, lastRefillAt: 2000 } }
 * ```
 * @throws never
 */
export function applyRefill(state: CreditState, now: number): CreditState {
  const { remaining, refill } = state;
  if (remaining === null || refill === null) return state;
  const elapsed = now - refill.lastRefillAt;
  if (elapsed < refill.every) return state;
  const periods = Math.floor(elapsed / refill.every);
  return {
    remaining: Math.max(remaining, refill.amount),
    refill: { ...refill, lastRefillAt: refill.lastRefillAt + periods * refill.every },
  };
}
