/**
 * `createUsageRollup`: hourly counts of valid and failed uses per record, written in batches
 * through `StorageAdapter.addUsage` (one call per flush, whatever the traffic; no write per
 * request). Counts are kept in memory per (record, UTC hour) and added, never overwritten, so two
 * managers flushing into one store never lose a count. A failed flush keeps its counts for the next;
 * `close()` flushes before it resolves. Portable: no node:*.
 * @module
 */
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import type { StorageAdapter } from '../ports/storage.js';
import type { UsageIncrement, UsageRollup } from '../ports/usage.js';

export type { UsageRollup } from '../ports/usage.js';

/** One hour in ms: the rollup's bucket. */
export const USAGE_BUCKET_MS = 3_600_000;

/** Options of {@link createUsageRollup}. */
export interface UsageRollupOptions {
  /** How often buffered counts are written (default `'10s'`); 0: only on `flush()`/`close()`. */
  flushInterval?: Duration;
  /** Buffered (record, hour) pairs before a flush starts early (default 10,000). */
  maxPending?: number;
  /** Told about failures of background flushes; the counts are kept. */
  onError?: (error: unknown) => void;
}

/**
 * The start of the UTC hour of `at`.
 * @example
 * ```ts
 * hourOf(Date.UTC(2026, 0, 1, 10, 59)); // Date.UTC(2026, 0, 1, 10)
 * ```
 * @throws never
 */
export function hourOf(at: number): number {
  return Math.floor(at / USAGE_BUCKET_MS) * USAGE_BUCKET_MS;
}

/**
 * Creates a rollup writing to `storage.addUsage`.
 *
 * @example
 * ```ts
 * const rollup = createUsageRollup(storage, { flushInterval: '10s' });
 * rollup.count(record.id, true, now); // in verify
 * await rollup.close();               // on shutdown: flushes
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` when the adapter has no `addUsage`; `ERR_VALIDATION`
 *   naming `flushInterval` or `maxPending`.
 */
export function createUsageRollup(storage: StorageAdapter, options: UsageRollupOptions = {}): UsageRollup {
  if (typeof storage.addUsage !== 'function') {
    throw new KeywardenError('ERR_UNSUPPORTED', `storage ${storage.name} does not keep usage analytics`);
  }
  const add = storage.addUsage.bind(storage);
  const interval = parseDuration(options.flushInterval ?? '10s', 'flushInterval');
  const maxPending = options.maxPending ?? 10_000;
  if (!Number.isSafeInteger(maxPending) || maxPending < 1) {
    throw new KeywardenError('ERR_VALIDATION', 'maxPending must be a positive integer', {
      field: 'maxPending',
    });
  }
  /** bucket -> record id -> [valid, failed] (no key string built per count) */
  let buffer = new Map<number, Map<string, [number, number]>>();
  /** (record, hour) pairs buffered. */
  let pending = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let early = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const merge = (bucket: number, recordId: string, valid: number, failed: number): void => {
    let hour = buffer.get(bucket);
    if (hour === undefined) {
      hour = new Map();
      buffer.set(bucket, hour);
    }
    const cur = hour.get(recordId);
    if (cur) {
      cur[0] += valid;
      cur[1] += failed;
    } else {
      hour.set(recordId, [valid, failed]);
      pending++;
    }
  };

  const flushNow = async (): Promise<void> => {
    early = false;
    if (pending === 0) return;
    const batch = buffer;
    buffer = new Map();
    pending = 0;
    const rows: UsageIncrement[] = [];
    for (const [bucket, hour] of batch) {
      for (const [recordId, [valid, failed]] of hour) rows.push({ recordId, bucket, valid, failed });
    }
    try {
      await add(rows);
    } catch (error) {
      for (const r of rows) merge(r.bucket, r.recordId, r.valid, r.failed); // kept for the next flush
      throw error;
    }
  };

  const flush = (): Promise<void> => {
    const run = chain.then(flushNow, flushNow);
    chain = run.catch(() => undefined);
    return run;
  };

  const background = (): void => {
    flush().catch((error: unknown) => {
      try {
        options.onError?.(error);
      } catch {
        // a logging hook never breaks the rollup
      }
    });
  };

  const startTimer = (): void => {
    if (timer !== undefined || interval === 0 || closed) return;
    timer = setInterval(background, interval);
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    count(recordId: string, valid: boolean, at: number): void {
      if (closed) return;
      merge(hourOf(at), recordId, valid ? 1 : 0, valid ? 0 : 1);
      startTimer();
      if (pending >= maxPending && !early) {
        early = true;
        background();
      }
    },
    flush,
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
