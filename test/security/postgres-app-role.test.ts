import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.js';
import { postgresStorage, SCHEMA_VERSION } from '../../src/adapters/postgres.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { makeAuditEvent } from '../../src/testing/fixtures.js';
import { asRole } from '../support/attack-http.js';
import { seedLegacyStore } from '../support/legacy-store.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

// The least-privilege `app` role of docs/postgres.md, on a fresh schema (granted as the docs say
// now) and on a 0.1 schema whose app role got the 0.1 grants (writes on every table), upgraded by
// the library's own migrate().

let pg: PgHarness;
const RUN = `kw_app_${Date.now().toString(36)}`;
const APP = `${RUN}_role`;
const FRESH = `${RUN}_fresh`;
const UPGRADED = `${RUN}_upgraded`;
const appPassword = randomBytes(18).toString('base64url');
const masterKey = generateMasterKey();
let appUrl: string;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql.unsafe(`create role "${APP}" login password '${appPassword}'`);
  const url = new URL(pg.url);
  url.username = APP;
  url.password = appPassword;
  appUrl = url.toString();

  // fresh: the library migrates as the owner; the app role is granted as docs/postgres.md says
  const owner = postgresStorage({ url: pg.url, schema: FRESH, max: 2 });
  await owner.init?.();
  await owner.close?.();
  await pg.sql.unsafe(`
    grant usage on schema "${FRESH}" to "${APP}";
    grant select on "${FRESH}".keywarden_records, "${FRESH}".keywarden_audit, "${FRESH}".keywarden_migrations to "${APP}";
    grant execute on all functions in schema "${FRESH}" to "${APP}";`);

  // 0.1: migration 1, the 0.1 documented grants, a 0.1 store; then the library upgrades it
  await pg.sql.unsafe(`create schema "${UPGRADED}"`);
  await pg.sql.begin(async (tx) => {
    await tx.unsafe(`set local search_path to "${UPGRADED}"`);
    await tx.unsafe(MIGRATIONS[0]!.sql).simple();
  });
  const s = `"${UPGRADED}"`;
  await pg.sql.unsafe(`
    grant usage on schema ${s} to "${APP}";
    grant select, insert, update, delete on ${s}.keywarden_records, ${s}.keywarden_meta to "${APP}";
    grant select, insert on ${s}.keywarden_audit to "${APP}";
    grant select, update on ${s}.keywarden_audit_head to "${APP}";
    grant select on ${s}.keywarden_migrations to "${APP}";
    grant execute on all functions in schema ${s} to "${APP}";`);
  const legacy = postgresStorage({ url: pg.url, schema: UPGRADED, migrate: false, max: 2 });
  await seedLegacyStore(legacy, localKms({ masterKey }), 3);
  await legacy.close?.();
  const upgrader = postgresStorage({ url: pg.url, schema: UPGRADED, max: 2 });
  await upgrader.init?.();
  await upgrader.close?.();
}, 120_000);

afterAll(async () => {
  if (pg) {
    for (const schema of [FRESH, UPGRADED]) await pg.dropSchema(schema);
    await pg.sql.unsafe(`drop role if exists "${APP}"`);
  }
  await pg?.stop();
});

