/** Shared helpers of the API-key, manager and audit tests. */
import { expect } from 'vitest';
import type { KeywardenErrorCode } from '../../src/errors.js';
import { KeywardenError } from '../../src/errors.js';
import type { AuditEvent, StorageAdapter, StoredRecord } from '../../src/ports/storage.js';

/** Every record, audit event and the store meta, as one JSON string (for "nothing written" checks). */
export async function snapshot(storage: StorageAdapter): Promise<string> {
  const records: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    records.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  const events = await allAudit(storage);
  const meta = {
    id: await storage.getMeta('store.id'),
    pepper: await storage.getMeta('store.pepper'),
  };
  return JSON.stringify({ records, events, meta });
}

/** Every audit event, in order. */
export async function allAudit(storage: StorageAdapter): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listAudit(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Asserts `fn` rejects with a KeywardenError of `code` (and `field` when given); returns it. */
export async function expectKw(
  fn: () => Promise<unknown>,
  code: KeywardenErrorCode,
  field?: string,
): Promise<KeywardenError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(KeywardenError);
  const e = caught as KeywardenError;
  expect(e.code).toBe(code);
  if (field !== undefined) expect(e.field).toBe(field);
  return e;
}

/** A storage that delegates to `inner`, with some methods replaced. */
export function wrapStorage(inner: StorageAdapter, overrides: Partial<StorageAdapter>): StorageAdapter {
  const base: StorageAdapter = {
    name: inner.name,
    get: (id) => inner.get(id),
    findByName: (n, w) => inner.findByName(n, w),
    list: (q) => inner.list(q),
    create: (r) => inner.create(r),
    update: (r, o) => inner.update(r, o),
    delete: (id, o) => inner.delete(id, o),
    dueForRotation: (b, l) => inner.dueForRotation(b, l),
    appendAudit: (e) => inner.appendAudit(e),
    listAudit: (q) => inner.listAudit(q),
    getMeta: (k) => inner.getMeta(k),
    setMeta: (k, v, o) => inner.setMeta(k, v, o),
  };
  return { ...base, ...overrides };
}

/** Flips the last base62 character of a token's secret part (checksum then fixed up by the caller). */
export function flipChar(s: string, index: number): string {
  const c = s[index];
  return s.slice(0, index) + (c === 'a' ? 'b' : 'a') + s.slice(index + 1);
}
