/**
 * apiKeys.verify's hot path reads the record through the memory adapter's synchronous twin of `get`
 * (src/internal/sync-reads.ts, `readChecked`) and skips the MAC for a frozen object the guard
 * already checked. Attacked here: a record changed after the guard checked it must never be
 * served. Two managers share one memory store (one process, two instances, the same master key);
 * the first has verified the key (so its object is the checked one); the second, or an attacker
 * writing the adapter directly, changes the record; the first manager's very next verify must
 * see the change. The checked object itself cannot be changed in place (deeply frozen).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { code, tamper } from '../support/store-attack.js';

async function twoManagers(): Promise<{ a: KeyManager; b: KeyManager; storage: StorageAdapter }> {
  const storage = memoryStorage();
  const masterKey = generateMasterKey();
  const a = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
  const b = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
  return { a, b, storage };
}

/** A key created by `b`, verified twice by `a` (the second verify takes the synchronous path). */
async function warmed(a: KeyManager, b: KeyManager, scopes: string[] = ['read', 'write']) {
  const created = await b.apiKeys.create({ name: `k-${Math.random().toString(36).slice(2)}`, scopes });
  expect((await a.apiKeys.verify(created.token)).valid).toBe(true);
  expect((await a.apiKeys.verify(created.token)).valid).toBe(true);
  return created;
}

describe('verify never serves a record changed after the guard checked it', () => {
  it('revoked by another manager: refused on the very next verify', async () => {
    const { a, b } = await twoManagers();
    const { token, key } = await warmed(a, b);
    await b.apiKeys.revoke(key.id);
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
  });

  it('disabled, narrowed and expired by another manager: each is seen at once', async () => {
    const { a, b } = await twoManagers();
    const one = await warmed(a, b);
    await b.apiKeys.update(one.key.id, { status: 'disabled' });
    expect(await a.apiKeys.verify(one.token)).toMatchObject({ valid: false, code: 'DISABLED' });

    const two = await warmed(a, b);
    expect((await a.apiKeys.verify(two.token, { scopes: ['write'] })).valid).toBe(true);
    await b.apiKeys.update(two.key.id, { scopes: ['read'] });
    expect(await a.apiKeys.verify(two.token, { scopes: ['write'] })).toMatchObject({
      valid: false,
      code: 'INSUFFICIENT_SCOPE',
    });

    const three = await warmed(a, b);
    await b.apiKeys.update(three.key.id, { expiresAt: Date.now() - 1000 });
    expect(await a.apiKeys.verify(three.token)).toMatchObject({ valid: false, code: 'EXPIRED' });
  });

  it('deleted by another manager: NOT_FOUND on the very next verify', async () => {
    const { a, b } = await twoManagers();
    const { token, key } = await warmed(a, b);
    await b.apiKeys.delete(key.id);
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'NOT_FOUND' });
  });

  it('revoked by the same manager in the same tick as the next verify', async () => {
    const { a } = await twoManagers();
    const { token, key } = await a.apiKeys.create({ name: 'same' });
    expect((await a.apiKeys.verify(token)).valid).toBe(true);
    const revoked = a.apiKeys.revoke(key.id);
    await revoked;
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
  });

  it('a store writer un-revoking or widening the checked record directly is refused (ERR_INTEGRITY)', async () => {
    const { a, b, storage } = await twoManagers();
    const revoked = await warmed(a, b);
    await b.apiKeys.revoke(revoked.key.id);
    expect(await a.apiKeys.verify(revoked.token)).toMatchObject({ valid: false, code: 'REVOKED' });
    await tamper(storage, revoked.key.id, (r) => ({ ...r, status: 'active' }));
    expect(await code(a.apiKeys.verify(revoked.token))).toBe('ERR_INTEGRITY');
    expect(await code(a.apiKeys.verify(revoked.token))).toBe('ERR_INTEGRITY'); // not remembered as good

    const narrow = await warmed(a, b, ['read']);
    await tamper(storage, narrow.key.id, (r) => ({ ...r, data: { ...r.data, scopes: ['read', 'admin'] } }));
    expect(await code(a.apiKeys.verify(narrow.token, { scopes: ['admin'] }))).toBe('ERR_INTEGRITY');
  });

  it('the checked object cannot be changed in place: it is deeply frozen, verify still answers from it', async () => {
    const { a, b, storage } = await twoManagers();
    const { token, key } = await warmed(a, b, ['read']);
    const r = (await storage.get(key.id)) as StoredRecord;
    expect(() => {
      (r as { status: string }).status = 'revoked';
    }).toThrow(TypeError);
    expect(() => {
      (r.data['scopes'] as string[]).push('admin');
    }).toThrow(TypeError);
    expect(() => {
      (r.versions[0] as { hash: string | null }).hash = null;
    }).toThrow(TypeError);
    expect(await a.apiKeys.verify(token, { scopes: ['read'] })).toMatchObject({ valid: true });
    expect(await a.apiKeys.verify(token, { scopes: ['admin'] })).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it('a record put back under the same id after a delete is checked again (not the old checked object)', async () => {
    const { a, b, storage } = await twoManagers();
    const { token, key } = await warmed(a, b);
    const before = (await storage.get(key.id)) as StoredRecord;
    await b.apiKeys.delete(key.id);
    // the attacker re-creates it with a status the MAC does not cover
    await storage.create({
      ...JSON.parse(JSON.stringify(before)),
      status: 'active',
      expiresAt: null,
      tags: ['x'],
    });
    expect(await code(a.apiKeys.verify(token))).toBe('ERR_INTEGRITY');
  });
});
