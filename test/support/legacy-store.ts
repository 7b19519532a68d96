/**
 * Test support: writes a store exactly as keywarden 0.1 left it (store id, KMS-wrapped pepper, an
 * audit chain with the unkeyed SHA-256 digests of 0.1), through any StorageAdapter, so the upgrade
 * to keyed digests can be tested on every adapter.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { generateId } from '../../src/crypto/ids.js';
import { META_PEPPER, META_STORE_ID, pepperContext } from '../../src/manager/store-context.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import type { AuditEventInput, StorageAdapter } from '../../src/ports/storage.js';
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
