/**
 * The verification cache seen through two key managers (two "processes") sharing one store:
 * the revocation bound, immediate effect for the writer, one read per TTL, exact credits.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { cachedStorage } from '../../src/cache/cached-storage.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { type FakeClock, fakeClock } from '../../src/testing/fake-clock.js';

/** One shared memory store whose `get` calls are counted. */
function sharedStore() {
  const inner = memoryStorage();
  const reads = { get: 0 };
  const storage: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
    get: (id: string) => {
      reads.get++;
      return inner.get(id);
    },
  });
  return { storage, reads };
}

function twoManagers(clock: FakeClock, ttl = '5s') {
  const { storage, reads } = sharedStore();
  const masterKey = generateMasterKey();
  const make = () =>
    createKeyManager({
      storage: cachedStorage(storage, { ttl, clock }),
      kms: localKms({ masterKey }),
      clock,
    });
  return { a: make(), b: make(), reads };
}

describe('verification cache across two managers', () => {
  it('a revoke via A is seen at once by A and by B within the TTL bound', async () => {
    const clock = fakeClock();
    const { a, b } = twoManagers(clock);
    const { token, key } = await a.apiKeys.create({ name: 'k' });
    expect((await b.apiKeys.verify(token)).valid).toBe(true); // B caches the record
    expect((await a.apiKeys.verify(token)).valid).toBe(true);

    await a.apiKeys.revoke(key.id);
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect((await b.apiKeys.verify(token)).valid).toBe(true); // stale, and within the bound
    clock.advance('5s');
    expect((await b.apiKeys.verify(token)).valid).toBe(true); // age 5 s: still within the bound
    clock.advance(1);
    expect(await b.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    await a.close();
    await b.close();
  });

  it('a disable through A takes effect on A at once; re-enabling too', async () => {
    const clock = fakeClock();
    const { a } = twoManagers(clock);
    const { token, key } = await a.apiKeys.create({ name: 'k', scopes: ['x'] });
    expect((await a.apiKeys.verify(token)).valid).toBe(true);
    await a.apiKeys.update(key.id, { status: 'disabled' });
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'DISABLED' });
    await a.apiKeys.update(key.id, { status: 'active', scopes: ['y'] });
    expect(await a.apiKeys.verify(token, { scopes: ['y'] })).toMatchObject({ valid: true });
    await a.close();
  });

  it('repeated verifies within the TTL do one storage read', async () => {
    const clock = fakeClock();
    const { a, b, reads } = twoManagers(clock);
    const { token } = await a.apiKeys.create({ name: 'k' });
    const before = reads.get;
    for (let i = 0; i < 100; i++) expect((await b.apiKeys.verify(token)).valid).toBe(true);
    expect(reads.get - before).toBe(1);
    clock.advance('6s');
    for (let i = 0; i < 100; i++) expect((await b.apiKeys.verify(token)).valid).toBe(true);
    expect(reads.get - before).toBe(2);
    await a.close();
    await b.close();
  });

  it('credits stay exact: 200 concurrent verifies on two managers, 100 credits, exactly 100 valid', async () => {
    const clock = fakeClock();
    const { a, b } = twoManagers(clock);
    const { token, key } = await a.apiKeys.create({ name: 'k', remaining: 100 });
    await b.apiKeys.verify(token, { cost: 0 }); // B starts with a warm (soon stale) cache entry
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).apiKeys.verify(token)),
    );
    const valid = results.filter((r) => r.valid);
    expect(valid).toHaveLength(100);
    expect(results.filter((r) => !r.valid && r.code === 'USAGE_EXCEEDED')).toHaveLength(100);
    const left = valid.map((r) => (r.valid ? r.remaining : -1)).sort((x, y) => (x ?? 0) - (y ?? 0));
    expect(left).toStrictEqual(Array.from({ length: 100 }, (_, i) => i)); // each credit spent once
    expect((await a.apiKeys.get(key.id)).remaining).toBe(0);
    await a.close();
    await b.close();
  });
});
