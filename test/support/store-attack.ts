/**
 * What the store-writer attack tests share: the attacker's write straight into the store, and the
 * outcome of a public call as its error code.
 */
import { isKeywardenError } from '../../src/errors.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';

/** The attacker's write: straight into the store, revision bumped so the CAS accepts it. */
export async function tamper(
  storage: StorageAdapter,
  id: string,
  edit: (r: StoredRecord) => StoredRecord,
): Promise<void> {
  const r = (await storage.get(id)) as StoredRecord;
  const next = edit(JSON.parse(JSON.stringify(r)) as StoredRecord);
  await storage.update({ ...next, revision: r.revision + 1 }, { expectedRevision: r.revision });
}

/** `'ok'` when `p` resolves, the KeywardenError code when it rejects with one, else `untyped …`. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isKeywardenError(e) ? e.code : `untyped ${String(e)}`;
  }
}
