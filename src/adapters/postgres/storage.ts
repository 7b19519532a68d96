/**
 * The StorageAdapter both SQL adapters share: argument checks, cursors and result decoding on top
 * of a {@link SqlCaller} that runs one SQL function. The Postgres adapter calls through the
 * `postgres` driver; the Supabase adapter through `client.rpc`. Portable: no Node built-ins.
 * @internal
 * @module
 */
import { KeywardenError, validationError } from '../../errors.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../../internal/bytes.js';
import { checkUsageQuery, checkUsageRows } from '../../internal/usage-rows.js';
import { isWellFormedString, NOT_WELL_FORMED } from '../../internal/validate.js';
import type {
  AuditEvent,
  AuditEventInput,
  AuditQuery,
  ListQuery,
  Page,
  StorageAdapter,
  StoredRecord,
} from '../../ports/storage.js';
import type { UsageRow } from '../../ports/usage.js';
import { SCHEMA_VERSION, SQL_FUNCTIONS, type SqlFunctionSpec, sqlError } from './functions.js';

/** Runs one SQL function with named arguments and returns its decoded result. */
export interface SqlCaller {
  /**
   * Calls `spec` with `args` (keys are the parameter names; JSON arguments are plain values).
   * Resolves with the decoded result (JSON value, string, boolean, or null for void); rejects with
   * the driver's error, which carries the SQLSTATE as `code`.
   */
  call(spec: SqlFunctionSpec, args: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/** Lifecycle hooks of a concrete SQL adapter. */
export interface SqlStorageHooks {
  name: string;
  caller: SqlCaller;
  init(): Promise<void>;
  close(): Promise<void>;
}

const CURSOR_RECORDS = 'r1';
const CURSOR_AUDIT = 'a1';

function encodeCursor(parts: unknown[]): string {
  return toBase64Url(utf8Encode(JSON.stringify(parts)));
}

function decodeCursor(cursor: unknown, tag: string): unknown[] {
  const bad = (): KeywardenError => validationError('cursor', 'is not a cursor from this adapter');
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096) throw bad();
  let parts: unknown;
  try {
    parts = JSON.parse(utf8Decode(fromBase64Url(cursor)));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parts) || parts[0] !== tag) throw bad();
  return parts;
}

function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw validationError('limit', 'must be an integer from 1 to 1000');
  }
  return limit;
}

function checkRecord(record: unknown, field: string): StoredRecord {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw validationError(field, 'must be a record object');
  }
  const r = record as Record<string, unknown>;
  if (typeof r['id'] !== 'string' || r['id'] === '') throw validationError(`${field}.id`, 'must be a string');
  if (!Number.isSafeInteger(r['revision'])) throw validationError(`${field}.revision`, 'must be an integer');
  return record as StoredRecord;
}

const nullable = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** SQLSTATE / PostgREST codes meaning "no such function". */
const NO_FUNCTION = new Set(['42883', 'PGRST202']);

function codeOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

/**
 * Checks the schema an adapter is about to use: its version is the one this library implements
 * (older: run the migration; newer: upgrade keywarden), and every function the adapter calls
 * exists.
 *
 * @example
 * ```ts
 * declare const caller: SqlCaller;
 * await checkSchema(caller); // in init()
 * ```
 * @throws KeywardenError `ERR_STORAGE` naming what is wrong; the caller's own errors otherwise.
 */
export async function checkSchema(caller: SqlCaller): Promise<void> {
  let version: unknown;
  try {
    version = await caller.call(SQL_FUNCTIONS.schemaVersion, {});
  } catch (error) {
    if (NO_FUNCTION.has(codeOf(error))) {
      throw new KeywardenError(
        'ERR_STORAGE',
        'storage init failed: the keywarden migration is not applied (see `keywarden sql`)',
        { cause: error },
      );
    }
    throw error;
  }
  const v = Number(version);
  if (!Number.isInteger(v) || v < SCHEMA_VERSION) {
    throw new KeywardenError(
      'ERR_STORAGE',
      `storage init failed: the keywarden schema is version ${String(version)}, ${SCHEMA_VERSION} is needed (see \`keywarden sql\`)`,
    );
  }
  if (v > SCHEMA_VERSION) {
    throw new KeywardenError(
      'ERR_STORAGE',
      `storage init failed: the keywarden schema is version ${v}, newer than this library (${SCHEMA_VERSION}); upgrade keywarden`,
    );
  }
  const names = Object.values(SQL_FUNCTIONS).map((spec) => spec.name);
  let missing: unknown;
  try {
    missing = await caller.call(SQL_FUNCTIONS.missingFunctions, { p_names: names });
  } catch (error) {
    if (!NO_FUNCTION.has(codeOf(error))) throw error;
    missing = [SQL_FUNCTIONS.missingFunctions.name];
  }
  if (!Array.isArray(missing)) {
    throw new KeywardenError(
      'ERR_STORAGE',
      'storage init failed: the schema check returned an unexpected result',
    );
  }
  if (missing.length > 0) {
    const list = missing.filter((n): n is string => typeof n === 'string' && /^keywarden_[a-z_]+$/.test(n));
    throw new KeywardenError(
      'ERR_STORAGE',
      `storage init failed: the keywarden schema is missing function(s) ${list.join(', ')} (re-run the migration)`,
    );
  }
}

