import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.js';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { migrationSql, supabaseStorage } from '../../src/adapters/supabase.js';
import { auditDigest } from '../../src/internal/audit-chain.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import type { StoredRecord } from '../../src/ports/storage.js';
import { makeAuditEvent, makeRecord } from '../../src/testing/fixtures.js';
import { asRole, type RestOutcome, rest } from '../support/attack-http.js';
import { seedLegacyStore } from '../support/legacy-store.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { createSupabaseRoles, type PostgrestHarness, startPostgrest } from '../support/postgrest-harness.js';

// Every attack of issue 17, run the way the attacker would: raw HTTP to PostgREST with nothing but
// a logged-in user's JWT of tenant A (role `authenticated`, claim tenant_id "A"), and the same
// statements in SQL as `authenticated` with request.jwt.claims set as PostgREST sets them.
// Each runs on a schema migrated fresh and on a 0.1 schema (with a 0.1 audit chain) upgraded by
// applying `keywarden sql` again, as a Supabase user does after upgrading keywarden.

let pg: PgHarness;
let restApi: PostgrestHarness;
const RUN = `kw_atk_${Date.now().toString(36)}`;
const FRESH = `${RUN}_fresh`;
const UPGRADED = `${RUN}_upgraded`;
const masterKey = generateMasterKey();
let refused = 0;
let accepted = 0;

async function applySql(schema: string, text: string): Promise<void> {
  await pg.sql.begin(async (tx) => {
    await tx.unsafe(`set local search_path to "${schema}"`);
    await tx.unsafe(text).simple();
  });
}

beforeAll(async () => {
  pg = await startPostgres();
  const password = await createSupabaseRoles(pg);
  await pg.sql.unsafe(`create schema "${FRESH}"; create schema "${UPGRADED}"`);
  await applySql(FRESH, migrationSql());
  // a 0.1 store: migration 1 only, its grants, a store with an unkeyed audit chain
  await applySql(UPGRADED, MIGRATIONS[0]!.sql);
  const legacy = postgresStorage({ url: pg.url, schema: UPGRADED, migrate: false, max: 2 });
  await seedLegacyStore(legacy, localKms({ masterKey }), 4);
  await legacy.close?.();
  await applySql(UPGRADED, migrationSql());
  restApi = await startPostgrest(pg, [FRESH, UPGRADED], password);
}, 120_000);

afterAll(async () => {
  console.info(`supabase attacks: ${refused} attack requests refused, ${accepted} accepted (expected ones)`);
  await restApi?.stop();
  if (pg) for (const schema of [FRESH, UPGRADED]) await pg.dropSchema(schema);
  await pg?.stop();
});

/** Asserts a request was refused (HTTP 4xx/5xx) and counts it. */
function expectRefused(outcome: RestOutcome, code?: string): void {
  expect(outcome.status).toBeGreaterThanOrEqual(400);
  if (code !== undefined) expect(outcome.code).toBe(code);
  refused += 1;
}

