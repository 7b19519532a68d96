/**
 * `createUsageTracker`: usage tracking without a write per request. Verifications are counted
 * in memory (`lastUsedAt` and a use count per record version) and written in batches: every
 * `flushInterval`, when the buffer holds `maxIds` records, on `flush()`, and on `close()`.
 * Each record gets one compare-and-swap update per flush, whatever its traffic:
 *
 * - `record.data.lastUsedAt`: the latest use of any version (epoch ms);
 * - `version.data.lastUsedAt`, `version.data.uses`: per version, the latest use and a running count.
 *
 * Nothing buffered is lost: a failed write puts its counts back in the buffer for the next
 * flush, and `close()` flushes before it resolves (and rejects, keeping the counts, if it could
 * not). A record deleted meanwhile is dropped. Portable: no node:*.
 * @module
 */

import { type Duration, parseDuration } from '../duration.js';
import { isKeywardenError, KeywardenError } from '../errors.js';
import { casBackoff, MAX_CAS_ATTEMPTS } from '../internal/cas-retry.js';
import type { Clock } from '../ports/clock.js';
import type { JsonObject } from '../ports/json.js';
import type { StorageAdapter, StoredRecord } from '../ports/storage.js';
import type { UsageFlushReport, UsageTracker } from '../ports/usage.js';
import { computeDueAt } from '../records/due.js';

export type { UsageFlushReport, UsageTracker } from '../ports/usage.js';

/** Options of {@link createUsageTracker}. */
export interface UsageTrackerOptions {
  /** How often buffered usage is written (default `'10s'`); 0: only on `flush()`/`close()`. */
  flushInterval?: Duration;
  /** Time source for `record(id, version)` without `at` (default: the context's, else `Date.now`). */
  clock?: Clock;
  /** Records buffered before a flush starts early (default 10,000). */
  maxIds?: number;
  /** Compare-and-swap attempts per record and flush (default 50, the one CAS retry policy); past it the counts wait for the next flush. */
  maxAttempts?: number;
  /** Told about failures of background flushes (interval or `maxIds`); the counts are kept. */
  onError?: (error: unknown) => void;
}

/** Buffered usage of one record. */
interface Pending {
  lastUsedAt: number;
  /** version -> [uses, lastUsedAt] */
  versions: Map<number, [number, number]>;
}

const systemClock: Clock = { now: () => Date.now() };

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Adds `from` into `into` (counts summed, latest times kept). */
function merge(into: Map<string, Pending>, id: string, from: Pending): void {
  const cur = into.get(id);
  if (!cur) {
    into.set(id, from);
    return;
  }
  cur.lastUsedAt = Math.max(cur.lastUsedAt, from.lastUsedAt);
  for (const [v, [uses, last]] of from.versions) {
    const c = cur.versions.get(v);
    if (c) {
      c[0] += uses;
      c[1] = Math.max(c[1], last);
    } else cur.versions.set(v, [uses, last]);
  }
}

/** The record with the usage applied (a new object; the stored one may be frozen). */
function applyUsage(record: StoredRecord, p: Pending): StoredRecord {
  const data: JsonObject = {
    ...record.data,
    lastUsedAt: Math.max(num(record.data['lastUsedAt']), p.lastUsedAt),
  };
  const versions = record.versions.map((v) => {
    const u = p.versions.get(v.version);
    if (!u) return v;
    const vd: JsonObject = {
      ...v.data,
      uses: num(v.data['uses']) + u[0],
      lastUsedAt: Math.max(num(v.data['lastUsedAt']), u[1]),
    };
    return { ...v, data: vd };
  });
  const next: StoredRecord = { ...record, data, versions, revision: record.revision + 1 };
  // a gradual policy's idleRetireAfter retires a previous version at its lastUsedAt + idle time:
  // keep the indexed dueAt in step so the rotator finds it
  next.dueAt = computeDueAt(next);
  return next;
}

