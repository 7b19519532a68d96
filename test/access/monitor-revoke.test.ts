/**
 * The security monitor's `violations` rule with `action: 'revoke'`: a burst of proxy-token
 * violations of one session, made through a real gateway on loopback in front of a real upstream,
 * revokes that session through keywarden/access's own transition (CAS write, audit row, notifier
 * event) before the call that crossed the threshold is answered, so the agent's very next call is
 * refused. Below the threshold, or with the action off, the session keeps working.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import type { AgentAccess } from '../../src/access/types.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import type { MonitorOption } from '../../src/manager/monitor-option.js';
import { callbackNotifier } from '../../src/notifiers/index.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { call, SECRETS } from './gateway-harness.js';

/** A loopback upstream that answers `{ ok: true }` and counts the calls (it never echoes the key). */
async function quietUpstream(): Promise<{ origin: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A manager with the monitor, an access object, a tool on a loopback upstream, a gateway, a session. */
async function setup(monitor: MonitorOption, storage?: StorageAdapter) {
  const events: KeyEvent[] = [];
  const { km } = createTestKeyManager({
    monitor,
    ...(storage !== undefined && { storage }),
    usage: false,
    notifier: callbackNotifier((e) => {
      events.push(e);
    }),
  });
  cleanups.push(() => km.close());
  const upstream = await quietUpstream();
  cleanups.push(() => upstream.close());
  const access: AgentAccess = agentAccess(km);
  await km.secrets.set('STRIPE_KEY', SECRETS.stripe);
  await access.tools.register({
    id: 'stripe',
    name: 'Payments',
    secret: 'STRIPE_KEY',
    upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET'],
    paths: ['/v1/charges'],
    approval: 'auto',
  });
  const req = await access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'j' });
  const session = await access.sessions.open(req.id);
  const gw: Gateway = createGateway(access);
  const { url } = await gw.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => gw.close());
  const token = session.token;
  const get = (path: string) =>
    call(`${url}/stripe${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { km, access, upstream, events, token, sessionId: session.id, requestId: req.id, get };
}

/**
 * Memory storage whose record updates take 50 ms (a remote database): a revocation that were
 * not awaited before the refusal is answered would land after the agent's next call.
 */
function slowUpdates(): StorageAdapter {
  const inner = memoryStorage();
  return {
    ...inner,
    name: inner.name,
    update: async (record, options) => {
      await new Promise((r) => setTimeout(r, 50));
      return inner.update(record, options);
    },
  };
}

/** Paths the session was not granted: each call is a `path not allowed` violation. */
const FORBIDDEN_PATHS = ['/v1/refunds', '/v1/payouts', '/v1/customers', '/v1/balance', '/v1/transfers'];

describe("security monitor: violations with action 'revoke'", () => {
  it('a burst over the threshold revokes the session before answering; the next call is refused', async () => {
    const s = await setup(
      {
        violations: { threshold: 3, window: '1m', action: 'revoke' },
        failedVerifies: false,
        ipFailures: false,
        newNetwork: false,
        usageSpike: false,
      },
      slowUpdates(),
    );
    expect((await s.get('/v1/charges')).status).toBe(200); // control: the session works
    for (const path of FORBIDDEN_PATHS.slice(0, 3)) {
      const r = await s.get(path);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toEqual({ error: 'FORBIDDEN' });
    }
    // no waiting: the revocation was written before the third refusal was answered
    const next = await s.get('/v1/charges');
    expect(next.status).toBe(401);
    expect(JSON.parse(next.body)).toEqual({ error: 'REVOKED' });
    expect(s.upstream.seen).toHaveLength(1); // only the control call reached the upstream
    expect(await s.access.verify(s.token)).toEqual({ valid: false, code: 'REVOKED' });

    const info = await s.access.sessions.get(s.sessionId);
    expect(info).toMatchObject({ status: 'revoked', endReason: 'security-monitor' });
    expect((await s.access.requests.get(s.requestId)).status).toBe('ended');

    const ended = (await s.km.audit.list({ type: 'access.session_ended', limit: 10 })).items;
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({
      recordId: s.sessionId,
      actor: 'keywarden:monitor',
      data: { reason: 'revoked', note: 'security-monitor' },
    });
    const alerts = (await s.km.audit.list({ type: 'security.violations', limit: 10 })).items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      actor: 'keywarden:monitor',
      data: { rule: 'violations', count: 3, sessionId: s.sessionId, action: 'revoked' },
    });
    expect(s.events.filter((e) => e.type === 'access.session_ended')).toEqual([
      expect.objectContaining({ sessionId: s.sessionId, reason: 'revoked' }),
    ]);
    expect(s.events.filter((e) => e.type.startsWith('security.'))).toEqual([
      expect.objectContaining({
        type: 'security.violations',
        sessionId: s.sessionId,
        count: 3,
        action: 'revoked',
      }),
    ]);
    // the session ended before the alert was sent
    const order = s.events.map((e) => e.type);
    expect(order.indexOf('access.session_ended')).toBeLessThan(order.indexOf('security.violations'));

    // nothing secret or token-shaped in what was recorded or sent
    const everything = JSON.stringify({
      events: s.events,
      audit: (await s.km.audit.list({ limit: 1000 })).items,
    });
    expect(everything).not.toContain(s.token);
    expect(everything).not.toContain(s.token.slice(-32)); // the token's secret part
    expect(everything).not.toContain(SECRETS.stripe);
    expect((await s.km.audit.verify()).ok).toBe(true);

    // further violations of the ended session raise nothing more
    await s.get(FORBIDDEN_PATHS[3] as string);
    expect(s.events.filter((e) => e.type === 'access.session_ended')).toHaveLength(1);
  });

  it('below the threshold the session keeps working', async () => {
    const s = await setup({ violations: { threshold: 3, window: '1m', action: 'revoke' } });
    for (const path of FORBIDDEN_PATHS.slice(0, 2)) expect((await s.get(path)).status).toBe(403);
    expect((await s.get('/v1/charges')).status).toBe(200);
    expect((await s.access.sessions.get(s.sessionId)).status).toBe('active');
    expect(
      s.events.filter((e) => e.type.startsWith('security.') || e.type === 'access.session_ended'),
    ).toEqual([]);
    expect((await s.km.audit.list({ type: 'access.session_ended', limit: 10 })).items).toEqual([]);
  });

  it("with the action off (default 'none') the burst is reported and the session keeps working", async () => {
    for (const violations of [
      { threshold: 3, window: '1m' },
      { threshold: 3, window: '1m', action: 'none' },
    ] as const) {
      const s = await setup({ violations, failedVerifies: false, ipFailures: false });
      for (const path of FORBIDDEN_PATHS) expect((await s.get(path)).status).toBe(403);
      expect((await s.get('/v1/charges')).status).toBe(200);
      expect((await s.access.sessions.get(s.sessionId)).status).toBe('active');
      await new Promise((r) => setTimeout(r, 20)); // the alert's audit row is written in the background
      expect(s.events.filter((e) => e.type.startsWith('security.'))).toEqual([
        expect.objectContaining({ type: 'security.violations', sessionId: s.sessionId, action: 'none' }),
      ]);
      expect(s.events.some((e) => e.type === 'access.session_ended')).toBe(false);
      const alerts = (await s.km.audit.list({ type: 'security.violations', limit: 10 })).items;
      expect(alerts).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ action: 'none' }) }),
      ]);
    }
  });

  it('revokes only the violating session, through the access object of its tenant', async () => {
    const s = await setup({ violations: { threshold: 2, window: '1m', action: 'revoke' } });
    // a second access object of the same tenant shares the revoker; its session is untouched
    const again = agentAccess(s.km);
    const req = await again.requests.create({ toolId: 'stripe', agentId: 'agent-8', justification: 'j' });
    const other = await again.sessions.open(req.id);
    // another tenant: its own access object (registered second) revokes its sessions
    const acme = agentAccess(s.km, { tenantId: 'acme' });
    await s.km.secrets.set('STRIPE_KEY', SECRETS.stripe, { tenantId: 'acme' });
    await acme.tools.register({
      id: 'stripe',
      secret: 'STRIPE_KEY',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
      methods: ['GET'],
      paths: ['/v1/charges'],
      approval: 'auto',
    });
    const acmeReq = await acme.requests.create({ toolId: 'stripe', agentId: 'agent-9', justification: 'j' });
    const acmeSession = await acme.sessions.open(acmeReq.id);

    for (const path of FORBIDDEN_PATHS.slice(0, 2)) expect((await s.get(path)).status).toBe(403);
    expect((await s.get('/v1/charges')).status).toBe(401);
    expect(await again.verify(other.token)).toMatchObject({ valid: true });
    expect(await acme.verify(acmeSession.token)).toMatchObject({ valid: true });

    for (const path of FORBIDDEN_PATHS.slice(0, 2)) {
      const r = await acme.authorize(acmeSession.token, { toolId: 'stripe', method: 'GET', path });
      expect(r).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    }
    expect(await acme.verify(acmeSession.token)).toEqual({ valid: false, code: 'REVOKED' });
    expect(await acme.sessions.get(acmeSession.id)).toMatchObject({
      status: 'revoked',
      endReason: 'security-monitor',
    });
    expect(await again.verify(other.token)).toMatchObject({ valid: true });
  });

  it('bad option values: KeywardenError naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ violations: { action: 'disable' } }, 'monitor.violations.action'],
      [{ violations: { action: 'nuke' } }, 'monitor.violations.action'],
      [{ violations: { action: 42 } }, 'monitor.violations.action'],
      [{ violations: { threshold: 0, action: 'revoke' } }, 'monitor.violations.threshold'],
      [{ violations: { window: '10ms', action: 'revoke' } }, 'monitor.violations.window'],
      [{ failedVerifies: { action: 'revoke' } }, 'monitor.failedVerifies.action'],
      [{ violations: 'revoke' }, 'monitor.violations'],
    ];
    for (const [monitor, field] of cases) {
      expect(
        () => createTestKeyManager({ monitor: monitor as MonitorOption }),
        JSON.stringify(monitor),
      ).toThrow(expect.objectContaining({ name: 'KeywardenError', code: 'ERR_VALIDATION', field }));
    }
  });
});
