/**
 * The last step of `npm run build` (tsup's onSuccess): the chunks that a manager's cold start
 * loads on Node are merged into one file. esbuild splits shared code into one chunk per set of
 * entry points that use it; with 28 entries the three imports of a manager (`keywarden`,
 * `keywarden/adapters/memory`, `keywarden/kms`) loaded 38 files, and Node's ES module loader costs
 * about a millisecond of CPU per file (resolve, read, compile, link) before any of keywarden runs
 * (issue 16's cold start; docs/performance.md). Rollup re-chunks the built files: every chunk
 * those three imports load that `keywarden/crypto` and `keywarden/errors` do not goes into one
 * chunk; every other chunk stays as esbuild made it (one manual chunk each), so the crypto
 * subpath stays small for bundlers (test/package/weight.test.ts: the generator and manager
 * budgets). Source maps are chained back to src/; nothing is minified (readable stack traces).
 * @module
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type ExistingRawSourceMap, rollup } from 'rollup';

/** The entries whose cold start is merged, and the ones that must not load the merged chunk. */
const COLD = ['index', 'adapters/memory', 'kms/index'];
const APART = ['crypto/index', 'errors'];

/** Relative static imports of a built file, as absolute paths. */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of code.matchAll(/^(?:(?:import|export)\s[^;'"]*?from\s*|import\s*)["']([^"']+)["'];?$/gm)) {
    const spec = m[1] as string;
    if (spec.startsWith('.')) out.push(join(dirname(file), spec));
  }
  return out;
}

function closure(files: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const g of importsOf(f)) visit(g);
  };
  for (const f of files) visit(f);
  return seen;
}

const isChunk = (file: string) => /\/chunk-[A-Za-z0-9_-]+\.js$/.test(file);

/**
 * Re-chunks the `.js` files of `dist` (entries named as in tsup's `entry`) in place.
 *
 * @example
 * ```ts
 * await mergeColdChunks('dist', Object.keys(entry));
 * ```
 * @throws when rollup fails (dist/ is then left as esbuild wrote it).
 */
export async function mergeColdChunks(
  distDir: string,
  entryNames: string[],
): Promise<{ before: number; after: number }> {
  const dist = resolve(distDir);
  const input = Object.fromEntries(entryNames.map((name) => [name, join(dist, `${name}.js`)]));
  const cold = closure(COLD.map((name) => input[name] as string));
  const apart = closure(APART.map((name) => input[name] as string));
  const merged = new Set([...cold].filter((f) => isChunk(f) && !apart.has(f)));
  const before = cold.size;
  const bundle = await rollup({
    input,
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    treeshake: false, // esbuild already shook; keep every statement as it wrote it
    plugins: [
      {
        name: 'keywarden-built-maps',
        load(id) {
          const map = `${id}.map`;
          return {
            code: readFileSync(id, 'utf8'),
            map: existsSync(map) ? (JSON.parse(readFileSync(map, 'utf8')) as ExistingRawSourceMap) : null,
          };
        },
      },
    ],
    onwarn(warning, warn) {
      if (warning.code !== 'SOURCEMAP_BROKEN') warn(warning);
    },
  });
  const out = `${dist}.rechunk`;
  rmSync(out, { recursive: true, force: true });
  await bundle.write({
    dir: out,
    format: 'es',
    sourcemap: true,
    sourcemapExcludeSources: true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunk-[hash].js',
    hoistTransitiveImports: false,
    // the cold start's chunks: one; every other esbuild chunk: itself
    manualChunks: (id) =>
      merged.has(id) ? 'cold' : isChunk(id) ? id.replace(/^.*\/chunk-/, 'c-') : undefined,
  });
  await bundle.close();
  // swap: drop esbuild's .js and .js.map files, move rollup's in (declarations stay)
  for (const f of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    if (f.endsWith('.js') || f.endsWith('.js.map')) rmSync(join(dist, f));
  }
  for (const f of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
    if (f.endsWith('.js') || f.endsWith('.js.map')) renameSync(join(out, f), join(dist, f));
  }
  rmSync(out, { recursive: true, force: true });
  const after = closure(COLD.map((name) => join(dist, `${name}.js`))).size;
  return { before, after };
}
