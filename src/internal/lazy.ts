/**
 * Values built on first use instead of at import: zod schemas of operations that a cold start
 * (import, `createKeyManager`, first verify) never runs — backups, rotation runs, audit export —
 * cost their construction only when first called (issue 16, docs/performance.md).
 * @internal
 * @module
 */

/**
 * A getter that builds its value once, on its first call, and returns that same value after.
 *
 * @example
 * ```ts
 * const table = lazy(() => new Map([['a', 1]]));
 * table().get('a'); // the Map is built on this first call and reused after
 * ```
 * @throws what `build` throws (then the next call builds again)
 */
export function lazy<T>(build: () => T): () => T {
  let built = false;
  let value: T | undefined;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
