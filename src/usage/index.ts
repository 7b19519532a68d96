/**
 * Usage tracking without a write per request: {@link createUsageTracker} buffers `lastUsedAt`
 * and per-version use counts and writes them in batches. See docs/request-path.md.
 * @module
 */
export {
  createUsageTracker,
  type UsageFlushReport,
  type UsageTracker,
  type UsageTrackerOptions,
} from './usage-tracker.js';
