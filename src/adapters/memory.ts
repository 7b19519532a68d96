/**
 * An in-memory {@link StorageAdapter}: for tests, demos and single-process use. Data lives in the
 * process and is gone when it exits.
 * @module
 */

import { KeywardenError, validationError } from '../errors.js';
import { chainEvents } from '../internal/audit-chain.js';
import { frozenData } from '../internal/canonical-json.js';
import { registerSyncRead } from '../internal/sync-reads.js';
import {
  addRows,
  checkUsageQuery,
  checkUsageRows,
  type HourlyCounts,
  rowsOf,
} from '../internal/usage-rows.js';
import { RECORD_KINDS } from '../ports/names.js';
import type { AuditEvent, AuditEventInput, Page, StorageAdapter, StoredRecord } from '../ports/storage.js';
import {
  badCursor,
  checkLimit,
  compareKey,
  decodeCursor,
  encodeCursor,
  matchesAuditQuery,
  matchesListQuery,
  nameKey,
  upperBound,
} from './in-memory/query.js';

/** The adapter returned by {@link memoryStorage}: a {@link StorageAdapter} plus test helpers. */
export interface MemoryStorage extends StorageAdapter {
  readonly name: 'memory';
  /** A no-op: the store is ready when created. */
  init(): Promise<void>;
  /** A no-op that keeps the data, so the same store can be used again (e.g. to simulate a restart). */
  close(): Promise<void>;
  /** Number of records held. */
  readonly size: number;
}

const KINDS: ReadonlySet<unknown> = new Set<unknown>(RECORD_KINDS);
const STATUSES: ReadonlySet<unknown> = new Set(['active', 'disabled', 'revoked', 'expired']);
const invalid = (field: string, what: string): KeywardenError => validationError(field, `must be ${what}`);

// every empty array and object stored is this one frozen value (a record holds several: tags,
// meta, a version's data, an audit row's context), so an empty member costs no allocation
const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);
const EMPTY_OBJECT: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Short lists of short strings stored by one adapter (scopes, tags), one frozen array per distinct
 * content: a key's scopes are in its record and in its `key.created` row, and most keys of an
 * application share a few scope lists. Bounded: emptied when it holds {@link MAX_SHARED_LISTS}.
 */
type Lists = Map<string, readonly string[]>;
const MAX_SHARED_LISTS = 1024;

/** The shared frozen copy of `value` when it is at most 8 strings of at most 64 characters. */
function sharedList(value: readonly unknown[], lists: Lists): readonly string[] | undefined {
  if (value.length > 8) return undefined;
  let key = '';
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'string' || v.length > 64) return undefined;
    key += `${v.length}:${v}`; // length-prefixed: no two lists share a key
  }
  let list = lists.get(key);
  if (list === undefined) {
    if (lists.size >= MAX_SHARED_LISTS) lists.clear();
    const copy: string[] = [];
    for (let i = 0; i < value.length; i++) copy.push(flat(value[i] as string));
    list = Object.freeze(copy);
    lists.set(key, list);
  }
  return list;
}

/** Where {@link flat} puts the character it reads, so no compiler drops the read. */
const flatRead = { last: 0 };
/**
 * Returns `s` flattened: a string built piece by piece (`out += hex[b]`, as hex and base64 encoders
 * do) is a chain of one rope node per piece (~1 KB for a 64-character hash) until something reads
 * its characters; reading one makes V8 copy it into one flat buffer and drop the chain. Short
 * strings are left alone: they are flat already or two pieces (`'kw_' + id`) that a copy would
 * not make smaller.
 */
function flat(s: string): string {
  if (s.length >= 32) flatRead.last = s.charCodeAt(0);
  return s;
}

/**
 * Copies a JSON value into a deeply frozen one, with JSON semantics (undefined members dropped,
 * -0 stored as 0); anything that is not plain JSON is `ERR_VALIDATION` naming its path
 * (`parent.key`, built only for containers and errors: this runs on every write and audit append).
 */
