/**
 * Read queries over the in-memory index of a file store (list, due, audit) and input checks for
 * writes. Pure functions over {@link StoreState}.
 * @internal
 * @module
 */

import { validationError } from '../../errors.js';
import { RECORD_KINDS } from '../../ports/names.js';
import type {
  AuditEvent,
  AuditEventInput,
  AuditQuery,
  ListQuery,
  Page,
  StoredRecord,
} from '../../ports/storage.js';
import {
  badCursor,
  checkLimit,
  compareKey,
  decodeCursor,
  encodeCursor,
  matchesAuditQuery,
  matchesListQuery,
  upperBound,
} from '../in-memory/query.js';
import { deepFreeze, type Slot, type StoreState } from './state.js';

/** One page of records in `(createdAt, id)` order; the cursor is the last `(createdAt, id)`. */
export function listRecords(state: StoreState, query: ListQuery): Page<StoredRecord> {
  const limit = checkLimit(query.limit);
  let i = 0;
  if (query.cursor !== undefined) {
    const c = decodeCursor(query.cursor);
    if (!Array.isArray(c) || c.length !== 2 || !Number.isFinite(c[0]) || typeof c[1] !== 'string') {
      throw badCursor();
    }
    i = upperBound(state.sorted, c[0] as number, c[1] as string);
  }
  const items: StoredRecord[] = [];
  for (; i < state.sorted.length; i++) {
    const r = state.sorted[i] as Slot;
    if (!matchesListQuery(r, query)) continue;
    if (items.length === limit) {
      const last = items[items.length - 1] as StoredRecord;
      return { items, cursor: encodeCursor([last.createdAt, last.id]) };
    }
    items.push(state.record(r));
  }
  return { items };
}

/** Records with `dueAt <= before`, by `(dueAt, id)`, at most `limit`. */
export function dueRecords(state: StoreState, before: number, limit: number): StoredRecord[] {
  if (!Number.isInteger(limit) || limit < 0) throw validationError('limit', 'must be a non-negative integer');
  const due: Slot[] = [];
  for (const r of state.sorted) if (r.dueAt !== null && r.dueAt <= before) due.push(r);
  due.sort((a, b) => compareKey(a.dueAt as number, a.id, b.dueAt as number, b.id));
  return due.slice(0, limit).map((slot) => state.record(slot));
}

/** One page of audit events in ascending `seq`; the cursor is the last seq. */
export function listAuditEvents(state: StoreState, query: AuditQuery): Page<AuditEvent> {
  const limit = checkLimit(query.limit);
  let after = query.afterSeq ?? 0;
  if (query.cursor !== undefined) {
    const c = decodeCursor(query.cursor);
    if (!Array.isArray(c) || c.length !== 1 || !Number.isSafeInteger(c[0])) throw badCursor();
    after = Math.max(after, c[0] as number);
  }
  const items: AuditEvent[] = [];
  for (let i = Math.max(0, Math.floor(after)); i < state.audit.length; i++) {
    const e = state.audit[i] as AuditEvent;
    if (!matchesAuditQuery(e, query)) continue;
    if (items.length === limit)
      return { items, cursor: encodeCursor([(items[items.length - 1] as AuditEvent).seq]) };
    items.push(deepFreeze(e));
  }
  return { items };
}

const KINDS: ReadonlySet<unknown> = new Set<unknown>(RECORD_KINDS);
const STATUSES = new Set(['active', 'disabled', 'revoked', 'expired']);

type FieldType = 'string' | 'string?' | 'int' | 'int?' | 'bool' | 'object' | 'object?' | 'array';

const RECORD_FIELDS: Record<string, FieldType> = {
  id: 'string',
  name: 'string',
  uniqueName: 'bool',
  tenantId: 'string?',
  environment: 'string',
  ownerId: 'string?',
  revision: 'int',
  createdAt: 'int',
  updatedAt: 'int',
  expiresAt: 'int?',
  dueAt: 'int?',
  tags: 'array',
  provider: 'string?',
  data: 'object',
  meta: 'object',
  rotation: 'object?',
  versions: 'array',
};

const AUDIT_FIELDS: Record<string, FieldType> = {
  id: 'string',
  at: 'int',
  type: 'string',
  keyId: 'string?',
  digest: 'string',
  context: 'object',
  data: 'object',
};

function checkType(v: unknown, t: FieldType): boolean {
  if (t.endsWith('?') && v === null) return true;
  switch (t.replace('?', '')) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return Number.isSafeInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return Array.isArray(v);
  }
}

function checkFields(o: Record<string, unknown>, root: string, spec: Record<string, FieldType>): void {
  for (const [field, t] of Object.entries(spec)) {
    if (!checkType(o[field], t))
      throw validationError(`${root}.${field}`, `must be ${t.replace('?', ' or null')}`);
  }
}

/** Checks that a JSON value holds only JSON (finite numbers, plain objects), naming the bad path. */
function checkJson(value: unknown, path: string): void {
  if (value === null || value === undefined || typeof value === 'string' || typeof value === 'boolean')
    return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw validationError(path, 'must be a finite number');
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], `${path}.${i}`);
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw validationError(path, 'must be a plain JSON object');
    for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`);
    return;
  }
  throw validationError(path, 'must be JSON');
}

/** Validates a record given to `create`/`update` (the fields the adapter indexes, and JSON-ness). */
export function checkRecord(input: unknown): StoredRecord {
  if (typeof input !== 'object' || input === null) throw validationError('record', 'must be an object');
  const o = input as Record<string, unknown>;
  checkFields(o, 'record', RECORD_FIELDS);
  if (!KINDS.has(o['kind']))
    throw validationError('record.kind', `must be one of ${RECORD_KINDS.join(', ')}`);
  if (!STATUSES.has(o['status'] as string)) throw validationError('record.status', 'must be a record status');
  if (o['id'] === '') throw validationError('record.id', 'must be non-empty');
  if ((o['tags'] as unknown[]).some((t) => typeof t !== 'string')) {
    throw validationError('record.tags', 'must be strings');
  }
  checkJson(o, 'record');
  return input as StoredRecord;
}

/** Validates audit event inputs. */
export function checkAuditInputs(events: unknown): AuditEventInput[] {
  if (!Array.isArray(events)) throw validationError('events', 'must be an array');
  for (let i = 0; i < events.length; i++) {
    const e: unknown = events[i];
    if (typeof e !== 'object' || e === null) throw validationError(`events.${i}`, 'must be an object');
    checkFields(e as Record<string, unknown>, `events.${i}`, AUDIT_FIELDS);
    checkJson(e, `events.${i}`);
  }
  return events as AuditEventInput[];
}
