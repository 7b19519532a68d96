/**
 * A {@link StorageAdapter} on PostgreSQL (self-hosted, RDS, Cloud SQL, Neon, Supabase's database)
 * through the `postgres` driver (porsager/postgres v3, an optional peer dependency). Many app
 * instances can share one database: every operation is one SQL function, atomic, with
 * compare-and-swap on `revision`; see docs/postgres.md.
 * @module
 */
import { KeywardenError, validationError } from '../errors.js';
import type { StorageAdapter } from '../ports/storage.js';
import { migrate, type PostgresSqlLike, postgresCaller } from './postgres/caller.js';
import { migrationSql, SCHEMA_VERSION } from './postgres/functions.js';
import { createSqlStorage } from './postgres/storage.js';

export type { PostgresSqlLike, PostgresTransactionLike } from './postgres/caller.js';
export { migrationSql, SCHEMA_VERSION };

/** Options shared by both connection styles. */
export interface PostgresStorageCommon {
  /**
   * The schema holding keywarden's tables and functions, created by `init()` if missing.
   * Default `'public'`. Letters, digits, `_` and `$`, starting with a letter or `_`, at most 63.
   */
  schema?: string;
  /** Apply pending migrations in `init()` (default true). Set false when you run them yourself. */
  migrate?: boolean;
}

/** Use your own `postgres` instance; keywarden never ends it. */
export interface PostgresStorageWithSql extends PostgresStorageCommon {
  /** A `postgres()` instance (porsager/postgres v3). */
  sql: PostgresSqlLike;
}

/** Let keywarden create (and, on `close()`, end) a connection pool from a URL. */
export interface PostgresStorageWithUrl extends PostgresStorageCommon {
  /** `postgres://user:password@host:5432/db`. Never logged or put in an error message. */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /**
   * Seconds to wait for a connection to the database (default 5). While the database is
   * unreachable every call rejects with `ERR_STORAGE` within about this time: nothing waits for a
   * restart. Calls beyond the pool size wait for a pool slot, and are rejected at once when a
   * connection attempt fails.
   */
  connectTimeout?: number;
  /** Further options for `postgres(url, options)` (e.g. `ssl`, `prepare: false` behind PgBouncer). */
  options?: Record<string, unknown>;
}

/** Options of {@link postgresStorage}. */
export type PostgresStorageOptions = PostgresStorageWithSql | PostgresStorageWithUrl;

/** The adapter returned by {@link postgresStorage}. */
export interface PostgresStorage extends StorageAdapter {
  readonly name: 'postgres';
  /** The schema in use. */
  readonly schema: string;
}

const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
/** Default seconds to wait for a database connection. */
const DEFAULT_CONNECT_TIMEOUT = 5;

/** The pool size of a user's `postgres()` instance (`sql.options.max`), or a large bound. */
function poolSize(sql: PostgresSqlLike): number {
  const max = (sql as { options?: { max?: unknown } }).options?.max;
  return typeof max === 'number' && Number.isSafeInteger(max) && max > 0 ? max : 1000;
}

/**
 * Creates a PostgreSQL storage adapter. `init()` (run by the manager's `ready()`) applies the
 * migrations under an advisory lock, so instances starting together do not race.
 *
 * @example
 * ```ts
 * import postgres from 'postgres';
 * import { postgresStorage } from 'keywarden/adapters/postgres';
 * const storage = postgresStorage({ sql: postgres(process.env.DATABASE_URL!) });
 * // or: postgresStorage({ url: process.env.DATABASE_URL!, max: 10, schema: 'keywarden' })
 * const km = createKeyManager({ storage, kms });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for a bad schema name or missing `sql`/`url`. Its methods
 *   throw `ERR_STORAGE` when the database fails (connection refused, restart...; the next call
 *   reconnects), and `ERR_ALREADY_EXISTS`, `ERR_CONFLICT`, `ERR_NOT_FOUND`, `ERR_VALIDATION` as the
 *   storage port documents.
 */
export function postgresStorage(
  options: PostgresStorageOptions,
  extra: PostgresStorageCommon = {},
): PostgresStorage {
  if (typeof options !== 'object' || options === null) throw validationError('options', 'must be an object');
  const schema = extra.schema ?? options.schema ?? 'public';
  if (typeof schema !== 'string' || !SCHEMA_RE.test(schema)) {
    throw validationError('schema', 'must be a plain SQL identifier (letters, digits, _ and $)');
  }
  const runMigrations = (extra.migrate ?? options.migrate) !== false;
  const owned = !('sql' in options && options.sql);
  if (owned && (!('url' in options) || typeof options.url !== 'string' || options.url === '')) {
    throw validationError('url', 'is required when no sql instance is given');
  }
  const urlOptions = options as PostgresStorageWithUrl;
  const max = owned ? (urlOptions.max ?? 10) : poolSize((options as PostgresStorageWithSql).sql);
  if (!Number.isSafeInteger(max) || max < 1) throw validationError('max', 'must be a positive integer');
  const connectTimeout = owned ? (urlOptions.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) : 0;
  if (owned && (typeof connectTimeout !== 'number' || !(connectTimeout > 0) || connectTimeout > 600)) {
    throw validationError('connectTimeout', 'must be a number of seconds, more than 0 and at most 600');
  }

  let sqlPromise: Promise<PostgresSqlLike> | null = owned
    ? null
    : Promise.resolve((options as PostgresStorageWithSql).sql);
  let closed = false;
  const getSql = (): Promise<PostgresSqlLike> => {
    if (sqlPromise === null) {
      const { url, options: extraOptions } = urlOptions;
      sqlPromise = import('postgres').then(
        (mod) =>
          mod.default(url, {
            max,
            onnotice: () => {},
            // fail fast while the database is down: a bounded connect, and no growing back-off
            // between attempts (a call waits for a connection attempt, never for a restart)
            connect_timeout: connectTimeout,
            backoff: () => 0,
            ...extraOptions,
          }) as unknown as PostgresSqlLike,
        (cause: unknown) => {
          sqlPromise = null;
          throw new KeywardenError(
            'ERR_STORAGE',
            'the "postgres" package is not installed (npm i postgres)',
            {
              cause,
            },
          );
        },
      );
    }
    return sqlPromise;
  };

  const base = createSqlStorage({
    name: 'postgres',
    caller: postgresCaller(getSql, schema, { maxInFlight: max }),
    async init() {
      if (!runMigrations) return;
      await migrate(await getSql(), schema);
    },
    async close() {
      if (closed || !owned) return;
      closed = true;
      const pending = sqlPromise;
      if (pending) await (await pending).end({ timeout: 5 });
    },
  });
  return { ...base, name: 'postgres', schema };
}
