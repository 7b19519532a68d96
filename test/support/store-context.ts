/**
 * Test harness for the secrets/keys/rewrap tests: a key manager over a memory store wrapped so a
 * test can inject audit failures, rewrite records on their way out (tampering), and count writes.
 */
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, type LocalKms, localKms } from '../../src/kms/index.js';
import type { AuditEvent, StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { createKeyManager, type KeyManager } from '../../src/store/manager.js';
import { type FakeClock, fakeClock } from '../../src/testing/fake-clock.js';

/** Hooks of a {@link wrapStorage} storage. */
export interface StorageHooks {
  /** When true, appendAudit rejects with a plain Error. */
  failAudit: boolean;
  /** Rewrites every record read (get, findByName, list). Return a new object. */
  transform: ((record: StoredRecord) => StoredRecord) | null;
  /** Number of writes (create, update, delete, appendAudit, setMeta) that reached the store. */
  writes: number;
}

/** A storage adapter that delegates to `inner` with {@link StorageHooks}. */
export function wrapStorage(inner: StorageAdapter): { storage: StorageAdapter; hooks: StorageHooks } {
  const hooks: StorageHooks = { failAudit: false, transform: null, writes: 0 };
  const out = (r: StoredRecord | null): StoredRecord | null =>
    r && hooks.transform ? hooks.transform(r) : r;
  const storage: StorageAdapter = {
    name: 'wrapped',
    get: async (id) => out(await inner.get(id)),
    findByName: async (name, where) => out(await inner.findByName(name, where)),
    list: async (q) => {
      const page = await inner.list(q);
      return { ...page, items: page.items.map((r) => out(r) as StoredRecord) };
    },
    create: async (r) => {
      hooks.writes++;
      return inner.create(r);
    },
    update: async (r, o) => {
      hooks.writes++;
      return inner.update(r, o);
    },
    delete: async (id, o) => {
      hooks.writes++;
      return inner.delete(id, o);
    },
    dueForRotation: (b, l) => inner.dueForRotation(b, l),
    appendAudit: async (events) => {
      if (hooks.failAudit) throw new Error('audit store down');
      hooks.writes++;
      return inner.appendAudit(events);
    },
    listAudit: (q) => inner.listAudit(q),
    getMeta: (k) => inner.getMeta(k),
    setMeta: async (k, v, o) => {
      hooks.writes++;
      return inner.setMeta(k, v, o);
    },
  };
  return { storage, hooks };
}

/** Everything a test needs. */
export interface Harness {
  km: KeyManager;
  clock: FakeClock;
  /** The unwrapped memory store. */
  inner: StorageAdapter;
  hooks: StorageHooks;
  masterKey: string;
  kms: LocalKms;
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
  return { km, clock, inner, hooks, masterKey, kms };
}

/** Every record of a store. */
export async function allRecords(storage: StorageAdapter): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Every audit event of a store. */
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

/** A JSON snapshot of records, audit and meta (to assert a failed call wrote nothing). */
export async function snapshot(storage: StorageAdapter): Promise<string> {
  const meta = [await storage.getMeta('store.id'), await storage.getMeta('store.pepper')];
  return JSON.stringify({ records: await allRecords(storage), audit: await allAudit(storage), meta });
}

/** A deep, mutable copy of a (frozen) record. */
export function copyRecord(record: StoredRecord): StoredRecord {
  return JSON.parse(JSON.stringify(record)) as StoredRecord;
}
