/**
 * `cachedStorage` and `readMacs`: the MAC read answers from the inner store and drops cached
 * records it shows to be out of date, so agent access's call cache (which re-reads a record after
 * a MAC mismatch) sees another process's revoke on the next call even behind the wrapper's TTL.
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { cachedStorage } from '../../src/cache/cached-storage.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { makeRecord } from '../../src/testing/fixtures.js';
import { CHARGES, SECRET_VALUE, stripeTool } from '../access/helpers.js';

/** The memory adapter with its `get` calls counted. */
function counted() {
  const memory = memoryStorage();
  const n = { get: 0 };
  const storage: StorageAdapter = {
    ...memory,
    get: (id) => {
      n.get++;
      return memory.get(id);
    },
  };
  return { memory, storage, n };
}

describe('cachedStorage.readMacs', () => {
  it('is absent when the inner adapter has none', () => {
    const { readMacs: _, ...plain } = memoryStorage();
    expect(cachedStorage(plain as StorageAdapter).readMacs).toBeUndefined();
  });

  it('answers the inner MACs and keeps a cached record whose MAC is unchanged', async () => {
    const { memory, storage, n } = counted();
    const s = cachedStorage(storage, { ttl: '1h', clock: fakeClock() });
    const r = makeRecord({ mac: 'mac-one' });
    await memory.create(r);
    await s.get(r.id);
    expect(await s.readMacs!([r.id, 'missing00000'])).toEqual(['mac-one', null]);
    await s.get(r.id);
    expect(n.get).toBe(1);
  });

  it('drops a cached record whose stored MAC moved on: the next get reads what the store holds now', async () => {
    const { memory, storage, n } = counted();
    const s = cachedStorage(storage, { ttl: '1h', clock: fakeClock() });
    const r = makeRecord({ mac: 'mac-one' });
    await memory.create(r);
    expect((await s.get(r.id))?.status).toBe('active');
    // another process revokes it, behind the wrapper
    await memory.update({ ...r, status: 'revoked', mac: 'mac-two', revision: 2 }, { expectedRevision: 1 });
    expect((await s.get(r.id))?.status).toBe('active'); // the TTL bound, as documented
    expect(await s.readMacs!([r.id])).toEqual(['mac-two']);
    expect((await s.get(r.id))?.status).toBe('revoked');
    expect(n.get).toBe(2);
  });

  it('drops a cached absence when the record now exists, and a cached record that is gone', async () => {
    const { memory, storage } = counted();
    const s = cachedStorage(storage, { ttl: '1h', negativeTtl: '1h', clock: fakeClock() });
    const r = makeRecord({ mac: 'mac-one' });
    expect(await s.get(r.id)).toBeNull();
    await memory.create(r);
    expect(await s.get(r.id)).toBeNull(); // cached absence
    expect(await s.readMacs!([r.id])).toEqual(['mac-one']);
    expect((await s.get(r.id))?.id).toBe(r.id);
    await memory.delete(r.id);
    expect(await s.readMacs!([r.id])).toEqual([null]);
    expect(await s.get(r.id)).toBeNull();
  });
});

describe('agent access behind cachedStorage (another manager writes the store directly)', () => {
  it('a session revoked through the other manager is refused on the next call, within the TTL', async () => {
    const memory = memoryStorage();
    const masterKey = generateMasterKey();
    const kmA = createKeyManager({
      storage: cachedStorage(memory, { ttl: '1h' }),
      kms: localKms({ masterKey }),
    });
    const kmB = createKeyManager({ storage: memory, kms: localKms({ masterKey }) });
    try {
      await kmA.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
      const a = agentAccess(kmA);
      const b = agentAccess(kmB);
      await a.tools.register(stripeTool({ maxCalls: null, approval: 'auto' }));
      const req = await a.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
      const session = await a.sessions.open(req.id);
      expect(await a.authorize(session.token, CHARGES)).toMatchObject({ ok: true });
      expect(await a.authorize(session.token, CHARGES)).toMatchObject({ ok: true });
      await b.sessions.revoke(session.id, { reason: 'stop' });
      expect(await a.authorize(session.token, CHARGES)).toMatchObject({
        ok: false,
        code: 'REVOKED',
        status: 401,
      });
      await a.close();
      await b.close();
    } finally {
      await kmA.close();
      await kmB.close();
    }
  });
});