describe.each([
  ['fresh', FRESH],
  ['upgraded from 0.1', UPGRADED],
])('the app role on a %s schema', (_label, schema) => {
  const t = (name: string) => `"${schema}".${name}`;
  const asApp = (statement: string, params: unknown[] = []) => asRole(pg.sql, APP, null, statement, params);

  it('has no write privilege on any table and cannot read meta or the head', async () => {
    const rows = await pg.sql.unsafe(
      `select c.relname, p.priv from pg_class c
         cross join (values ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(priv)
        where c.relnamespace = $1::regnamespace and c.relkind = 'r' and has_table_privilege($2, c.oid, p.priv)`,
      [`"${schema}"`, APP],
    );
    expect([...rows]).toStrictEqual([]);
    const reads = await pg.sql.unsafe(
      `select c.relname from pg_class c where c.relnamespace = $1::regnamespace and c.relkind = 'r'
          and has_table_privilege($2, c.oid, 'SELECT') order by 1`,
      [`"${schema}"`, APP],
    );
    expect(reads.map((r) => r['relname'])).toStrictEqual([
      'keywarden_audit',
      'keywarden_migrations',
      'keywarden_records',
    ]);
  });

  it('runs keywarden through the functions, and its direct writes are refused', async () => {
    const km = createKeyManager({
      storage: postgresStorage({ url: appUrl, schema, max: 2 }),
      kms: localKms({ masterKey }),
    });
    const { token, key } = await km.apiKeys.create({ name: 'app-key', tenantId: 'A' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.audit.verify()).toMatchObject({ ok: true });

    for (const statement of [
      `update ${t('keywarden_audit_head')} set seq = 1, hash = repeat('0', 64)`,
      `insert into ${t('keywarden_audit')} (seq, id, at, type, digest, prev_hash, hash, event)
         values (999, 'x', 0, 'key.revoked', 'd', 'p', 'h', '{}')`,
      `update ${t('keywarden_records')} set tenant_id = 'B'`,
      `delete from ${t('keywarden_records')}`,
      `select * from ${t('keywarden_meta')}`,
    ]) {
      expect.soft((await asApp(statement)).code, statement).toBe('42501');
    }

    // through the append function it can add a row, but not one that verifies (no audit key)
    const forged = makeAuditEvent({
      type: 'key.revoked',
      keyId: key.id,
      tenantId: 'A',
      actor: 'security-team',
    });
    expect(
      (await asApp(`select ${t('keywarden_append_audit')}($1::text::json)`, [JSON.stringify([forged])])).code,
    ).toBe('ok');
    // (asRole rolls back; append it for real with the app's own connection)
    const appStorage = postgresStorage({ url: appUrl, schema, max: 1 });
    await appStorage.appendAudit([forged]);
    const result = await km.audit.verify();
    expect(result).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    await appStorage.close?.();
    await km.close();
  });
});

describe('the 0.1 store after the upgrade', () => {
  it('keeps its 0.1 chain verifiable under the keyed marker', async () => {
    const rows = await pg.sql.unsafe(`select type from "${UPGRADED}".keywarden_audit order by seq limit 5`);
    expect(rows.map((r) => r['type'])).toStrictEqual([
      'store.initialized',
      'key.created',
      'key.created',
      'audit.keyed',
      'key.created',
    ]);
  });
});

describe('init() checks the schema it is given', () => {
  it('refuses a schema newer than the library, and names missing functions', async () => {
    const schema = `${RUN}_checks`;
    const owner = postgresStorage({ url: pg.url, schema, max: 2 });
    await owner.init?.();
    await owner.close?.();
    await pg.sql.unsafe(
      `create or replace function "${schema}".keywarden_schema_version() returns integer language sql immutable as $$ select 99 $$`,
    );
    for (const migrate of [true, false]) {
      const newer = postgresStorage({ url: pg.url, schema, max: 1, migrate });
      const error = await newer.init?.().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isKeywardenError(error, 'ERR_STORAGE')).toBe(true);
      expect((error as Error).message).toMatch(/version 99, newer than this library/);
      await newer.close?.();
    }
    await pg.sql.unsafe(
      `create or replace function "${schema}".keywarden_schema_version() returns integer language sql immutable as $$ select ${SCHEMA_VERSION} $$;
       drop function "${schema}".keywarden_list_audit;`,
    );
    const missing = postgresStorage({ url: pg.url, schema, max: 1 });
    const error = await missing.init?.().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(error, 'ERR_STORAGE')).toBe(true);
    expect((error as Error).message).toMatch(/missing function\(s\) keywarden_list_audit/);
    await missing.close?.();
    await pg.dropSchema(schema);
  });

  it('the 0.1 aliasing attack on Postgres: t\\uD800 can neither write nor read the secret of t\\uFFFD', async () => {
    const km = createKeyManager({
      storage: postgresStorage({ url: appUrl, schema: FRESH, max: 2 }),
      kms: localKms({ masterKey }),
    });
    await km.secrets.set('x', 'for-t-fffd', { tenantId: 't\uFFFD' });
    await km.secrets.set('s\uFFFD', 'v1');
    for (const attempt of [
      () => km.secrets.get('x', { tenantId: 't\uD800' }),
      () => km.secrets.set('x', 'overwrite', { tenantId: 't\uD800' }),
      () => km.secrets.set('s\uD800', 'overwrite'),
      () => km.secrets.get('s\uDC00'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    }
    expect(await km.secrets.get('x', { tenantId: 't\uFFFD' })).toBe('for-t-fffd');
    expect(await km.secrets.get('s\uFFFD')).toBe('v1');
    await km.close();
  });

  it('the SQL storage refuses lone surrogates in text arguments (they would reach SQL as U+FFFD)', async () => {
    const storage = postgresStorage({ url: pg.url, schema: FRESH, max: 1 });
    await expect(
      storage.findByName('s\uD800', { kind: 'secret', environment: 'default', tenantId: null }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'name' });
    await expect(
      storage.findByName('s', { kind: 'secret', environment: 'default', tenantId: 't\uDC00' }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'tenant_id' });
    await storage.close?.();
  });
});
