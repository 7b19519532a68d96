/**
 * Small helpers shared by the route files. Portable: no node:*.
 * @internal
 * @module
 */
import { isKeywardenError } from '../../errors.js';
import { HttpProblem } from '../problem.js';

/**
 * A copy of `o` without its `undefined` properties (the library's strict options refuse them
 * under `exactOptionalPropertyTypes`).
 *
 * @example
 * ```ts
 * compact({ a: 1, b: undefined }); // { a: 1 }
 * ```
 * @throws never
 */
export function compact<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * The items and cursor of a list answer that may be an array or a page.
 *
 * @example
 * ```ts
 * asPage([{ id: 'a' }]); // { items: [{ id: 'a' }] }
 * ```
 * @throws never
 */
export function asPage<T>(result: T[] | { items: T[]; cursor?: string | undefined }): {
  items: T[];
  cursor?: string;
} {
  if (Array.isArray(result)) return { items: result };
  return result.cursor === undefined
    ? { items: result.items }
    : { items: result.items, cursor: result.cursor };
}

/**
 * The `expectedRevision` option of a change made under `If-Match`: the revision the ETag was
 * checked against, so a change landing in between is refused (compare-and-swap), never
 * overwritten. Without the header, no precondition.
 *
 * @example
 * ```ts
 * const ifMatch = request.headers.get('if-match');
 * const loaded = await km.apiKeys.get(id);
 * await km.apiKeys.update(id, { tags: ['reviewed'] }, { ...expectedUnder(ifMatch, loaded) });
 * ```
 * @throws never
 */
export function expectedUnder(
  ifMatch: string | null,
  loaded: { revision: number } | null,
): { expectedRevision?: number } {
  return ifMatch === null || loaded === null ? {} : { expectedRevision: loaded.revision };
}

/**
 * A `.catch` handler turning the library's stale-revision conflict of an `If-Match` change into
 * 412 `ERR_PRECONDITION_FAILED` ("the <what> changed since If-Match was checked"); every other
 * error passes through.
 *
 * @example
 * ```ts
 * const ifMatch = request.headers.get('if-match');
 * const { revision } = await km.secrets.info('DB_URL');
 * await km.secrets
 *   .delete('DB_URL', { expectedRevision: revision })
 *   .catch(preconditionFailed(ifMatch, 'secret'));
 * ```
 * @throws HttpProblem 412 for `ERR_CONFLICT` under `If-Match`; otherwise the error it was given.
 */
export function preconditionFailed(ifMatch: string | null, what: string) {
  return (error: unknown): never => {
    if (ifMatch !== null && isKeywardenError(error, 'ERR_CONFLICT')) {
      throw new HttpProblem(412, 'ERR_PRECONDITION_FAILED', `the ${what} changed since If-Match was checked`);
    }
    throw error;
  };
}