describe.each([
  ['fresh', FRESH],
  ['upgraded from 0.1', UPGRADED],
])('schema %s', (_label, schema) => {
  let km: KeyManager;
  let tokenA: string;
  let idA: string;
  let idB: string;
  let recordA: StoredRecord;
  let jwtA: string;
  const service = () => supabaseStorage({ client: restApi.client(restApi.serviceKey), schema });
  const req = (method: string, path: string, body?: unknown) =>
    rest(restApi.url, jwtA, schema, method, path, body);
  const claimsA = { role: 'authenticated', sub: 'user-a', tenant_id: 'A' };
  const sqlAsA = (statement: string, params: unknown[] = []) =>
    asRole(pg.sql, 'authenticated', claimsA, statement, params);
  const t = (name: string) => `"${schema}".${name}`;

  beforeAll(async () => {
    km = createKeyManager({
      storage: supabaseStorage({ client: restApi.client(restApi.serviceKey), schema }),
      kms: localKms({ masterKey }),
    });
    const a = await km.apiKeys.create({ name: 'a', tenantId: 'A', scopes: ['read'] });
    const b = await km.apiKeys.create({ name: 'b', tenantId: 'B', scopes: ['read'] });
    tokenA = a.token;
    idA = a.key.id;
    idB = b.key.id;
    recordA = (await service().get(idA))!;
    jwtA = restApi.sign(claimsA);
    expect(await km.audit.verify()).toMatchObject({ ok: true });
  });

  afterAll(async () => {
    await km?.close();
  });

  it('no role but the owner can write any keywarden table; tenants cannot read meta, head, migrations', async () => {
    const rows = await pg.sql.unsafe(
      `select r.rolname, c.relname, p.priv
         from pg_class c cross join (values ('anon'), ('authenticated'), ('service_role')) r(rolname)
         cross join (values ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(priv)
        where c.relnamespace = $1::regnamespace and c.relkind = 'r'
          and has_table_privilege(r.rolname, c.oid, p.priv)`,
      [`"${schema}"`],
    );
    expect([...rows]).toStrictEqual([]);
    const reads = await pg.sql.unsafe(
      `select c.relname from pg_class c
        where c.relnamespace = $1::regnamespace and c.relkind = 'r'
          and has_table_privilege('authenticated', c.oid, 'SELECT') order by 1`,
      [`"${schema}"`],
    );
    expect(reads.map((r) => r['relname'])).toStrictEqual(['keywarden_audit', 'keywarden_records']);
  });

  it('HTTP: rewriting the own key document to tenant B with scopes ["*"] is refused; verify for B stays invalid', async () => {
    const forged = { ...recordA, tenantId: 'B', data: { ...recordA.data, scopes: ['*'] } };
    expectRefused(await req('PATCH', `/keywarden_records?id=eq.${idA}`, { record: forged }), '42501');
    expectRefused(await req('PATCH', `/keywarden_records?id=eq.${idA}`, { tenant_id: 'B' }), '42501');
    expectRefused(
      await req('POST', '/rpc/keywarden_update', {
        p_record: { ...forged, revision: recordA.revision + 1 },
        p_expected_revision: recordA.revision,
      }),
      '42501',
    );
    expectRefused(
      await req('POST', '/keywarden_records', {
        id: 'planted00001',
        kind: 'api_key',
        tenant_id: 'A',
        name: 'planted',
        unique_name: false,
        environment: 'default',
        status: 'active',
        revision: 1,
        created_at: 0,
        updated_at: 0,
        record: { ...forged, id: 'planted00001' },
      }),
      '42501',
    );
    expectRefused(
      await req('POST', '/rpc/keywarden_create', { p_record: { ...forged, id: 'planted00002' } }),
      '42501',
    );
    expectRefused(await req('DELETE', `/keywarden_records?id=eq.${idA}`), '42501');
    expect(await service().get(idA)).toStrictEqual(recordA);
    expect(await km.apiKeys.verify(tokenA, { tenantId: 'B', scopes: ['admin:delete'] })).toMatchObject({
      valid: false,
    });
    expect(await km.apiKeys.verify(tokenA, { tenantId: 'A', scopes: ['read'] })).toMatchObject({
      valid: true,
    });
  });

  it("HTTP: another tenant's record can be neither updated nor deleted through the functions", async () => {
    const recordB = (await service().get(idB))!;
    expectRefused(
      await req('POST', '/rpc/keywarden_update', {
        p_record: { ...recordB, tenantId: 'A', revision: recordB.revision + 1 },
        p_expected_revision: recordB.revision,
      }),
      'KW404',
    );
    const del = await req('POST', '/rpc/keywarden_delete', { p_id: idB });
    expect(del).toMatchObject({ status: 200, body: false });
    accepted += 1;
    expect(await service().get(idB)).toStrictEqual(recordB);
  });

  it('HTTP: the audit head cannot be moved (no denial of service), audit rows cannot be inserted', async () => {
    expectRefused(
      await req('PATCH', '/keywarden_audit_head?singleton=eq.true', { seq: 1, hash: '0'.repeat(64) }),
      '42501',
    );
    const row = makeAuditEvent({ tenantId: 'A' });
    expectRefused(
      await req('POST', '/keywarden_audit', {
        seq: 999,
        id: row.id,
        at: row.at,
        type: row.type,
        key_id: null,
        tenant_id: 'A',
        digest: row.digest,
        prev_hash: '0'.repeat(64),
        hash: '0'.repeat(64),
        event: row,
      }),
      '42501',
    );
    // every tenant's audited writes still work
    const c = await km.apiKeys.create({ name: 'after-head-attack', tenantId: 'C' });
    expect(c.key.id).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(await km.audit.verify()).toMatchObject({ ok: true });
  });

  it('HTTP: appending events about another tenant (or its key) is refused', async () => {
    const aboutB = makeAuditEvent({
      type: 'key.revoked',
      keyId: idB,
      tenantId: null,
      actor: 'security-team',
      data: { reason: 'compromised' },
    });
    expectRefused(await req('POST', '/rpc/keywarden_append_audit', { p_events: [aboutB] }), '42501');
    expectRefused(
      await req('POST', '/rpc/keywarden_append_audit', {
        p_events: [{ ...aboutB, tenantId: 'B', keyId: null }],
      }),
      '42501',
    );
    expectRefused(
      await req('POST', '/rpc/keywarden_append_audit', { p_events: [{ ...aboutB, tenantId: 'A' }] }),
      '42501',
    );
    expect((await km.audit.list({ keyId: idB })).items.map((e) => e.type)).toStrictEqual(['key.created']);
  });

  it('HTTP: tenants cannot read keywarden_meta, nor write metadata', async () => {
    expectRefused(await req('GET', '/keywarden_meta?select=key,value'), '42501');
    expectRefused(await req('GET', '/keywarden_audit_head'), '42501');
    expectRefused(await req('GET', '/keywarden_migrations'), '42501');
    expectRefused(await req('POST', '/rpc/keywarden_get_meta', { p_key: 'some.other.key' }), '42501');
    expectRefused(
      await req('POST', '/rpc/keywarden_set_meta', { p_key: 'audit.keyed', p_value: '{}' }),
      '42501',
    );
    // what a tenant-scoped manager needs to open the store stays readable (the pepper is KMS-wrapped)
    const id = await req('POST', '/rpc/keywarden_get_meta', { p_key: 'store.id' });
    expect(id.status).toBe(200);
    accepted += 1;
  });

  it('SQL as authenticated with the JWT claims: every direct write and meta read is refused', async () => {
    const forged = JSON.stringify({ ...recordA, tenantId: 'B', data: { ...recordA.data, scopes: ['*'] } });
    const statements: [string, unknown[]][] = [
      [`update ${t('keywarden_records')} set record = $1::text::json where id = $2`, [forged, idA]],
      [`update ${t('keywarden_records')} set tenant_id = 'B' where id = $1`, [idA]],
      [`delete from ${t('keywarden_records')} where id = $1`, [idA]],
      [`update ${t('keywarden_audit_head')} set seq = 1, hash = repeat('0', 64)`, []],
      [
        `insert into ${t('keywarden_audit')} (seq, id, at, type, digest, prev_hash, hash, event)
         values (999, 'x', 0, 'key.revoked', 'd', 'p', 'h', '{}')`,
        [],
      ],
      [`select * from ${t('keywarden_meta')}`, []],
      [`select ${t('keywarden_set_meta')}('store.id', 'mine')`, []],
      [
        `select ${t('keywarden_append_audit')}($1::text::json)`,
        [JSON.stringify([makeAuditEvent({ keyId: idB, tenantId: null, type: 'key.revoked' })])],
      ],
      [`select ${t('keywarden_create')}($1::text::json)`, [JSON.stringify(makeRecord({ tenantId: 'B' }))]],
      [
        `select ${t('keywarden_update')}($1::text::json, $2)`,
        [forged.replace(/"revision":\d+/, `"revision":${recordA.revision + 1}`), recordA.revision],
      ],
    ];
    for (const [statement, params] of statements) {
      const r = await sqlAsA(statement, params);
      expect.soft(r.code, statement).toBe('42501');
      refused += 1;
    }
    // reads stay scoped to the tenant
    const own = await sqlAsA(`select id from ${t('keywarden_records')} order by id`);
    expect(own.rows.map((r) => r['id'])).toStrictEqual([idA]);
    expect(await service().get(idA)).toStrictEqual(recordA);
  });

  it('SQL: documents whose indexed text is not exact (lone surrogate, NUL escape) are refused (no U+FFFD aliasing)', async () => {
    // json keeps these escapes; a jsonb copy (for the columns) cannot, so the functions refuse a
    // NUL escape and any surrogate escape in an indexed field (KW422)
    for (const bad of ['t\\ud800', 't\\udc00', 't\\u0000', 't\\ud83d\\ude00']) {
      const doc = JSON.stringify(makeRecord({ tenantId: 'X', name: 'n' })).replace(
        '"tenantId":"X"',
        `"tenantId":"${bad}"`,
      );
      const r = await asRole(
        pg.sql,
        'service_role',
        { role: 'service_role' },
        `select ${t('keywarden_create')}($1::text::json)`,
        [doc],
      );
      expect([bad, r.code]).toStrictEqual([bad, 'KW422']);
      refused += 1;
    }
  });

  it('HTTP: a row a tenant appends for itself with the public SHA-256 digest does not verify', async () => {
    // allowed by the function (its own tenant), but it cannot carry the keyed digest
    const own = makeAuditEvent({ type: 'key.revoked', keyId: idA, tenantId: 'A', actor: 'security-team' });
    expect(own.digest).toBe(auditDigest(own));
    const r = await req('POST', '/rpc/keywarden_append_audit', { p_events: [own] });
    expect(r.status).toBeLessThan(300);
    accepted += 1;
    const result = await km.audit.verify();
    expect(result).toMatchObject({ ok: false, reason: 'digest_mismatch' });
    const listed = await km.audit.list({ keyId: idA });
    const forgedSeq = listed.items.find((e) => e.id === own.id)?.seq;
    expect(result.ok === false && result.brokenAt).toBe(forgedSeq);
  });
});
