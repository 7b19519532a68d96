/**
 * Usage analytics on a real PostgreSQL 17 (migration 004, `keywarden_usage`): two managers with
 * their own connection pools verify the same key concurrently and flush into the same rows; the
 * totals are exact, and each flush is one `keywarden_add_usage` call.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { fakeClock } from '../../src/testing/index.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

const T = 180_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);
let pg: PgHarness;
const pools: postgres.Sql[] = [];
beforeAll(async () => {
  pg = await startPostgres();
}, T);
afterAll(async () => {
  for (const p of pools) await p.end();
  await pg?.stop();
});

function pool(): postgres.Sql {
  const p = postgres(pg.url, { max: 4, onnotice: () => {} });
  pools.push(p);
  return p;
}

describe('usage analytics on PostgreSQL', () => {
  it('two managers, concurrent verifies and flushes: exact hourly and daily totals', {
    timeout: T,
  }, async () => {
    const schema = pg.newSchema('usage');
    const masterKey = generateMasterKey();
    const clock = fakeClock({ now: T0 + 5 * 60_000 });
    const managers: KeyManager[] = [0, 1].map(() =>
      createKeyManager({
        storage: postgresStorage({ sql: pool(), schema }),
        kms: localKms({ masterKey }),
        clock,
        usage: { flushInterval: 0 },
      }),
    );
    const [a, b] = managers as [KeyManager, KeyManager];
    const { token, key } = await a.apiKeys.create({ name: 'shared' });
    await b.ready();
    const rounds = 5;
    await Promise.all(
      managers.map(async (km) => {
        for (let r = 0; r < rounds; r++) {
          await Promise.all(Array.from({ length: 10 }, () => km.apiKeys.verify(token)));
          await km.apiKeys.verify(token, { tenantId: 'someone-else' });
          await km.apiKeys.usage(key.id); // flushes this manager's buffer while the other writes
        }
      }),
    );
    clock.advance('1h');
    await a.apiKeys.verify(token);
    await a.close();
    await b.close();

    const reader = createKeyManager({
      storage: postgresStorage({ sql: pool(), schema }),
      kms: localKms({ masterKey }),
      clock,
    });
    const hourly = await reader.apiKeys.usage(key.id, { from: T0, to: T0 + 2 * HOUR });
    expect(hourly.buckets).toEqual([
      { start: T0, valid: 2 * rounds * 10, failed: 2 * rounds },
      { start: T0 + HOUR, valid: 1, failed: 0 },
    ]);
    const daily = await reader.apiKeys.usage(key.id, { from: T0, to: T0 + HOUR, granularity: 'day' });
    expect(daily.total).toEqual({ valid: 2 * rounds * 10 + 1, failed: 2 * rounds });
    await reader.close();

    // the table is written only through the function; one row per (record, hour)
    const sql = pool();
    const rows = await sql.unsafe(`select count(*)::int as n from "${schema}".keywarden_usage`);
    expect(rows[0]?.['n']).toBe(2);
    const version = await sql.unsafe(`select "${schema}".keywarden_schema_version() as v`);
    expect(Number(version[0]?.['v'])).toBeGreaterThanOrEqual(4);
  });

  it('refuses a malformed batch without writing any of it', { timeout: T }, async () => {
    const storage = postgresStorage({ sql: pool(), schema: pg.newSchema('usagebad') });
    await storage.init?.();
    await expect(
      storage.addUsage!([
        { recordId: 'a', bucket: T0, valid: 1, failed: 0 },
        { recordId: 'b', bucket: T0 + 1, valid: 1, failed: 0 },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'rows[1].bucket' });
    expect(await storage.listUsage!({ recordId: 'a', from: 0, to: T0 + HOUR })).toEqual([]);
    await storage.addUsage!([
      { recordId: 'a', bucket: T0, valid: 2, failed: 1 },
      { recordId: 'a', bucket: T0, valid: 3, failed: 0 },
    ]);
    expect(await storage.listUsage!({ recordId: 'a', from: 0, to: T0 + HOUR })).toEqual([
      { recordId: 'a', bucket: T0, valid: 5, failed: 1 },
    ]);
  });
});
