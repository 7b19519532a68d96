/**
 * The security monitor: each rule raises its `security.*` notifier event and audit row once per
 * window, with the configured thresholds, the optional disable action, bounded memory, and no
 * storage write per request. Time is a fake clock; requests are real verify / authorize calls.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { networkOf, WindowCounters } from '../../src/internal/window-counters.js';
import { callbackNotifier } from '../../src/notifiers/index.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/index.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function monitored(
  monitor: Parameters<typeof createTestKeyManager>[0] extends infer O
    ? O extends { monitor?: infer M }
      ? M
      : never
    : never,
  storage?: StorageAdapter,
) {
  const events: KeyEvent[] = [];
  const t = createTestKeyManager({
    monitor,
    notifier: callbackNotifier((e) => {
      events.push(e);
    }),
    usage: false,
    ...(storage !== undefined && { storage }),
  });
  cleanups.push(() => t.km.close());
  const security = () => events.filter((e) => e.type.startsWith('security.'));
  /** Lets the fire-and-forget audit writes land. */
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { ...t, events, security, settle };
}

describe('security monitor', () => {
  it('a burst of refused verifications of one key raises security.verify_failures once per window and can disable it', async () => {
    const m = monitored({
      failedVerifies: { threshold: 5, window: '1m', action: 'disable' },
      ipFailures: false,
    });
    const { token, key } = await m.km.apiKeys.create({ name: 'target' });
    await m.km.apiKeys.revoke((await m.km.apiKeys.create({ name: 'other' })).key.id);
    for (let i = 0; i < 4; i++)
      await m.km.apiKeys.verify(token, { scopes: ['admin'], context: { ip: '198.51.100.7' } });
    expect(m.security()).toEqual([]);
    await m.km.apiKeys.verify(token, { scopes: ['admin'], context: { ip: '198.51.100.7' } });
    for (let i = 0; i < 10; i++) await m.km.apiKeys.verify(token, { scopes: ['admin'] });
    await m.settle();
    expect(m.security()).toEqual([
      expect.objectContaining({
        type: 'security.verify_failures',
        keyId: key.id,
        rule: 'verify_failures',
        count: 5,
        network: '198.51.100.0/24',
        action: 'disabled',
      }),
    ]);
    expect((await m.km.apiKeys.get(key.id)).status).toBe('disabled');
    expect(await m.km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'DISABLED' });
    const rows = (await m.km.audit.list({ type: 'security.verify_failures', limit: 10 })).items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      recordId: key.id,
      actor: 'keywarden:monitor',
      data: { count: 5, action: 'disabled' },
    });
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(m.events)).not.toContain('198.51.100.7'); // the network, never the address
    expect((await m.km.audit.verify()).ok).toBe(true);
  });

  it('the burst window slides: failures spread over time do not fire', async () => {
    const m = monitored({ failedVerifies: { threshold: 5, window: '1m' }, ipFailures: false });
    const { token } = await m.km.apiKeys.create({ name: 'slow' });
    for (let i = 0; i < 20; i++) {
      expect(await m.km.apiKeys.verify(token, { tenantId: 'other' })).toMatchObject({ code: 'NOT_FOUND' });
      m.clock.advance('20s');
    }
    await m.settle();
    expect(m.security()).toEqual([]);
  });

  it('refused verifications from one network (made-up ids too) raise security.ip_failures', async () => {
    const m = monitored({ ipFailures: { threshold: 10, window: '1m' }, failedVerifies: false });
    const { token, key } = await m.km.apiKeys.create({ name: 'k' });
    for (let i = 0; i < 6; i++)
      await m.km.apiKeys.verify('kw_garbage', { context: { ip: `203.0.113.${i}` } });
    for (let i = 0; i < 3; i++)
      await m.km.apiKeys.verify(token, { scopes: ['x'], context: { ip: '203.0.113.99' } });
    await m.km.apiKeys.verify('kw_garbage', { context: { ip: '192.0.2.1' } }); // another network
    expect(m.security()).toEqual([]);
    await m.km.apiKeys.verify('kw_garbage', { context: { ip: '203.0.113.200' } });
    await m.settle();
    expect(m.security()).toEqual([
      expect.objectContaining({
        type: 'security.ip_failures',
        network: '203.0.113.0/24',
        count: 10,
        keyId: key.id,
      }),
    ]);
    expect((await m.km.audit.list({ type: 'security.ip_failures', limit: 5 })).items).toHaveLength(1);
  });

  it('first use of a key from a new /24 or /64 network raises security.new_network', async () => {
    const m = monitored({ newNetwork: true, failedVerifies: false, ipFailures: false, usageSpike: false });
    const { token, key } = await m.km.apiKeys.create({ name: 'k' });
    await m.km.apiKeys.verify(token, { context: { ip: '198.51.100.10' } }); // the baseline
    await m.km.apiKeys.verify(token, { context: { ip: '198.51.100.200' } }); // same /24
    await m.km.apiKeys.verify(token, { context: { ip: '2001:db8:1:2::1' } });
    await m.km.apiKeys.verify(token, { context: { ip: '2001:db8:1:2:ffff::9' } }); // same /64
    await m.km.apiKeys.verify(token); // no IP: nothing to learn
    await m.settle();
    expect(m.security()).toEqual([
      expect.objectContaining({ type: 'security.new_network', keyId: key.id, network: '2001:db8:1:2::/64' }),
    ]);
  });

  it("a spike against the key's own baseline raises security.usage_spike", async () => {
    const m = monitored({ usageSpike: { factor: 5, minimum: 20, window: '1m' }, newNetwork: false });
    const { token, key } = await m.km.apiKeys.create({ name: 'k', expiresIn: null });
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 4; i++) await m.km.apiKeys.verify(token);
      m.clock.advance('1m');
    }
    expect(m.security()).toEqual([]);
    for (let i = 0; i < 25; i++) await m.km.apiKeys.verify(token);
    await m.settle();
    expect(m.security()).toEqual([
      expect.objectContaining({ type: 'security.usage_spike', keyId: key.id, count: 20, action: 'none' }),
    ]);
  });

  it('a burst of proxy-token violations of one session raises security.violations', async () => {
    const m = monitored({ violations: { threshold: 3, window: '1m' } });
    const access = agentAccess(m.km);
    await m.km.secrets.set('STRIPE_KEY', 'sk_test_x', { environment: 'production' });
    await access.tools.register({
      id: 'stripe',
      name: 'Payments',
      secret: 'STRIPE_KEY',
      environment: 'production',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
      methods: ['GET'],
      paths: ['/v1/charges'],
      approval: 'auto',
    });
    const req = await access.requests.create({ toolId: 'stripe', agentId: 'a', justification: 'j' });
    const s = await access.sessions.open(req.id);
    for (const path of ['/v1/refunds', '/v1/payouts', '/v1/customers', '/v1/balance']) {
      expect((await access.authorize(s.token, { toolId: 'stripe', method: 'GET', path })).ok).toBe(false);
    }
    await m.settle();
    expect(m.security()).toEqual([
      expect.objectContaining({ type: 'security.violations', sessionId: s.id, count: 3 }),
    ]);
    expect((await m.km.audit.list({ type: 'security.violations', limit: 5 })).items).toHaveLength(1);
  });

  it('writes nothing to storage per request, only when a rule fires', async () => {
    const inner = memoryStorage();
    let writes = 0;
    const storage: StorageAdapter = {
      ...inner,
      name: inner.name,
      update: (r, o) => {
        writes++;
        return inner.update(r, o);
      },
      appendAudit: (e) => {
        writes++;
        return inner.appendAudit(e);
      },
    };
    const m = monitored(true, storage);
    const { token } = await m.km.apiKeys.create({ name: 'quiet' });
    const before = writes;
    for (let i = 0; i < 50; i++) await m.km.apiKeys.verify(token, { context: { ip: '198.51.100.1' } });
    await m.settle();
    expect(writes).toBe(before);
  });

  it('rejects bad monitor options with the field named', () => {
    expect(() => createTestKeyManager({ monitor: { failedVerifies: { threshold: 0 } } })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
    expect(() => createTestKeyManager({ monitor: { nope: true } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
  });
});

describe('monitor building blocks', () => {
  it('WindowCounters keeps at most max subjects and slides', () => {
    const c = new WindowCounters(60_000, 3);
    for (let i = 0; i < 100; i++) c.add(`s${i}`, 0);
    expect(c.size).toBe(3);
    expect(c.add('x', 0)).toBe(1);
    expect(c.add('x', 30_000)).toBe(2);
    expect(c.add('x', 90_000)).toBe(1 + 2 * 0.5); // half of the previous window still overlaps
    expect(c.add('x', 200_000)).toBe(1);
  });

  it('networkOf: /24 for IPv4, /64 for IPv6, null for anything else', () => {
    expect(networkOf('203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.7')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
    for (const bad of ['300.1.1.1', 'example.com', '1:2:3', '1::2::3', '', 'g::1'])
      expect(networkOf(bad)).toBeNull();
  });
});