function frozenJson(value: unknown, parent: string, key: string | number | null, lists: Lists): unknown {
  if (typeof value === 'string') return flat(value);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(pathOf(parent, key), 'a finite number');
    return value === 0 ? 0 : value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return EMPTY_ARRAY;
    const shared = sharedList(value, lists);
    if (shared !== undefined) return shared;
    const path = pathOf(parent, key);
    const out = value.map((v, i) => frozenJson(v === undefined ? null : v, path, i, lists));
    return Object.freeze(out);
  }
  if (typeof value === 'object') {
    const frozen = Object.isFrozen(value);
    const known = frozen ? copiesOfFrozen.get(value) : undefined;
    if (known !== undefined) return known;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw invalid(pathOf(parent, key), 'a plain JSON object');
    let path: string | undefined; // built only for a member that needs it (a container, an error)
    const out: Record<string, unknown> = {};
    let n = 0;
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      // scalars inline (an audit row's context and data hold nothing else)
      let copy: unknown;
      if (typeof v === 'string') copy = flat(v);
      else if (v === null || typeof v === 'boolean') copy = v;
      else if (typeof v === 'number' && Number.isFinite(v)) copy = v === 0 ? 0 : v;
      else {
        path ??= pathOf(parent, key);
        copy = frozenJson(v, path, k, lists);
      }
      n++;
      // an own "__proto__" member (as JSON.parse makes) must stay data, not become the prototype
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: copy, enumerable: true, writable: true, configurable: true });
      else out[k] = copy;
    }
    if (n === 0) return EMPTY_OBJECT;
    Object.freeze(out);
    // an input that can never change (frozen, data properties only) is copied once: a caller that
    // reuses one (an audit row's `data` for the same call) stores one shared frozen copy
    if (frozen && frozenData(value)) copiesOfFrozen.set(value, out);
    return out;
  }
  throw invalid(pathOf(parent, key), 'JSON');
}

/** Frozen copies of frozen plain objects given to `frozenJson`, by input object. */
const copiesOfFrozen = new WeakMap<object, unknown>();

const pathOf = (parent: string, key: string | number | null): string =>
  key === null ? parent : `${parent}.${key}`;

type FieldType =
  | 'string'
  | 'string|null'
  | 'integer'
  | 'integer|null'
  | 'boolean'
  | 'object'
  | 'object|null'
  | 'array';

function fieldOk(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'integer':
      return Number.isSafeInteger(v);
    case 'integer|null':
      return v === null || Number.isSafeInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'object|null':
      return v === null || (typeof v === 'object' && !Array.isArray(v));
    case 'array':
      return Array.isArray(v);
  }
}

/** Checks the typed fields of `o`; the error names `root` (`.index` when given) and the field. */
function checkFields(
  o: Record<string, unknown>,
  root: string,
  index: number | null,
  spec: readonly (readonly [string, FieldType])[],
): void {
  for (const [field, type] of spec) {
    if (!fieldOk(o[field], type)) {
      throw invalid(`${pathOf(root, index)}.${field}`, `${type.replace('|null', ' or null')}`);
    }
  }
}

const RECORD_FIELDS = Object.entries({
  id: 'string',
  name: 'string',
  uniqueName: 'boolean',
  tenantId: 'string|null',
  environment: 'string',
  ownerId: 'string|null',
  revision: 'integer',
  createdAt: 'integer',
  updatedAt: 'integer',
  expiresAt: 'integer|null',
  dueAt: 'integer|null',
  tags: 'array',
  provider: 'string|null',
  data: 'object',
  meta: 'object',
  rotation: 'object|null',
  versions: 'array',
} satisfies Record<string, FieldType>) as [string, FieldType][];

