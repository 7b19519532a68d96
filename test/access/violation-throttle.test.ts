/**
 * A flood of refused calls must not turn into a flood of audit rows: through a real gateway on
 * loopback, repeated violations of one session or one client address are written once per window
 * and counted; violations without a session have a per-window budget that varying the address or
 * the tool id in the path cannot get around. Every refusal still happens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import { createViolationThrottle } from '../../src/access/violation-throttle.js';
import { KeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import {
  addTool,
  call,
  grant,
  rawRequest,
  SECRETS,
  setupAccess,
  startUpstream,
  type Upstream,
} from './gateway-harness.js';

let gw: Gateway | undefined;
let upstream: Upstream | undefined;

afterEach(async () => {
  await gw?.close();
  await upstream?.close();
  gw = undefined;
  upstream = undefined;
});

async function start(options: Parameters<typeof setupAccess>[1] = {}) {
  const env = setupAccess(undefined, options);
  upstream = await startUpstream();
  await addTool(env.km, env.access, {
    id: 'openai',
    secretValue: SECRETS.openai,
    upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET'],
    paths: ['/v1/models'],
  });
  const token = await grant(env.access, 'openai');
  gw = createGateway(env.access, {});
  const { url } = await gw.listen({ host: '127.0.0.1', port: 0 });
  return { ...env, token, base: url, port: Number(new URL(url).port) };
}

async function rows(km: ReturnType<typeof setupAccess>['km']) {
  return (await km.audit.list({ type: 'access.violation', limit: 1000 })).items;
}

describe('violation throttle through the gateway', () => {
  it('writes one row for 200 refused calls of one session and refuses every call', async () => {
    const { km, token, base } = await start();
    const statuses = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const r = await call(`${base}/openai/v1/admin/${i}`, { headers: { authorization: `Bearer ${token}` } });
      statuses.add(r.status);
    }
    expect([...statuses]).toEqual([403]);
    const written = await rows(km);
    expect(written).toHaveLength(1);
    expect(written[0]?.data).toMatchObject({ reason: 'path not allowed' });
    expect(upstream?.seen).toHaveLength(0);
  });

  it('bounds unauthenticated violations whatever the tool id in the path', async () => {
    const { km, port } = await start({ violationThrottle: { maxUnattributed: 5 } });
    for (let i = 0; i < 60; i++) {
      const r = await rawRequest(port, `CONNECT tool-${i}.example:443 HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(r.status).toBe(400);
    }
    for (let i = 0; i < 60; i++) {
      const r = await call(`http://127.0.0.1:${port}/tool-${i}/v1/models`, {
        headers: { authorization: 'Bearer kwp_nope' },
      });
      expect(r.status).toBeGreaterThanOrEqual(400);
    }
    const written = await rows(km);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThanOrEqual(5);
  });

  it('writes every violation with the throttle off', async () => {
    const { km, token, base } = await start({ violationThrottle: false });
    for (let i = 0; i < 20; i++) {
      await call(`${base}/openai/v1/admin`, { headers: { authorization: `Bearer ${token}` } });
    }
    expect(await rows(km)).toHaveLength(20);
  });
});

describe('createViolationThrottle', () => {
  it('counts what it suppresses and reports it on the next row of the same key', () => {
    const t = createViolationThrottle({ windowMs: 60_000, maxUnattributed: 100 });
    const v = { sessionId: 's1', ip: '203.0.113.9', reason: 'path not allowed' };
    expect(t.take(v, 0)).toEqual({ suppressed: 0, dropped: 0 });
    expect(t.take(v, 1_000)).toBeNull();
    expect(t.take(v, 2_000)).toBeNull();
    expect(t.take({ ...v, reason: 'method not allowed' }, 3_000)).toEqual({ suppressed: 0, dropped: 0 });
    expect(t.take({ ...v, sessionId: 's2' }, 3_000)).toEqual({ suppressed: 0, dropped: 0 });
    expect(t.take(v, 60_000)).toEqual({ suppressed: 2, dropped: 0 });
  });

  it('keys violations without a session by address, with one budget for all addresses', () => {
    const t = createViolationThrottle({ windowMs: 60_000, maxUnattributed: 2 });
    const at = (ip: string) => ({ sessionId: null, ip, reason: 'unknown tool' });
    expect(t.take(at('10.0.0.1'), 0)).toEqual({ suppressed: 0, dropped: 0 });
    expect(t.take(at('10.0.0.1'), 1)).toBeNull();
    expect(t.take(at('10.0.0.2'), 2)).toEqual({ suppressed: 0, dropped: 0 });
    expect(t.take(at('10.0.0.3'), 3)).toBeNull();
    expect(t.take(at('10.0.0.4'), 4)).toBeNull();
    // a new window: the next row reports the two dropped by the budget
    expect(t.take(at('10.0.0.5'), 60_000)).toEqual({ suppressed: 0, dropped: 2 });
    // sessions never use the budget
    expect(t.take({ sessionId: 's1', ip: '10.0.0.5', reason: 'unknown tool' }, 60_001)).toEqual({
      suppressed: 0,
      dropped: 0,
    });
  });
});

describe('violationThrottle option', () => {
  it('is checked when the access object is built', () => {
    const { km } = createTestKeyManager();
    for (const bad of [
      { violationThrottle: true },
      { violationThrottle: { window: '10ms' } },
      { violationThrottle: { maxUnattributed: 0 } },
      { violationThrottle: { maxUnattributed: 1.5 } },
      { violationThrottle: { other: 1 } },
    ]) {
      let err: unknown;
      try {
        agentAccess(km, bad as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KeywardenError);
      expect((err as KeywardenError).code).toBe('ERR_VALIDATION');
      expect((err as KeywardenError).field).toMatch(/^violationThrottle/);
    }
  });
});
