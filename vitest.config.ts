import { defineConfig } from 'vitest/config';

export default defineConfig({
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