/** Validates the fields the adapter indexes or orders by, and returns a frozen JSON copy. */
function freezeRecord(input: unknown, lists: Lists): StoredRecord {
  if (typeof input !== 'object' || input === null) throw invalid('record', 'an object');
  const o = input as Record<string, unknown>;
  checkFields(o, 'record', null, RECORD_FIELDS);
  if (!KINDS.has(o['kind'])) throw invalid('record.kind', `one of ${RECORD_KINDS.join(', ')}`);
  if (!STATUSES.has(o['status'])) throw invalid('record.status', 'a record status');
  if (o['id'] === '') throw invalid('record.id', 'non-empty');
  if ((o['tags'] as unknown[]).some((t) => typeof t !== 'string')) throw invalid('record.tags', 'strings');
  return frozenJson(o, 'record', null, lists) as StoredRecord;
}

const AUDIT_FIELDS = Object.entries({
  id: 'string',
  at: 'integer',
  type: 'string',
  keyId: 'string|null',
  digest: 'string',
  context: 'object',
  data: 'object',
} satisfies Record<string, FieldType>) as [string, FieldType][];

/**
 * Checks an audit input and copies what is stored of it: the scalar fields as they are, `context`
 * and `data` deeply frozen (JSON semantics, as {@link frozenJson}). The copy itself is not frozen:
 * `chainEvents` builds the stored event from it, which is frozen.
 */
function checkAuditInput(input: unknown, index: number, lists: Lists): AuditEventInput {
  if (typeof input !== 'object' || input === null) throw invalid(`events.${index}`, 'an object');
  const o = input as Record<string, unknown>;
  checkFields(o, 'events', index, AUDIT_FIELDS);
  return {
    id: flat(o['id'] as string),
    at: o['at'] as number,
    type: o['type'] as AuditEventInput['type'],
    keyId: o['keyId'] === null ? null : flat(o['keyId'] as string),
    kind: auditMember(o, 'kind', index, lists),
    version: auditMember(o, 'version', index, lists),
    tenantId: auditMember(o, 'tenantId', index, lists),
    actor: auditMember(o, 'actor', index, lists),
    context: auditMember(o, 'context', index, lists),
    data: auditMember(o, 'data', index, lists),
    digest: flat(o['digest'] as string),
  } as AuditEventInput;
}

/** One member of an audit input, copied as {@link frozenJson} does (absent stays absent). */
function auditMember(o: Record<string, unknown>, field: string, index: number, lists: Lists): unknown {
  const v = o[field];
  return v === undefined ? undefined : frozenJson(v, `events.${index}`, field, lists);
}

function decodeListCursor(cursor: string): { createdAt: number; id: string } {
  const v = decodeCursor(cursor) as { createdAt?: unknown; id?: unknown } | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    typeof v.createdAt !== 'number' ||
    !Number.isFinite(v.createdAt) ||
    typeof v.id !== 'string'
  ) {
    throw badCursor();
  }
  return { createdAt: v.createdAt, id: v.id };
}

function decodeAuditCursor(cursor: string): number {
  const v = decodeCursor(cursor) as { seq?: unknown } | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Number.isSafeInteger(v.seq)) {
    throw badCursor();
  }
  return Math.max(0, v.seq as number);
}

/**
 * Creates an in-memory storage adapter. Every operation runs synchronously inside its async
 * function, so each is atomic. Records are copied on write (a clone that also checks the value is
 * plain JSON, with JSON semantics) and deeply frozen;
 * reads (`get`, `findByName`, `list`, `dueForRotation`) return the frozen stored object itself, so
 * the hot path (`get` on every API-key verification) costs no copy. Mutating a returned record
 * throws in strict mode. Equal frozen parts may be one shared value (every empty array or object;
 * one copy per distinct short list of short strings, such as scopes), which keeps a stored API key
 * with its audit row under 2 KB. `close()` is a no-op and keeps the data, so a new manager can reopen the
 * same store (handy to simulate a restart in tests). Use it for tests and single-process apps; use
 * the file or Postgres adapter to keep data.
 *
 * @example
 * ```ts
 * import { createKeyManager } from 'keywarden';
 * import { memoryStorage } from 'keywarden/adapters/memory';
 * import { localKms, generateMasterKey } from 'keywarden/kms';
 *
 * const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
 * ```
 * @throws never; its methods throw `ERR_ALREADY_EXISTS`, `ERR_CONFLICT`, `ERR_NOT_FOUND` and
 *   `ERR_VALIDATION` (bad limit, cursor, revision or record shape) as the port documents.
 */
