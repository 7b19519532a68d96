/**
 * The agent access scenario every storage adapter runs: register, request, approve, open, spend
 * exactly under concurrency, revoke applies to the next call, pending expiry persisted by a sweep.
 */
import { expect } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import type { FakeClock } from '../../src/testing/fake-clock.js';

export const SCENARIO_SECRET = 'sk_live_scenario_0123456789abcdefghij';

export async function runAccessScenario(
  km: KeyManager,
  clock: FakeClock,
  storage: StorageAdapter,
  tenantId: string | null = null,
): Promise<void> {
  await km.secrets.set('STRIPE_KEY', SCENARIO_SECRET, { environment: 'production', tenantId });
  const access = agentAccess(km, { pendingTtl: '1h', tenantId });
  const tool = await access.tools.register({
    id: 'stripe',
    secret: 'STRIPE_KEY',
    environment: 'production',
    upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
    methods: ['GET', 'POST'],
    paths: ['/v1/charges', '/v1/charges/*'],
    maxDuration: '1h',
    maxCalls: 100,
  });
  expect(tool.tenantId).toBe(tenantId);
  expect((await access.tools.list()).items.map((t) => t.id)).toEqual(['stripe']);

  const req = await access.requests.create({
    toolId: 'stripe',
    agentId: 'agent-7',
    onBehalfOf: 'user_1',
    justification: 'refund order 123',
    maxCalls: 5,
  });
  await expect(access.requests.approve(req.id, { approver: 'user_1' })).rejects.toMatchObject({
    code: 'ERR_FORBIDDEN',
  });
  await access.requests.approve(req.id, { approver: 'alice', duration: '10m' });
  const session = await access.sessions.open(req.id);
  const { token } = session;

  // 20 parallel calls with 5 left: exactly 5 are authorized
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      access.authorize(token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' }),
    ),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(5);
  expect(results.filter((r) => !r.ok && r.code === 'USAGE_EXCEEDED')).toHaveLength(15);
  for (const r of results) if (r.ok) expect(r.secret).toBe(SCENARIO_SECRET);
  const after = await access.sessions.get(session.id);
  expect(after).toMatchObject({ status: 'exhausted', callsUsed: 5, remaining: 0 });
  expect((await access.requests.get(req.id)).status).toBe('ended');

  // revoke applies to the next call
  const req2 = await access.requests.create({
    toolId: 'stripe',
    agentId: 'agent-7',
    justification: 'list charges',
  });
  await access.requests.approve(req2.id, { approver: 'alice' });
  const s2 = await access.sessions.open(req2.id);
  expect(
    (await access.authorize(s2.token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' })).ok,
  ).toBe(true);
  await access.sessions.revoke(s2.id, { reason: 'done' });
  expect(
    await access.authorize(s2.token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' }),
  ).toMatchObject({
    ok: false,
    code: 'REVOKED',
  });

  // pending expiry persisted by the sweep
  const req3 = await access.requests.create({ toolId: 'stripe', agentId: 'agent-9', justification: 'later' });
  clock.advance('1h');
  expect((await access.requests.get(req3.id)).status).toBe('expired');
  const report = await access.sweep();
  expect(report.requestsExpired).toBe(1);
  expect((await access.requests.list({ status: 'expired' })).items.map((r) => r.id)).toEqual([req3.id]);
  expect((await access.sessions.list({ status: 'revoked' })).items.map((s) => s.id)).toEqual([s2.id]);
  expect((await access.requests.list({ agentId: 'agent-7' })).items).toHaveLength(2);

  // nothing stored or audited holds the token or the secret value
  const audit = JSON.stringify((await km.audit.list({ limit: 1000 })).items);
  expect(audit).not.toContain(token);
  expect(audit).not.toContain(SCENARIO_SECRET);
  expect(JSON.stringify(await storage.get(session.id))).not.toContain(token.slice(17));
  expect((await km.audit.verify()).ok).toBe(true);
}
