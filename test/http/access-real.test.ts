/**
 * The /access routes over the real `agentAccess(km)` (no stand-in): an operator registers a tool,
 * an agent's request is approved through the API as the operator, self-approval is refused, the
 * session opened from the approval works, and a revoke through the API ends it on the next call.
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { managementApi } from '../../src/http/index.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { call } from './harness.js';

describe('management API over the real agentAccess', () => {
  it('registers, approves as the operator, refuses self-approval, revokes on the next call', async () => {
    const { km } = createTestKeyManager();
    const access = agentAccess(km);
    const api = managementApi(km, { access });
    const admin = (await km.apiKeys.create({ name: 'admin', scopes: ['keywarden:admin'], ownerId: 'alice' }))
      .token;
    const agentOp = (
      await km.apiKeys.create({ name: 'agent-op', scopes: ['keywarden:approve'], ownerId: 'agent-7' })
    ).token;
    await km.secrets.set('STRIPE_KEY', 'sk_live_real_value_never_shown', { environment: 'production' });

    const reg = await call(api, 'POST', '/access/tools', {
      token: admin,
      body: {
        id: 'stripe',
        name: 'Payments',
        secret: 'STRIPE_KEY',
        environment: 'production',
        upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
        methods: ['GET'],
        paths: ['/v1/charges'],
        approval: 'required',
        maxDuration: '1h',
      },
    });
    expect(reg.status).toBe(201);
    expect((await access.tools.get('stripe')).name).toBe('Payments');

    const req = await access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      onBehalfOf: 'user_1',
      justification: 'list charges',
      duration: '30m',
    });
    expect(req.status).toBe('pending');

    // the agent's own operator key can never approve its request
    const self = await call(api, 'POST', `/access/requests/${req.id}/approve`, { token: agentOp, body: {} });
    expect([self.status, self.json.code]).toEqual([403, 'ERR_FORBIDDEN']);
    expect((await access.requests.get(req.id)).status).toBe('pending');

    const ok = await call(api, 'POST', `/access/requests/${req.id}/approve`, {
      token: admin,
      body: { duration: '10m' },
    });
    expect(ok.status).toBe(200);
    const approved = await access.requests.get(req.id);
    expect(approved.status).toBe('approved');
    expect(JSON.stringify(approved)).toContain('alice');

    const session = await access.sessions.open(req.id);
    expect(
      (await access.verify(session.token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' })).valid,
    ).toBe(true);
    const listed = await call(api, 'GET', '/access/sessions', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(session.token);
    expect(listed.text).not.toContain('sk_live_real_value_never_shown');

    const revoked = await call(api, 'POST', `/access/sessions/${session.id}/revoke`, {
      token: admin,
      body: { reason: 'done' },
    });
    expect(revoked.status).toBe(200);
    const after = await access.verify(session.token, {
      toolId: 'stripe',
      method: 'GET',
      path: '/v1/charges',
    });
    expect(after).toMatchObject({ valid: false, code: 'REVOKED' });
    await km.close();
  });
});
