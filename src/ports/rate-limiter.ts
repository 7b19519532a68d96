/** What a {@link RateLimiter} says about one request. */
export interface RateLimitResult {
  /** Whether the request fits in the limit (and its cost was taken). */
  allowed: boolean;
  /** The limit for the window. */
  limit: number;
  /** Requests (cost units) left in the current window after this one. */
  remaining: number;
  /** Epoch ms at which `remaining` is back to `limit` (or the next unit frees up). */
  reset: number;
}

/** A rate limit: `limit` cost units per `window` milliseconds. */
export interface RateLimitRule {
  /** Cost units allowed per window. */
  limit: number;
  /** Window length in milliseconds. */
  window: number;
}

/**
 * Counts requests per key. `memoryRateLimiter()` is per process; a storage-backed limiter works
 * across instances.
 *
 * @example
 * ```ts
 * declare const limiter: RateLimiter;
 * const r = await limiter.limit('key:abc', { limit: 100, window: 60_000 }, 1, Date.now());
 * ```
 */
export interface RateLimiter {
  /**
   * Takes `cost` units for `key` under `rule` at time `now` (epoch ms) when they fit, and says
   * whether they did.
   * @throws KeywardenError `ERR_VALIDATION` for a bad rule or cost, `ERR_CLOSED` after `close()` (the memory limiter).
   */
  limit(key: string, rule: RateLimitRule, cost: number, now: number): Promise<RateLimitResult>;
  /**
   * Optional: gives back `cost` units that an allowed {@link limit} call took, when the operation
   * it admitted was then refused (fail closed, e.g. its audit event could not be written). A
   * limiter without it keeps those units.
   */
  refund?(key: string, rule: RateLimitRule, cost: number, now: number): Promise<void>;
  /** Optional: releases timers, connections and state; called by `km.close()`. */
  close?(): Promise<void>;
}
