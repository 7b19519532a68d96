/**
 * Runs the keywarden SQL functions through the `postgres` driver (porsager/postgres), and applies
 * the migrations. Typed structurally, so a user's own `sql` instance of any 3.x version fits.
 * @internal
 * @module
 */
import type { SqlArgType, SqlFunctionSpec } from './functions.js';
import { MIGRATIONS } from './migrations.js';
import type { SqlCaller } from './storage.js';

/** A pending query of the driver: awaitable, and switchable to the simple protocol. */
export interface PostgresQuery extends PromiseLike<readonly Record<string, unknown>[]> {
  simple(): PromiseLike<unknown>;
}

/** The slice of a `postgres` transaction that keywarden uses. */
export interface PostgresTransactionLike {
  /** Runs `query` with `$1...` `parameters` inside the transaction (used by the migrations). */
  unsafe(query: string, parameters?: unknown[]): PostgresQuery;
}

/**
 * The slice of a `postgres` (porsager, v3) `Sql` instance that keywarden uses: `sql.unsafe`,
 * `sql.begin` and `sql.end`.
 */
export interface PostgresSqlLike {
  /** Runs `query` with `$1...` `parameters` (every keywarden SQL function call goes through it). */
  unsafe(query: string, parameters?: unknown[]): PostgresQuery;
  /** Runs `cb` in a transaction (the migrations, under an advisory lock). */
  begin(cb: (tx: PostgresTransactionLike) => Promise<unknown>): Promise<unknown>;
  /** Closes the pool, waiting at most `timeout` seconds; called by `close()` only on a pool the adapter created. */
  end(options?: { timeout?: number }): Promise<void>;
}

const CASTS: Record<SqlArgType, string> = {
  text: 'text',
  bigint: 'bigint',
  float8: 'double precision',
  integer: 'integer',
  boolean: 'boolean',
  json: 'text::json',
};

/**
 * The server ended the session (shutdown, restart, `pg_terminate_backend`): the statement's
 * transaction did not commit, and the driver drops that connection. Retried on another connection.
 */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);
/** The connection broke; the statement may or may not have run. Retried only for reads. */
const CONNECTION_LOST = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'ECONNRESET',
  'EPIPE',
  '08000',
  '08003',
  '08006',
]);
/** Functions that change nothing (a retry cannot apply anything twice). */
const READS = new Set([
  'keywarden_get',
  'keywarden_find_by_name',
  'keywarden_list',
  'keywarden_due_for_rotation',
  'keywarden_list_audit',
  'keywarden_get_meta',
  'keywarden_read_macs',
  'keywarden_schema_version',
]);
/** Never retried: appending twice would duplicate events. */
const NO_RETRY = new Set(['keywarden_append_audit']);
/** Attempts after a stale connection: each failed one discards a stale connection of the pool. */
const MAX_ATTEMPTS = 4;
/** No connection could be made: nothing was sent, every call waiting for a slot is refused too. */
const UNREACHABLE = new Set([
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ETIMEDOUT',
  '57P03',
]);

/**
 * At most `limit` calls in the driver at once (the pool size), so the driver never queues a call
 * behind a connection attempt (it would run whenever the database comes back, long after the
 * caller gave up). Calls over the limit wait here, and are all rejected with the error of a call
 * that could not connect: while the database is down nothing waits for a restart.
 */
