import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSql, supabaseStorage } from '../../src/adapters/supabase.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { makeAuditEvent, makeRecord } from '../../src/testing/fixtures.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';
import { seedLegacyStore, toLegacyEnvelopes } from '../support/legacy-store.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { createSupabaseRoles, type PostgrestHarness, startPostgrest } from '../support/postgrest-harness.js';

let pg: PgHarness;
let rest: PostgrestHarness;

// PostgREST builds its schema cache at start, so the schemas are created up front: a small pool
// the contract suite recycles (emptied on each create()), and one for the tenant tests.
// Names are unique per run, so an external server (KEYWARDEN_TEST_DATABASE_URL) can be reused.
const RUN = `kw_sb_${Date.now().toString(36)}`;
const POOL = [`${RUN}_1`, `${RUN}_2`, `${RUN}_3`];
const TENANT_SCHEMA = `${RUN}_tenant`;
const KM_SCHEMA = `${RUN}_km`;
const CLAIM_SCHEMA = `${RUN}_claim`;
const FORMAT_SCHEMA = `${RUN}_format`;
const EMPTY_SCHEMA = `${RUN}_empty`; // exposed, never migrated
const ALL = [...POOL, TENANT_SCHEMA, KM_SCHEMA, CLAIM_SCHEMA, FORMAT_SCHEMA];
let next = 0;

/** Applies the shipped migration text exactly as a Supabase user would (search_path = schema). */
async function applyMigration(schema: string): Promise<void> {
  await pg.sql.unsafe(`create schema if not exists "${schema}"`);
  await pg.sql.begin(async (tx) => {
    await tx.unsafe(`set local search_path to "${schema}"`);
    await tx.unsafe(migrationSql()).simple();
  });
}

beforeAll(async () => {
  pg = await startPostgres();
  const password = await createSupabaseRoles(pg);
  for (const schema of ALL) await applyMigration(schema);
  await applyMigration(POOL[0]!); // idempotent: applying twice changes nothing
  await pg.sql.unsafe(`create schema "${EMPTY_SCHEMA}"`);
  rest = await startPostgrest(pg, [...ALL, EMPTY_SCHEMA], password);
});

afterAll(async () => {
  await rest?.stop();
  if (pg) for (const schema of [...ALL, EMPTY_SCHEMA]) await pg.dropSchema(schema);
  await pg?.stop();
});

testStorageAdapter({
  name: 'supabase',
  create: async () => {
    const schema = POOL[next++ % POOL.length]!;
    await pg.sql.unsafe(
      `truncate "${schema}".keywarden_records, "${schema}".keywarden_audit, "${schema}".keywarden_meta;
       update "${schema}".keywarden_audit_head set seq = 0, hash = repeat('0', 64);`,
    );
    return supabaseStorage({ client: rest.client(rest.serviceKey), schema });
  },
  timeoutMs: 30_000,
  describe,
  it,
  expect,
});

