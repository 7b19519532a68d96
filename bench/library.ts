/**
 * Where a server bench takes keywarden from: the built package (`dist/`, what users install;
 * built first when missing or older than src/) or the TypeScript sources through tsx (whose
 * helpers, e.g. a `__name` wrapper per function, cost a few µs per request). Shared by
 * bench/gateway.bench.ts and bench/middleware.bench.ts.
 */
import { ensureDist } from '../test/support/dist.js';

/** Which build a bench runs. */
export type LibrarySource = 'dist' | 'src';

/**
 * The source named by the environment variable `variable` (`src` for the sources; anything else,
 * or unset, for `dist`).
 *
 * @example
 * ```ts
 * const SOURCE = librarySource('GATEWAY_BENCH_SOURCE');
 * ```
 * @throws never
 */
export function librarySource(variable: string): LibrarySource {
  return process.env[variable] === 'src' ? 'src' : 'dist';
}

/**
 * Builds `dist/` first when the bench runs it (call once, in the parent process).
 *
 * @example
 * ```ts
 * await prepareLibrary(SOURCE);
 * ```
 * @throws when the build fails.
 */
export async function prepareLibrary(source: LibrarySource): Promise<void> {
  if (source === 'dist') await ensureDist();
}

/**
 * One module of keywarden from `source`: `entry` is its path under `src/` and `dist/` without the
 * extension (e.g. `access/gateway/index`, `middleware/node`); typed as the source module `T`.
 *
 * @example
 * ```ts
 * const { nodeMiddleware } = await libraryModule<typeof import('../src/middleware/node.js')>(SOURCE, 'middleware/node');
 * ```
 * @throws when the module cannot be loaded.
 */
export async function libraryModule<T>(source: LibrarySource, entry: string): Promise<T> {
  // a URL built at run time: tsx maps a `src/` one to its .ts file; a `dist/` one loads as is
  return (await import(new URL(`../${source}/${entry}.js`, import.meta.url).href)) as T;
}
