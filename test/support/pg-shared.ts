/**
 * Test support: one PostgreSQL for the whole vitest run, started on first use.
 *
 * The global setup (test/support/global-setup.ts) makes an empty run folder and hands its path to
 * the test files (`provide('keywardenPgRun')`). The first test file that asks for PostgreSQL wins a
 * lock (an atomic `mkdir`), runs `initdb` + `pg_ctl start` there and publishes the server's URL in
 * a 0600 file; the others wait for that file. The server outlives the worker that started it; the
 * global teardown stops it and removes the folder. A run that never asks for PostgreSQL starts none.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initServer, type PgServerInfo, startServer } from './pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Run folder of the shared PostgreSQL (absent when an external server is configured). */
    keywardenPgRun?: string;
  }
}

/**
 * The run folder provided by the global setup, or null outside a vitest run that has one.
 *
 * @example
 * ```ts
 * const dir = await sharedRunDir();
 * ```
 * @throws never.
 */
export async function sharedRunDir(): Promise<string | null> {
  try {
    const { inject } = await import('vitest');
    return inject('keywardenPgRun') ?? null;
  } catch {
    return null; // not inside a vitest worker (e.g. a benchmark run with tsx)
  }
}

/** Where the data directory of the shared server lives, inside the run folder. */
export const sharedDataDir = (runDir: string): string => join(runDir, 'data');

/**
 * The shared server's connection info: started by the first caller of the run, awaited by the
 * others.
 *
 * @example
 * ```ts
 * const { url } = await sharedServer(runDir, port);
 * ```
 * @throws when the server could not be started (by whichever file tried) or did not appear in time.
 */
export async function sharedServer(runDir: string, port: () => Promise<number>): Promise<{ url: string }> {
  const published = join(runDir, 'server.json');
  const failed = join(runDir, 'error.txt');
  const won = await mkdir(join(runDir, 'lock')).then(
    () => true,
    () => false,
  );
  if (won) {
    try {
      const info: PgServerInfo = await initServer(await port(), runDir);
      await startServer(info);
      await writeFile(`${published}.tmp`, JSON.stringify({ url: info.url }), { mode: 0o600 });
      await rename(`${published}.tmp`, published);
      return { url: info.url };
    } catch (error) {
      await writeFile(failed, String((error as Error).message), { mode: 0o600 });
      throw error;
    }
  }
  const deadline = Date.now() + 240_000;
  for (;;) {
    const text = await readFile(published, 'utf8').catch(() => null);
    if (text !== null) return JSON.parse(text) as { url: string };
    const error = await readFile(failed, 'utf8').catch(() => null);
    if (error !== null) throw new Error(`the shared PostgreSQL failed to start: ${error}`);
    if (Date.now() > deadline) throw new Error('the shared PostgreSQL did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
