/**
 * The SQL functions of the keywarden schema as both SQL adapters call them (the Postgres driver by
 * named notation, Supabase through `rpc`), and the mapping of their errors to `KeywardenError`.
 * Portable: no Node built-ins.
 * @internal
 * @module
 */
import { KeywardenError, type KeywardenErrorCode } from '../../errors.js';
import { MIGRATIONS } from './migrations.js';

/** A parameter's SQL type. `json` arguments are passed as JSON values (objects, arrays). */
export type SqlArgType = 'text' | 'bigint' | 'float8' | 'integer' | 'boolean' | 'json';

/** What a function returns, decoded: a JSON value, a string, a boolean, or nothing. */
export type SqlResultType = 'json' | 'text' | 'boolean' | 'void';

/** One SQL function: its name, its named parameters in order, and its result. */
export interface SqlFunctionSpec {
  readonly name: string;
  readonly args: readonly (readonly [name: string, type: SqlArgType])[];
  readonly result: SqlResultType;
}

const fn = (
  name: string,
  result: SqlResultType,
  ...args: (readonly [string, SqlArgType])[]
): SqlFunctionSpec => ({ name, args, result });

/**
 * Every function an adapter calls, by operation.
 *
 * @example
 * ```ts
 * declare const caller: SqlCaller;
 * await caller.call(SQL_FUNCTIONS.get, { p_id: 'abc' });
 * ```
 */
export const SQL_FUNCTIONS = {
  get: fn('keywarden_get', 'json', ['p_id', 'text']),
  findByName: fn(
    'keywarden_find_by_name',
    'json',
    ['p_kind', 'text'],
    ['p_environment', 'text'],
    ['p_name', 'text'],
    ['p_tenant_id', 'text'],
  ),
  list: fn(
    'keywarden_list',
    'json',
    ['p_limit', 'integer'],
    ['p_kind', 'text'],
    ['p_any_tenant', 'boolean'],
    ['p_tenant_id', 'text'],
    ['p_environment', 'text'],
    ['p_status', 'text'],
    ['p_owner_id', 'text'],
    ['p_tag', 'text'],
    ['p_provider', 'text'],
    ['p_name', 'text'],
    ['p_after_created_at', 'float8'],
    ['p_after_id', 'text'],
  ),
  create: fn('keywarden_create', 'void', ['p_record', 'json']),
  update: fn('keywarden_update', 'void', ['p_record', 'json'], ['p_expected_revision', 'bigint']),
  delete: fn('keywarden_delete', 'boolean', ['p_id', 'text'], ['p_expected_revision', 'bigint']),
  dueForRotation: fn('keywarden_due_for_rotation', 'json', ['p_before', 'float8'], ['p_limit', 'integer']),
  appendAudit: fn('keywarden_append_audit', 'void', ['p_events', 'json']),
  listAudit: fn(
    'keywarden_list_audit',
    'json',
    ['p_limit', 'integer'],
    ['p_key_id', 'text'],
    ['p_type', 'text'],
    ['p_since', 'float8'],
    ['p_until', 'float8'],
    ['p_after_seq', 'bigint'],
  ),
  getMeta: fn('keywarden_get_meta', 'text', ['p_key', 'text']),
  setMeta: fn(
    'keywarden_set_meta',
    'void',
    ['p_key', 'text'],
    ['p_value', 'text'],
    ['p_check', 'boolean'],
    ['p_expected', 'text'],
  ),
  addUsage: fn('keywarden_add_usage', 'void', ['p_rows', 'json']),
  listUsage: fn(
    'keywarden_list_usage',
    'json',
    ['p_record_id', 'text'],
    ['p_from', 'float8'],
    ['p_to', 'float8'],
  ),
  readMacs: fn('keywarden_read_macs', 'json', ['p_ids', 'json']),
  schemaVersion: fn('keywarden_schema_version', 'text'),
  missingFunctions: fn('keywarden_missing_functions', 'json', ['p_names', 'json']),
} as const satisfies Record<string, SqlFunctionSpec>;

/**
 * The schema version this build of keywarden expects (the last migration's version).
 *
 * @example
 * ```ts
 * declare const applied: number; // keywarden_schema_version() of the database
 * if (applied < SCHEMA_VERSION) console.log('run `keywarden sql` and apply it');
 * ```
 */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * The full migration SQL (every migration in order, each idempotent), as `keywarden sql` prints it
 * and as Supabase users save it under `supabase/migrations/`.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { migrationSql } from 'keywarden/adapters/supabase';
 * await writeFile('supabase/migrations/20260101000000_keywarden.sql', migrationSql());
 * ```
 * @throws never
 */
export function migrationSql(): string {
  return MIGRATIONS.map((m) => m.sql).join('\n');
}

const SQLSTATE_CODES: Readonly<Record<string, KeywardenErrorCode>> = {
  KW404: 'ERR_NOT_FOUND',
  KW409: 'ERR_CONFLICT',
  KW410: 'ERR_ALREADY_EXISTS',
  KW422: 'ERR_VALIDATION',
  '23505': 'ERR_ALREADY_EXISTS', // unique_violation (a raced rename)
  '40001': 'ERR_CONFLICT', // serialization_failure
  '40P01': 'ERR_CONFLICT', // deadlock_detected
};

/** Reads a string property without trusting the shape of `value`. */
function prop(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Maps a driver or PostgREST error to a `KeywardenError` by its SQLSTATE (`code`), never by message
 * text or HTTP status. The cause keeps only name, code and message (no query parameters, which
 * may hold records).
 *
 * @example
 * ```ts
 * declare const call: () => Promise<unknown>;
 * try { await call() } catch (e) { throw sqlError(e, 'update') }
 * ```
 * @throws never (returns the error)
 */
export function sqlError(error: unknown, operation: string): KeywardenError {
  if (error instanceof KeywardenError) return error;
  const code = prop(error, 'code') ?? '';
  const mapped = SQLSTATE_CODES[code] ?? 'ERR_STORAGE';
  const cause = new Error(prop(error, 'message') ?? 'unknown error');
  cause.name = prop(error, 'name') ?? 'Error';
  (cause as Error & { code?: string }).code = code;
  const what: Record<KeywardenErrorCode, string> = {
    ERR_NOT_FOUND: 'record not found',
    ERR_CONFLICT: 'the record changed since it was read (revision conflict)',
    ERR_ALREADY_EXISTS: 'a record with this id or unique name already exists',
    ERR_VALIDATION: 'invalid input',
  } as Record<KeywardenErrorCode, string>;
  const message =
    mapped === 'ERR_STORAGE'
      ? `storage ${operation} failed${code ? ` (${code})` : ''}`
      : `storage ${operation}: ${what[mapped]}`;
  return new KeywardenError(mapped, message, { cause });
}
