/**
 * Synchronous twins of an in-process adapter's reads. The memory adapter answers `get` and
 * `findByName` from a `Map` inside an async function; it registers a synchronous twin of each, so
 * the manager's storage guard can hand back a record object it has already checked (shape and MAC)
 * without the promise hops of the async call. The twin is looked up by the adapter's function
 * itself, at every call: an adapter wrapped or patched with another `get` (a test double, a
 * caching layer) has no twin and goes through its own `get`.
 * @internal
 * @module
 */
import type { StoredRecord } from '../ports/storage.js';

/** The synchronous twin of a `get` or `findByName`: the same answer, without a promise. */
export type SyncRead = (...args: never[]) => StoredRecord | null;

const twins = new WeakMap<object, SyncRead>();

/**
 * Registers `sync` as the synchronous twin of the adapter method `read` (same arguments, same
 * answer, same exceptions, only not wrapped in a promise).
 *
 * @example
 * ```ts
 * const records = new Map<string, StoredRecord>();
 * const get = async (id: string) => records.get(id) ?? null;
 * registerSyncRead(get, (id: string) => records.get(id) ?? null);
 * ```
 * @throws never
 */
export function registerSyncRead<A extends unknown[], R = StoredRecord | null>(
  read: (...args: A) => Promise<R>,
  sync: (...args: A) => R,
): void {
  twins.set(read, sync as unknown as SyncRead);
}

/**
 * The synchronous twin of `read` (a record read, or `readMacs` with `R` its answer), or undefined when it has none (any adapter but the memory one,
 * or a method replaced after the adapter was made).
 *
 * @example
 * ```ts
 * const peek = syncReadOf<[string]>(storage.get);
 * const record = peek ? peek(id) : await storage.get(id);
 * ```
 * @throws never
 */
export function syncReadOf<A extends unknown[], R = StoredRecord | null>(
  read: unknown,
): ((...args: A) => R) | undefined {
  if (typeof read !== 'function') return undefined;
  return twins.get(read) as ((...args: A) => R) | undefined;
}
