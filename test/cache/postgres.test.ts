/**
 * The request path on PostgreSQL: two key managers (two "processes", each with its own
 * connection pool and verification cache) on one schema.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { cachedStorage } from '../../src/cache/cached-storage.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { storageRateLimiter } from '../../src/rate-limit/storage-limiter.js';
import { type FakeClock, fakeClock } from '../../src/testing/fake-clock.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

let pg: PgHarness;
const pools: postgres.Sql[] = [];

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  for (const p of pools) await p.end({ timeout: 5 });
  await pg?.stop();
});

/** Two managers on one fresh schema, each with its own pool, cache and storage limiter. */
async function twoProcesses(
  clock: FakeClock,
): Promise<{ a: KeyManager; b: KeyManager; reads: { get: number } }> {
  const schema = pg.newSchema('kw_cache');
  const masterKey = generateMasterKey();
  const reads = { get: 0 };
  const make = (): KeyManager => {
    const sql = postgres(pg.url, { max: 4, onnotice: () => {} });
    pools.push(sql);
    const raw = postgresStorage({ sql, schema });
    const counted: StorageAdapter = Object.assign(Object.create(raw) as StorageAdapter, {
      get: (id: string) => {
        reads.get++;
        return raw.get(id);
      },
    });
    return createKeyManager({
      storage: cachedStorage(counted, { ttl: '5s', clock }),
      kms: localKms({ masterKey }),
      clock,
      rateLimiter: storageRateLimiter(raw),
    });
  };
  const a = make();
  await a.ready(); // one process creates the store (migrations, pepper) first
  const b = make();
  await b.ready();
  return { a, b, reads };
}

describe('verification cache and storage rate limiter on PostgreSQL', () => {
  it('a revoke via A is seen at once by A and by B within the TTL; verifies within the TTL do one read', async () => {
    const clock = fakeClock();
    const { a, b, reads } = await twoProcesses(clock);
    const { token, key } = await a.apiKeys.create({ name: 'k' });
    const before = reads.get;
    for (let i = 0; i < 20; i++) expect((await b.apiKeys.verify(token)).valid).toBe(true);
    expect(reads.get - before).toBe(1);
    await a.apiKeys.revoke(key.id);
    expect(await a.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect((await b.apiKeys.verify(token)).valid).toBe(true);
    clock.advance(5001);
    expect(await b.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    await a.close();
    await b.close();
  });

  it('credits stay exact: 200 concurrent verifies over two managers, 100 credits', async () => {
    const clock = fakeClock();
    const { a, b } = await twoProcesses(clock);
    const { token, key } = await a.apiKeys.create({ name: 'k', remaining: 100 });
    await b.apiKeys.verify(token, { cost: 0 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).apiKeys.verify(token)),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(100);
    expect(results.filter((r) => !r.valid && r.code === 'USAGE_EXCEEDED')).toHaveLength(100);
    expect((await a.apiKeys.get(key.id)).remaining).toBe(0);
    await a.close();
    await b.close();
  });

  it("a key's rate limit holds in total across both managers", async () => {
    const clock = fakeClock();
    const { a, b } = await twoProcesses(clock);
    const { token } = await a.apiKeys.create({ name: 'k', rateLimit: { limit: 10, window: '1m' } });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).apiKeys.verify(token)),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(10);
    expect(results.filter((r) => !r.valid && r.code === 'RATE_LIMITED')).toHaveLength(30);
    await a.close();
    await b.close();
  });
});
