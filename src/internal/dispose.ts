/**
 * `Symbol.asyncDispose` for `await using`, in every runtime the core supports.
 * @internal
 * @module
 */

declare global {
  interface SymbolConstructor {
    /** The well-known symbol `await using` calls (declared here so the types need no `esnext` lib). */
    readonly asyncDispose: unique symbol;
  }
}

/**
 * The runtime's `Symbol.asyncDispose`, or, where the runtime lacks it, `Symbol.for('Symbol.asyncDispose')`
 * (the symbol TypeScript's and esbuild's `await using` helpers fall back to).
 *
 * @example
 * ```ts
 * const resource = { async [ASYNC_DISPOSE]() { await close(); } };
 * ```
 * @throws never
 */
export const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ??
  (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose);
