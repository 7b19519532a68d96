/**
 * Test harness: a real PostgreSQL 17 for the SQL adapters' tests.
 *
 * `startPostgres()` returns a harness bound to one server shared by the whole vitest run (started
 * on first use, stopped by the global setup's teardown; see pg-shared.ts), or to the server named
 * by `KEYWARDEN_TEST_DATABASE_URL`. Each test file keeps to its own schemas (`newSchema()`).
 * `startPostgres({ private: true })` starts a server of its own, for tests that stop and restart
 * it. Call it once per test file (`beforeAll`) and `stop()` in `afterAll`: on a shared server that
 * only closes the file's connections.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import postgres from 'postgres';
import { initServer, type PgServerInfo, startServer, stopServer } from './pg-server.js';
import { sharedRunDir, sharedServer } from './pg-shared.js';

/** A running PostgreSQL for tests. */
export interface PgHarness {
  /** Connection URL of a superuser (contains the password: never print it). */
  readonly url: string;
  /** An admin connection (superuser), max 4 connections. */
  readonly sql: postgres.Sql;
  /** True when the server is this harness's own (`private`), so it can be stopped and restarted. */
  readonly embedded: boolean;
  /** Stops the server (private only); data is kept. */
  stopServer(): Promise<void>;
  /** Starts it again after {@link stopServer} (private only), same port and data. */
  startServer(): Promise<void>;
  /** A new, unique schema name (not created). */
  newSchema(prefix?: string): string;
  /** Drops a schema and everything in it. */
  dropSchema(schema: string): Promise<void>;
  /** Closes the admin connection; a private server is also stopped and its directory removed. */
  stop(): Promise<void>;
}

/**
 * A free TCP port on 127.0.0.1.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 * @throws when no port can be bound.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * A server of its own (can be stopped and restarted), instead of the run's shared server or
   * `KEYWARDEN_TEST_DATABASE_URL`.
   */
  private?: boolean;
  /** `false` ignores `KEYWARDEN_TEST_DATABASE_URL` and starts a server of its own (same as `private`). */
  external?: boolean;
}

/**
 * A PostgreSQL for a test file: the run's shared server, `KEYWARDEN_TEST_DATABASE_URL`, or (with
 * `private: true`, or outside a vitest run) a server of its own.
 *
 * @example
 * ```ts
 * let pg: PgHarness;
 * beforeAll(async () => { pg = await startPostgres(); });
 * afterAll(() => pg.stop());
 * ```
 * @throws when the server cannot be started.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgHarness> {
  const own = options.private === true || options.external === false;
  const externalUrl = process.env['KEYWARDEN_TEST_DATABASE_URL'];
  if (!own && externalUrl) return fromUrl(externalUrl, null);
  const runDir = own ? null : await sharedRunDir();
  if (runDir) return fromUrl((await sharedServer(runDir, freePort)).url, null);
  const info = await initServer(await freePort());
  await startServer(info);
  return fromUrl(info.url, info);
}

function fromUrl(url: string, own: PgServerInfo | null): PgHarness {
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    url,
    sql,
    embedded: own !== null,
    async stopServer() {
      if (!own)
        throw new Error('cannot stop a shared or external server: use startPostgres({ private: true })');
      await stopServer(own);
    },
    async startServer() {
      if (!own)
        throw new Error('cannot start a shared or external server: use startPostgres({ private: true })');
      await startServer(own);
    },
    newSchema(prefix = 'kw_test') {
      return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    },
    async dropSchema(schema) {
      await sql.unsafe(`drop schema if exists "${schema.replaceAll('"', '""')}" cascade`);
    },
    async stop() {
      await sql.end({ timeout: 5 });
      if (own) {
        await stopServer(own);
        await rm(own.dir, { recursive: true, force: true });
      }
    },
  };
}
