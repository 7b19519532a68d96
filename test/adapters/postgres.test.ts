import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.js';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { isKeywardenError } from '../../src/errors.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { makeAuditEvent, makeRecord } from '../../src/testing/fixtures.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

let pg: PgHarness;
let sql: postgres.Sql;

beforeAll(async () => {
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 12, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await pg?.stop();
});

const schemaOf = new WeakMap<StorageAdapter, string>();

testStorageAdapter({
  name: 'postgres',
  create: async () => {
    const schema = pg.newSchema();
    const storage = postgresStorage({ sql, schema });
    schemaOf.set(storage, schema);
    return storage;
  },
  destroy: async (storage) => {
    const schema = schemaOf.get(storage);
    if (schema) await pg.dropSchema(schema);
  },
  timeoutMs: 30_000,
  describe,
  it,
  expect,
});

describe('postgresStorage', () => {
  it('rejects a schema name that is not a plain identifier', () => {
    expect(() => postgresStorage({ sql, schema: 'a"; drop table x; --' })).toThrow(/schema/);
    expect(() => postgresStorage({ url: '' })).toThrow(/url/);
  });

  it('creates and ends its own pool from a url, and two instances migrate one schema together', async () => {
    const schema = pg.newSchema();
    const a = postgresStorage({ url: pg.url, max: 2 }, { schema });
    const b = postgresStorage({ url: pg.url, max: 2, schema });
    await Promise.all([a.init?.(), b.init?.(), a.init?.()]);
    const versions = await sql.unsafe(`select version from "${schema}".keywarden_migrations`);
    // every migration applied exactly once, though three inits raced
    expect(versions.map((r) => r['version'])).toStrictEqual(MIGRATIONS.map((m) => m.version));
    const record = makeRecord();
    await a.create(record);
    expect(await b.get(record.id)).toStrictEqual(record);
    await a.close?.();
    await a.close?.();
    await b.close?.();
    await pg.dropSchema(schema);
  });

  it('maps errors to KeywardenError without leaking the connection password', async () => {
    const bad = new URL(pg.url);
    bad.port = '1';
    const storage = postgresStorage({ url: bad.toString(), max: 1, options: { connect_timeout: 2 } });
    const error = await storage.get('x').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(error, 'ERR_STORAGE')).toBe(true);
    const password = decodeURIComponent(new URL(pg.url).password);
    expect(JSON.stringify(error)).not.toContain(password);
    expect(String((error as Error).message)).not.toContain(password);
    await storage.close?.();
  });

  it('8 connections x 50 compare-and-swap updates on one record: no lost update', async () => {
    const schema = pg.newSchema();
    const setup = postgresStorage({ sql, schema });
    await setup.init?.();
    const record = makeRecord({ meta: {} });
    await setup.create(record);
    const workers = Array.from({ length: 8 }, () => postgres(pg.url, { max: 1, onnotice: () => {} }));
    let conflicts = 0;
    const acknowledged: string[] = [];
    await Promise.all(
      workers.map(async (conn, w) => {
        const storage = postgresStorage({ sql: conn, schema });
        for (let i = 0; i < 50; i++) {
          const entry = `w${w}-${i}`;
          for (;;) {
            const current = (await storage.get(record.id))!;
            const next = {
              ...current,
              revision: current.revision + 1,
              meta: { ...current.meta, [entry]: current.revision },
            };
            try {
              await storage.update(next, { expectedRevision: current.revision });
              acknowledged.push(entry);
              break;
            } catch (error) {
              if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
              conflicts++;
            }
          }
        }
      }),
    );
    const final = (await setup.get(record.id))!;
    expect(acknowledged).toHaveLength(400);
    expect(final.revision).toBe(1 + acknowledged.length);
    for (const entry of acknowledged) expect(final.meta).toHaveProperty(entry);
    expect(Object.keys(final.meta)).toHaveLength(400);
    expect(conflicts).toBeGreaterThan(0);
    await Promise.all(workers.map((c) => c.end({ timeout: 5 })));
    await pg.dropSchema(schema);
  }, 120_000);

  it('two runners claiming 500 due records: each processed exactly once', async () => {
    // Adapter-level claim semantic (dueForRotation + compare-and-swap update), what the rotator builds on.
    const schema = pg.newSchema();
    const setup = postgresStorage({ sql, schema });
    await setup.init?.();
    const now = Date.UTC(2030, 0, 1);
    const records = Array.from({ length: 500 }, (_, i) => makeRecord({ dueAt: now - 1000 + (i % 50) }));
    for (let i = 0; i < records.length; i += 50) {
      await Promise.all(records.slice(i, i + 50).map((r) => setup.create(r)));
    }
    const processed = new Map<string, number>();
    let lost = 0;
    const runner = async (name: string): Promise<void> => {
      const conn = postgres(pg.url, { max: 2, onnotice: () => {} });
      const storage = postgresStorage({ sql: conn, schema });
      for (;;) {
        const due = await storage.dueForRotation(now, 25);
        if (due.length === 0) break;
        for (const r of due) {
          try {
            await storage.update(
              { ...r, revision: r.revision + 1, dueAt: null, meta: { rotatedBy: name } },
              { expectedRevision: r.revision },
            );
            processed.set(r.id, (processed.get(r.id) ?? 0) + 1);
          } catch (error) {
            if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
            lost++;
          }
        }
      }
      await conn.end({ timeout: 5 });
    };
    await Promise.all([runner('a'), runner('b')]);
    expect(processed.size).toBe(500);
    expect([...processed.values()].every((n) => n === 1)).toBe(true);
    for (const r of records) {
      const stored = (await setup.get(r.id))!;
      expect(stored.revision).toBe(2);
      expect(stored.dueAt).toBeNull();
    }
    expect(lost).toBeGreaterThanOrEqual(0);
    await pg.dropSchema(schema);
  }, 120_000);

  it('computes the audit chain in SQL exactly as the JS helper does', async () => {
    const schema = pg.newSchema();
    const storage = postgresStorage({ sql, schema });
    await storage.init?.();
    await storage.appendAudit([makeAuditEvent({ data: { note: 'héllo \u2028 😀' } }), makeAuditEvent()]);
    const page = await storage.listAudit({ limit: 10 });
    const { chainEvents } = await import('../../src/internal/audit-chain.js');
    const inputs = page.items.map(({ seq: _s, prevHash: _p, hash: _h, ...e }) => e);
    expect(page.items).toStrictEqual(chainEvents(null, inputs));
    await expect(sql.unsafe(`delete from "${schema}".keywarden_audit`)).rejects.toThrow(/append-only/);
    await pg.dropSchema(schema);
  });

  it('stores NUL escapes and lone surrogates verbatim (json document, derived columns)', async () => {
    const schema = pg.newSchema();
    const storage = postgresStorage({ sql, schema });
    await storage.init?.();
    const record = makeRecord({
      meta: { nul: 'a\u0000b', lone: '\ud800x', pair: '😀', big: 1e21, tiny: 5e-324 },
    });
    await storage.create(record);
    expect(await storage.get(record.id)).toStrictEqual(record);
    await pg.dropSchema(schema);
  });
});
