/**
 * `cachedStorage`: a {@link StorageAdapter} wrapper that caches `get(id)` (the one read on the
 * verify path) in an LRU with a TTL, so verifying a hot key costs no storage round trip.
 *
 * The TTL is the **revocation bound**: a revoke, rotation or update made through another
 * manager (another process) is seen here at most `ttl` later. Writes through this wrapper
 * (`create`, `update`, `delete`) drop the id at once, so the manager that revoked or rotated
 * sees it immediately. A failed `update` (e.g. `ERR_CONFLICT`) drops the id too, so a
 * compare-and-swap retry re-reads fresh data: credits (`remaining`) stay exact, because a stale
 * cached record can never win a compare-and-swap. Unknown ids are cached as absent for
 * `negativeTtl` (a flood of made-up ids with valid checksums costs one read per id per period).
 *
 * `readMacs` (when the inner adapter has it) answers from the inner store, never from the cache,
 * and drops every cached id whose stored MAC no longer matches the cached record's: a caller
 * that checks freshness with it (agent access's call cache) and then re-reads sees the record
 * as it is now, so a session revoked through another process is refused on the next call even
 * behind this wrapper. Everything else (`findByName`, `list`, `dueForRotation`, audit, meta)
 * passes through.
 * Portable: no node:*.
 * @module
 */
import { LRUCache } from 'lru-cache';
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { StorageAdapter, StoredRecord } from '../ports/storage.js';

/** Options of {@link cachedStorage}. */
export interface CachedStorageOptions {
  /** How long a record is served from the cache: the revocation bound. Default `'5s'`. */
  ttl?: Duration;
  /** Most records (and absent ids) held. Default 10,000. */
  max?: number;
  /** How long an unknown id is remembered as absent. Default `'1s'`; 0 disables the negative cache. */
  negativeTtl?: Duration;
  /** Time source for the TTLs (pass the manager's, e.g. `fakeClock()` in tests). Default: the runtime's. */
  clock?: Clock;
}

/** Counters of a {@link CachedStorage}. */
export interface CacheStats {
  /** `get` calls answered from the cache (records and absent ids). */
  hits: number;
  /** `get` calls that read the inner storage (or joined a read in flight). */
  misses: number;
  /** Entries currently held. */
  size: number;
}

/** A {@link StorageAdapter} with a verification cache in front of `get`. */
export interface CachedStorage extends StorageAdapter {
  /** The wrapped adapter. */
  readonly inner: StorageAdapter;
  /** Drops one id (or everything) from the cache, e.g. on a cross-process invalidation message. */
  invalidate(id?: string): void;
  /** Hit and miss counters since creation. */
  stats(): CacheStats;
}

/** Marks an id known to be absent. */
const ABSENT = Object.freeze({ absent: true as const });
type Entry = StoredRecord | typeof ABSENT;

function positiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new KeywardenError('ERR_VALIDATION', `${field} must be a positive integer`, { field });
  }
  return value;
}

/**
 * Wraps `inner` with a verification cache. Give each manager (process) its own wrapper.
 *
 * @example
 * ```ts
 * import { cachedStorage } from 'keywarden/cache';
 * const storage = cachedStorage(postgresStorage({ url: process.env.DATABASE_URL! }), { ttl: '5s' });
 * const km = createKeyManager({ storage, kms });
 * // a key revoked by another process stops verifying here within 5 s; revoked via this km: at once
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the option (`inner`, `ttl`, `max`,
 *   `negativeTtl`, `clock`); the wrapper's methods throw what the inner adapter throws.
 */
