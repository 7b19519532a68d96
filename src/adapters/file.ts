/**
 * A durable file-backed {@link StorageAdapter}: an append-only, checksummed, fsync'd log with
 * periodic compaction into a snapshot, an inter-process write lock, private file modes, and a
 * documented crash-recovery rule. The default store of the `keywarden` CLI. See
 * docs/file-storage.md.
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError, validationError } from '../errors.js';
import { chainEvents } from '../internal/audit-chain.js';
import {
  addRows,
  checkUsageQuery,
  checkUsageRows,
  parseHourly,
  rowsOf,
  usageMetaKey,
} from '../internal/usage-rows.js';
import { parseInput } from '../internal/validate.js';
import type { AuditEvent, RecordKind, StorageAdapter } from '../ports/storage.js';
import { FileEngine } from './file/engine.js';
import { checkAuditInputs, checkRecord, dueRecords, listAuditEvents, listRecords } from './file/queries.js';
import { nameKey } from './in-memory/query.js';

/** Options of {@link fileStorage}. */
export interface FileStorageOptions {
  /** The store directory; created (mode 0700) if missing and `create` is true. One directory per store. */
  dir: string;
  /**
   * Open a store whose directory or files are readable or writable by group or others instead of
   * failing with `ERR_INSECURE_PERMISSIONS`. Default false. Only for file systems without POSIX modes.
   */
  allowInsecurePermissions?: boolean;
  /** How long a write waits for another process's write lock, in ms, before `ERR_LOCKED`. Default 10,000. */
  lockTimeout?: number;
  /**
   * Compact once the log holds at least this many entries and at least half as many bytes as the
   * snapshot (so compaction costs amortized O(1) per write). Default 1,000.
   */
  compactAfter?: number;
  /**
   * fdatasync each write before acknowledging it. Default true. `false` is UNSAFE: an acknowledged
   * write can be lost on power failure or an OS crash (never on a process crash). For tests only.
   */
  fsync?: boolean;
  /**
   * Create the store when `dir` holds none. Default false: opening a directory without a store is
   * `ERR_NOT_FOUND`, so a wrong path, or a store whose files were removed, is never silently
   * replaced by a new empty store. Pass true where a store is meant to be created (first run,
   * `keywarden init`, tests).
   */
  create?: boolean;
}

/** The adapter returned by {@link fileStorage}. */
export interface FileStorage extends StorageAdapter {
  readonly name: 'file';
  /** The store directory. */
  readonly dir: string;
  /** Loads the store, creating it when `create` is true (otherwise done by the first operation). Idempotent. */
  init(): Promise<void>;
  /** Closes file handles; a later operation reopens the store. Idempotent. */
  close(): Promise<void>;
}

const optionsSchema = z.object({
  dir: z.string().check(z.minLength(1)),
  allowInsecurePermissions: z.optional(z.boolean()),
  lockTimeout: z.optional(z.number().check(z.int(), z.gte(0), z.lte(3_600_000))),
  compactAfter: z.optional(z.number().check(z.int(), z.gte(1))),
  fsync: z.optional(z.boolean()),
  create: z.optional(z.boolean()),
});

const conflict = (what: string): KeywardenError =>
  new KeywardenError('ERR_CONFLICT', `the ${what} changed since it was read`);
const exists = (what: string): KeywardenError =>
  new KeywardenError('ERR_ALREADY_EXISTS', `a record with this ${what} already exists`);

/**
 * Creates a file storage adapter over `dir`. Nothing touches the disk until `init()` or the first
 * operation. Every write is appended to `dir/log` as one checksummed line and fdatasync'd before its
 * promise resolves; several processes may share the store (writes take a short-lived lock file, and
 * every operation first replays what other processes appended). Records returned are deeply frozen.
 * It has the optional `readMacs` (one fresh read of the stored MACs of up to 100 records), which
 * agent access's call cache uses.
 *
 * @example
 * ```ts
 * import { createKeyManager } from 'keywarden';
 * import { fileStorage } from 'keywarden/adapters/file';
 * import { localKms } from 'keywarden/kms';
 *
 * const km = createKeyManager({
 *   storage: fileStorage({ dir: '.keywarden', create: true }),
 *   kms: localKms({ masterKey: process.env.KEYWARDEN_MASTER_KEY! }),
 * });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options. Its methods throw
 *   `ERR_NOT_FOUND` (no store in `dir` and `create` is not true), `ERR_INTEGRITY` (the store
 *   marker, snapshot and log do not belong together: a log missing or replaced),
 *   `ERR_INSECURE_PERMISSIONS` (store open to group/others), `ERR_LOCKED` (lock wait timed out),
 *   `ERR_STORAGE` (I/O failure, or a corrupt store: see docs/file-storage.md), and
 *   `ERR_ALREADY_EXISTS` / `ERR_CONFLICT` / `ERR_NOT_FOUND` / `ERR_VALIDATION` as the port documents.
 */
