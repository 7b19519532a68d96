/**
 * `memoryRateLimiter()`: a per-process GCRA (generic cell rate algorithm) limiter, the default
 * {@link RateLimiter} of a key manager.
 *
 * GCRA keeps one number per key, the theoretical arrival time (TAT). With `limit` units per
 * `window` ms, each unit costs `T = window / limit` ms; a request of `cost` units is allowed when
 * `max(TAT, now) + cost·T - window <= now`, and then moves TAT there. It behaves like a token
 * bucket of capacity `limit` refilled continuously at `limit / window`: a full burst of `limit` is
 * allowed, then requests are spaced evenly. No timers, O(1) memory per active key.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { RateLimiter, RateLimitResult, RateLimitRule } from '../ports/rate-limiter.js';

/** Options of {@link memoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /**
   * Most keys tracked at once (default 100,000). Idle keys (bucket full again) are dropped first;
   * past the cap the oldest entry is dropped, which forgets that key's usage.
   */
  maxKeys?: number;
}

/**
 * A per-process GCRA rate limiter. Counts in memory: with several processes each enforces its own
 * limit (use a shared limiter for a global one).
 *
 * `reset` in a result: when allowed, the time at which the full `limit` is available again; when
 * denied, the earliest time at which the same request would be allowed.
 *
 * @example
 * ```ts
 * const limiter = memoryRateLimiter();
 * const r = await limiter.limit('apikey:abc', { limit: 10, window: 1000 }, 1, Date.now());
 * if (!r.allowed) console.log('retry at', new Date(r.reset));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `maxKeys`) for a bad option; `limit()` rejects with
 *   `ERR_VALIDATION` for a bad rule or cost and `ERR_CLOSED` after `close()`.
 */
export function memoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new KeywardenError('ERR_VALIDATION', 'maxKeys must be a positive integer', { field: 'maxKeys' });
  }
  /** key -> TAT (epoch ms, fractional). */
  const tats = new Map<string, number>();
  let closed = false;
  let calls = 0;

  const sweep = (now: number): void => {
    for (const [k, tat] of tats) if (tat <= now) tats.delete(k);
    while (tats.size >= maxKeys) {
      const oldest = tats.keys().next();
      if (oldest.done) break;
      tats.delete(oldest.value);
    }
  };

  const check = (key: string, rule: RateLimitRule, cost: number, now: number): RateLimitResult => {
    if (closed) throw new KeywardenError('ERR_CLOSED', 'rate limiter used after close()');
    if (typeof key !== 'string' || key.length === 0) {
      throw new KeywardenError('ERR_VALIDATION', 'key must be a non-empty string', { field: 'key' });
    }
    const { limit, window } = rule;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new KeywardenError('ERR_VALIDATION', 'rule.limit must be a positive integer', {
        field: 'rule.limit',
      });
    }
    if (!Number.isSafeInteger(window) || window < 1) {
      throw new KeywardenError('ERR_VALIDATION', 'rule.window must be a positive integer (ms)', {
        field: 'rule.window',
      });
    }
    if (!Number.isSafeInteger(cost) || cost < 0) {
      throw new KeywardenError('ERR_VALIDATION', 'cost must be a non-negative integer', { field: 'cost' });
    }
    if (!Number.isFinite(now)) {
      throw new KeywardenError('ERR_VALIDATION', 'now must be a finite number', { field: 'now' });
    }
    const interval = window / limit;
    const current = tats.get(key);
    const base = current === undefined || current < now ? now : current;
    const newTat = base + cost * interval;
    const allowAt = newTat - window;
    if (allowAt > now) {
      const remaining = Math.max(0, Math.floor((window - (base - now)) / interval + 1e-9));
      return { allowed: false, limit, remaining: Math.min(remaining, limit), reset: Math.ceil(allowAt) };
    }
    if (cost > 0) {
      if (current === undefined && ++calls % 1024 === 0) sweep(now);
      if (current === undefined && tats.size >= maxKeys) sweep(now);
      tats.set(key, newTat);
    }
    const remaining = Math.floor((window - (newTat - now)) / interval + 1e-9);
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, Math.min(remaining, limit)),
      reset: Math.ceil(newTat),
    };
  };

  return {
    limit(key, rule, cost, now) {
      try {
        return Promise.resolve(check(key, rule, cost, now));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    refund(key, rule, cost, now) {
      const current = tats.get(key);
      if (closed || current === undefined || !(cost > 0) || !(rule.limit > 0)) return Promise.resolve();
      const tat = current - cost * (rule.window / rule.limit);
      if (tat <= now) tats.delete(key);
      else tats.set(key, tat);
      return Promise.resolve();
    },
    async close() {
      closed = true;
      tats.clear();
    },
  };
}