export function cachedStorage(inner: StorageAdapter, options: CachedStorageOptions = {}): CachedStorage {
  if (typeof inner !== 'object' || inner === null || typeof inner.get !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'inner must be a StorageAdapter', { field: 'inner' });
  }
  const ttl = parseDuration(options.ttl ?? '5s', 'ttl');
  if (ttl < 1) throw new KeywardenError('ERR_VALIDATION', 'ttl must be at least 1 ms', { field: 'ttl' });
  const negativeTtl = parseDuration(options.negativeTtl ?? '1s', 'negativeTtl');
  const max = positiveInt(options.max ?? 10_000, 'max');
  const clock = options.clock;
  if (clock !== undefined && typeof clock?.now !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'clock must have a now() method', { field: 'clock' });
  }

  // lru-cache treats a start time of 0 as "no TTL": count from 1 at creation, never below 1
  const base = clock?.now() ?? 0;
  const cache = new LRUCache<string, Entry>({
    max,
    ttl,
    // read the time on every check: a cached timestamp could serve an entry past its bound
    ttlResolution: 0,
    ...(clock !== undefined && { perf: { now: () => Math.max(1, clock.now() - base + 1) } }),
  });
  /** Reads in flight, by id: concurrent gets of one id share one storage read. */
  const inflight = new Map<string, Promise<StoredRecord | null>>();
  let hits = 0;
  let misses = 0;

  const drop = (id: string): void => {
    cache.delete(id);
    // a read that started before this write must not fill the cache with what it saw
    inflight.delete(id);
  };

  const read = (id: string): Promise<StoredRecord | null> => {
    const pending = inner.get(id).then(
      (record) => {
        if (inflight.get(id) === pending) {
          inflight.delete(id);
          if (record !== null) cache.set(id, record);
          else if (negativeTtl > 0) cache.set(id, ABSENT, { ttl: negativeTtl });
        }
        return record;
      },
      (error: unknown) => {
        if (inflight.get(id) === pending) inflight.delete(id);
        throw error;
      },
    );
    inflight.set(id, pending);
    return pending;
  };

  /** Runs a write, dropping `id` from the cache whatever the outcome. */
  const writing = async <T>(id: string, run: () => Promise<T>): Promise<T> => {
    drop(id);
    try {
      return await run();
    } finally {
      drop(id);
    }
  };

  const wrapper: CachedStorage = {
    name: inner.name,
    inner,
    get(id) {
      const hit = cache.get(id);
      if (hit !== undefined) {
        hits++;
        return Promise.resolve(hit === ABSENT ? null : (hit as StoredRecord));
      }
      misses++;
      return inflight.get(id) ?? read(id);
    },
    findByName: (name, where) => inner.findByName(name, where),
    list: (query) => inner.list(query),
    create: (record) => writing(record.id, () => inner.create(record)),
    update: (record, o) => writing(record.id, () => inner.update(record, o)),
    delete: (id, o) => writing(id, () => inner.delete(id, o)),
    dueForRotation: (before, limit) => inner.dueForRotation(before, limit),
    appendAudit: (events) => inner.appendAudit(events),
    listAudit: (query) => inner.listAudit(query),
    getMeta: (key) => inner.getMeta(key),
    setMeta: (key, value, o) => inner.setMeta(key, value, o),
    invalidate(id) {
      if (id === undefined) {
        cache.clear();
        inflight.clear();
      } else drop(id);
    },
    stats: () => ({ hits, misses, size: cache.size }),
  };
  if (inner.readMacs) {
    const readMacs = inner.readMacs.bind(inner);
    // The answer comes from the inner store (fresh); a cached record whose stored MAC has moved on
    // (or that is gone) is dropped, so the `get` that follows a mismatch reads the record again.
    wrapper.readMacs = async (ids) => {
      const macs = await readMacs(ids);
      if (Array.isArray(macs)) {
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          const hit = cache.peek(id);
          if (hit === undefined) {
            inflight.delete(id); // a read that began before this answer may have seen less
            continue;
          }
          const mac = macs[i] ?? null;
          const cachedMac = hit === ABSENT ? null : ((hit as StoredRecord).mac ?? null);
          if (hit === ABSENT ? mac !== null : cachedMac !== mac) drop(id);
        }
      }
      return macs;
    };
  }
  if (inner.addUsage) wrapper.addUsage = (rows) => inner.addUsage!(rows);
  if (inner.listUsage) wrapper.listUsage = (query) => inner.listUsage!(query);
  if (inner.init) wrapper.init = () => inner.init!();
  if (inner.close) {
    wrapper.close = async () => {
      cache.clear();
      inflight.clear();
      await inner.close!();
    };
  } else {
    wrapper.close = async () => {
      cache.clear();
      inflight.clear();
    };
  }
  return wrapper;
}
