/**
 * A tiny in-memory {@link MetaStore} for testing KMS adapters that keep parameters in store meta.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { MetaStore } from '../ports/storage.js';

/** A {@link MetaStore} over a Map, with a view of what it holds. */
export interface MemoryMetaStore extends MetaStore {
  /** A copy of the current entries. */
  entries(): Record<string, string>;
  /** How many `setMeta` calls succeeded. */
  readonly writes: number;
}

/**
 * An in-memory MetaStore with real compare-and-swap: `setMeta(k, v, { expected })` writes only if
 * the current value equals `expected` (`null`: absent), else rejects with `ERR_CONFLICT`. Every call
 * yields to the event loop first, so concurrent callers really interleave.
 *
 * @example
 * ```ts
 * const meta = memoryMetaStore();
 * await kms.init?.(meta);
 * meta.entries(); // { 'kms.passphrase': '{"N":32768,...}' }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `initial`) if `initial` holds a non-string value.
 */
export function memoryMetaStore(initial: Record<string, string> = {}): MemoryMetaStore {
  const data = new Map<string, string>();
  for (const [k, v] of Object.entries(initial)) {
    if (typeof v !== 'string') {
      throw new KeywardenError('ERR_VALIDATION', 'initial values must be strings', { field: 'initial' });
    }
    data.set(k, v);
  }
  let writes = 0;
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    async getMeta(key) {
      await tick();
      return data.get(key) ?? null;
    },
    async setMeta(key, value, options) {
      await tick();
      // check and write in one synchronous step: atomic with respect to other callers
      if (options && options.expected !== undefined) {
        const current = data.get(key) ?? null;
        if (current !== options.expected) {
          throw new KeywardenError('ERR_CONFLICT', `meta ${key} changed since it was read`);
        }
      }
      data.set(key, value);
      writes++;
    },
    entries() {
      return Object.fromEntries(data);
    },
    get writes() {
      return writes;
    },
  };
}
