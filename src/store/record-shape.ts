/**
 * Shape validation of stored records on read. Whatever a storage adapter returns passes through
 * {@link checkStoredRecord} (in the manager's storage guard) before any code uses it, so a record
 * written by hand into the store (`versions: null`, a status that does not exist, a version
 * number that is not one...) is refused with `ERR_INTEGRITY` naming the record, never used and never
 * a raw `TypeError` further down. The schema follows `StoredRecord` (src/ports/storage.ts); fields
 * it does not know are allowed (adapters and later versions may add some). Sealed values are
 * checked where they are opened (src/store/envelope.ts: any damage there is `ERR_DECRYPT`).
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { plainRecordSchema } from '../internal/json-record.js';
import { RECORD_KINDS } from '../ports/names.js';
import type { StoredRecord } from '../ports/storage.js';

const time = z.number();
const plainObject = plainRecordSchema();

const storedVersion = z.looseObject({
  version: z.number().check(z.int(), z.gte(1)),
  state: z.enum(['pending', 'current', 'previous', 'retired']),
  createdAt: time,
  activatedAt: z.nullable(time),
  promoteAt: z.nullable(time),
  retireAt: z.nullable(time),
  retiredAt: z.nullable(time),
  kid: z.nullable(z.string()),
  hash: z.nullable(z.string()),
  // the sealed value's own fields are the envelope's to check: any damage there is ERR_DECRYPT
  sealed: z.unknown(),
  publicJwk: z.nullable(plainObject),
  destroyedAt: z.nullable(time),
  data: plainObject,
});

/** The shape every stored record must have to be used. */
export const storedRecordSchema = z.looseObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  kind: z.enum(RECORD_KINDS),
  name: z.string(),
  uniqueName: z.boolean(),
  tenantId: z.nullable(z.string()),
  environment: z.string(),
  ownerId: z.nullable(z.string()),
  status: z.enum(['active', 'disabled', 'revoked', 'expired']),
  revision: z.number().check(z.int(), z.gte(0)),
  createdAt: time,
  updatedAt: time,
  expiresAt: z.nullable(time),
  dueAt: z.nullable(time),
  tags: z.array(z.string()),
  provider: z.nullable(z.string()),
  data: plainObject,
  meta: plainObject,
  rotation: z.nullable(plainObject),
  versions: z.array(storedVersion),
  mac: z.optional(z.string()),
});

/** An id safe to print (a stored id is attacker-writable: anything else is not echoed). */
const PRINTABLE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function describeId(value: unknown, fallback: string | undefined): string {
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  if (typeof id === 'string' && PRINTABLE_ID.test(id)) return id;
  if (fallback !== undefined && PRINTABLE_ID.test(fallback)) return fallback;
  return '(unprintable id)';
}

/**
 * Returns `value` as a {@link StoredRecord} when it has the shape of one, else throws
 * `ERR_INTEGRITY` naming the record id and the first field at fault (never a stored value).
 * `expectedId`: the id asked for (`get`), named when the stored one is unusable, and required to
 * match.
 *
 * @example
 * ```ts
 * const record = checkStoredRecord(await storage.get(id), id);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when the record is malformed (or is not the one asked for).
 */
export function checkStoredRecord(value: unknown, expectedId?: string): StoredRecord {
  if (!(typeof value === 'object' && value !== null && wellFormed.has(value))) parseShape(value, expectedId);
  if (expectedId !== undefined && (value as StoredRecord).id !== expectedId) {
    throw new KeywardenError(
      'ERR_INTEGRITY',
      `stored record ${describeId(undefined, expectedId)} came back under another id; it was not used`,
    );
  }
  return value as StoredRecord;
}

/**
 * Deeply frozen record objects that passed the shape check. An adapter that hands out frozen shared
 * objects (the memory adapter) returns the same object until the record is written again, and a
 * frozen object cannot change: the hot path (`verify`) parses it once, not on every read.
 */
const wellFormed = new WeakSet<object>();

function deeplyFrozen(r: StoredRecord): boolean {
  return (
    Object.isFrozen(r) &&
    Object.isFrozen(r.data) &&
    Object.isFrozen(r.versions) &&
    r.versions.every((v) => Object.isFrozen(v) && Object.isFrozen(v.data))
  );
}

function parseShape(value: unknown, expectedId: string | undefined): void {
  const parsed = storedRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'record';
    throw new KeywardenError(
      'ERR_INTEGRITY',
      `stored record ${describeId(value, expectedId)} is malformed at ${path} (${issue?.code ?? 'invalid'}); it was not used`,
    );
  }
  if (deeplyFrozen(value as StoredRecord)) wellFormed.add(value as object);
}