/**
 * Creates a usage tracker writing to `target`: a StorageAdapter, or a store context
 * (`{ storage, clock }`, whose clock becomes the default).
 *
 * @example
 * ```ts
 * const usage = createUsageTracker(storage, { flushInterval: '10s' });
 * // in verify, on success:
 * usage.record(record.id, 1, now); // the version that matched
 * // on shutdown:
 * await usage.close(); // flushes; nothing buffered is lost
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad argument (`target`, `flushInterval`,
 *   `clock`, `maxIds`, `maxAttempts`, `onError`).
 */
export function createUsageTracker(
  target: StorageAdapter | { storage: StorageAdapter; clock?: Clock },
  options: UsageTrackerOptions = {},
): UsageTracker {
  const storage: StorageAdapter | undefined =
    typeof (target as StorageAdapter)?.get === 'function'
      ? (target as StorageAdapter)
      : (target as { storage?: StorageAdapter } | null)?.storage;
  if (typeof storage?.get !== 'function' || typeof storage.update !== 'function') {
    throw invalid('target', 'must be a StorageAdapter or a store context');
  }
  const clock = options.clock ?? (target as { clock?: Clock }).clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw invalid('clock', 'must have a now() method');
  const interval = parseDuration(options.flushInterval ?? '10s', 'flushInterval');
  const maxIds = options.maxIds ?? 10_000;
  if (!Number.isSafeInteger(maxIds) || maxIds < 1) throw invalid('maxIds', 'must be a positive integer');
  const maxAttempts = options.maxAttempts ?? MAX_CAS_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1)
    throw invalid('maxAttempts', 'must be a positive integer');
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', 'must be a function');

  let buffer = new Map<string, Pending>();
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  let early = false;

  const report = (error: unknown): void => {
    try {
      onError?.(error);
    } catch {
      // a logging hook never breaks the tracker
    }
  };

  /** Writes one record's usage; true when written, false when the record is gone. */
  const writeOne = async (id: string, p: Pending): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      const record = await storage.get(id);
      if (record === null) return false;
      try {
        await storage.update(applyUsage(record, p), { expectedRevision: record.revision });
        return true;
      } catch (error) {
        if (isKeywardenError(error, 'ERR_NOT_FOUND')) return false;
        if (!isKeywardenError(error, 'ERR_CONFLICT') || attempt >= maxAttempts) throw error;
        await casBackoff(attempt);
      }
    }
  };

  const flushNow = async (): Promise<UsageFlushReport> => {
    early = false;
    const batch = buffer;
    buffer = new Map();
    const out: UsageFlushReport = { written: 0, dropped: 0 };
    let firstError: unknown;
    for (const [id, p] of batch) {
      try {
        if (await writeOne(id, p)) out.written++;
        else out.dropped++;
      } catch (error) {
        merge(buffer, id, p); // keep it for the next flush
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
    return out;
  };

  const flush = (): Promise<UsageFlushReport> => {
    const run = chain.then(flushNow, flushNow);
    chain = run.catch(() => undefined);
    return run;
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  if (interval > 0) {
    timer = setInterval(() => {
      if (buffer.size > 0) flush().catch(report);
    }, interval);
    (timer as { unref?: () => void }).unref?.();
  }

  return {
    record(id, version, at) {
      if (closed) throw new KeywardenError('ERR_CLOSED', 'usage tracker used after close()');
      if (typeof id !== 'string' || id.length === 0) throw invalid('id', 'must be a non-empty string');
      if (!Number.isSafeInteger(version) || version < 1)
        throw invalid('version', 'must be a positive integer');
      const when = at ?? clock.now();
      if (typeof when !== 'number' || !Number.isFinite(when)) throw invalid('at', 'must be a finite number');
      let p = buffer.get(id);
      if (!p) {
        p = { lastUsedAt: when, versions: new Map() };
        buffer.set(id, p);
        if (buffer.size >= maxIds && !early) {
          early = true;
          flush().catch(report);
        }
      } else if (when > p.lastUsedAt) p.lastUsedAt = when;
      const v = p.versions.get(version);
      if (v) {
        v[0]++;
        if (when > v[1]) v[1] = when;
      } else p.versions.set(version, [1, when]);
    },
    flush,
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await flush();
    },
    get pending() {
      return buffer.size;
    },
  };
}
