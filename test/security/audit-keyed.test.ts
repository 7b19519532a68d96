import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { auditDigest, chainHash } from '../../src/internal/audit-chain.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { META_AUDIT_KEYED } from '../../src/store/audit-verify.js';
import { makeAuditEvent } from '../../src/testing/fixtures.js';
import { seedLegacyStore } from '../support/legacy-store.js';
import { allAudit } from '../support/store-context.js';

// The attacker of these tests can write the store (tables, meta, audit rows: here, the storage
// adapter directly) but does not hold the master key.

/** A storage whose audit listing is rewritten by `alter` (what an attacker with write access could store). */
function tampering(inner: StorageAdapter, alter: (events: AuditEvent[]) => AuditEvent[]): StorageAdapter {
  return {
    ...inner,
    async listAudit(query) {
      const all = alter(await allAudit(inner));
      const after = query.afterSeq ?? 0;
      return { items: all.filter((e) => typeof e !== 'object' || e === null || e.seq > after) };
    },
  };
}

/** Recomputes every chain hash, as an attacker who knows the (public) chain function would. */
function relink(events: AuditEvent[]): AuditEvent[] {
  let prev = '0'.repeat(64);
  return events.map((e, i) => {
    const seq = i + 1;
    const hash = chainHash(prev, seq, e.digest);
    const out = { ...e, seq, prevHash: prev, hash };
    prev = hash;
    return out;
  });
}

/** An event with a correct unkeyed digest (what 0.1 wrote, and what anyone can compute). */
function forged(overrides: Partial<AuditEvent>): AuditEvent {
  const input = makeAuditEvent({
    type: 'key.revoked',
    actor: 'security-team',
    tenantId: 'B',
    keyId: 'victimkey001',
    ...overrides,
  });
  return { ...input, seq: 0, prevHash: '', hash: '' };
}

async function fresh() {
  const masterKey = generateMasterKey();
  const storage = memoryStorage();
  const open = (s: StorageAdapter = storage) =>
    createKeyManager({ storage: s, kms: localKms({ masterKey }) });
  const km = open();
  await km.apiKeys.create({ name: 'a', tenantId: 'A' });
  await km.apiKeys.create({ name: 'b', tenantId: 'B' });
  return { storage, open, km };
}

describe('keyed audit digests', () => {
  it('a new store is keyed from seq 1 and verifies', async () => {
    const { km, storage } = await fresh();
    expect(await km.audit.verify()).toMatchObject({ ok: true, count: 3 });
    expect(JSON.parse((await storage.getMeta(META_AUDIT_KEYED)) ?? 'null')).toMatchObject({
      v: 1,
      fromSeq: 1,
      foreign: false,
    });
    // the stored digest is not the public SHA-256 of the content
    const [first] = await allAudit(storage);
    expect(first?.digest).not.toBe(auditDigest(first!));
    await km.close();
  });

  it('an appended row with a correct unkeyed digest and a correct chain hash is reported at its seq', async () => {
    const { km, storage } = await fresh();
    await storage.appendAudit([forged({})]); // the chain hash is computed by the adapter: it links
    expect(await km.audit.verify()).toStrictEqual({
      ok: false,
      count: 3,
      brokenAt: 4,
      reason: 'digest_mismatch',
    });
    await km.close();
  });

  it('rewriting a keyed row and relinking the whole chain is reported', async () => {
    const { km, storage, open } = await fresh();
    const attacked = open(
      tampering(storage, (events) =>
        relink(
          events.map((e) =>
            e.seq === 2 ? { ...e, actor: 'mallory', digest: auditDigest({ ...e, actor: 'mallory' }) } : e,
          ),
        ),
      ),
    );
    expect(await attacked.audit.verify()).toMatchObject({
      ok: false,
      brokenAt: 2,
      reason: 'digest_mismatch',
    });
    await attacked.close();
    await km.close();
  });

  it('deleting the marker makes verification stricter, and the marker is not re-created over the chain', async () => {
    const { km, storage, open } = await fresh();
    const marker = await storage.getMeta(META_AUDIT_KEYED);
    // an attacker cannot delete meta through the port; they overwrite it with garbage, or drop it
    await storage.setMeta(META_AUDIT_KEYED, '{}');
    expect(await km.audit.verify()).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    // a store without any marker (the row deleted): a fresh manager does not write a new one
    const dropped: StorageAdapter = {
      ...storage,
      getMeta: async (key) => (key === META_AUDIT_KEYED ? null : storage.getMeta(key)),
      setMeta: async (key, value, o) => {
        if (key === META_AUDIT_KEYED) throw new Error('the marker must not be re-created');
        return storage.setMeta(key, value, o);
      },
    };
    const reopened = open(dropped);
    // rows are all keyed: without a marker they still verify (a marker only ever relaxes 0.1 rows)
    expect(await reopened.audit.verify()).toMatchObject({ ok: true, count: 3 });
    await storage.appendAudit([forged({})]);
    expect(await reopened.audit.verify()).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: 'digest_mismatch',
    });
    await reopened.close();
    expect(marker).not.toBeNull();
    await km.close();
  });

  it('a marker written by the attacker (without the audit key) is refused', async () => {
    const legacyKms = localKms({ masterKey: generateMasterKey() });
    const storage = memoryStorage();
    await seedLegacyStore(storage, legacyKms, 3);
    // the attacker plants a marker claiming the chain is unkeyed up to seq 100
    await storage.setMeta(
      META_AUDIT_KEYED,
      JSON.stringify({ v: 1, fromSeq: 100, prevHash: '0'.repeat(64), foreign: true, mac: 'f'.repeat(64) }),
    );
    const km = createKeyManager({ storage, kms: legacyKms });
    expect(await km.audit.verify()).toStrictEqual({
      ok: false,
      count: 0,
      brokenAt: 1,
      reason: 'digest_mismatch',
    });
    await km.close();
  });

  it('a malformed row is reported with its seq, not thrown', async () => {
    const { km, storage, open } = await fresh();
    const broken = open(
      tampering(storage, (events) =>
        events.map((e) => (e.seq === 2 ? ({ ...e, context: null, data: 'x' } as unknown as AuditEvent) : e)),
      ),
    );
    expect(await broken.audit.verify()).toStrictEqual({
      ok: false,
      count: 1,
      brokenAt: 2,
      reason: 'malformed_event',
    });
    const junk = open(tampering(storage, (events) => [...events, 42 as unknown as AuditEvent]));
    expect(await junk.audit.verify()).toMatchObject({ ok: false, brokenAt: 4, reason: 'malformed_event' });
    await broken.close();
    await junk.close();
    await km.close();
  });
});

