/**
 * Test harness for the secrets/keys/rewrap tests: a key manager over a memory store wrapped so a
 * test can inject audit failures, rewrite records on their way out (tampering), and count writes.
 */

import { expect } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { capabilityContext } from '../../src/extension/index.js';
import { generateMasterKey, type LocalKms, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import type { AuditEvent, StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import type { StoreState } from '../../src/records/context.js';
import { type FakeClock, fakeClock } from '../../src/testing/fake-clock.js';
import { trustedStorage } from './trusted-storage.js';

/** Hooks of a {@link wrapStorage} storage. */
export interface StorageHooks {
  /** When true, appendAudit rejects with a plain Error. */
  failAudit: boolean;
  /** Rewrites every record read (get, findByName, list). Return a new object. */
  transform: ((record: StoredRecord) => StoredRecord) | null;
  /**
   * When set, a record `transform` changed is sealed with it (the store's record MAC): the test
   * then plays a store writer who could forge MACs, to reach the layer behind them (the AEAD).
   */
  remac: ((record: StoredRecord) => StoredRecord) | null;
  /** Number of writes (create, update, delete, appendAudit, setMeta) that reached the store. */
  writes: number;
}

/** A storage that delegates every method to `inner`, with some methods replaced. */
export function delegateStorage(
  inner: StorageAdapter,
  overrides: Partial<StorageAdapter> = {},
): StorageAdapter {
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

/** A storage adapter that delegates to `inner` with {@link StorageHooks}. */
export function wrapStorage(inner: StorageAdapter): { storage: StorageAdapter; hooks: StorageHooks } {
  const hooks: StorageHooks = { failAudit: false, transform: null, remac: null, writes: 0 };
  const out = (r: StoredRecord | null): StoredRecord | null => {
    if (!r || !hooks.transform) return r;
    const t = hooks.transform(r);
    return t !== r && hooks.remac ? hooks.remac(t) : t;
  };
  const counted =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      hooks.writes++;
      return write(...args);
    };
  const storage = delegateStorage(inner, {
    name: 'wrapped',
    get: async (id) => out(await inner.get(id)),
    findByName: async (name, where) => out(await inner.findByName(name, where)),
    list: async (q) => {
      const page = await inner.list(q);
      return { ...page, items: page.items.map((r) => out(r) as StoredRecord) };
    },
    create: counted((r) => inner.create(r)),
    update: counted((r, o) => inner.update(r, o)),
    delete: counted((id, o) => inner.delete(id, o)),
    appendAudit: async (events) => {
      if (hooks.failAudit) throw new Error('audit store down');
      hooks.writes++;
      return inner.appendAudit(events);
    },
    setMeta: counted((k, v, o) => inner.setMeta(k, v, o)),
  });
  return { storage, hooks };
}

/** Everything a test needs. */
export interface Harness {
  km: KeyManager;
  clock: FakeClock;
  /** The unwrapped memory store (writes here are an attacker's: no record MAC). */
  inner: StorageAdapter;
  /** The manager's guarded storage: keywarden's own writes, MAC'd (see trusted-storage.ts). */
  trusted: StorageAdapter;
  hooks: StorageHooks;
  masterKey: string;
  kms: LocalKms;
}

/**
 * Makes `h.hooks.transform` seal what it changes with the store's record MAC (see
 * {@link StorageHooks.remac}), so a test reaches the checks behind the MAC.
 */
export async function bypassRecordMac(h: Harness): Promise<void> {
  const state = (await capabilityContext(h.km).ready()) as StoreState;
  h.hooks.remac = (r) => state.recordMac.seal(r);
}

/** A manager over a wrapped memory store with a random (or given) master key and a fake clock. */
export function makeHarness(
  options: { masterKey?: string; previousKeys?: string[]; inner?: StorageAdapter; clock?: FakeClock } = {},
): Harness {
  const inner = options.inner ?? memoryStorage();
  const { storage, hooks } = wrapStorage(inner);
  const masterKey = options.masterKey ?? generateMasterKey();
  const clock = options.clock ?? fakeClock();
  const kms = localKms(
    options.previousKeys ? { masterKey, previousKeys: options.previousKeys } : { masterKey },
  );
  const km = createKeyManager({ storage, kms, clock });
  return { km, clock, inner, trusted: trustedStorage(km), hooks, masterKey, kms };
}

/** Every item of a paged listing, following cursors. */
async function allPages<T>(
  page: (query: { limit: number; cursor?: string }) => Promise<{ items: T[]; cursor?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    out.push(...p.items);
    cursor = p.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Every record of a store. */
export function allRecords(storage: StorageAdapter): Promise<StoredRecord[]> {
  return allPages((q) => storage.list(q));
}

/** Every audit event of a store, in order. */
export function allAudit(storage: StorageAdapter): Promise<AuditEvent[]> {
  return allPages((q) => storage.listAudit(q));
}

/** A JSON snapshot of records, audit and meta (to assert a failed call wrote nothing). */
export async function snapshot(storage: StorageAdapter): Promise<string> {
  const meta = [await storage.getMeta('store.id'), await storage.getMeta('store.pepper')];
  return JSON.stringify({ records: await allRecords(storage), audit: await allAudit(storage), meta });
}

/** A deep, mutable copy of a (frozen) record. */
export function copyRecord(record: StoredRecord): StoredRecord {
  return JSON.parse(JSON.stringify(record)) as StoredRecord;
}

/** A bad-input case: a label, the field the error must name, and the call. */
export type ValidationCase = [label: string, field: string, run: (km: KeyManager) => Promise<unknown>];

/** A view with its methods callable with any arguments (to pass deliberately wrong ones). */
export function untyped(view: object): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return view as Record<string, (...args: unknown[]) => Promise<unknown>>;
}

/**
 * On a fresh harness seeded by `seed`, asserts that `run` rejects with `ERR_VALIDATION` naming
 * `field` and that nothing reached the store (no write, identical snapshot).
 */
export async function expectValidationWithoutWrites(
  seed: (km: KeyManager) => Promise<unknown>,
  field: string,
  run: (km: KeyManager) => Promise<unknown>,
): Promise<void> {
  const { km, inner, hooks } = makeHarness();
  await seed(km);
  const before = await snapshot(inner);
  const writes = hooks.writes;
  let caught: unknown;
  try {
    await run(km);
  } catch (e) {
    caught = e;
  }
  expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
  expect((caught as { field?: string }).field).toBe(field);
  expect(hooks.writes).toBe(writes);
  expect(await snapshot(inner)).toBe(before);
}

/** `'ok'` when `p` resolves, else the KeywardenError code it rejects with (`untyped:…` for any other error). */
export async function outcomeCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return isKeywardenError(e) ? e.code : `untyped:${String(e)}`;
  }
  return 'ok';
}

/** The stored record of a secret or key named `name` in the default environment, no tenant. */
export async function storedByName(
  storage: StorageAdapter,
  kind: 'secret' | 'key',
  name: string,
): Promise<StoredRecord> {
  const record = await storage.findByName(name, { kind, environment: 'default', tenantId: null });
  if (record === null) throw new Error(`no ${kind} named ${name}`);
  return record;
}
