/**
 * `iterate(query)` of every list: walks the pages of `list` and yields each item, stopping on an
 * abort signal between pages and between items.
 * @module
 */
import { validationError } from '../errors.js';
import { isAbortSignal } from './abort.js';

/** A list query for `iterate`: the `list` filters (a `cursor` resumes a walk) plus an abort signal. */
export type IterateQuery<Q> = Q & {
  /** Stops the walk: the iterator rejects with `signal.reason` before reading the next page or item. */
  signal?: AbortSignal;
};

/** What `list` answers: one page of items and, when more follow, the cursor of the next one. */
interface Paged<T> {
  items: T[];
  cursor?: string;
}

/**
 * Splits `signal` off the query (it is not a `list` filter) and checks it.
 *
 * @example
 * ```ts
 * declare const query: IterateQuery<{ status?: string }>;
 * const { signal, rest } = splitSignal(query, 'query');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (`<field>.signal`) when `signal` is not an AbortSignal.
 */
export function splitSignal<Q extends object>(
  query: IterateQuery<Q> | undefined,
  field: string,
): { signal: AbortSignal | undefined; rest: Q | undefined } {
  if (query === undefined || query === null || typeof query !== 'object' || !('signal' in query)) {
    return { signal: undefined, rest: query as Q | undefined };
  }
  const { signal, ...rest } = query as Q & { signal?: unknown };
  if (signal !== undefined && !isAbortSignal(signal))
    throw validationError(`${field}.signal`, 'must be an AbortSignal');
  return { signal: signal as AbortSignal | undefined, rest: rest as Q };
}

/**
 * Yields every item of every page of `list`, in order, reading one page at a time (the filters of
 * `query` apply to each page; a `cursor` in it resumes a walk).
 *
 * @example
 * ```ts
 * for await (const key of iteratePages((q: ListApiKeysQuery) => km.apiKeys.list(q), { status: 'active' })) console.log(key.id);
 * ```
 * @throws whatever `list` throws (`ERR_VALIDATION` naming the query field first, on the first
 *   `next()`); `signal.reason` once the signal aborts; `ERR_VALIDATION` (`<field>.signal`).
 */
export async function* iteratePages<T, Q extends { cursor?: string | undefined }>(
  list: (query: Q) => Promise<Paged<T>>,
  query: IterateQuery<Q> | undefined,
  field = 'query',
): AsyncGenerator<T, void, undefined> {
  const { signal, rest } = splitSignal(query, field);
  const base = (rest ?? {}) as Q;
  let cursor: string | undefined = base.cursor;
  do {
    signal?.throwIfAborted();
    const page: Paged<T> = await list(cursor === undefined ? base : { ...base, cursor });
    for (const item of page.items) {
      signal?.throwIfAborted();
      yield item;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
}
