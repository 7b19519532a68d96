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

/**
 * Counted uses of one record in one hour, to add to the usage rollup (`StorageAdapter.addUsage`).
 * `bucket` is the start of the UTC hour in epoch ms.
 */
export interface UsageIncrement {
  /** The record the uses were of (an API key, a tool, a session). */
  recordId: string;
  /** Start of the UTC hour, epoch ms. */
  bucket: number;
  /** Successful uses (valid verifications, authorized calls) to add. */
  valid: number;
  /** Refused uses to add. */
  failed: number;
}

/** One hour of a record's usage as stored (`StorageAdapter.listUsage`). */
export interface UsageRow {
  /** The record the uses were of. */
  recordId: string;
  /** Start of the UTC hour, epoch ms. */
  bucket: number;
  /** Successful uses counted in that hour. */
  valid: number;
  /** Refused uses counted in that hour. */
  failed: number;
}

/** Which rows `StorageAdapter.listUsage` returns: one record, buckets in `[from, to)`, by bucket. */
export interface UsageRowQuery {
  /** The record whose rows are read. */
  recordId: string;
  /** Inclusive lower bound on `bucket` (epoch ms). */
  from: number;
  /** Exclusive upper bound on `bucket` (epoch ms). */
  to: number;
}

/** The counts buffer behind `km.apiKeys.usage()` (implemented by `createUsageRollup`). */
export interface UsageRollup {
  /** Counts one use of record `recordId` at `at`. O(1), no I/O; never throws. */
  count(recordId: string, valid: boolean, at: number): void;
  /** Adds everything buffered to the storage rollup now (one `addUsage` call). */
  flush(): Promise<void>;
  /** Stops the timer and flushes; rejects (keeping the counts) if that fails. */
  close(): Promise<void>;
}
