/**
 * `storageRateLimiter`: a GCRA rate limiter whose state lives in store metadata, so every
 * instance sharing a store (any adapter: memory, file, Postgres, Supabase) enforces one limit.
 *
 * Algorithm: GCRA (generic cell rate algorithm), the same as `memoryRateLimiter`. One number
 * per key, the theoretical arrival time (TAT), kept in meta `ratelimit:<key>`. With `limit`
 * units per `window` ms each unit costs `T = window / limit`; a request of `cost` units is
 * allowed when `max(TAT, now) + cost·T − window ≤ now`, and then TAT moves there. It behaves
 * like a token bucket of `limit` refilled continuously: a burst of `limit`, then even spacing.
 *
 * Cost: 2 storage round trips per allowed request (`getMeta`, then `setMeta` with
 * `{ expected }` compare-and-swap), 1 per denied request (nothing is written). A lost
 * compare-and-swap (another instance wrote in between) re-reads and retries, with jittered
 * backoff, up to `maxAttempts`. Within one instance, requests for the same key are queued so
 * they never race each other; only instances race. Portable: no node:*.
 * @module
 */

import { isKeywardenError, KeywardenError } from '../errors.js';
import { casBackoff, MAX_CAS_ATTEMPTS } from '../internal/cas-retry.js';
import type { RateLimiter, RateLimitResult, RateLimitRule } from '../ports/rate-limiter.js';
import type { MetaStore } from '../ports/storage.js';

/** Options of {@link storageRateLimiter}. */
export interface StorageRateLimiterOptions {
  /** Meta key prefix (default `'ratelimit:'`). */
  prefix?: string;
  /** Compare-and-swap attempts before giving up with `ERR_CONFLICT` (default 50). */
  maxAttempts?: number;
}

/** Outcome of one GCRA step. */
interface Step {
  result: RateLimitResult;
  /** The new TAT to write, or null when nothing changes (denied, or cost 0). */
  write: number | null;
}

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

function checkArgs(key: unknown, rule: RateLimitRule, cost: unknown, now: unknown): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
    throw invalid('key', 'must be a string of 1-256 characters');
  }
  const { limit, window } = (rule ?? {}) as Partial<RateLimitRule>;
  if (!Number.isSafeInteger(limit) || (limit as number) < 1)
    throw invalid('rule.limit', 'must be a positive integer');
  if (!Number.isSafeInteger(window) || (window as number) < 1) {
    throw invalid('rule.window', 'must be a positive integer (ms)');
  }
  if (!Number.isSafeInteger(cost) || (cost as number) < 0)
    throw invalid('cost', 'must be a non-negative integer');
  if (typeof now !== 'number' || !Number.isFinite(now)) throw invalid('now', 'must be a finite number');
}

/**
 * One GCRA decision. `tat` is the stored theoretical arrival time (null: none).
 *
 * @example
 * ```ts
 * gcra(null, { limit: 10, window: 1000 }, 1, 0).result; // { allowed: true, limit: 10, remaining: 9, reset: 100 }
 * ```
 * @throws never
 */
export function gcra(tat: number | null, rule: RateLimitRule, cost: number, now: number): Step {
  const { limit, window } = rule;
  const interval = window / limit;
  const base = tat === null || tat < now ? now : tat;
  const newTat = base + cost * interval;
  const allowAt = newTat - window;
  if (allowAt > now) {
    const remaining = Math.max(0, Math.floor((window - (base - now)) / interval + 1e-9));
    return {
      result: { allowed: false, limit, remaining: Math.min(remaining, limit), reset: Math.ceil(allowAt) },
      write: null,
    };
  }
  const remaining = Math.floor((window - (newTat - now)) / interval + 1e-9);
  return {
    result: {
      allowed: true,
      limit,
      remaining: Math.max(0, Math.min(remaining, limit)),
      reset: Math.ceil(newTat),
    },
    write: cost > 0 ? newTat : null,
  };
}

