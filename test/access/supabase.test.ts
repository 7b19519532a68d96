import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { migrationSql, supabaseStorage } from '../../src/adapters/supabase.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { createSupabaseRoles, type PostgrestHarness, startPostgrest } from '../support/postgrest-harness.js';
import { runAccessScenario } from './scenario.js';

let pg: PgHarness;
let rest: PostgrestHarness;
const RUN = `kw_acc_${Date.now().toString(36)}`;
const SCENARIO = `${RUN}_scenario`;
const TENANTS = `${RUN}_tenants`;

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
  for (const schema of [SCENARIO, TENANTS]) await applyMigration(schema);
  rest = await startPostgrest(pg, [SCENARIO, TENANTS], password);
});

afterAll(async () => {
  await rest?.stop();
  if (pg) for (const schema of [SCENARIO, TENANTS]) await pg.dropSchema(schema);
  await pg?.stop();
});

describe('agent access on Supabase (PostgREST)', () => {
  it('runs the access scenario through the service role', async () => {
    const clock = fakeClock();
    const storage = supabaseStorage({ client: rest.client(rest.serviceKey), schema: SCENARIO });
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }), clock });
    await runAccessScenario(km, clock, storage);
    await km.close();
  });

  it('tenant isolation holds for tools, requests and sessions', async () => {
    const masterKey = generateMasterKey();
    const manager = (key: string) =>
      createKeyManager({
        storage: supabaseStorage({ client: rest.client(key), schema: TENANTS }),
        kms: localKms({ masterKey }),
      });
    const service = manager(rest.serviceKey);
    await service.ready();
    await service.secrets.set('KEY', 'secret-of-A-0123456789', { tenantId: 'A' });
    await service.secrets.set('KEY', 'secret-of-B-0123456789', { tenantId: 'B' });
    const tool = {
      id: 'api',
      secret: 'KEY',
      upstream: { origin: 'https://api.example.com', auth: { type: 'bearer' as const } },
    };
    const open = async (tenant: string) => {
      const access = agentAccess(service, { tenantId: tenant });
      await access.tools.register(tool);
      const req = await access.requests.create({
        toolId: 'api',
        agentId: `agent-${tenant}`,
        justification: 'x',
      });
      await access.requests.approve(req.id, { approver: 'alice' });
      return { req, session: await access.sessions.open(req.id) };
    };
    const a = await open('A');
    const b = await open('B');

    const kmA = manager(rest.sign({ role: 'authenticated', tenant_id: 'A' }));
    const asA = agentAccess(kmA, { tenantId: 'A' });
    const call = { toolId: 'api', method: 'GET', path: '/x' };
    const mine = await asA.authorize(a.session.token, call);
    expect(mine.ok && mine.secret).toBe('secret-of-A-0123456789');
    expect(await asA.authorize(b.session.token, call)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await asA.tools.list()).items.map((t) => t.tenantId)).toEqual(['A']);
    expect((await asA.requests.list()).items.map((r) => r.id)).toEqual([a.req.id]);
    expect((await asA.sessions.list()).items.map((s) => s.id)).toEqual([a.session.id]);
    await expect(asA.requests.get(b.req.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(asA.sessions.revoke(b.session.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    // an access object of tenant B on A's JWT sees nothing of B (row-level security), not even by id
    const bOnA = agentAccess(kmA, { tenantId: 'B' });
    expect(await bOnA.authorize(b.session.token, call)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect((await bOnA.requests.list()).items).toEqual([]);
    await expect(
      bOnA.requests.create({ toolId: 'api', agentId: 'x', justification: 'x' }),
    ).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await expect(bOnA.tools.register({ ...tool, id: 'planted' })).rejects.toMatchObject({
      code: 'ERR_STORAGE',
    });
    expect((await agentAccess(service, { tenantId: 'B' }).tools.list()).items.map((t) => t.id)).toEqual([
      'api',
    ]);
    // B's session is untouched
    const asB = agentAccess(service, { tenantId: 'B' });
    expect((await asB.sessions.get(b.session.id)).status).toBe('active');
    await kmA.close();
    await service.close();
  });
});
