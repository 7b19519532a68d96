import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    errors: 'src/errors.ts',
    'adapters/memory': 'src/adapters/memory.ts',
    'adapters/file': 'src/adapters/file.ts',
    'adapters/postgres': 'src/adapters/postgres.ts',
    'adapters/supabase': 'src/adapters/supabase.ts',
    'kms/index': 'src/kms/index.ts',
    'notifiers/index': 'src/notifiers/index.ts',
    'testing/index': 'src/testing/index.ts',
    'middleware/index': 'src/middleware/index.ts',
    'cache/index': 'src/cache/index.ts',
    'rate-limit/index': 'src/rate-limit/index.ts',
    'usage/index': 'src/usage/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: [/^node:/, 'postgres'],
});
