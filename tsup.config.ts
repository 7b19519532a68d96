import { defineConfig } from 'tsup';
import { mergeColdChunks } from './scripts/merge-cold-chunks.js';

const entry = {
  index: 'src/index.ts',
  errors: 'src/errors.ts',
  'crypto/index': 'src/crypto/index.ts',
  'crypto/noble': 'src/crypto/noble.ts',
  schemas: 'src/schemas.ts',
  'adapters/memory': 'src/adapters/memory.ts',
  'adapters/file': 'src/adapters/file.ts',
  'adapters/postgres': 'src/adapters/postgres.ts',
  'adapters/supabase': 'src/adapters/supabase.ts',
  'kms/index': 'src/kms/index.ts',
  'notifiers/index': 'src/notifiers/index.ts',
  'testing/index': 'src/testing/index.ts',
  'middleware/index': 'src/middleware/index.ts',
  'middleware/node': 'src/middleware/node.ts',
  'middleware/mcp': 'src/middleware/mcp.ts',
  'cache/index': 'src/cache/index.ts',
  'rate-limit/index': 'src/rate-limit/index.ts',
  'usage/index': 'src/usage/index.ts',
  'extension/index': 'src/extension/index.ts',
  'access/index': 'src/access/index.ts',
  'access/mcp/index': 'src/access/mcp/index.ts',
  'access/gateway/index': 'src/access/gateway/index.ts',
  'observability/index': 'src/observability/index.ts',
  'http/index': 'src/http/index.ts',
  'http/node': 'src/http/node.ts',
  'cli/main': 'src/cli/main.ts',
  // the `default` target of `#noble-primitives` (package.json "imports"): static noble for browsers
  // and Workers; the `node` target (Node, Bun, Deno) is lib/noble-primitives-node.js, not built
  'internal/noble-primitives': 'src/internal/noble-primitives.ts',
};

/** Declarations for the library entries only: the CLI is a bin, nothing imports its types. */
const dtsEntry = Object.fromEntries(
  Object.entries(entry).filter(([name]) => name !== 'cli/main' && !name.startsWith('internal/')),
);

export default defineConfig({
  entry,
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: { entry: dtsEntry },
  // maps point into src/ without embedding it: the tarball ships no second copy of the source
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  splitting: true,
  treeshake: true,
  // `#noble-primitives` stays a bare specifier in dist: the runtime resolves it through package.json
  // "imports" with its own conditions (tsconfig's `paths` entry is for typechecking src only)
  external: [/^node:/, 'postgres', '#noble-primitives'],
  // zod's runtime goes into dist, tree-shaken: loaded from node_modules, `zod/mini` evaluates 92
  // modules (every locale) on import, half of keywarden's cold start on Node. Its types still come
  // from the `zod` dependency. noble stays external so a noble fix reaches users without a release.
  noExternal: ['zod'],
  // the chunks a manager's cold start loads, merged into one file (issue 16; see the script)
  async onSuccess() {
    const { before, after } = await mergeColdChunks('dist', Object.keys(entry));
    console.log(`cold start chunks: ${before} files -> ${after}`);
  },
});