function createGate(limit: number) {
  let active = 0;
  const waiting: { resolve(): void; reject(e: unknown): void }[] = [];
  return {
    async enter(): Promise<void> {
      if (active < limit) {
        active++;
        return;
      }
      await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    leave(error?: unknown): void {
      if (error !== undefined && UNREACHABLE.has(codeOf(error))) {
        for (const w of waiting.splice(0)) w.reject(error);
      }
      const next = waiting.shift();
      if (next) next.resolve();
      else active--;
    },
  };
}

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

function retryable(spec: SqlFunctionSpec, error: unknown): boolean {
  if (NO_RETRY.has(spec.name)) return false;
  const code = codeOf(error);
  return SESSION_ENDED.has(code) || (READS.has(spec.name) && CONNECTION_LOST.has(code));
}

/**
 * `"name"`, with embedded quotes doubled.
 *
 * @example
 * ```ts
 * quoteIdent('my"schema'); // '"my""schema"'
 * ```
 * @throws never
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A {@link SqlCaller} over a driver instance: one prepared statement per function,
 * `select "schema".fn(p_a => $1::type, ...)::text`, decoded here (so a custom `types` or
 * `transform` option on the user's instance cannot change what keywarden reads).
 * After a database restart, pooled connections to the old server fail once each: a call that
 * failed because the server ended its session (SQLSTATE 57P01-57P03, so nothing was committed)
 * is retried at once on another connection, as is a read that lost its connection. At most
 * `maxInFlight` calls (the pool size) are in the driver at once; see `createGate`.
 *
 * @example
 * ```ts
 * declare const sql: PostgresSqlLike;
 * const caller = postgresCaller(async () => sql, 'public');
 * ```
 * @throws never itself; `call` rejects with the driver's error.
 */
export function postgresCaller(
  getSql: () => Promise<PostgresSqlLike>,
  schema: string,
  options: { maxInFlight?: number } = {},
): SqlCaller {
  const gate = createGate(options.maxInFlight ?? 1000);
  const texts = new Map<string, string>();
  const queryText = (spec: SqlFunctionSpec): string => {
    let text = texts.get(spec.name);
    if (text === undefined) {
      const args = spec.args.map(([name, type], i) => `${name} => $${i + 1}::${CASTS[type]}`).join(', ');
      const call = `${quoteIdent(schema)}.${spec.name}(${args})`;
      text = spec.result === 'void' ? `select ${call} as r` : `select ${call}::text as r`;
      texts.set(spec.name, text);
    }
    return text;
  };
  return {
    async call(spec, args) {
      const params = spec.args.map(([name, type]) => {
        const v = args[name];
        if (v === undefined || v === null) return null;
        return type === 'json' ? JSON.stringify(v) : v;
      });
      const sql = await getSql();
      let rows: readonly Record<string, unknown>[] = [];
      await gate.enter();
      let failure: unknown;
      try {
        for (let attempt = 1; ; attempt++) {
          try {
            rows = await sql.unsafe(queryText(spec), params);
            break;
          } catch (error) {
            if (attempt >= MAX_ATTEMPTS || !retryable(spec, error)) throw error;
          }
        }
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        gate.leave(failure);
      }
      const value = rows[0]?.['r'];
      if (value === null || value === undefined) return null;
      switch (spec.result) {
        case 'json':
          return JSON.parse(String(value));
        case 'boolean':
          return value === 'true' || value === true;
        case 'text':
          return String(value);
        default:
          return null;
      }
    },
  };
}

/**
 * Applies the migrations not yet recorded in `schema.keywarden_migrations`, in one transaction
 * under a transaction-level advisory lock (so instances starting together apply them once).
 * Fast path without a lock when the schema is current.
 *
 * @example
 * ```ts
 * declare const sql: PostgresSqlLike;
 * await migrate(sql, 'public');
 * ```
 * @throws the driver's error (the caller maps it to `ERR_STORAGE`).
 */
export async function migrate(sql: PostgresSqlLike, schema: string): Promise<void> {
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if ((await appliedVersion(sql, schema)) >= latest) return;
  await sql.begin(async (tx) => {
    await tx.unsafe('select pg_advisory_xact_lock(hashtext($1::text))', [`keywarden:migrate:${schema}`]);
    const exists = await tx.unsafe('select to_regnamespace($1::text) is not null as e', [quoteIdent(schema)]);
    if (exists[0]?.['e'] !== true) await tx.unsafe(`create schema ${quoteIdent(schema)}`);
    await tx.unsafe(`select set_config('search_path', $1::text, true)`, [
      `${quoteIdent(schema)}, pg_catalog`,
    ]);
    const applied = await appliedVersion(tx, schema);
    for (const m of MIGRATIONS) {
      if (m.version > applied) await tx.unsafe(m.sql).simple();
    }
  });
}

async function appliedVersion(sql: PostgresTransactionLike, schema: string): Promise<number> {
  const table = `${quoteIdent(schema)}.keywarden_migrations`;
  const found = await sql.unsafe('select to_regclass($1::text) is not null as e', [table]);
  if (found[0]?.['e'] !== true) return 0;
  const rows = await sql.unsafe(`select coalesce(max(version), 0)::int as v from ${table}`);
  return Number(rows[0]?.['v'] ?? 0);
}
