/**
 * The security monitor's `violations` rule with `action: 'revoke'` revokes a proxy session after a
 * burst of its violations. Attacked here: can someone who does not hold a session's token get
 * violations counted against it, and so revoke another agent's session (a denial of service)?
 * The attacker knows the victim's session id (it is the non-secret middle part of the token and
 * appears in audit rows and logs) and sends, through a real gateway on loopback, every kind of bad
 * call that names it: a forged token with the victim's id (wrong secret) on forbidden paths, in the
 * query string, copied into another header, for an unknown tool. And another tenant's access
 * object reports violations naming the victim's session id. None of it may revoke the victim.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import type { AgentAccess } from '../../src/access/types.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { call, SECRETS } from '../access/gateway-harness.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const THRESHOLD = 3;

async function setup() {
  const { km } = createTestKeyManager({
    monitor: {
      violations: { threshold: THRESHOLD, window: '1m', action: 'revoke' },
      failedVerifies: false,
      ipFailures: false,
      newNetwork: false,
      usageSpike: false,
    },
    usage: false,
  });
  cleanups.push(() => km.close());
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const access: AgentAccess = agentAccess(km);
  await km.secrets.set('STRIPE_KEY', SECRETS.stripe);
  await access.tools.register({
    id: 'stripe',
    name: 'Payments',
    secret: 'STRIPE_KEY',
    upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET'],
    paths: ['/v1/charges'],
    approval: 'auto',
  });
  const req = await access.requests.create({ toolId: 'stripe', agentId: 'victim', justification: 'j' });
  const session = await access.sessions.open(req.id);
  const gw = createGateway(access);
  const { url } = await gw.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => gw.close());
  return { km, access, url, token: session.token, sessionId: session.id };
}

/** The victim's token with its secret part replaced: the same session id, no valid secret. */
function forged(token: string, fill: string): string {
  const cut = token.lastIndexOf('_');
  return token.slice(0, cut + 1) + fill.repeat(token.length - cut - 1).slice(0, token.length - cut - 1);
}

async function victimStillWorks(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const r = await call(`${s.url}/stripe/v1/charges`, { headers: { authorization: `Bearer ${s.token}` } });
  expect(r.status).toBe(200);
  expect(await s.access.sessions.get(s.sessionId)).toMatchObject({ status: 'active' });
  expect((await s.km.audit.list({ type: 'access.session_ended', limit: 10 })).items).toHaveLength(0);
}

describe('monitor revoke: violations cannot be attributed to a session without its token', () => {
  it('forged tokens with the victim session id, through the gateway, revoke nothing', async () => {
    const s = await setup();
    const fakes = ['A', 'b', '0', 'Z'].map((c) => forged(s.token, c));
    expect(fakes.every((f) => f !== s.token && f.includes(s.sessionId))).toBe(true);
    for (let round = 0; round < THRESHOLD * 2; round++) {
      for (const fake of fakes) {
        const bearer = { authorization: `Bearer ${fake}` };
        // a path the victim may not call, with a forged token: refused, not a violation of the victim
        const forbidden = await call(`${s.url}/stripe/v1/refunds`, { headers: bearer });
        expect([401, 403]).toContain(forbidden.status);
        // the forged token in the query string and in another header (token-exposure violations)
        const query = await call(`${s.url}/stripe/v1/charges?key=${fake}`, { headers: bearer });
        expect(query.status).toBe(403);
        const header = await call(`${s.url}/stripe/v1/charges`, { headers: { ...bearer, 'x-copy': fake } });
        expect(header.status).toBe(403);
        // the real token's id part only, with another tool
        await call(`${s.url}/unknown/v1/charges`, { headers: bearer });
      }
    }
    await victimStillWorks(s);
  });

  it("another tenant's reports naming the victim's session id do not count against it", async () => {
    const s = await setup();
    const other = agentAccess(s.km, { tenantId: 'other' });
    // one short of the threshold: the victim's own next violation would cross it if these counted
    for (let i = 0; i < THRESHOLD - 1; i++) {
      await other.reportViolation({
        toolId: 'stripe',
        sessionId: s.sessionId,
        reason: 'made up',
        context: {},
      });
    }
    await victimStillWorks(s);
    // one real violation of the victim's own (below the threshold on its own) still does not revoke it
    const own = await call(`${s.url}/stripe/v1/refunds`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(own.status).toBe(403);
    await victimStillWorks(s);
  });
});