export function memoryStorage(): MemoryStorage {
  const records = new Map<string, StoredRecord>();
  /** Unique-name index: nameKey(record) -> id. */
  const names = new Map<string, string>();
  /** Every record, sorted by (createdAt, id). */
  const sorted: StoredRecord[] = [];
  const audit: AuditEvent[] = [];
  const meta = new Map<string, string>();
  /** Usage rollup: record id -> hourly counts. */
  const usage = new Map<string, HourlyCounts>();
  const lists: Lists = new Map();

  const indexOf = (r: StoredRecord): number => upperBound(sorted, r.createdAt, r.id) - 1;

  function insert(r: StoredRecord): void {
    records.set(r.id, r);
    if (r.uniqueName) names.set(nameKey(r), r.id);
    sorted.splice(upperBound(sorted, r.createdAt, r.id), 0, r);
  }

  function remove(r: StoredRecord): void {
    records.delete(r.id);
    if (r.uniqueName) names.delete(nameKey(r));
    const i = indexOf(r);
    if (sorted[i] === r) sorted.splice(i, 1);
  }

  function nameTaken(r: StoredRecord, selfId: string | null): boolean {
    if (!r.uniqueName) return false;
    const owner = names.get(nameKey(r));
    return owner !== undefined && owner !== selfId;
  }

  const getSync = (id: string): StoredRecord | null => records.get(id) ?? null;
  const findByNameSync = (name: string, where: Parameters<StorageAdapter['findByName']>[1]) => {
    if (typeof where !== 'object' || where === null) throw invalid('where', 'an object');
    const id = names.get(
      nameKey({ kind: where.kind, tenantId: where.tenantId, environment: where.environment, name }),
    );
    return id === undefined ? null : (records.get(id) ?? null);
  };
  const readMacsSync = (ids: readonly string[]): (string | null)[] => {
    if (!Array.isArray(ids) || ids.length > 100) throw invalid('ids', 'an array of at most 100 ids');
    const out: (string | null)[] = [];
    for (const id of ids) {
      const mac = typeof id === 'string' ? records.get(id)?.mac : undefined;
      out.push(typeof mac === 'string' ? mac : null);
    }
    return out;
  };
  const readMacs: NonNullable<StorageAdapter['readMacs']> = async (ids) => readMacsSync(ids);
  const get: StorageAdapter['get'] = async (id) => getSync(id);
  const findByName: StorageAdapter['findByName'] = async (name, where) => findByNameSync(name, where);
  // the manager's storage guard reads through these twins when this very get/findByName/readMacs is in place
  registerSyncRead(get, getSync);
  registerSyncRead(readMacs, readMacsSync);
  registerSyncRead(findByName, findByNameSync);

  return {
    name: 'memory',
    get size() {
      return records.size;
    },
    async init() {},
    async close() {},
    get,
    findByName,

    async list(query): Promise<Page<StoredRecord>> {
      const limit = checkLimit(query.limit);
      let i = 0;
      if (query.cursor !== undefined) {
        const c = decodeListCursor(query.cursor);
        i = upperBound(sorted, c.createdAt, c.id);
      }
      const items: StoredRecord[] = [];
      for (; i < sorted.length; i++) {
        const r = sorted[i] as StoredRecord;
        if (!matchesListQuery(r, query)) continue;
        if (items.length === limit) {
          const last = items[items.length - 1] as StoredRecord;
          return { items, cursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) };
        }
        items.push(r);
      }
      return { items };
    },

    async create(input) {
      const record = freezeRecord(input, lists);
      if (records.has(record.id)) {
        throw new KeywardenError('ERR_ALREADY_EXISTS', 'a record with this id already exists');
      }
      if (nameTaken(record, null)) {
        throw new KeywardenError('ERR_ALREADY_EXISTS', 'a record with this name already exists');
      }
      insert(record);
    },

    async update(input, options) {
      const expectedRevision = options?.expectedRevision;
      if (!Number.isSafeInteger(expectedRevision)) {
        throw validationError('expectedRevision', 'must be an integer');
      }
      const record = freezeRecord(input, lists);
      const current = records.get(record.id);
      if (current === undefined) throw new KeywardenError('ERR_NOT_FOUND', 'record not found');
      if (current.revision !== expectedRevision) {
        throw new KeywardenError('ERR_CONFLICT', 'the record changed since it was read');
      }
      if (record.revision !== expectedRevision + 1) {
        throw validationError('record.revision', 'must be expectedRevision + 1');
      }
      if (nameTaken(record, record.id)) {
        throw new KeywardenError('ERR_ALREADY_EXISTS', 'a record with this name already exists');
      }
      remove(current);
      insert(record);
    },

    async delete(id, options) {
      const current = records.get(id);
      if (current === undefined) return false;
      const expected = options?.expectedRevision;
      if (expected !== undefined && current.revision !== expected) {
        throw new KeywardenError('ERR_CONFLICT', 'the record changed since it was read');
      }
      remove(current);
      return true;
    },

    async dueForRotation(before, limit) {
      if (!Number.isInteger(limit) || limit < 0)
        throw validationError('limit', 'must be a non-negative integer');
      const due: StoredRecord[] = [];
      for (const r of sorted) if (r.dueAt !== null && r.dueAt <= before) due.push(r);
      due.sort((a, b) => compareKey(a.dueAt as number, a.id, b.dueAt as number, b.id));
      return due.slice(0, limit);
    },

    async appendAudit(events: AuditEventInput[]) {
      if (!Array.isArray(events)) throw invalid('events', 'an array');
      const copies = events.map((e, i) => checkAuditInput(e, i, lists));
      const last = audit[audit.length - 1];
      for (const e of chainEvents(last ?? null, copies)) {
        flat(e.hash);
        audit.push(Object.freeze(e));
      }
    },

    async listAudit(query): Promise<Page<AuditEvent>> {
      const limit = checkLimit(query.limit);
      let after = query.afterSeq ?? 0;
      if (query.cursor !== undefined) after = Math.max(after, decodeAuditCursor(query.cursor));
      const items: AuditEvent[] = [];
      for (let i = Math.max(0, Math.floor(after)); i < audit.length; i++) {
        const e = audit[i] as AuditEvent;
        if (!matchesAuditQuery(e, query)) continue;
        if (items.length === limit) {
          return { items, cursor: encodeCursor({ seq: (items[items.length - 1] as AuditEvent).seq }) };
        }
        items.push(e);
      }
      return { items };
    },

    async getMeta(key) {
      return meta.get(key) ?? null;
    },

    async addUsage(input) {
      const rows = checkUsageRows(input);
      for (const [id, counts] of addRows(rows, (rid) => usage.get(rid) ?? {})) usage.set(id, counts);
    },

    readMacs,

    async listUsage(query) {
      const q = checkUsageQuery(query);
      return rowsOf(usage.get(q.recordId) ?? {}, q);
    },

    async setMeta(key, value, options) {
      if (typeof key !== 'string' || typeof value !== 'string') {
        throw validationError(typeof key !== 'string' ? 'key' : 'value', 'must be a string');
      }
      if (options?.expected !== undefined && (meta.get(key) ?? null) !== options.expected) {
        throw new KeywardenError('ERR_CONFLICT', 'the metadata value changed since it was read');
      }
      meta.set(key, value);
    },
  };
}
