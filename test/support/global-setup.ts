/**
 * Vitest global setup: prepares one PostgreSQL for the whole run (started lazily by the first test
 * file that needs it, see pg-shared.ts) and stops it at the end. Skipped when
 * `KEYWARDEN_TEST_DATABASE_URL` names an external server.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopServer } from './pg-server.js';
import { sharedDataDir } from './pg-shared.js';

/**
 * Makes the run folder and provides it to the test files; returns the teardown.
 *
 * @example
 * ```ts
 * // vitest.config.ts
 * test: { globalSetup: ['test/support/global-setup.ts'] }
 * ```
 * @throws when the temporary folder cannot be made.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env['KEYWARDEN_TEST_DATABASE_URL']) return undefined;
  const runDir = await mkdtemp(join(tmpdir(), 'keywarden-pg-run-'));
  project.provide('keywardenPgRun', runDir);
  return async () => {
    await stopServer({ dataDir: sharedDataDir(runDir) });
    await rm(runDir, { recursive: true, force: true });
  };
}
