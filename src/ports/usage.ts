/** The usage buffer the manager feeds from `verify` (implemented by `createUsageTracker`). @module */

/** What one flush did. */
export interface UsageFlushReport {
  /** Records updated. */
  written: number;
  /** Records whose usage was dropped because they no longer exist. */
  dropped: number;
}

/** A usage buffer. */
export interface UsageTracker {
  /**
   * Counts one use of `version` of record `id` at `at` (default: now). O(1), no I/O.
   * @throws KeywardenError `ERR_CLOSED` after `close()`, `ERR_VALIDATION` for a bad argument.
   */
  record(id: string, version: number, at?: number): void;
  /** Writes everything buffered now. Rejects with the first write error (those counts are kept). */
  flush(): Promise<UsageFlushReport>;
  /** Stops the timer and flushes; rejects (keeping the counts, so `close()` may be retried) if that fails. */
  close(): Promise<void>;
  /** Records with buffered usage. */
  readonly pending: number;
}
