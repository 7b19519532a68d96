/**
 * Collecting helper for the CLI: commands print whole lists, so they walk every page through the
 * library's `iterate(query)`.
 * @internal
 * @module
 */

/**
 * Every item of `items`, in order (`Array.fromAsync`, which Node 20 lacks).
 *
 * @example
 * ```ts
 * const keys = await collect(km.apiKeys.iterate({ limit: 1000 }));
 * ```
 * @throws whatever the iterator throws.
 */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
