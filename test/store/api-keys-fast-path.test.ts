/**
 * The verify hot path (issue 16): verify's own key-info builder gives exactly what toApiKeyInfo
 * gives; the verify view of a record (hashes, data, key info parts) is kept only for frozen records
 * and answers as the record does; and the synchronous reads of
 * the memory adapter (src/internal/sync-reads.ts) are used only while its own `get` is in place and
 * only for record objects the storage guard already checked, so an adapter patched or wrapped after
 * the manager was built, a record written behind the manager's back, and a closed manager all
 * behave as without them.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { syncReadOf } from '../../src/internal/sync-reads.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { versionAccepted } from '../../src/records/record.js';
import { readApiKeyData, toApiKeyInfo } from '../../src/store/api-keys/record.js';
import { keyInfoOf, verifyViewOf } from '../../src/store/api-keys/verify-view.js';
import { fakeClock } from '../../src/testing/index.js';
import { code, tamper } from '../support/store-attack.js';

function setup(storage: StorageAdapter = memoryStorage(), usage = true) {
  const clock = fakeClock();
  const kms = localKms({ masterKey: generateMasterKey() });
  const km = createKeyManager({ storage, kms, clock, ...(usage ? {} : { usage: false as const }) });
  return { km, storage, clock };
}

describe('keyInfoOf equals toApiKeyInfo', () => {
  it('for plain, credited, refilled, rate-limited, tagged, expired and revoked keys, frozen or not', async () => {
    const { km, storage, clock } = setup();
    const ids: string[] = [];
    ids.push((await km.apiKeys.create({ name: 'plain' })).key.id);
    ids.push(
      (
        await km.apiKeys.create({
          name: 'full',
          scopes: ['files:*', 'users:read'],
          tags: ['a', 'b'],
          meta: { team: 'x', nested: { list: [1, { deep: true }] } },
          remaining: 3,
          refill: { amount: 10, every: '1h' },
          rateLimit: { limit: 5, window: '1m' },
          expiresIn: '2h',
        })
      ).key.id,
    );
    const revoked = (await km.apiKeys.create({ name: 'revoked', scopes: ['*'] })).key.id;
    await km.apiKeys.revoke(revoked, { reason: 'test' });
    ids.push(revoked);
    // before the refill, after one refill period, past the 2-hour expiry
    for (const step of [0, 3_700_000, 3_600_000]) {
      clock.advance(step);
      const now = clock.now();
      for (const id of ids) {
        const record = (await storage.get(id)) as StoredRecord;
        const unfrozen = JSON.parse(JSON.stringify(record)) as StoredRecord;
        for (const r of [record, unfrozen]) {
          const want = toApiKeyInfo(r, now);
          const got = keyInfoOf(verifyViewOf(r), now);
          expect(got).toStrictEqual(want);
          expect(Object.keys(got)).toEqual(Object.keys(want));
          // fresh copies: the caller may mutate what it got
          expect(got.scopes).not.toBe(r.data['scopes']);
          expect(Object.isFrozen(got.scopes)).toBe(false);
          expect(Object.isFrozen(got.meta)).toBe(false);
          if (got.refill) expect(Object.isFrozen(got.refill)).toBe(false);
          if (got.rateLimit) expect(Object.isFrozen(got.rateLimit)).toBe(false);
        }
      }
    }
    await km.close();
  });

  it('a verification result can be mutated without changing the next one', async () => {
    const { km } = setup();
    const { token } = await km.apiKeys.create({ name: 'k', scopes: ['files:read'], meta: { a: { b: 1 } } });
    const first = await km.apiKeys.verify(token);
    if (!first.valid) throw new Error('expected a valid key');
    first.key.scopes.push('admin:*');
    (first.key.meta['a'] as Record<string, unknown>)['b'] = 2;
    first.key.tags.push('x');
    const second = await km.apiKeys.verify(token, { scopes: ['files:read'] });
    if (!second.valid) throw new Error('expected a valid key');
    expect(second.key.scopes).toEqual(['files:read']);
    expect(second.key.meta).toEqual({ a: { b: 1 } });
    expect(second.key.tags).toEqual([]);
    expect((await km.apiKeys.verify(token, { scopes: ['admin:x'] })).valid).toBe(false);
    await km.close();
  });
});

describe('verifyViewOf', () => {
  it('keeps one frozen view per frozen record object, computes afresh for others, reads as the record', async () => {
    const { km, storage } = setup();
    const { key } = await km.apiKeys.create({
      name: 'k',
      scopes: ['a:b'],
      refill: { amount: 2, every: '1h' },
    });
    const frozen = (await storage.get(key.id)) as StoredRecord;
    const a = verifyViewOf(frozen);
    expect(verifyViewOf(frozen)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.data)).toBe(true);
    expect(Object.isFrozen(a.data.refill)).toBe(true);
    expect(Object.isFrozen(a.hashes)).toBe(true);
    expect(a.data).toEqual(readApiKeyData(frozen));
    expect(a.hashes).toEqual(frozen.versions.map((v) => v.hash));
    const copy = JSON.parse(JSON.stringify(frozen)) as StoredRecord;
    const b = verifyViewOf(copy);
    expect(verifyViewOf(copy)).not.toBe(b);
    expect(Object.isFrozen(b)).toBe(false);
    expect(Object.isFrozen(b.data)).toBe(false);
    expect(b).toEqual(a);
    // a record written again is another object: it is read again
    await km.apiKeys.update(key.id, { scopes: ['c:d'] });
    const next = (await storage.get(key.id)) as StoredRecord;
    expect(verifyViewOf(next).scopes).toEqual(['c:d']);
    expect(verifyViewOf(next).data.scopes).toEqual(['c:d']);
    await km.close();
  });

  it('keys granting the same scopes share one frozen list; the result still gets its own copy', async () => {
    const { km, storage } = setup();
    const one = await km.apiKeys.create({ name: 'one', scopes: ['files:*', 'users:read'] });
    const two = await km.apiKeys.create({ name: 'two', scopes: ['files:*', 'users:read'] });
    const r1 = (await storage.get(one.key.id)) as StoredRecord;
    const stored2 = (await storage.get(two.key.id)) as StoredRecord;
    // the memory adapter may already hand both records one shared frozen list for equal scopes:
    // give the second record its own list, so the sharing below is verifyViewOf's
    const ownScopes = Object.freeze([...(stored2.data['scopes'] as string[])]);
    const r2 = Object.freeze({
      ...stored2,
      data: Object.freeze({ ...stored2.data, scopes: ownScopes }),
    }) as unknown as StoredRecord;
    expect(r1.data['scopes']).not.toBe(r2.data['scopes']);
    expect(verifyViewOf(r1).scopes).toBe(verifyViewOf(r2).scopes);
    expect(Object.isFrozen(verifyViewOf(r1).scopes)).toBe(true);
    const result = await km.apiKeys.verify(one.token);
    if (!result.valid) throw new Error('expected a valid key');
    expect(result.key.scopes).not.toBe(verifyViewOf(r1).scopes);
    result.key.scopes.push('admin:*');
    expect(verifyViewOf(r2).scopes).toEqual(['files:*', 'users:read']);
    await km.close();
  });

  it('tells which versions are accepted exactly as versionAccepted does, across a rotation overlap', async () => {
    const { km, storage, clock } = setup();
    const { key, token } = await km.apiKeys.create({ name: 'k' });
    const rotated = await km.rotator.rotate(key.id, { strategy: 'overlap', overlap: '1h' });
    // three versions: previous (retires in 1 h), previous (in 2 h), current
    const latest = await km.rotator.rotate(key.id, { strategy: 'overlap', overlap: '2h' });
    const record = (await storage.get(key.id)) as StoredRecord;
    const view = verifyViewOf(record);
    expect(view.versions).toEqual(record.versions.filter((v) => v.hash !== null).map((v) => v.version));
    for (const step of [0, 3_599_999, 1, 3_600_000, 1]) {
      clock.advance(step);
      const now = clock.now();
      const hashed = record.versions.filter((v) => v.hash !== null);
      hashed.forEach((v, i) => {
        expect(now < (view.acceptedUntil[i] as number)).toBe(versionAccepted(v, now));
      });
    }
    // past both overlaps only the newest token passes
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await km.apiKeys.verify(rotated.token as string)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await km.apiKeys.verify(latest.token as string)).toMatchObject({ valid: true, version: 3 });
    await km.close();
  });
});

describe('synchronous reads of the memory adapter', () => {
  it('are registered for its own get and findByName only', () => {
    const storage = memoryStorage();
    expect(syncReadOf(storage.get)).toBeTypeOf('function');
    expect(syncReadOf(storage.findByName)).toBeTypeOf('function');
    expect(syncReadOf(storage.list)).toBeUndefined();
    expect(syncReadOf(async () => null)).toBeUndefined();
    expect(syncReadOf(undefined)).toBeUndefined();
  });

  it('a get replaced after the manager was built is the one verify reads through', async () => {
    const storage = memoryStorage();
    const { km } = setup(storage);
    const { token } = await km.apiKeys.create({ name: 'k' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    let calls = 0;
    const original = storage.get;
    (storage as { get: StorageAdapter['get'] }).get = async (id) => {
      calls++;
      return id === '' ? original(id) : null; // the record is gone, as this adapter tells it
    };
    expect(await km.apiKeys.verify(token)).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect(calls).toBe(1);
    (storage as { get: StorageAdapter['get'] }).get = async () => {
      throw new Error('database down');
    };
    expect(await code(km.apiKeys.verify(token))).toBe('ERR_STORAGE');
    (storage as { get: StorageAdapter['get'] }).get = original;
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    await km.close();
  });

  it('a wrapper with its own get (spread of the memory adapter) goes through that get', async () => {
    const inner = memoryStorage();
    let gets = 0;
    let finds = 0;
    const wrapped: StorageAdapter = {
      ...inner,
      get: async (id) => {
        gets++;
        return inner.get(id);
      },
      findByName: async (name, where) => {
        finds++;
        return inner.findByName(name, where);
      },
    };
    const { km } = setup(wrapped);
    const { token } = await km.apiKeys.create({ name: 'k' });
    await km.secrets.set('s', 'v');
    gets = 0;
    finds = 0;
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.secrets.get('s')).toBe('v');
    expect(gets).toBe(1);
    expect(finds).toBe(1);
    await km.close();
  });

  it('a record written behind the manager is checked (MAC) before use, not taken from the fast path', async () => {
    const storage = memoryStorage();
    const { km } = setup(storage, false); // no usage flush into the tampered record at close()
    const { token, key } = await km.apiKeys.create({ name: 'k', scopes: ['files:read'] });
    expect((await km.apiKeys.verify(token, { scopes: ['files:read'] })).valid).toBe(true);
    await tamper(storage, key.id, (r) => ({ ...r, data: { ...r.data, scopes: ['*'] } }));
    expect(await code(km.apiKeys.verify(token, { scopes: ['admin:all'] }))).toBe('ERR_INTEGRITY');
    expect(await code(km.apiKeys.get(key.id))).toBe('ERR_INTEGRITY');
    await km.close();
  });

  it('after close() verify rejects with ERR_CLOSED, as before', async () => {
    const { km } = setup();
    const { token } = await km.apiKeys.create({ name: 'k' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    await km.close();
    expect(await code(km.apiKeys.verify(token))).toBe('ERR_CLOSED');
  });
});
