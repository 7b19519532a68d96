/**
 * What a user installs and bundles: size budgets measured with esbuild on the BUILT package (one
 * minified ESM bundle each, no code splitting, so lazy imports would count too), the
 * `keywarden/crypto` subpath free of store code, CLI-only dependencies (commander, yaml) out of
 * every library subpath, source maps without embedded sources, and a tarball with no file that
 * nothing uses.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from '../support/dist.js';

const run = promisify(execFile);
const KB = 1024;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  imports: Record<string, Record<string, string>>;
  bin: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/**
 * Budgets in minified bytes. The generator's is issue 14's. The manager's is a ratchet, not the
 * goal: 291 KB after zod/mini, raised once to 340 KB for what 0.2 added to every manager on
 * purpose (native crypto backend and signers, JWTs, metrics, logger, security monitor, usage
 * rollups, expectedRevision, iterate/dispose), then lowered to 305 KB when croner gave way to an
 * own cron parser (330 -> 302 KB measured), then set to 312 KB with what the same release added
 * beside it (309 KB measured: the verify fast path and HMAC pads, the batched access audit queue,
 * the monitor's session revoke, lookup checks), then lowered to 255 KB when @noble/curves and the
 * slow KDFs left the default graph for WebCrypto, native scrypt and the opt-in
 * `keywarden/crypto/noble` (309 -> 252 KB measured), then set to 264 KB with the hot-path work
 * merged beside it (261 KB measured: the verify view and keys fast path, the data-key cache and
 * one-pass audit body, the access call cache, the memory adapter's shared lists), then lowered to
 * 259 KB when zod's discriminated-union, record, lazy/JSON and length-equals schemas left the
 * manager's graph (parseTagged, json-record.ts; 261 -> 256.3 KB measured, 86.8 KB gzip), then set
 * to 261 KB with the gateway goal's work (257.9 -> 260.3 KB measured: the promise-free repeat call's
 * synchronous readMacs and audit queue, batched rows sealed at write time with a byte template per
 * repeating row, frozen-object memos in the audit body and the memory adapter). The 200 KB
 * of issue 14 is not met; docs/runtimes.md ("Bundle size") says where the bytes go and what it
 * would take. Lower it when you take bytes out; raise it only with a line in the CHANGELOG.
 */
const BUDGETS = {
  generator: 40 * KB,
  manager: 261 * KB,
};

/** What only runtimes lacking an algorithm need: in a bundle only through keywarden/crypto/noble. */
const NOBLE_FALLBACKS = /node_modules\/@noble\/(curves\/|hashes\/(argon2|blake2|_blake|scrypt|pbkdf2)\.js)/;

interface Measured {
  min: number;
  gzip: number;
  inputs: string[];
}

/** Bundles `contents` (imports of keywarden subpaths, resolved to dist) as a browser app would. */
async function measure(
  contents: string,
  resolveDir = ROOT,
  platform: 'browser' | 'node' = 'browser',
): Promise<Measured> {
  const out = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const code = out.outputFiles[0]!.contents;
  const metafile = out.metafile as Metafile;
  return { min: code.length, gzip: gzipSync(code).length, inputs: Object.keys(metafile.inputs) };
}

const show = (label: string, m: Measured) =>
  console.log(`${label}: ${(m.min / KB).toFixed(1)} KB minified, ${(m.gzip / KB).toFixed(1)} KB gzip`);

beforeAll(ensureDist, 300_000);

describe('bundle budgets (esbuild, minified, the built package)', () => {
  it(`generator only (generateApiToken, checkApiToken, generateId from keywarden/crypto) ≤ ${BUDGETS.generator / KB} KB`, async () => {
    const m = await measure(
      "export { generateApiToken, checkApiToken, generateId } from 'keywarden/crypto';",
    );
    show('generator only', m);
    expect(m.min).toBeLessThanOrEqual(BUDGETS.generator);
  });

  it(`manager + memory storage + localKms ≤ ${BUDGETS.manager / KB} KB`, async () => {
    const m = await measure(
      "export { createKeyManager } from 'keywarden'; export { memoryStorage } from 'keywarden/adapters/memory'; export { localKms } from 'keywarden/kms';",
    );
    show('manager + memory + localKms', m);
    show('whole keywarden/crypto (for the record)', await measure("export * from 'keywarden/crypto';"));
    expect(m.min).toBeLessThanOrEqual(BUDGETS.manager);
    expect(m.inputs.some((f) => f.includes('node_modules/zod/v4/classic/'))).toBe(false);
    expect(m.inputs.filter((f) => NOBLE_FALLBACKS.test(f))).toEqual([]);
    // no native crypto module in a browser: the noble backend is bundled (`#noble-primitives`, default target)
    expect(m.inputs).toContain('dist/internal/noble-primitives.js');
    expect(m.inputs).toContain('node_modules/@noble/ciphers/aes.js');
  });

  it('a bundle for Node resolves `#noble-primitives` to the loader that imports noble on first use only', async () => {
    const m = await measure(
      "export { createKeyManager } from 'keywarden'; export { memoryStorage } from 'keywarden/adapters/memory'; export { localKms } from 'keywarden/kms';",
      ROOT,
      'node',
    );
    expect(m.inputs).toContain('lib/noble-primitives-node.js');
    expect(m.inputs.filter((f) => f.includes('node_modules/@noble/'))).toEqual([]);
  });

  it('@noble/curves and the slow KDFs come in only with keywarden/crypto/noble (control)', async () => {
    const m = await measure(
      "export { createKeyManager } from 'keywarden'; export { registerNobleCurves, registerNobleKdfs } from 'keywarden/crypto/noble';",
    );
    show('manager + keywarden/crypto/noble (for the record)', m);
    const fallbacks = m.inputs.filter((f) => NOBLE_FALLBACKS.test(f));
    for (const part of [
      'curves/ed25519',
      'curves/secp256k1',
      'hashes/argon2',
      'hashes/scrypt',
      'hashes/pbkdf2',
    ]) {
      expect(
        fallbacks.some((f) => f.includes(`@noble/${part}.js`)),
        part,
      ).toBe(true);
    }
  });
});