/** Parses a stored TAT; anything unreadable counts as none (the bucket is full). */
function parseTat(raw: string | null): number | null {
  if (raw === null) return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/**
 * A rate limiter shared by every instance that uses the same store. Pass it as the manager's
 * `rateLimiter` (per-key `rateLimit` of API keys) or call `limit(key, rule, cost, now)` directly
 * for named limits (per IP, per route...).
 *
 * `reset` in a result: when allowed, the time the full `limit` is available again; when
 * denied, the earliest time the same request would be allowed.
 *
 * Storage: one meta entry per key ever limited (`MetaStore` has no delete, and an idle entry is
 * simply a TAT in the past). Fine for per-API-key limits; for high-cardinality named keys (per
 * IP) prefer `memoryRateLimiter` or a store you can prune.
 *
 * @example
 * ```ts
 * const storage = postgresStorage({ url: process.env.DATABASE_URL! });
 * const limiter = storageRateLimiter(storage);
 * const km = createKeyManager({ storage, kms, rateLimiter: limiter }); // per-key rateLimit, all instances
 * // a named limit with a cost: 100 units per hour per tenant, this export costs 10
 * const r = await limiter.limit('export:tenant-42', { limit: 100, window: 3_600_000 }, 10, Date.now());
 * if (!r.allowed) console.log('retry at', new Date(r.reset));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options; `limit()` rejects with
 *   `ERR_VALIDATION` (bad key, rule, cost or now), `ERR_CONFLICT` (still losing the
 *   compare-and-swap after `maxAttempts`), `ERR_STORAGE`, or `ERR_CLOSED` after `close()`.
 */
export function storageRateLimiter(meta: MetaStore, options: StorageRateLimiterOptions = {}): RateLimiter {
  if (typeof meta?.getMeta !== 'function' || typeof meta?.setMeta !== 'function') {
    throw invalid('meta', 'must be a MetaStore (getMeta, setMeta), e.g. a StorageAdapter');
  }
  const prefix = options.prefix ?? 'ratelimit:';
  if (typeof prefix !== 'string' || prefix.length > 64)
    throw invalid('prefix', 'must be a string of 0-64 characters');
  const maxAttempts = options.maxAttempts ?? MAX_CAS_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)
    throw invalid('maxAttempts', 'must be a positive integer');
  let closed = false;
  /** Per-key queue tails: one request per key at a time within this instance. */
  const queues = new Map<string, Promise<unknown>>();

  const attempt = async (
    key: string,
    rule: RateLimitRule,
    cost: number,
    now: number,
  ): Promise<RateLimitResult> => {
    const metaKey = prefix + key;
    for (let i = 1; ; i++) {
      const raw = await meta.getMeta(metaKey);
      const step = gcra(parseTat(raw), rule, cost, now);
      if (step.write === null) return step.result;
      try {
        await meta.setMeta(metaKey, String(step.write), { expected: raw });
        return step.result;
      } catch (error) {
        if (!isKeywardenError(error, 'ERR_CONFLICT') || i >= maxAttempts) throw error;
        await casBackoff(i);
      }
    }
  };

  const giveBack = async (key: string, rule: RateLimitRule, cost: number, now: number): Promise<void> => {
    const metaKey = prefix + key;
    for (let i = 1; ; i++) {
      const raw = await meta.getMeta(metaKey);
      const tat = parseTat(raw);
      if (tat === null || tat <= now) return; // the bucket is already full
      const next = Math.max(now, tat - cost * (rule.window / rule.limit));
      try {
        await meta.setMeta(metaKey, String(next), { expected: raw });
        return;
      } catch (error) {
        if (!isKeywardenError(error, 'ERR_CONFLICT') || i >= maxAttempts) throw error;
        await casBackoff(i);
      }
    }
  };

  /** Checks the call, then runs `step` after the key's previous call (one at a time per key here). */
  const enqueue = <T>(
    key: string,
    rule: RateLimitRule,
    cost: number,
    now: number,
    step: (key: string, rule: RateLimitRule, cost: number, now: number) => Promise<T>,
  ): Promise<T> => {
    try {
      if (closed) throw new KeywardenError('ERR_CLOSED', 'rate limiter used after close()');
      checkArgs(key, rule, cost, now);
    } catch (error) {
      return Promise.reject(error);
    }
    const previous = queues.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => step(key, rule, cost, now),
      () => step(key, rule, cost, now),
    );
    queues.set(key, run);
    const cleanup = (): void => {
      if (queues.get(key) === run) queues.delete(key);
    };
    run.then(cleanup, cleanup);
    return run;
  };

  return {
    refund: (key, rule, cost, now) => enqueue(key, rule, cost, now, giveBack),
    limit: (key, rule, cost, now) => enqueue(key, rule, cost, now, attempt),
    async close() {
      closed = true;
      await Promise.allSettled([...queues.values()]);
      queues.clear();
    },
  };
}
