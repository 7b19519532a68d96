/**
 * Small helpers shared by the route files. Portable: no node:*.
 * @internal
 * @module
 */

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
