import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import type { KeywardenError } from '../../src/errors.js';
import { GENESIS_HASH } from '../../src/internal/audit-chain.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { allAudit, expectKw, snapshot, wrapStorage } from './api-keys-helpers.js';

/** A storage whose listAudit passes every event through `alter` (a tampering attacker). */
function tampering(inner: StorageAdapter, alter: (e: AuditEvent) => AuditEvent | null): StorageAdapter {
  return wrapStorage(inner, {
    listAudit: async (q) => {
      const page = await inner.listAudit(q);
      const items = page.items.map(alter).filter((e): e is AuditEvent => e !== null);
      return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
    },
  });
}

async function seeded() {
  const inner = memoryStorage();
  const masterKey = generateMasterKey();
  const { km, clock } = createTestKeyManager({ storage: inner, kms: localKms({ masterKey }) });
  const { key } = await km.apiKeys.create({ name: 'a' });
  clock.advance('1s');
  await km.apiKeys.update(key.id, { name: 'b' });
  clock.advance('1s');
  await km.apiKeys.revoke(key.id, { reason: 'test' });
  return { inner, km, key, masterKey };
}

describe('audit.verify', () => {
  it('accepts an intact chain and reports count and head hash', async () => {
    const { inner, km } = await seeded();
    const events = await allAudit(inner);
    expect(events.map((e) => e.type)).toEqual([
      'store.initialized',
      'key.created',
      'key.updated',
      'key.revoked',
    ]);
    expect(await km.audit.verify()).toEqual({ ok: true, count: 4, headHash: events[3]?.hash });
  });

  it('an empty log verifies with the genesis hash', async () => {
    const { km, storage } = createTestKeyManager();
    expect(await km.audit.verify()).toEqual({
      ok: true,
      count: 1,
      headHash: (await allAudit(storage))[0]?.hash,
    });
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('detects an altered event (digest), a rewritten hash, a broken link and a gap', async () => {
    const { inner, masterKey } = await seeded();
    const cases: [(e: AuditEvent) => AuditEvent | null, number, string][] = [
      [(e) => (e.seq === 3 ? { ...e, data: { ...e.data, fields: ['scopes'] } } : e), 3, 'digest_mismatch'],
      [(e) => (e.seq === 2 ? { ...e, actor: 'mallory' } : e), 2, 'digest_mismatch'],
      [(e) => (e.seq === 2 ? { ...e, at: e.at + 1 } : e), 2, 'digest_mismatch'],
      [(e) => (e.seq === 4 ? { ...e, hash: 'f'.repeat(64) } : e), 4, 'hash_mismatch'],
      [(e) => (e.seq === 3 ? { ...e, prevHash: 'a'.repeat(64) } : e), 3, 'prev_hash_mismatch'],
      [(e) => (e.seq === 2 ? null : e), 2, 'seq_gap'],
    ];
    for (const [alter, brokenAt, reason] of cases) {
      const { km } = createTestKeyManager({ storage: tampering(inner, alter), kms: localKms({ masterKey }) });
      expect(await km.audit.verify()).toEqual({ ok: false, count: brokenAt - 1, brokenAt, reason });
    }
  });

  it('a rewrite of one event with its digest recomputed (anyone can compute SHA-256) fails: digests are keyed', async () => {
    const { inner, masterKey } = await seeded();
    const { auditDigest } = await import('../../src/internal/audit-chain.js');
    const { km } = createTestKeyManager({
      kms: localKms({ masterKey }),
      storage: tampering(inner, (e) => {
        if (e.seq !== 2) return e;
        const forged = { ...e, actor: 'mallory' };
        return { ...forged, digest: auditDigest(forged) };
      }),
    });
    expect(await km.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'digest_mismatch' });
  });

  it('verifies across pages', async () => {
    const { km, storage } = createTestKeyManager();
    for (let i = 0; i < 3; i++) {
      await km.apiKeys.createMany(Array.from({ length: 400 }, (_, j) => ({ name: `k${i}-${j}` })));
    }
    const r = await km.audit.verify();
    expect(r).toMatchObject({ ok: true, count: 1201 });
    const events = await allAudit(storage);
    expect(r.ok && r.headHash).toBe(events.at(-1)?.hash);
  });
});

describe('audit.list', () => {
  it('filters by key, type and time and paginates', async () => {
    const { km, clock } = createTestKeyManager();
    const t0 = clock.now();
    const { key: a } = await km.apiKeys.create({ name: 'a' });
    clock.advance('1h');
    const { key: b } = await km.apiKeys.create({ name: 'b' });
    await km.apiKeys.revoke(a.id);
    expect((await km.audit.list({ keyId: a.id })).items.map((e) => e.type)).toEqual([
      'key.created',
      'key.revoked',
    ]);
    expect((await km.audit.list({ type: 'key.created' })).items.map((e) => e.keyId)).toEqual([a.id, b.id]);
    expect((await km.audit.list({ since: t0 + 1 })).items.map((e) => e.type)).toEqual([
      'key.created',
      'key.revoked',
    ]);
    expect((await km.audit.list({ until: new Date(t0 + 1) })).items.map((e) => e.type)).toEqual([
      'store.initialized',
      'key.created',
    ]);
    const first = await km.audit.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await km.audit.list({ limit: 2, cursor: first.cursor as string });
    expect(second.items.map((e) => e.seq)).toEqual([3, 4]);
  });

  it('rejects bad queries', async () => {
    const { km } = createTestKeyManager();
    await expectKw(() => km.audit.list({ limit: 0 }), 'ERR_VALIDATION', 'limit');
    await expectKw(() => km.audit.list({ since: -1 }), 'ERR_VALIDATION', 'since');
    await expectKw(() => km.audit.list({ type: 'Nope!' as 'key.created' }), 'ERR_VALIDATION', 'type');
    await expectKw(() => km.audit.list({ seq: 1 } as object), 'ERR_VALIDATION', 'seq');
    await expectKw(() => km.audit.list('x' as unknown as object), 'ERR_VALIDATION', 'query');
  });
});

describe('fail closed: a mutation fails when its audit event cannot be written', () => {
  function breakable() {
    const inner = memoryStorage();
    const state = { broken: false };
    const storage = wrapStorage(inner, {
      appendAudit: async (events) => {
        if (state.broken) throw new Error('audit disk full');
        return inner.appendAudit(events);
      },
    });
    return { inner, storage, state };
  }

  it('create and createMany leave no record behind', async () => {
    const { inner, storage, state } = breakable();
    const { km } = createTestKeyManager({ storage });
    await km.ready();
    const before = await snapshot(inner);
    state.broken = true;
    const e = await expectKw(() => km.apiKeys.create({ name: 'x' }), 'ERR_AUDIT');
    expect((e.cause as KeywardenError).code).toBe('ERR_STORAGE');
    expect(((e.cause as KeywardenError).cause as Error).message).toBe('audit disk full');
    await expectKw(() => km.apiKeys.createMany([{ name: 'a' }, { name: 'b' }]), 'ERR_AUDIT');
    expect(await snapshot(inner)).toBe(before);
  });

  it('update and revoke are undone; the token keeps its previous state', async () => {
    const { inner, storage, state } = breakable();
    const { km } = createTestKeyManager({ storage });
    const { token, key } = await km.apiKeys.create({ name: 'x', scopes: ['a'] });
    state.broken = true;
    await expectKw(() => km.apiKeys.update(key.id, { name: 'y', scopes: [] }), 'ERR_AUDIT');
    await expectKw(() => km.apiKeys.revoke(key.id), 'ERR_AUDIT');
    const after = await km.apiKeys.get(key.id);
    expect(after).toMatchObject({ name: 'x', scopes: ['a'], status: 'active', revokedAt: null });
    state.broken = false;
    expect((await km.apiKeys.verify(token, { scopes: ['a'] })).valid).toBe(true);
    expect((await allAudit(inner)).map((e) => e.type)).toEqual(['store.initialized', 'key.created']);
  });

  it('delete is undone: the record is restored', async () => {
    const { inner, storage, state } = breakable();
    const { km } = createTestKeyManager({ storage });
    const { token, key } = await km.apiKeys.create({ name: 'x' });
    state.broken = true;
    await expectKw(() => km.apiKeys.delete(key.id), 'ERR_AUDIT');
    expect(await inner.get(key.id)).not.toBeNull();
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
  });

  it("verify with verifications 'all' throws ERR_AUDIT; denials stay denials", async () => {
    const { storage, state } = breakable();
    const { km } = createTestKeyManager({ storage, audit: { verifications: 'all' } });
    const { token } = await km.apiKeys.create({ name: 'x' });
    state.broken = true;
    await expectKw(() => km.apiKeys.verify(token), 'ERR_AUDIT');
    expect(await km.apiKeys.verify(token, { scopes: ['nope'] })).toMatchObject({
      valid: false,
      code: 'INSUFFICIENT_SCOPE',
    });
  });
});

describe('createMany rollback', () => {
  it('deletes the keys already created when the 3rd storage write fails', async () => {
    const inner = memoryStorage();
    let creates = 0;
    const storage = wrapStorage(inner, {
      create: async (r) => {
        creates++;
        if (creates === 3) throw new Error('disk full');
        return inner.create(r);
      },
    });
    const { km } = createTestKeyManager({ storage });
    await km.ready();
    const before = await snapshot(inner);
    const e = await expectKw(
      () => km.apiKeys.createMany([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]),
      'ERR_STORAGE',
    );
    expect((e.cause as Error).message).toBe('disk full');
    expect(await snapshot(inner)).toBe(before);
    expect((await km.apiKeys.list()).items).toEqual([]);
  });
});
