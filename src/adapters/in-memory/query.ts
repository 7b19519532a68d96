/**
 * Query plumbing shared by the JavaScript adapters (memory, file): the unique-name key,
 * `(createdAt, id)` ordering, opaque cursors, page-size checks and the list/audit filters.
 * Portable: no node:*, no Buffer.
 * @internal
 * @module
 */
import { type KeywardenError, validationError } from '../../errors.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../../internal/bytes.js';
import type { AuditEvent, AuditQuery, ListQuery, RecordKind, StoredRecord } from '../../ports/storage.js';

/**
 * The unique-name index key of a record: `(kind, tenantId, environment, name)`, with a null tenant
 * distinct from every tenant id.
 *
 * @example
 * ```ts
 * nameKey({ kind: 'secret', tenantId: null, environment: 'default', name: 'X' }); // 'secret||7:default|X'
 * ```
 * @throws never
 */
export function nameKey(r: {
  kind: RecordKind;
  tenantId: string | null;
  environment: string;
  name: string;
}): string {
  // length-prefixed, so no tenant or environment content can make two keys collide; the name is
  // last and takes the rest (a plain concatenation: this runs on every findByName)
  const t = r.tenantId;
  return `${r.kind}|${t === null ? '' : `${t.length}:${t}`}|${r.environment.length}:${r.environment}|${r.name}`;
}

/**
 * `(createdAt, id)` order; ids compare by UTF-16 code unit (byte order for the ASCII ids we make).
 *
 * @example
 * ```ts
 * compareKey(1, 'a', 1, 'b'); // -1
 * ```
 * @throws never
 */
export function compareKey(aTime: number, aId: string, bTime: number, bId: string): number {
  if (aTime !== bTime) return aTime < bTime ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/**
 * Index of the first element of `sorted` (ascending by `(createdAt, id)`) strictly after `(time, id)`.
 *
 * @example
 * ```ts
 * upperBound([{ createdAt: 1, id: 'a' }, { createdAt: 2, id: 'b' }], 1, 'a'); // 1
 * ```
 * @throws never
 */
export function upperBound(
  sorted: readonly { createdAt: number; id: string }[],
  time: number,
  id: string,
): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = sorted[mid] as { createdAt: number; id: string };
    if (compareKey(r.createdAt, r.id, time, id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The error for a cursor this adapter did not make.
 *
 * @example
 * ```ts
 * throw badCursor();
 * ```
 * @throws never (it returns the error)
 */
export const badCursor = (): KeywardenError => validationError('cursor', 'is not a cursor from this adapter');

/**
 * An opaque cursor: base64url (no padding) of the JSON of `value`.
 *
 * @example
 * ```ts
 * decodeCursor(encodeCursor({ seq: 5 })); // { seq: 5 }
 * ```
 * @throws never
 */
export function encodeCursor(value: unknown): string {
  return toBase64Url(utf8Encode(JSON.stringify(value)));
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 *
 * @example
 * ```ts
 * decodeCursor('eyJzZXEiOjV9'); // { seq: 5 }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `cursor`) for anything that is not such a cursor.
 */
export function decodeCursor(cursor: unknown): unknown {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  try {
    return JSON.parse(utf8Decode(fromBase64Url(cursor)));
  } catch {
    throw badCursor();
  }
}

/**
 * Checks a page size (an integer from 1 to 1000).
 *
 * @example
 * ```ts
 * checkLimit(100); // 100
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `limit`) otherwise.
 */
export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw validationError('limit', 'must be an integer from 1 to 1000');
  }
  return limit;
}

/** The record fields a {@link ListQuery} filters on. */
export type ListedFields = Pick<
  StoredRecord,
  'kind' | 'tenantId' | 'environment' | 'status' | 'ownerId' | 'tags' | 'provider' | 'name'
>;

/**
 * True when `r` passes every filter given in `q` (AND); `tenantId: null` matches only tenantless records.
 *
 * @example
 * ```ts
 * matchesListQuery(record, { kind: 'secret', tag: 'prod', limit: 10 });
 * ```
 * @throws never
 */
export function matchesListQuery(r: ListedFields, q: ListQuery): boolean {
  return (
    (q.kind === undefined || r.kind === q.kind) &&
    (q.tenantId === undefined || r.tenantId === q.tenantId) &&
    (q.environment === undefined || r.environment === q.environment) &&
    (q.status === undefined || r.status === q.status) &&
    (q.ownerId === undefined || r.ownerId === q.ownerId) &&
    (q.tag === undefined || r.tags.includes(q.tag)) &&
    (q.provider === undefined || r.provider === q.provider) &&
    (q.name === undefined || r.name === q.name)
  );
}

/**
 * True when the audit event passes the query's filters (`since` inclusive, `until` exclusive).
 *
 * @example
 * ```ts
 * declare const event: AuditEvent;
 * matchesAuditQuery(event, { keyId: 'abc', limit: 100 });
 * ```
 * @throws never
 */
export function matchesAuditQuery(e: AuditEvent, q: AuditQuery): boolean {
  return (
    (q.keyId === undefined || e.keyId === q.keyId) &&
    (q.type === undefined || e.type === q.type) &&
    (q.since === undefined || e.at >= q.since) &&
    (q.until === undefined || e.at < q.until)
  );
}
