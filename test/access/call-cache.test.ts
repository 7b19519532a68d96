/**
 * The call cache of `authorize` (src/access/call-cache.ts): a session's checked records are reused
 * while `storage.readMacs` shows the session, tool and secret records unchanged, so a call costs
 * one MAC read instead of three record reads and the token's keyed hash. Whatever another manager
 * sharing the store writes (a revoke, a removed tool, a rotated secret) applies on the very next
 * call; a store writer without the master key can only make the records be read and checked again.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { CHARGES, SECRET_VALUE, stripeTool } from './helpers.js';

const ROTATED = 'sk_test_rotated_by_the_other_manager_00';

/** The memory adapter with its record reads counted. */
function countedMemory() {
  const memory = memoryStorage();
  const n = { get: 0, findByName: 0, readMacs: 0 };
  const storage: StorageAdapter = {
    ...memory,
    get: (id) => {
      n.get++;
      return memory.get(id);
    },
    findByName: (name, where) => {
      n.findByName++;
      return memory.findByName(name, where);
    },
    readMacs: (ids) => {
      n.readMacs++;
      return memory.readMacs!(ids);
    },
  };
  return { memory, storage, n };
}

/** Two managers (one master key) on one store: A serves the calls, B is "another process". */
async function twoManagers(storage: StorageAdapter) {
  const masterKey = generateMasterKey();
  const kmA = createKeyManager({ storage, kms: localKms({ masterKey }) });
  const kmB = createKeyManager({ storage, kms: localKms({ masterKey }) });
  await kmA.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
  const a = agentAccess(kmA);
  const b = agentAccess(kmB);
  await a.tools.register(stripeTool({ maxCalls: null, approval: 'auto' }));
  const req = await a.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
  const session = await a.sessions.open(req.id);
  return { kmA, kmB, a, b, token: session.token, sessionId: session.id };
}

function granted(r: Awaited<ReturnType<ReturnType<typeof agentAccess>['authorize']>>): string {
  if (!r.ok) throw new Error(`refused: ${r.code}`);
  return r.secret;
}

