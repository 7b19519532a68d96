/**
 * The verification cache: {@link cachedStorage} wraps any storage adapter and caches records by
 * id for a bounded time (the revocation bound). See docs/request-path.md.
 * @module
 */
export {
  type CachedStorage,
  type CachedStorageOptions,
  type CacheStats,
  cachedStorage,
} from './cached-storage.js';
