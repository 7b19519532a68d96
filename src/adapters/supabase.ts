/**
 * A {@link StorageAdapter} on Supabase: the same SQL functions as the Postgres adapter, called
 * through `client.rpc()` (PostgREST). The client is typed structurally: pass a `@supabase/supabase-js`
 * client (or anything with a compatible `rpc`); keywarden imports nothing from supabase-js.
 * Row-level security applies: with the service role the adapter sees everything, with a user's JWT
 * only the records of the JWT's `tenant_id` claim. See docs/supabase.md.
 * @module
 */
import { validationError } from '../errors.js';
import type { StorageAdapter } from '../ports/storage.js';
import { migrationSql, SCHEMA_VERSION } from './postgres/functions.js';
import { createSqlStorage, type SqlCaller } from './postgres/storage.js';

export { migrationSql, SCHEMA_VERSION };

/** The error object PostgREST clients return; `code` is the SQLSTATE (or a `PGRST...` code). */
export interface SupabaseRpcError {
  /** SQLSTATE or PostgREST code (e.g. `'23505'`, `'PGRST202'`); the adapter maps it to a keywarden code. */
  code?: string;
  /** The server's message. */
  message?: string;
}

/** What `rpc()` resolves to. */
export interface SupabaseRpcResult {
  /** The function's result (JSON); ignored when `error` is set. */
  data: unknown;
  /** The failure, or null on success. */
  error: SupabaseRpcError | null;
}

/**
 * Anything with a supabase-js compatible `rpc(fn, args)`; `schema(name)` is used when the
 * adapter's `schema` option is set.
 */
export interface SupabaseRpcClient {
  /** Calls the Postgres function `fn` (a `keywarden_*` function) with named `args`. */
  rpc(fn: string, args?: Record<string, unknown>): PromiseLike<SupabaseRpcResult>;
  /** A client bound to `schema` (supabase-js `client.schema(name)`), used when the `schema` option is set. */
  schema?(schema: string): {
    /** Calls the function `fn` in that schema. */
    rpc(fn: string, args?: Record<string, unknown>): PromiseLike<SupabaseRpcResult>;
  };
}

/** Options of {@link supabaseStorage}. */
export interface SupabaseStorageOptions {
  /** A supabase-js client (service role key for a trusted server; a user's JWT for tenant scope). */
  client: SupabaseRpcClient;
  /**
   * The schema the migration was applied to, when not the client's default (`public`). It must be
   * listed in the project's exposed schemas (API settings).
   */
  schema?: string;
}

/** The adapter returned by {@link supabaseStorage}. */
export interface SupabaseStorage extends StorageAdapter {
  readonly name: 'supabase';
}

/** An error whose `code` is the PostgREST error's code (the SQLSTATE). */
class RpcFailure extends Error {
  readonly code: string;
  constructor(error: SupabaseRpcError) {
    super(typeof error.message === 'string' ? error.message : 'rpc failed');
    this.name = 'RpcFailure';
    this.code = typeof error.code === 'string' ? error.code : '';
  }
}

/**
 * Creates a Supabase storage adapter. Apply the migration first (`keywarden sql` prints it; save it
 * under `supabase/migrations/`). `init()` checks the schema version and the functions, and fails
 * with `ERR_STORAGE` if the migration is missing, outdated, newer than this library, or a function
 * is missing (named in the message).
 *
 * @example
 * ```ts
 * import { createClient } from '@supabase/supabase-js';
 * import { supabaseStorage } from 'keywarden/adapters/supabase';
 * const client = createClient(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!);
 * const km = createKeyManager({ storage: supabaseStorage({ client }), kms });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` when `client` has no `rpc`. Its methods throw `ERR_STORAGE`
 *   when the API or database fails, and `ERR_ALREADY_EXISTS`, `ERR_CONFLICT`, `ERR_NOT_FOUND`,
 *   `ERR_VALIDATION` as the storage port documents (mapped from `error.code`, never HTTP status).
 */
export function supabaseStorage(options: SupabaseStorageOptions): SupabaseStorage {
  const client = options?.client;
  if (typeof client !== 'object' || client === null || typeof client.rpc !== 'function') {
    throw validationError('client', 'must have an rpc(fn, args) method');
  }
  const schema = options.schema;
  if (schema !== undefined && (typeof schema !== 'string' || schema === '')) {
    throw validationError('schema', 'must be a non-empty string');
  }
  if (schema !== undefined && typeof client.schema !== 'function') {
    throw validationError('client', 'must have a schema(name) method when the schema option is set');
  }
  const target = schema === undefined ? client : client.schema!(schema);

  const caller: SqlCaller = {
    async call(spec, args) {
      const { data, error } = await target.rpc(spec.name, { ...args });
      if (error) throw new RpcFailure(error);
      if (data === null || data === undefined) return null;
      return spec.result === 'void' ? null : data;
    },
  };

  const base = createSqlStorage({
    name: 'supabase',
    caller,
    async init() {
      // the schema version and the functions are checked by the shared SQL storage
    },
    async close() {},
  });
  return { ...base, name: 'supabase' };
}
