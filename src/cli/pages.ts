/**
 * Paging helper for the CLI: commands print whole lists, so they read every page.
 * @internal
 * @module
 */

/**
 * Calls `fetchPage` with each cursor in turn (undefined first) and returns every item, in order.
 *
 * @example
 * ```ts
 * const keys = await allPages((cursor) => km.apiKeys.list({ limit: 1000, ...(cursor ? { cursor } : {}) }));
 * ```
 * @throws whatever `fetchPage` throws.
 */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return all;
}
