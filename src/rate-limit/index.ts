/**
 * Rate limiters: {@link storageRateLimiter} (shared across instances through store metadata)
 * and, re-exported, the per-process `memoryRateLimiter`. See docs/request-path.md.
 * @module
 */
export { type MemoryRateLimiterOptions, memoryRateLimiter } from './memory.js';
export { gcra, type StorageRateLimiterOptions, storageRateLimiter } from './storage-limiter.js';
