/**
 * The verify hot path (issue 16): verify's own key-info builder gives exactly what toApiKeyInfo
 * gives; the read-only API-key data is kept only for frozen records; and the synchronous reads of
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
import {
  apiKeyDataOf,
  readApiKeyData,
  toApiKeyInfo,
  verifiedKeyInfo,
} from '../../src/store/api-keys/record.js';
import { fakeClock } from '../../src/testing/index.js';
import { code, tamper } from '../support/store-attack.js';

function setup(storage: StorageAdapter = memoryStorage(), usage = true) {
  const clock = fakeClock();
  const kms = localKms({ masterKey: generateMasterKey() });
  const km = createKeyManager({ storage, kms, clock, ...(usage ? {} : { usage: false as const }) });
  return { km, storage, clock };
}

describe('verifiedKeyInfo equals toApiKeyInfo', () => {
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
          const got = verifiedKeyInfo(r, now, apiKeyDataOf(r));
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

describe('apiKeyDataOf', () => {
  it('keeps one frozen copy per frozen record object, computes afresh for others, equals readApiKeyData', async () => {
    const { km, storage } = setup();
    const { key } = await km.apiKeys.create({
      name: 'k',
      scopes: ['a:b'],
      refill: { amount: 2, every: '1h' },
    });
    const frozen = (await storage.get(key.id)) as StoredRecord;
    const a = apiKeyDataOf(frozen);
    expect(apiKeyDataOf(frozen)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.refill)).toBe(true);
    expect(a).toEqual(readApiKeyData(frozen));
    const copy = JSON.parse(JSON.stringify(frozen)) as StoredRecord;
    const b = apiKeyDataOf(copy);
    expect(apiKeyDataOf(copy)).not.toBe(b);
    expect(Object.isFrozen(b)).toBe(false);
    expect(b).toEqual(a);
    // a record written again is another object: its data is read again
    await km.apiKeys.update(key.id, { scopes: ['c:d'] });
    const next = (await storage.get(key.id)) as StoredRecord;
    expect(apiKeyDataOf(next).scopes).toEqual(['c:d']);
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
