import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { MetaStore } from '../../src/ports/storage.js';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';
import { gcra, storageRateLimiter } from '../../src/rate-limit/storage-limiter.js';
import { fakeClock } from '../../src/testing/fake-clock.js';

const T0 = Date.UTC(2030, 0, 1);
const rule = { limit: 10, window: 60_000 };

/** Counts meta round trips. */
function countingMeta(inner: MetaStore = memoryStorage()) {
  const calls = { get: 0, set: 0 };
  const meta: MetaStore = {
    getMeta: (k) => {
      calls.get++;
      return inner.getMeta(k);
    },
    setMeta: (k, v, o) => {
      calls.set++;
      return inner.setMeta(k, v, o);
    },
  };
  return { meta, calls };
}

describe('storageRateLimiter', () => {
  it('two instances on one store hold the limit in total', async () => {
    const store = memoryStorage();
    const a = storageRateLimiter(store);
    const b = storageRateLimiter(store);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).limit('apikey:1', rule, 1, T0)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0 && r.reset === T0 + 6000)).toBe(
      true,
    );
    // one unit frees every window / limit = 6 s
    expect((await a.limit('apikey:1', rule, 1, T0 + 5999)).allowed).toBe(false);
    expect((await b.limit('apikey:1', rule, 1, T0 + 6000)).allowed).toBe(true);
    expect((await a.limit('apikey:1', rule, 1, T0 + 6000)).allowed).toBe(false);
  });

  it('charges a cost, keeps named keys apart, and answers like the memory limiter', async () => {
    const store = memoryStorage();
    const shared = storageRateLimiter(store);
    const local = memoryRateLimiter();
    const steps: [string, number, number][] = [
      ['export', 4, T0],
      ['export', 4, T0 + 1000],
      ['export', 4, T0 + 2000],
      ['search', 1, T0 + 2000],
      ['export', 0, T0 + 3000],
      ['export', 2, T0 + 20_000],
    ];
    for (const [key, cost, now] of steps) {
      expect(await shared.limit(key, rule, cost, now)).toStrictEqual(await local.limit(key, rule, cost, now));
    }
    expect((await shared.limit('export', rule, 11, T0 + 10 * 60_000)).allowed).toBe(false); // more than the limit
  });

  it('costs 2 round trips per allowed request and 1 per denied one', async () => {
    const { meta, calls } = countingMeta();
    const limiter = storageRateLimiter(meta);
    await limiter.limit('k', { limit: 1, window: 1000 }, 1, T0);
    expect(calls).toStrictEqual({ get: 1, set: 1 });
    await limiter.limit('k', { limit: 1, window: 1000 }, 1, T0);
    expect(calls).toStrictEqual({ get: 2, set: 1 });
    await limiter.limit('k', { limit: 1, window: 1000 }, 0, T0 + 5000);
    expect(calls).toStrictEqual({ get: 3, set: 1 });
  });

  it('gives up with ERR_CONFLICT when the compare-and-swap keeps losing', async () => {
    const store = memoryStorage();
    let n = 0;
    const hostile: MetaStore = {
      getMeta: (k) => store.getMeta(k),
      setMeta: async (k, v, o) => {
        await store.setMeta(k, String(T0 - ++n), {}); // another writer always gets in first
        return store.setMeta(k, v, o);
      },
    };
    const limiter = storageRateLimiter(hostile, { maxAttempts: 3 });
    const error = await limiter.limit('k', rule, 1, T0).catch((e: unknown) => e);
    expect(isKeywardenError(error, 'ERR_CONFLICT')).toBe(true);
  });

  it('treats an unreadable stored value as a full bucket', async () => {
    const store = memoryStorage();
    await store.setMeta('ratelimit:k', 'garbage');
    const r = await storageRateLimiter(store).limit('k', rule, 1, T0);
    expect(r).toStrictEqual({ allowed: true, limit: 10, remaining: 9, reset: T0 + 6000 });
    expect(await store.getMeta('ratelimit:k')).toBe(String(T0 + 6000));
  });

  it('rejects bad input and use after close', async () => {
    const store = memoryStorage();
    expect(() => storageRateLimiter({} as never)).toThrow(/meta/);
    expect(() => storageRateLimiter(store, { maxAttempts: 0 })).toThrow(/maxAttempts/);
    const limiter = storageRateLimiter(store);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (isKeywardenError(e) ? (e.field ?? e.code) : 'x'),
      );
    expect(await code(limiter.limit('', rule, 1, T0))).toBe('key');
    expect(await code(limiter.limit('k', { limit: 0, window: 1 }, 1, T0))).toBe('rule.limit');
    expect(await code(limiter.limit('k', { limit: 1, window: 1.5 }, 1, T0))).toBe('rule.window');
    expect(await code(limiter.limit('k', rule, -1, T0))).toBe('cost');
    expect(await code(limiter.limit('k', rule, 1, Number.NaN))).toBe('now');
    await limiter.close?.();
    expect(await code(limiter.limit('k', rule, 1, T0))).toBe('ERR_CLOSED');
  });

  it('gcra is a pure function of the stored TAT', () => {
    expect(gcra(null, { limit: 10, window: 1000 }, 1, 0).result).toStrictEqual({
      allowed: true,
      limit: 10,
      remaining: 9,
      reset: 100,
    });
    expect(gcra(1000, { limit: 10, window: 1000 }, 1, 0)).toStrictEqual({
      result: { allowed: false, limit: 10, remaining: 0, reset: 100 },
      write: null,
    });
  });
});

describe('storageRateLimiter behind two key managers', () => {
  it("a key's rateLimit holds across managers sharing the store", async () => {
    const clock = fakeClock();
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const make = () =>
      createKeyManager({
        storage,
        kms: localKms({ masterKey }),
        clock,
        rateLimiter: storageRateLimiter(storage),
      });
    const a = make();
    const b = make();
    const { token } = await a.apiKeys.create({ name: 'k', rateLimit: { limit: 5, window: '1m' } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).apiKeys.verify(token)),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(5);
    const denied = results.find((r) => !r.valid);
    expect(denied).toMatchObject({
      valid: false,
      code: 'RATE_LIMITED',
      rateLimit: { limit: 5, remaining: 0 },
    });
    await a.close();
    await b.close();
  });
});