function asArray<T>(value: unknown, operation: string): T[] {
  if (!Array.isArray(value)) {
    throw new KeywardenError('ERR_STORAGE', `storage ${operation} returned an unexpected result`);
  }
  return value as T[];
}

/**
 * Builds a {@link StorageAdapter} over SQL functions.
 *
 * @example
 * ```ts
 * declare const caller: SqlCaller;
 * declare const init: () => Promise<void>;
 * declare const close: () => Promise<void>;
 * const storage = createSqlStorage({ name: 'postgres', caller, init, close });
 * ```
 * @throws never itself; its methods throw `KeywardenError` (`ERR_STORAGE` for infrastructure).
 */
export function createSqlStorage(hooks: SqlStorageHooks): StorageAdapter {
  const F = SQL_FUNCTIONS;
  const run = async (operation: string, spec: SqlFunctionSpec, args: Record<string, unknown>) => {
    for (const [name, type] of spec.args) {
      const v = args[name];
      if (type === 'text' && typeof v === 'string' && !isWellFormedString(v)) {
        throw validationError(name.replace(/^p_/, ''), NOT_WELL_FORMED);
      }
    }
    try {
      return await hooks.caller.call(spec, args);
    } catch (error) {
      throw sqlError(error, operation);
    }
  };

  const storage: StorageAdapter = {
    name: hooks.name,
    async init() {
      try {
        await hooks.init();
        await checkSchema(hooks.caller);
      } catch (error) {
        throw sqlError(error, 'init');
      }
    },
    async close() {
      try {
        await hooks.close();
      } catch (error) {
        throw sqlError(error, 'close');
      }
    },

    async get(id) {
      return ((await run('get', F.get, { p_id: id })) as StoredRecord | null) ?? null;
    },

    async readMacs(ids) {
      if (!Array.isArray(ids) || ids.length > 100 || ids.some((id) => typeof id !== 'string')) {
        throw validationError('ids', 'must be an array of at most 100 ids');
      }
      if (ids.length === 0) return [];
      const out = asArray<unknown>(await run('readMacs', F.readMacs, { p_ids: ids }), 'readMacs');
      if (out.length !== ids.length || !out.every((m) => m === null || typeof m === 'string')) {
        throw new KeywardenError('ERR_STORAGE', 'storage readMacs returned an unexpected result');
      }
      return out as (string | null)[];
    },

    async findByName(name, where) {
      const found = await run('findByName', F.findByName, {
        p_kind: where.kind,
        p_environment: where.environment,
        p_name: name,
        p_tenant_id: where.tenantId,
      });
      return (found as StoredRecord | null) ?? null;
    },

    async list(query: ListQuery): Promise<Page<StoredRecord>> {
      const limit = checkLimit(query.limit);
      let after: [number, string] | null = null;
      if (query.cursor !== undefined) {
        const parts = decodeCursor(query.cursor, CURSOR_RECORDS);
        if (parts.length !== 3 || typeof parts[1] !== 'number' || typeof parts[2] !== 'string') {
          throw validationError('cursor', 'is not a cursor from this adapter');
        }
        after = [parts[1], parts[2]];
      }
      const result = await run('list', F.list, {
        p_limit: limit + 1,
        p_kind: nullable(query.kind),
        p_any_tenant: query.tenantId === undefined,
        p_tenant_id: nullable(query.tenantId),
        p_environment: nullable(query.environment),
        p_status: nullable(query.status),
        p_owner_id: nullable(query.ownerId),
        p_tag: nullable(query.tag),
        p_provider: nullable(query.provider),
        p_name: nullable(query.name),
        p_after_created_at: after ? after[0] : null,
        p_after_id: after ? after[1] : null,
      });
      const rows = asArray<StoredRecord>(result, 'list');
      if (rows.length <= limit) return { items: rows };
      const items = rows.slice(0, limit);
      const last = items[items.length - 1]!;
      return { items, cursor: encodeCursor([CURSOR_RECORDS, last.createdAt, last.id]) };
    },

    async create(record) {
      checkRecord(record, 'record');
      await run('create', F.create, { p_record: record });
    },

    async update(record, options) {
      checkRecord(record, 'record');
      const expected = options?.expectedRevision;
      if (!Number.isSafeInteger(expected)) {
        throw validationError('expectedRevision', 'must be an integer');
      }
      if (record.revision !== (expected as number) + 1) {
        throw validationError('record.revision', 'must be expectedRevision + 1');
      }
      await run('update', F.update, { p_record: record, p_expected_revision: expected });
    },

    async delete(id, options) {
      const expected = options?.expectedRevision;
      if (expected !== undefined && !Number.isSafeInteger(expected)) {
        throw validationError('expectedRevision', 'must be an integer');
      }
      const deleted = await run('delete', F.delete, { p_id: id, p_expected_revision: nullable(expected) });
      return deleted === true;
    },

    async dueForRotation(before, limit) {
      if (typeof before !== 'number' || Number.isNaN(before))
        throw validationError('before', 'must be a number');
      if (!Number.isSafeInteger(limit) || limit < 0)
        throw validationError('limit', 'must be an integer >= 0');
      if (limit === 0) return [];
      const result = await run('dueForRotation', F.dueForRotation, {
        p_before: Math.min(before, Number.MAX_VALUE),
        p_limit: limit,
      });
      return asArray<StoredRecord>(result, 'dueForRotation');
    },

    async appendAudit(events: AuditEventInput[]) {
      if (!Array.isArray(events)) throw validationError('events', 'must be an array');
      if (events.length === 0) return;
      await run('appendAudit', F.appendAudit, { p_events: events });
    },

    async listAudit(query: AuditQuery): Promise<Page<AuditEvent>> {
      const limit = checkLimit(query.limit);
      let afterSeq = query.afterSeq ?? 0;
      if (query.cursor !== undefined) {
        const parts = decodeCursor(query.cursor, CURSOR_AUDIT);
        if (parts.length !== 2 || !Number.isSafeInteger(parts[1])) {
          throw validationError('cursor', 'is not a cursor from this adapter');
        }
        afterSeq = Math.max(afterSeq, parts[1] as number);
      }
      const result = await run('listAudit', F.listAudit, {
        p_limit: limit + 1,
        p_key_id: nullable(query.keyId),
        p_type: nullable(query.type),
        p_since: nullable(query.since),
        p_until: nullable(query.until),
        p_after_seq: afterSeq,
      });
      type Row = { e: AuditEventInput; seq: number; prevHash: string; hash: string };
      const rows = asArray<Row>(result, 'listAudit').map(
        (r): AuditEvent => ({ ...r.e, seq: Number(r.seq), prevHash: r.prevHash, hash: r.hash }),
      );
      if (rows.length <= limit) return { items: rows };
      const items = rows.slice(0, limit);
      return { items, cursor: encodeCursor([CURSOR_AUDIT, items[items.length - 1]!.seq]) };
    },

    async getMeta(key) {
      const value = await run('getMeta', F.getMeta, { p_key: key });
      return typeof value === 'string' ? value : null;
    },

    async setMeta(key, value, options) {
      const check = options !== undefined && options.expected !== undefined;
      await run('setMeta', F.setMeta, {
        p_key: key,
        p_value: value,
        p_check: check,
        p_expected: check ? (options?.expected ?? null) : null,
      });
    },

    async addUsage(input) {
      const rows = checkUsageRows(input);
      if (rows.length === 0) return;
      await run('addUsage', F.addUsage, { p_rows: rows });
    },

    async listUsage(query) {
      const q = checkUsageQuery(query);
      const result = await run('listUsage', F.listUsage, {
        p_record_id: q.recordId,
        p_from: q.from,
        p_to: q.to,
      });
      return asArray<UsageRow>(result, 'listUsage').map((r) => ({
        recordId: String(r.recordId),
        bucket: Number(r.bucket),
        valid: Number(r.valid),
        failed: Number(r.failed),
      }));
    },
  };
  return storage;
}
