/**
 * Test support: writes a store exactly as keywarden 0.1 left it (store id, KMS-wrapped pepper, an
 * audit chain with the unkeyed SHA-256 digests of 0.1, and records whose values are sealed in the
 * 0.1 envelope format without a MAC), through any StorageAdapter, so the upgrade can be tested on
 * every adapter.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { generateId } from '../../src/crypto/ids.js';
import { toBase64Url } from '../../src/internal/bytes.js';
import { META_PEPPER, META_STORE_ID, pepperContext } from '../../src/manager/store-context.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import type {
  AuditEventInput,
  StorageAdapter,
  StoredRecord,
  StoredVersion,
} from '../../src/ports/storage.js';
import { bindingOf, dekContext, openValue, sealAssociatedData } from '../../src/records/envelope.js';
import { makeAuditEvent } from '../../src/testing/fixtures.js';

/** What {@link seedLegacyStore} wrote. */
export interface LegacyStore {
  storeId: string;
  /** The unkeyed events, in seq order (seq 1 is `store.initialized`). */
  events: AuditEventInput[];
}

/**
 * Writes a 0.1 store: meta `store.id`, `store.pepper` (wrapped by `kms`) and `count` audit events
 * with unkeyed digests (the first is `store.initialized`).
 *
 * @example
 * ```ts
 * const legacy = await seedLegacyStore(storage, kms, 5);
 * ```
 * @throws whatever the storage or KMS throws.
 */
export async function seedLegacyStore(
  storage: Pick<StorageAdapter, 'setMeta' | 'appendAudit'>,
  kms: KmsAdapter,
  count: number,
): Promise<LegacyStore> {
  const storeId = generateId(16);
  const pepper = new Uint8Array(randomBytes(32));
  const wrapped = await kms.wrapKey(pepper, pepperContext(storeId));
  pepper.fill(0);
  await storage.setMeta(META_STORE_ID, storeId, { expected: null });
  await storage.setMeta(META_PEPPER, JSON.stringify(wrapped), { expected: null });
  const events: AuditEventInput[] = [
    makeAuditEvent({ type: 'store.initialized', data: { storage: 'legacy', kms: kms.id } }),
  ];
  for (let i = 1; i < count; i++) events.push(makeAuditEvent({ type: 'key.created', keyId: generateId(12) }));
  await storage.appendAudit(events);
  return { storeId, events };
}

/**
 * Rewrites every sealed value of every record as keywarden 0.1 sealed it (envelope format 1: the
 * associated data binds no name, tenant or environment; no `f` field), and drops the record MAC,
 * straight through `storage` (revision + 1). Returns how many values it rewrote.
 *
 * @example
 * ```ts
 * await toLegacyEnvelopes(storage, kms, storeId);
 * ```
 * @throws whatever the storage or KMS throws; ERR_DECRYPT for a value that does not open.
 */
export async function toLegacyEnvelopes(
  storage: StorageAdapter,
  kms: KmsAdapter,
  storeId: string,
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  const records: StoredRecord[] = [];
  do {
    const page = await storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    records.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  for (const r of records) {
    const versions: StoredVersion[] = [];
    for (const v of r.versions) {
      if (v.sealed === null) {
        versions.push(v);
        continue;
      }
      const binding = bindingOf(r, v.version);
      const bytes = await openValue({ kms }, { storeId }, v.sealed, binding);
      const dek = new Uint8Array(randomBytes(32));
      const nonce = new Uint8Array(randomBytes(12));
      const ct = gcm(dek, nonce, sealAssociatedData(storeId, binding, 1)).encrypt(bytes);
      const wrapped = await kms.wrapKey(dek, dekContext(storeId, binding));
      dek.fill(0);
      bytes.fill(0);
      versions.push({
        ...v,
        sealed: { alg: 'A256GCM', nonce: toBase64Url(nonce), ct: toBase64Url(ct), dek: wrapped },
      });
      count += 1;
    }
    const { mac: _mac, ...legacy } = r;
    await storage.update({ ...legacy, versions, revision: r.revision + 1 }, { expectedRevision: r.revision });
  }
  return count;
}