describe('supabaseStorage', () => {
  it('rejects a client without rpc', () => {
    expect(() => supabaseStorage({ client: {} as never })).toThrow(/client/);
  });

  it('init fails with ERR_STORAGE when the migration is missing', async () => {
    const missing = supabaseStorage({ client: rest.client(rest.serviceKey), schema: EMPTY_SCHEMA });
    const error = await missing.init?.().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(error, 'ERR_STORAGE')).toBe(true);
    expect((error as Error).message).toMatch(/migration is not applied/);
  });

  describe('tenant isolation through a tenant JWT (role authenticated, tenant_id claim)', () => {
    const service = () => supabaseStorage({ client: rest.client(rest.serviceKey), schema: TENANT_SCHEMA });
    const tenant = (id: string) =>
      supabaseStorage({
        client: rest.client(rest.sign({ role: 'authenticated', sub: `user-${id}`, tenant_id: id })),
        schema: TENANT_SCHEMA,
      });
    const a = makeRecord({ tenantId: 'A', name: 'shared', uniqueName: true, kind: 'secret', dueAt: 1 });
    const b = makeRecord({ tenantId: 'B', name: 'shared', uniqueName: true, kind: 'secret', dueAt: 1 });
    const global = makeRecord({ tenantId: null, name: 'shared', uniqueName: true, kind: 'secret', dueAt: 1 });

    beforeAll(async () => {
      const s = service();
      await s.init?.();
      for (const r of [a, b, global]) await s.create(r);
      await s.appendAudit([
        makeAuditEvent({ keyId: a.id, tenantId: 'A' }),
        makeAuditEvent({ keyId: b.id, tenantId: 'B' }),
      ]);
      await s.setMeta('store.id', 'store-1');
    });

    it('the service role sees every tenant', async () => {
      const s = service();
      expect((await s.list({ limit: 100 })).items.map((r) => r.id).sort()).toStrictEqual(
        [a.id, b.id, global.id].sort(),
      );
      expect(await s.get(b.id)).toStrictEqual(b);
    });

    it('tenant A reads, lists and finds only its own records', async () => {
      const s = tenant('A');
      await s.init?.();
      expect(await s.get(a.id)).toStrictEqual(a);
      expect(await s.get(b.id)).toBeNull();
      expect(await s.get(global.id)).toBeNull();
      expect((await s.list({ limit: 100 })).items).toStrictEqual([a]);
      expect((await s.list({ limit: 100, tenantId: 'B' })).items).toStrictEqual([]);
      expect(
        await s.findByName('shared', { kind: 'secret', environment: 'default', tenantId: 'B' }),
      ).toBeNull();
      expect(
        await s.findByName('shared', { kind: 'secret', environment: 'default', tenantId: 'A' }),
      ).toStrictEqual(a);
      expect((await s.dueForRotation(10, 100)).map((r) => r.id)).toStrictEqual([a.id]);
      const audit = await s.listAudit({ limit: 100 });
      expect(audit.items.map((e) => e.keyId)).toStrictEqual([a.id]);
      expect(await s.getMeta('store.id')).toBe('store-1');
    });

    it('tenant A cannot change, delete or plant tenant B records', async () => {
      const s = tenant('A');
      await expect(
        s.update({ ...b, revision: 2, status: 'revoked' }, { expectedRevision: 1 }),
      ).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
      });
      expect(await s.delete(b.id)).toBe(false);
      await expect(s.create(makeRecord({ tenantId: 'B' }))).rejects.toMatchObject({ code: 'ERR_STORAGE' });
      await expect(
        s.update({ ...a, revision: 2, tenantId: 'B' }, { expectedRevision: 1 }),
      ).rejects.toMatchObject({
        code: 'ERR_STORAGE',
      });
      await expect(s.setMeta('store.id', 'mine')).rejects.toMatchObject({ code: 'ERR_STORAGE' });
      expect(await service().get(b.id)).toStrictEqual(b);
      expect(await service().get(a.id)).toStrictEqual(a);
      expect(await service().getMeta('store.id')).toBe('store-1');
    });

    it('tenant A writes within its tenant, and its audit events join the one chain', async () => {
      const s = tenant('A');
      const mine = makeRecord({ tenantId: 'A' });
      await s.create(mine);
      await s.update({ ...mine, revision: 2, status: 'disabled' }, { expectedRevision: 1 });
      await s.appendAudit([makeAuditEvent({ keyId: mine.id, tenantId: 'A' })]);
      const all = (await service().listAudit({ limit: 100 })).items;
      expect(all.map((e) => e.seq)).toStrictEqual([1, 2, 3]);
      expect(all[2]!.prevHash).toBe(all[1]!.hash);
      expect(await s.delete(mine.id)).toBe(true);
    });

    it('the anon role gets nothing', async () => {
      const s = supabaseStorage({ client: rest.client(rest.sign({ role: 'anon' })), schema: TENANT_SCHEMA });
      await expect(s.get(a.id)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
      await expect(s.list({ limit: 10 })).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    });
  });

  it('through the key manager: tenant A cannot verify or list tenant B keys', async () => {
    const masterKey = generateMasterKey();
    const manager = (key: string) =>
      createKeyManager({
        storage: supabaseStorage({ client: rest.client(key), schema: KM_SCHEMA }),
        kms: localKms({ masterKey }),
      });
    const service = manager(rest.serviceKey);
    await service.ready(); // the store is initialized with the service role
    const keyA = await service.apiKeys.create({ name: 'a', tenantId: 'A' });
    const keyB = await service.apiKeys.create({ name: 'b', tenantId: 'B' });
    const tenantA = manager(rest.sign({ role: 'authenticated', tenant_id: 'A' }));
    expect((await tenantA.apiKeys.verify(keyA.token)).valid).toBe(true);
    const other = await tenantA.apiKeys.verify(keyB.token);
    expect(other).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    expect((await tenantA.apiKeys.list({})).items.map((k) => k.id)).toStrictEqual([keyA.key.id]);
    expect((await service.apiKeys.verify(keyB.token)).valid).toBe(true);
    await tenantA.close();
    await service.close();
  });

  it('migration 3: a tenant JWT reads the store format marker, so its 0.1 records open until the upgrade', async () => {
    const masterKey = generateMasterKey();
    const kms = () => localKms({ masterKey });
    const serviceStorage = supabaseStorage({ client: rest.client(rest.serviceKey), schema: FORMAT_SCHEMA });
    const { storeId } = await seedLegacyStore(serviceStorage, kms(), 2); // a store of keywarden 0.1
    const service = createKeyManager({ storage: serviceStorage, kms: kms(), usage: false });
    await service.secrets.set('DB_URL', 'tenant-a-value', { tenantId: 'A' });
    expect((await service.check()).format).toBe('0.1-pending');
    await toLegacyEnvelopes(serviceStorage, kms(), storeId); // as 0.1 wrote it: no MAC, 0.1 envelope

    const tenantStorage = supabaseStorage({
      client: rest.client(rest.sign({ role: 'authenticated', tenant_id: 'A' })),
      schema: FORMAT_SCHEMA,
    });
    const marker = await serviceStorage.getMeta('store.format');
    expect(marker).not.toBeNull();
    expect(await tenantStorage.getMeta('store.format')).toBe(marker); // refused (42501) before migration 3
    await expect(tenantStorage.getMeta('kms.params')).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    await expect(tenantStorage.setMeta('store.format', '{}', { expected: marker })).rejects.toMatchObject({
      code: 'ERR_STORAGE',
    });
    const tenantA = createKeyManager({ storage: tenantStorage, kms: kms(), usage: false });
    // the tenant's manager knows the store is pending, so the tenant's own 0.1 record opens
    expect(await tenantA.secrets.get('DB_URL', { tenantId: 'A' })).toBe('tenant-a-value');

    expect(await service.upgrade()).toMatchObject({ to: '0.2', upgraded: 1, resealed: 1, failed: [] });
    expect(await tenantA.secrets.get('DB_URL', { tenantId: 'A' })).toBe('tenant-a-value');
    // and follows the flip at once: a record put back without its MAC is refused for the tenant too
    await toLegacyEnvelopes(serviceStorage, kms(), storeId);
    await expect(tenantA.secrets.get('DB_URL', { tenantId: 'A' })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    });
    await tenantA.close();
    await service.close();
  });

  it('two runners claiming 500 due records through PostgREST: each processed exactly once', async () => {
    const setup = supabaseStorage({ client: rest.client(rest.serviceKey), schema: CLAIM_SCHEMA });
    const now = Date.UTC(2030, 0, 1);
    const records = Array.from({ length: 500 }, (_, i) => makeRecord({ dueAt: now - 1000 + (i % 50) }));
    await pg.sql.unsafe(
      `select "${CLAIM_SCHEMA}".keywarden_create(r) from json_array_elements($1::text::json) r`,
      [JSON.stringify(records)],
    );
    const processed = new Map<string, number>();
    const runner = async (): Promise<void> => {
      const storage = supabaseStorage({ client: rest.client(rest.serviceKey), schema: CLAIM_SCHEMA });
      for (;;) {
        const due = await storage.dueForRotation(now, 25);
        if (due.length === 0) return;
        for (const r of due) {
          try {
            await storage.update(
              { ...r, revision: r.revision + 1, dueAt: null },
              { expectedRevision: r.revision },
            );
            processed.set(r.id, (processed.get(r.id) ?? 0) + 1);
          } catch (error) {
            if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
          }
        }
      }
    };
    await Promise.all([runner(), runner()]);
    expect(processed.size).toBe(500);
    expect([...processed.values()].every((n) => n === 1)).toBe(true);
    expect(await setup.dueForRotation(now, 10)).toStrictEqual([]);
  }, 60_000);
});
