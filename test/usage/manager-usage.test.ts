/**
 * Usage tracking wired into `km.apiKeys.verify`: counted in memory on success, written in batches,
 * flushed first by `close()`, and kept by every later rewrite of the API key's `data`.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManagerOptions } from '../../src/manager/key-manager.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/fake-clock.js';

const T0 = Date.UTC(2030, 0, 1);

/** A memory storage counting record updates, whose writes fail once it is closed. */
function countingStorage() {
  const inner = memoryStorage();
  const state = { updates: 0, closed: false };
  const storage: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
    update: async (record: StoredRecord, o: { expectedRevision: number }) => {
      if (state.closed) throw new Error('storage closed');
      state.updates++;
      return inner.update(record, o);
    },
    close: async () => {
      state.closed = true;
    },
  });
  return { storage, inner, state };
}

function manager(storage: StorageAdapter, masterKey: string, extra: Partial<KeyManagerOptions> = {}) {
  const clock = fakeClock({ now: T0 });
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey }),
    clock,
    defaults: { expiresIn: null },
    ...extra,
  });
  return { km, clock };
}

describe('usage tracking in verify', () => {
  it('counts N verifications, flushed by close(): a reopened manager sees lastUsedAt and N uses', async () => {
    const masterKey = generateMasterKey();
    const { storage, inner, state } = countingStorage();
    const a = manager(storage, masterKey);
    const { token, key } = await a.km.apiKeys.create({ name: 'k' });
    expect(key.lastUsedAt).toBeNull();
    const N = 7;
    for (let i = 0; i < N; i++) {
      a.clock.advance('1m');
      expect((await a.km.apiKeys.verify(token)).valid).toBe(true);
    }
    const lastAt = a.clock.now();
    // failures are not usage
    expect(await a.km.apiKeys.verify(token, { scopes: ['admin'] })).toMatchObject({ valid: false });
    expect(state.updates).toBe(0); // nothing written per request
    await a.km.close();
    expect(state.updates).toBe(1); // one write for the whole batch, before storage closed

    state.closed = false;
    const b = manager(storage, masterKey);
    const info = await b.km.apiKeys.get(key.id);
    expect(info.lastUsedAt).toBe(lastAt);
    const stored = await inner.get(key.id);
    expect(stored?.versions[0]?.data).toMatchObject({ uses: N, lastUsedAt: lastAt });
    await b.km.close();
  });

  it('never writes per request for a key without credits: only the flush writes', async () => {
    const masterKey = generateMasterKey();
    const { storage, state } = countingStorage();
    const { km } = manager(storage, masterKey, { usage: { flushInterval: '1h' } });
    const { token } = await km.apiKeys.create({ name: 'k', scopes: ['read'] });
    for (let i = 0; i < 50; i++) {
      expect((await km.apiKeys.verify(token, { scopes: ['read'] })).valid).toBe(true);
    }
    expect(state.updates).toBe(0);
    await km.close();
    expect(state.updates).toBe(1);
  });

  it('credit spends, updates and revoke keep lastUsedAt (writeApiKeyData writes it back)', async () => {
    const masterKey = generateMasterKey();
    const storage = memoryStorage();
    const a = manager(storage, masterKey);
    const { token, key } = await a.km.apiKeys.create({ name: 'k', remaining: 100 });
    a.clock.advance('5m');
    expect((await a.km.apiKeys.verify(token)).valid).toBe(true);
    const usedAt = a.clock.now();
    await a.km.close();

    const b = manager(storage, masterKey, { usage: false });
    b.clock.advance('1h');
    // a credit spend rewrites data
    expect(await b.km.apiKeys.verify(token)).toMatchObject({ valid: true, remaining: 98 });
    expect((await b.km.apiKeys.get(key.id)).lastUsedAt).toBe(usedAt);
    // an update rewrites data
    expect((await b.km.apiKeys.update(key.id, { scopes: ['x'] })).lastUsedAt).toBe(usedAt);
    // a revoke rewrites data
    const revoked = await b.km.apiKeys.revoke(key.id, { reason: 'rotated out' });
    expect(revoked).toMatchObject({ status: 'revoked', lastUsedAt: usedAt });
    expect((await storage.get(key.id))?.data['lastUsedAt']).toBe(usedAt);
    await b.km.close();
  });

  it('reads lastUsedAt defensively: a malformed stored value is null', async () => {
    const masterKey = generateMasterKey();
    const storage = memoryStorage();
    const { km } = manager(storage, masterKey, { usage: false });
    const { key } = await km.apiKeys.create({ name: 'k' });
    const rec = (await storage.get(key.id)) as StoredRecord;
    await storage.update(
      { ...rec, data: { ...rec.data, lastUsedAt: 'yesterday' }, revision: rec.revision + 1 },
      { expectedRevision: rec.revision },
    );
    expect((await km.apiKeys.get(key.id)).lastUsedAt).toBeNull();
  });

  it('usage: false turns it off (no write, lastUsedAt stays null)', async () => {
    const masterKey = generateMasterKey();
    const { storage, state } = countingStorage();
    const { km } = manager(storage, masterKey, { usage: false });
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    for (let i = 0; i < 5; i++) expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect((await km.apiKeys.get(key.id)).lastUsedAt).toBeNull();
    await km.close();
    expect(state.updates).toBe(0);
  });

  it('validates the usage option', () => {
    const masterKey = generateMasterKey();
    for (const [usage, field] of [
      [{ flushInterval: 'soon' }, 'usage.flushInterval'],
      [{ flushInterval: '2d' }, 'usage.flushInterval'],
      [{ other: 1 }, 'usage'],
      [true, 'usage'],
    ] as const) {
      let caught: unknown;
      try {
        manager(memoryStorage(), masterKey, { usage } as never);
      } catch (error) {
        caught = error;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION') && caught.field).toBe(field);
    }
  });
});