describe('authorize reuses the checked records while their MACs are unchanged', () => {
  it('the second call of a session reads three MACs, no record', async () => {
    const { storage, n } = countedMemory();
    const h = await twoManagers(storage);
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    const before = { ...n };
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    expect(n.get - before.get).toBe(0);
    expect(n.findByName - before.findByName).toBe(0);
    expect(n.readMacs - before.readMacs).toBe(1);
    // every call still has its audit row
    await h.a.flush();
    const rows = (await h.kmA.audit.list({ type: 'access.call', limit: 100 })).items;
    expect(rows).toHaveLength(2);
    // the cache holds the token only in a closure
    expect(inspect(h.a, { depth: 20, showHidden: true })).not.toContain(h.token);
    expect(JSON.stringify(h.a)).not.toContain(h.token);
  });

  it('a cached session still matches each call against its grant (the last allowed call is remembered, no other)', async () => {
    const { storage, n } = countedMemory();
    const h = await twoManagers(storage);
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    const reads = n.readMacs;
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    expect(n.readMacs).toBe(reads + 1); // served from the cache
    // other calls after the cached one: each matched against the grant on its own
    for (const [method, path] of [
      ['DELETE', '/v1/charges'],
      ['GET', '/v1/refunds'],
      ['GET', '/v1/charges/../refunds'],
      ['GET', '/v1/charges/ch_1/x'],
    ] as const) {
      const r = await h.a.authorize(h.token, { toolId: 'stripe', method, path });
      expect(r.ok ? 'granted' : r.code).toBe('FORBIDDEN');
    }
    expect(granted(await h.a.authorize(h.token, { ...CHARGES, path: '/v1/charges/ch_1' }))).toBe(
      SECRET_VALUE,
    );
    expect(granted(await h.a.authorize(h.token, { ...CHARGES, method: 'post' }))).toBe(SECRET_VALUE);
    const refused = await h.a.authorize(h.token, { ...CHARGES, method: 'PUT' });
    expect(refused.ok ? 'granted' : refused.code).toBe('FORBIDDEN');
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
  });

  it('nothing is served from the cache after access.close() or km.close()', async () => {
    const { storage, n } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    await h.a.close();
    const before = n.get;
    granted(await h.a.authorize(h.token, CHARGES)); // read again: the cache is off for this object
    expect(n.get).toBeGreaterThan(before);
    const other = agentAccess(h.kmA);
    granted(await other.authorize(h.token, CHARGES));
    await h.kmA.close();
    await expect(other.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('another token of the same session id is not served from the cache', async () => {
    const { storage } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    // same id and prefix, other secret part: the keyed hash decides (NOT_FOUND, or MALFORMED checksum)
    const last = h.token.at(-1) === 'A' ? 'B' : 'A';
    const forged = `${h.token.slice(0, -1)}${last}`;
    const r = await h.a.authorize(forged, CHARGES);
    expect(r.ok).toBe(false);
  });

  it('grants are checked on every call: another path or tool is refused, then the right call is served', async () => {
    const { storage } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    expect(await h.a.authorize(h.token, { ...CHARGES, path: '/v1/customers' })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
    expect(await h.a.authorize(h.token, { ...CHARGES, method: 'DELETE' })).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
    });
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
  });
});

describe('what another manager writes applies on the very next call (memory store shared by two managers)', () => {
  it('a session revoked through the other manager is refused on the next call', async () => {
    const { storage } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    granted(await h.a.authorize(h.token, CHARGES)); // served from the cache
    await h.b.sessions.revoke(h.sessionId, { reason: 'stop' });
    expect(await h.a.authorize(h.token, CHARGES)).toMatchObject({ ok: false, code: 'REVOKED', status: 401 });
  });

  it('a tool removed through the other manager is refused on the next call', async () => {
    const { storage } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    await h.b.tools.remove('stripe');
    const r = await h.a.authorize(h.token, CHARGES);
    expect(r.ok).toBe(false);
  });

  it('a secret rotated through the other manager is injected on the next call', async () => {
    const { storage } = countedMemory();
    const h = await twoManagers(storage);
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    await h.kmB.secrets.set('STRIPE_KEY', ROTATED, { environment: 'production' });
    expect(granted(await h.a.authorize(h.token, CHARGES))).toBe(ROTATED);
  });
});

describe('store writer without the master key', () => {
  /** Writes `record` straight into the adapter (no MAC computed: the writer has no key). */
  async function rawWrite(memory: StorageAdapter, record: StoredRecord, expected: number): Promise<void> {
    await memory.update(record, { expectedRevision: expected });
  }

  it('the revoked record with its revision rolled back (or bumped) is still refused as revoked', async () => {
    for (const delta of [-1, +5]) {
      const { memory, storage } = countedMemory();
      const h = await twoManagers(storage);
      granted(await h.a.authorize(h.token, CHARGES)); // A keeps the session at revision r
      await h.b.sessions.revoke(h.sessionId, { reason: 'stop' }); // r + 1
      const revoked = (await memory.get(h.sessionId)) as StoredRecord;
      // the writer puts the revoked record back under revision r (the one A checked) or r + 6
      await memory.delete(h.sessionId);
      await memory.create({ ...revoked, revision: revoked.revision + delta });
      // the MAC is not the one A checked: the record is read again (the revision is outside the MAC)
      expect(await h.a.authorize(h.token, CHARGES)).toMatchObject({ ok: false, code: 'REVOKED' });
    }
  });

  it('the revoked session edited back to active (MAC of the revoked record kept) is refused: ERR_INTEGRITY', async () => {
    const { memory, storage } = countedMemory();
    const h = await twoManagers(storage);
    granted(await h.a.authorize(h.token, CHARGES));
    await h.b.sessions.revoke(h.sessionId, { reason: 'stop' });
    const revoked = (await memory.get(h.sessionId)) as StoredRecord;
    const data = {
      ...(revoked.data as Record<string, unknown>),
      state: 'active',
      endedAt: null,
      endReason: null,
    };
    await rawWrite(
      memory,
      { ...revoked, status: 'active', data: data as StoredRecord['data'], revision: revoked.revision + 1 },
      revoked.revision,
    );
    await expect(h.a.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
  });

  it('a MAC read that fails, or answers the wrong shape, refuses the call (ERR_STORAGE), never serves it', async () => {
    for (const broken of [
      async () => {
        throw new Error('connection reset');
      },
      async (ids: readonly string[]) => ids.map(() => 7 as unknown as string),
      async () => [],
    ]) {
      const memory = memoryStorage();
      let fail = false;
      const storage: StorageAdapter = {
        ...memory,
        readMacs: (ids) => (fail ? broken(ids) : memory.readMacs!(ids)),
      };
      const h = await twoManagers(storage);
      granted(await h.a.authorize(h.token, CHARGES));
      fail = true;
      await expect(h.a.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    }
  });
});