export function fileStorage(options: FileStorageOptions): FileStorage {
  const o = parseInput(optionsSchema, options, 'options');
  const engine = new FileEngine({
    dir: o.dir,
    allowInsecurePermissions: o.allowInsecurePermissions ?? false,
    lockTimeout: o.lockTimeout ?? 10_000,
    staleLockAfter: 60_000,
    compactAfter: o.compactAfter ?? 1000,
    fsync: o.fsync ?? true,
    create: o.create ?? false,
  });

  return {
    name: 'file',
    dir: o.dir,
    init: () => engine.open(),
    close: () => engine.close(),

    get: (id) => engine.read((s) => s.get(id)),

    findByName: (name, where: { kind: RecordKind; environment: string; tenantId: string | null }) =>
      engine.read((s) => {
        const id = s.names.get(nameKey({ ...where, name }));
        return id === undefined ? null : s.get(id);
      }),

    list: (query) => engine.read((s) => listRecords(s, query)),

    async create(input) {
      const record = checkRecord(input);
      await engine.write((s) => {
        if (s.records.has(record.id)) throw exists('id');
        if (s.nameOwner(record, null) !== undefined) throw exists('name');
        return { change: { op: 'put', r: record }, result: undefined };
      });
    },

    async update(input, options) {
      const expected = options?.expectedRevision;
      if (!Number.isSafeInteger(expected)) throw validationError('expectedRevision', 'must be an integer');
      const record = checkRecord(input);
      await engine.write((s) => {
        const current = s.records.get(record.id);
        if (!current) throw new KeywardenError('ERR_NOT_FOUND', 'record not found');
        if (current.revision !== expected) throw conflict('record');
        if (record.revision !== (expected as number) + 1) {
          throw validationError('record.revision', 'must be expectedRevision + 1');
        }
        if (s.nameOwner(record, record.id) !== undefined) throw exists('name');
        return { change: { op: 'put', r: record }, result: undefined };
      });
    },

    delete: (id, options) =>
      engine.write((s) => {
        const current = s.records.get(id);
        if (!current) return { change: null, result: false };
        const expected = options?.expectedRevision;
        if (expected !== undefined && current.revision !== expected) throw conflict('record');
        return { change: { op: 'del', id }, result: true };
      }),

    dueForRotation: (before, limit) => engine.read((s) => dueRecords(s, before, limit)),

    async appendAudit(input) {
      const events = checkAuditInputs(input);
      if (events.length === 0) return;
      await engine.write((s) => {
        const chained: AuditEvent[] = chainEvents(s.auditTail(), events);
        return { change: { op: 'audit', e: chained }, result: undefined };
      });
    },

    listAudit: (query) => engine.read((s) => listAuditEvents(s, query)),

    getMeta: (key) => engine.read((s) => s.meta.get(key) ?? null),

    async addUsage(input) {
      const rows = checkUsageRows(input);
      if (rows.length === 0) return;
      // one log entry per batch, under the write lock: atomic and additive across processes
      await engine.write((s) => {
        const changed = addRows(rows, (id) => parseHourly(s.meta.get(usageMetaKey(id))));
        const m: [string, string][] = [...changed].map(([id, c]) => [usageMetaKey(id), JSON.stringify(c)]);
        return { change: { op: 'metas', m }, result: undefined };
      });
    },

    async readMacs(ids) {
      if (!Array.isArray(ids) || ids.length > 100) {
        throw validationError('ids', 'must be an array of at most 100 ids');
      }
      const list = [...ids];
      // the same fresh read as `get` (another process's append is replayed first), one for all ids
      return engine.read((s) =>
        list.map((id) => {
          const mac = typeof id === 'string' ? s.get(id)?.mac : undefined;
          return typeof mac === 'string' ? mac : null;
        }),
      );
    },

    listUsage: (query) =>
      engine.read((s) => {
        const q = checkUsageQuery(query);
        return rowsOf(parseHourly(s.meta.get(usageMetaKey(q.recordId))), q);
      }),

    async setMeta(key, value, options) {
      if (typeof key !== 'string' || typeof value !== 'string') {
        throw validationError(typeof key !== 'string' ? 'key' : 'value', 'must be a string');
      }
      await engine.write((s) => {
        if (options?.expected !== undefined && (s.meta.get(key) ?? null) !== options.expected) {
          throw conflict('metadata value');
        }
        return { change: { op: 'meta', k: key, v: value }, result: undefined };
      });
    },
  };
}