describe('what each subpath loads', () => {
  it('the manager bundled from src uses zod/mini, never classic zod (dist inlines zod, so this is checked here)', async () => {
    const m = await measure(
      "export { createKeyManager } from './src/index.ts'; export { memoryStorage } from './src/adapters/memory.ts'; export { localKms } from './src/kms/index.ts';",
    );
    expect(m.inputs.some((f) => f.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(m.inputs.filter((f) => f.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  it('no built file imports zod at run time: the build inlines the parts it uses (cold start on Node)', () => {
    const js = readdirSync(join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.js'),
    );
    expect(js.length).toBeGreaterThan(10);
    const importingZod = js.filter((f) =>
      /(?:from|import)\s*\(?\s*['"]zod(?:\/[^'"]*)?['"]/.test(readFileSync(join(ROOT, 'dist', f), 'utf8')),
    );
    expect(importingZod).toEqual([]);
  });

  it('keywarden/crypto pulls no store, manager, rotation, KMS or adapter code (bundled from src)', async () => {
    const m = await measure("export * from './src/crypto/index.ts';");
    const ours = m.inputs.filter((f) => f.startsWith('src/'));
    expect(ours).toContain('src/crypto/tokens.ts');
    const foreign = ours.filter((f) => !/^src\/(crypto|internal)\//.test(f) && f !== 'src/errors.ts');
    expect(foreign).toEqual([]);
  });

  it('no library subpath loads a CLI-only dependency (commander, yaml); the CLI does (control)', async () => {
    const cliOnly = /node_modules\/(commander|yaml)\//;
    const external = ['node:*', ...Object.keys(pkg.peerDependencies)];
    const bundleOf = async (file: string) => {
      const out = await build({
        entryPoints: [join(ROOT, file)],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        external,
        logLevel: 'error',
      });
      return Object.keys(out.metafile.inputs);
    };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      const inputs = await bundleOf(target.default);
      expect(
        inputs.filter((f) => cliOnly.test(f)),
        `${subpath} loads`,
      ).toEqual([]);
    }
    const cli = await bundleOf(pkg.bin['keywarden']!);
    expect(cli.some((f) => cliOnly.test(f))).toBe(true);
  });
});

/**
 * Relative module specifiers of a built .js or .d.ts file, and the package.json "imports" runtime
 * targets of its `#…` specifiers (as paths relative to the file).
 */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = new Set<string>();
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](#[^'"]+)['"]/g)) {
    // the runtime targets; `types` points into src/ for typechecking this repository only
    for (const [condition, target] of Object.entries(pkg.imports[m[1]!] ?? {})) {
      if (condition === 'types') continue;
      specs.add(relative(dirname(file), join(ROOT, target)).replace(/^(?!\.)/, './'));
    }
  }
  return [...specs];
}

/** Every dist file that an export, the bin or their imports reach (with the .map of each .js). */
function reachableFromExports(): Set<string> {
  const start: string[] = [...Object.values(pkg.bin)];
  for (const target of Object.values(pkg.exports)) {
    if (typeof target !== 'string') start.push(target.types, target.default);
  }
  const seen = new Set<string>();
  const queue = start.map((p) => join(ROOT, p));
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = relative(ROOT, file);
    if (seen.has(rel)) continue;
    seen.add(rel);
    if (file.endsWith('.js')) seen.add(`${rel}.map`);
    for (const spec of relativeImports(file)) {
      let target = join(dirname(file), spec);
      if (file.endsWith('.d.ts') && target.endsWith('.js')) target = target.replace(/\.js$/, '.d.ts');
      queue.push(target);
    }
  }
  return seen;
}

describe('the tarball', () => {
  it('source maps carry no embedded sources', () => {
    const maps = readdirSync(join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.map'),
    );
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(ROOT, 'dist', map), 'utf8')) as {
        sourcesContent?: unknown;
      };
      expect(parsed.sourcesContent, map).toBeUndefined();
    }
  });

  it('holds only files that an export or the bin reaches, the SQL sources and the docs (npm pack --dry-run)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    const [packed] = JSON.parse(stdout) as [
      { files: { path: string; size: number }[]; unpackedSize: number },
    ];
    const reachable = reachableFromExports();
    const allowed = (path: string) =>
      reachable.has(path) ||
      ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(path) ||
      /^src\/adapters\/postgres\/\d{3}_[a-z_]+\.sql$/.test(path);
    expect(packed.files.filter((f) => !allowed(f.path)).map((f) => f.path)).toEqual([]);
    // every export target is in it
    for (const target of Object.values(pkg.exports)) {
      if (typeof target === 'string') continue;
      const paths = packed.files.map((f) => f.path);
      expect(paths).toContain(target.default.slice(2));
      expect(paths).toContain(target.types.slice(2));
    }
    console.log(
      `tarball: ${packed.files.length} files, ${(packed.unpackedSize / KB).toFixed(0)} KB unpacked`,
    );
  });
});
