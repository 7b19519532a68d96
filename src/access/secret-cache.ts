/**
 * The opened values of tool secrets, kept for a short time by one access object so that a proxied
 * call does not unwrap (KMS) and open (AES-GCM) the same secret version again and again.
 *
 * - Keyed by (secret record id, version, record revision): the caller reads the secret record on
 *   every call and looks up with what it read, so a rotation, rollback, disable or any other write
 *   to the record misses the cache on the very next call. Nothing here decides whether a value may
 *   be used; it only saves the decryption of a value the caller already decided to use.
 * - One entry per secret record (a newer version replaces the older), at most `maxEntries` records
 *   (the oldest is dropped), each for at most `ttlMs` (measured with the manager's clock).
 * - Lives in a closure: no property of any object holds a value, so `JSON.stringify` and
 *   `util.inspect` of the access object or of this cache never show one. `clear()` drops everything;
 *   after it nothing is cached again (`ttlMs` 0 also caches nothing).
 * @internal
 * @module
 */

/** Default time an opened secret value is kept: 5 seconds. */
export const DEFAULT_SECRET_CACHE_TTL = 5_000;
/** Upper bound of `secretCacheTtl`: 1 minute. */
export const MAX_SECRET_CACHE_TTL = 60_000;
/** Most secret records one access object keeps an opened value of. */
export const SECRET_CACHE_ENTRIES = 256;

/** Which opened value: the secret record, the version opened, and the record revision it was read at. */
export interface SecretCacheKey {
  recordId: string;
  version: number;
  revision: number;
}

/** The cache of one access object. */
export interface SecretCache {
  /** The value opened for exactly this key, if still fresh; otherwise undefined. */
  get(key: SecretCacheKey, now: number): string | undefined;
  /** Keeps `value` for `key` (replacing any other version of the same record). */
  set(key: SecretCacheKey, value: string, now: number): void;
  /** How many values are held (for tests). */
  size(): number;
  /** Drops every value; nothing is cached afterwards. */
  clear(): void;
}

/**
 * Builds an empty cache.
 *
 * @example
 * ```ts
 * declare const recordId: string;
 * declare const value: string;
 * const cache = createSecretCache(5_000);
 * cache.set({ recordId, version: 3, revision: 7 }, value, clock.now());
 * cache.get({ recordId, version: 3, revision: 7 }, clock.now()); // value, for 5 s
 * cache.clear();
 * ```
 * @throws never
 */
export function createSecretCache(ttlMs: number, maxEntries = SECRET_CACHE_ENTRIES): SecretCache {
  let entries = new Map<string, { version: number; revision: number; value: string; until: number }>();
  let enabled = ttlMs > 0 && maxEntries > 0;
  return Object.freeze({
    get(key: SecretCacheKey, now: number): string | undefined {
      const e = entries.get(key.recordId);
      if (e === undefined) return undefined;
      if (
        e.version !== key.version ||
        e.revision !== key.revision ||
        now >= e.until ||
        now < e.until - ttlMs
      ) {
        entries.delete(key.recordId); // stale: another version, a newer write, or expired (or the clock went back)
        return undefined;
      }
      return e.value;
    },
    set(key: SecretCacheKey, value: string, now: number): void {
      if (!enabled) return;
      entries.delete(key.recordId); // re-insert last: the Map's order is the eviction order
      entries.set(key.recordId, { version: key.version, revision: key.revision, value, until: now + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    size: () => entries.size,
    clear(): void {
      enabled = false;
      entries.clear();
      entries = new Map();
    },
  });
}
