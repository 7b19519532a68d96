/**
 * The public entry points agree everywhere they are listed: package.json `exports`, the tsup
 * entries that build them, the typedoc entry points, the smoke test that imports them from the
 * packed tarball (scripts/smoke), and the portable-core check (tsconfig.core.json), whose
 * exclusions must be exactly the Node-only entry points and their internals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const root = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  imports?: Record<string, Record<string, string>>;
};

/** Subpaths that use Node built-ins (node:fs, node:http types): outside the portable core. */
const NODE_ONLY = new Set([
  './adapters/file',
  './middleware/node',
  './middleware/mcp',
  './access/gateway',
  './http/node',
]);

/** `./adapters/memory` → `adapters/memory` (its tsup entry name) and its source file. */
const subpaths = Object.entries(pkg.exports)
  .filter(([subpath]) => subpath !== './package.json')
  .map(([subpath, target]) => {
    const js = typeof target === 'string' ? target : target.default;
    const entry = js.replace(/^\.\/dist\//, '').replace(/\.js$/, '');
    return { subpath, entry, types: typeof target === 'string' ? null : target.types };
  });

const tsupOptions = tsupConfig as { entry: Record<string, string> };
const tsupEntries = tsupOptions.entry;

function coreFiles(): Set<string> {
  const file = join(root, 'tsconfig.core.json');
  const config = ts.readConfigFile(file, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, file);
  return new Set(parsed.fileNames.map((f) => f.slice(root.length + 1)));
}

describe('package exports', () => {
  it('each one is built by a tsup entry from an existing source, with its types next to it', () => {
    for (const { entry, types } of subpaths) {
      const source = tsupEntries[entry];
      expect(source, `tsup entry for ${entry}`).toBeDefined();
      expect(existsSync(join(root, source!)), source).toBe(true);
      if (types !== null) expect(types).toBe(`./dist/${entry}.d.ts`);
    }
    const built = new Set(subpaths.map((s) => s.entry));
    // package.json "imports" targets (`#noble-primitives`) are entries too
    const imported = new Set(Object.values(pkg.imports ?? {}).flatMap((target) => Object.values(target)));
    const extra = Object.keys(tsupEntries).filter(
      (e) => !built.has(e) && `./dist/${e}.js` !== pkg.bin['keywarden'] && !imported.has(`./dist/${e}.js`),
    );
    expect(extra, 'tsup entries that no export, import or bin points at').toEqual([]);
  });

  it('each one is imported by both smoke consumers and documented by typedoc', () => {
    const mjs = read('scripts/smoke/consumer.mjs');
    const cts = read('scripts/smoke/consumer.ts');
    const typedoc = JSON.parse(read('typedoc.json')) as { entryPoints: string[] };
    for (const { subpath, entry } of subpaths) {
      const specifier = subpath === '.' ? 'keywarden' : `keywarden/${subpath.slice(2)}`;
      expect(mjs, `consumer.mjs imports ${specifier}`).toContain(`'${specifier}'`);
      expect(cts, `consumer.ts imports ${specifier}`).toContain(`from '${specifier}'`);
      expect(typedoc.entryPoints, `typedoc documents ${specifier}`).toContain(tsupEntries[entry]);
    }
  });

  it('the portable core holds every export except the Node-only ones, and excludes only those', () => {
    const core = coreFiles();
    for (const { subpath, entry } of subpaths) {
      const source = tsupEntries[entry]!;
      expect(core.has(source), `${subpath} (${source}) in tsconfig.core.json`).toBe(!NODE_ONLY.has(subpath));
    }
    expect(NODE_ONLY.size).toBeGreaterThan(0);
    for (const s of NODE_ONLY) expect(subpaths.map((x) => x.subpath)).toContain(s);
    // every excluded path exists (no stale entries) and every src file outside the core is one of them
    const exclude = (JSON.parse(read('tsconfig.core.json')) as { exclude: string[] }).exclude;
    for (const path of exclude) expect(existsSync(join(root, path)), path).toBe(true);
    const all = ts.sys.readDirectory(join(root, 'src'), ['.ts']).map((f) => f.slice(root.length + 1));
    const outside = all.filter((f) => !core.has(f));
    for (const f of outside) {
      expect(
        exclude.some((e) => f === e || f.startsWith(`${e}/`)),
        `${f} is outside the core only through an explicit exclusion`,
      ).toBe(true);
    }
    expect(core.has('src/middleware/hono.ts')).toBe(true);
    // keywarden/middleware type-checks without @types/node (Workers, browsers): node:http lives in middleware/node
    expect(core.has('src/middleware/index.ts')).toBe(true);
  });
});
