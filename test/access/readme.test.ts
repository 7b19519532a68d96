/**
 * The README's agent access section, run as written (with a test manager; the one `access.fetch`
 * to api.stripe.com is replaced by `authorize` for the same call, since tests have no network:
 * fetch.test.ts runs access.fetch against a loopback upstream).
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { createTestKeyManager } from '../../src/testing/index.js';

describe('README agent access section', () => {
  it('works as the README shows', async () => {
    const { km } = createTestKeyManager();
    await km.secrets.set('STRIPE_KEY', 'sk_live_readme_0123456789', { environment: 'production' });
    const access = agentAccess(km, { pendingTtl: '24h' });
    await access.tools.register({
      id: 'stripe',
      secret: 'STRIPE_KEY',
      environment: 'production',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
      methods: ['GET', 'POST'],
      paths: ['/v1/charges', '/v1/charges/*'],
      maxDuration: '1h',
      maxCalls: 100,
    });
    const req = await access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      onBehalfOf: 'user_1',
      justification: 'refund order 123',
      duration: '10m',
    });
    await access.requests.approve(req.id, { approver: 'alice', duration: '5m' });
    const { id, token } = await access.sessions.open(req.id);
    expect(token.startsWith('kwp_')).toBe(true);
    const call = await access.authorize(token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' });
    expect(call.ok && call.secret).toBe('sk_live_readme_0123456789');
    await access.sessions.revoke(id);
    expect(
      await access.authorize(token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' }),
    ).toMatchObject({
      status: 401,
    });
  });
});
