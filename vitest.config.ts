import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // package.json "imports": tests run on Node, so the `node` target (noble loaded on first use,
    // as the built package does on Node); test/internal/noble-primitives.test.ts checks the
    // `default` target (static noble, built into dist/) against it.
    alias: {
      '#noble-primitives': fileURLToPath(new URL('./lib/noble-primitives-node.js', import.meta.url)),
    },
  },
  test: {
    // one PostgreSQL for the whole run, started by the first test file that needs it
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      // every test on the crypto backend the runtime chooses (native on Node)
      { extends: true, test: { name: 'native', include: ['test/**/*.test.ts'] } },
      // the crypto-bearing suites again on the pure-JS backend (what Workers and browsers run)
      {
        extends: true,
        test: {
          name: 'noble',
          include: [
            'test/generator/**/*.test.ts',
            'test/internal/**/*.test.ts',
            'test/kms/**/*.test.ts',
            'test/records/**/*.test.ts',
            'test/store/**/*.test.ts',
            'test/security/**/*.test.ts',
          ],
          env: { KEYWARDEN_CRYPTO: 'noble' },
        },
      },
    ],
  },
});