describe('upgrading a 0.1 store (unkeyed digests)', () => {
  it('the first ready() pins the 0.1 chain with a keyed marker; new rows are keyed; verify is ok', async () => {
    const masterKey = generateMasterKey();
    const kms = localKms({ masterKey });
    const storage = memoryStorage();
    const legacy = await seedLegacyStore(storage, kms, 5);
    const km = createKeyManager({ storage, kms });
    await km.ready();
    expect(await storage.getMeta('store.id')).toBe(legacy.storeId);
    await km.apiKeys.create({ name: 'after-upgrade' });
    const events = await allAudit(storage);
    expect(events.map((e) => e.type)).toStrictEqual([
      'store.initialized',
      'key.created',
      'key.created',
      'key.created',
      'key.created',
      'audit.keyed',
      'key.created',
    ]);
    expect(JSON.parse((await storage.getMeta(META_AUDIT_KEYED)) ?? 'null')).toMatchObject({
      fromSeq: 6,
      prevHash: events[4]?.hash,
      foreign: false,
    });
    expect(await km.audit.verify()).toMatchObject({ ok: true, count: 7 });
    await km.close();
  });

  it('after the upgrade an unkeyed row (0.1 style) at the tail is reported', async () => {
    const masterKey = generateMasterKey();
    const kms = localKms({ masterKey });
    const storage = memoryStorage();
    await seedLegacyStore(storage, kms, 3);
    const km = createKeyManager({ storage, kms });
    await km.ready();
    await storage.appendAudit([forged({})]);
    expect(await km.audit.verify()).toMatchObject({ ok: false, brokenAt: 5, reason: 'digest_mismatch' });
    // reopening does not move the marker over the forged row
    const again = createKeyManager({ storage, kms: localKms({ masterKey }) });
    expect(await again.audit.verify()).toMatchObject({ ok: false, brokenAt: 5, reason: 'digest_mismatch' });
    await again.close();
    await km.close();
  });

  it('rewriting a 0.1 row (digest and chain recomputed) breaks the pinned hash at the marker', async () => {
    const masterKey = generateMasterKey();
    const kms = localKms({ masterKey });
    const storage = memoryStorage();
    await seedLegacyStore(storage, kms, 4);
    const km = createKeyManager({ storage, kms });
    await km.ready();
    const attacked = createKeyManager({
      kms: localKms({ masterKey }),
      storage: tampering(storage, (events) =>
        relink(
          events.map((e) =>
            e.seq === 2 ? { ...e, actor: 'mallory', digest: auditDigest({ ...e, actor: 'mallory' }) } : e,
          ),
        ),
      ),
    });
    expect(await attacked.audit.verify()).toMatchObject({
      ok: false,
      brokenAt: 5,
      reason: 'prev_hash_mismatch',
    });
    // removing the 0.1 rows is reported too
    const truncated = createKeyManager({
      kms: localKms({ masterKey }),
      storage: tampering(storage, (events) => relink(events.filter((e) => e.seq > 4))),
    });
    expect(await truncated.audit.verify()).toMatchObject({ ok: false });
    await attacked.close();
    await truncated.close();
    await km.close();
  });

  it('a marker removed before any keyed row exists is not re-created over rows added meanwhile', async () => {
    const masterKey = generateMasterKey();
    const kms = localKms({ masterKey });
    const storage = memoryStorage();
    await seedLegacyStore(storage, kms, 2);
    const km = createKeyManager({ storage, kms });
    await km.ready(); // marker at seq 3 and a keyed `audit.keyed` event at seq 3
    await km.close();
    await storage.appendAudit([forged({})]);
    const dropped: StorageAdapter = {
      ...storage,
      getMeta: async (key) => (key === META_AUDIT_KEYED ? null : storage.getMeta(key)),
    };
    const reopened = createKeyManager({ storage: dropped, kms: localKms({ masterKey }) });
    await reopened.ready();
    expect(await storage.getMeta(META_AUDIT_KEYED)).not.toBeNull(); // untouched (no second marker)
    expect(await reopened.audit.verify()).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: 'digest_mismatch',
    });
    await reopened.close();
  });
});
