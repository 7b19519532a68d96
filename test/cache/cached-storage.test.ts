import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { cachedStorage } from '../../src/cache/cached-storage.js';
import { isKeywardenError } from '../../src/errors.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { makeRecord } from '../../src/testing/fixtures.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';

testStorageAdapter({
  name: 'cachedStorage(memory)',
  create: async () => cachedStorage(memoryStorage()),
  describe,
  it,
  expect,
});

/** Counts reads of the inner storage; `gate` (when set) holds every get until released. */
function counting(inner: StorageAdapter = memoryStorage()) {
  const counts = { get: 0 };
  let gate: Promise<void> | null = null;
  const storage: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
    get: async (id: string) => {
      counts.get++;
      const result = await inner.get(id);
      if (gate) await gate;
      return result;
    },
  });
  return {
    storage,
    counts,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => {
        release = r;
      });
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('cachedStorage', () => {
  it('serves repeated gets from the cache until the TTL passes', async () => {
    const clock = fakeClock();
    const c = counting();
    const s = cachedStorage(c.storage, { ttl: '5s', clock });
    const r = makeRecord();
    await s.create(r);
    for (let i = 0; i < 10; i++) expect((await s.get(r.id))?.name).toBe(r.name);
    expect(c.counts.get).toBe(1);
    clock.advance('5s');
    await s.get(r.id);
    expect(c.counts.get).toBe(1); // an entry is served while its age <= ttl
    clock.advance(1);
    await s.get(r.id);
    expect(c.counts.get).toBe(2);
    expect(s.stats()).toStrictEqual({ hits: 10, misses: 2, size: 1 });
  });

  it('coalesces concurrent reads of one id into one storage read', async () => {
    const c = counting();
    const s = cachedStorage(c.storage);
    const r = makeRecord();
    await c.storage.create(r);
    const all = await Promise.all(Array.from({ length: 50 }, () => s.get(r.id)));
    expect(all.every((x) => x?.id === r.id)).toBe(true);
    expect(c.counts.get).toBe(1);
  });

  it('remembers absent ids for negativeTtl, and forgets them on a write through the wrapper', async () => {
    const clock = fakeClock();
    const inner = counting();
    const a = cachedStorage(inner.storage, { clock, negativeTtl: '1s' });
    const b = cachedStorage(inner.storage, { clock, negativeTtl: '1s' });
    const r = makeRecord();
    expect(await a.get(r.id)).toBeNull();
    expect(await b.get(r.id)).toBeNull();
    expect(await a.get(r.id)).toBeNull();
    expect(inner.counts.get).toBe(2);
    await a.create(r);
    expect((await a.get(r.id))?.id).toBe(r.id); // the writer sees it at once
    expect(await b.get(r.id)).toBeNull(); // another wrapper: within its negative bound
    clock.advance(1001);
    expect((await b.get(r.id))?.id).toBe(r.id);
  });

  it('does not cache what a read saw when a write lands while it is in flight', async () => {
    const c = counting();
    const s = cachedStorage(c.storage);
    const r = makeRecord();
    await s.create(r);
    const release = c.hold();
    const stale = s.get(r.id);
    const updated: StoredRecord = { ...r, name: 'renamed', revision: 2 };
    await s.update(updated, { expectedRevision: 1 });
    release();
    expect((await stale)?.name).toBe(r.name); // it started before the write
    expect((await s.get(r.id))?.name).toBe('renamed');
  });

  it('drops the id on ERR_CONFLICT so a compare-and-swap retry reads fresh data', async () => {
    const inner = memoryStorage();
    const a = cachedStorage(inner);
    const b = cachedStorage(inner);
    const r = makeRecord();
    await a.create(r);
    const seen = await b.get(r.id); // b caches revision 1
    await a.update({ ...r, name: 'x', revision: 2 }, { expectedRevision: 1 });
    expect((await b.get(r.id))?.revision).toBe(1); // stale within the bound
    let code = '';
    try {
      await b.update({ ...(seen as StoredRecord), name: 'y', revision: 2 }, { expectedRevision: 1 });
    } catch (e) {
      code = isKeywardenError(e) ? e.code : 'other';
    }
    expect(code).toBe('ERR_CONFLICT');
    expect((await b.get(r.id))?.revision).toBe(2);
  });

  it('passes errors of the inner get through and caches nothing for them', async () => {
    let fail = true;
    const inner = memoryStorage();
    const flaky: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
      get: (id: string) => (fail ? Promise.reject(new Error('down')) : inner.get(id)),
    });
    const s = cachedStorage(flaky);
    const r = makeRecord();
    await inner.create(r);
    await expect(s.get(r.id)).rejects.toThrow('down');
    fail = false;
    expect((await s.get(r.id))?.id).toBe(r.id);
  });

  it('invalidate() drops one id or everything', async () => {
    const c = counting();
    const s = cachedStorage(c.storage);
    const r1 = makeRecord();
    const r2 = makeRecord();
    await c.storage.create(r1);
    await c.storage.create(r2);
    await s.get(r1.id);
    await s.get(r2.id);
    s.invalidate(r1.id);
    await s.get(r1.id);
    await s.get(r2.id);
    expect(c.counts.get).toBe(3);
    s.invalidate();
    await s.get(r2.id);
    expect(c.counts.get).toBe(4);
  });

  it('rejects bad options', () => {
    const inner = memoryStorage();
    expect(() => cachedStorage(null as never)).toThrow(/inner/);
    expect(() => cachedStorage(inner, { ttl: '5 parsecs' })).toThrow(/ttl/);
    expect(() => cachedStorage(inner, { ttl: 0 })).toThrow(/ttl/);
    expect(() => cachedStorage(inner, { max: 0 })).toThrow(/max/);
    expect(() => cachedStorage(inner, { negativeTtl: -1 })).toThrow(/negativeTtl/);
    expect(() => cachedStorage(inner, { clock: {} as never })).toThrow(/clock/);
  });
});
