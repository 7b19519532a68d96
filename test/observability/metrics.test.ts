/**
 * Metrics through the real OpenTelemetry SDK (`@opentelemetry/sdk-metrics`, in-memory exporter)
 * and its Prometheus exporter scraped over loopback: what is counted, with which attributes, and
 * that no id, token, tenant or secret ever becomes a label.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics as otelMetrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { cachedStorage } from '../../src/cache/index.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { addTool, grant, startUpstream } from '../access/gateway-harness.js';
import { type OtelHarness, otelHarness } from '../support/otel.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function harness(): OtelHarness {
  const h = otelHarness();
  cleanups.push(() => h.shutdown());
  return h;
}

function withMetrics(h: OtelHarness, extra: Parameters<typeof createTestKeyManager>[0] = {}) {
  const t = createTestKeyManager({ metrics: { meterProvider: h.provider }, ...extra });
  cleanups.push(() => t.km.close());
  return t;
}

describe('metrics (OpenTelemetry SDK, in-memory reader)', () => {
  it('counts verifications by outcome code and records their duration in seconds', async () => {
    const h = harness();
    const { km } = withMetrics(h);
    const { token, key } = await km.apiKeys.create({ name: 'ci', tenantId: 'tenant-42' });
    const { token: revoked, key: rk } = await km.apiKeys.create({ name: 'old' });
    await km.apiKeys.revoke(rk.id);
    await km.apiKeys.verify(token);
    await km.apiKeys.verify(token);
    await km.apiKeys.verify('kw_garbage');
    await km.apiKeys.verify(revoked);
    await km.apiKeys.verify(`${token.slice(0, -8)}AAAAAAAA`); // the checksum fails
    await km.apiKeys.verify(token, { tenantId: 'tenant-other' });

    expect(await h.value('keywarden.verify', { code: 'VALID' })).toBe(2);
    expect(await h.value('keywarden.verify', { code: 'MALFORMED' })).toBe(2);
    expect(await h.value('keywarden.verify', { code: 'NOT_FOUND' })).toBe(1);
    expect(await h.value('keywarden.verify', { code: 'REVOKED' })).toBe(1);
    expect(await h.value('keywarden.verify')).toBe(6);
    const duration = (await h.collect()).find(
      (m) => m.descriptor.name === 'keywarden.verify.duration.seconds',
    );
    expect(duration?.descriptor.unit).toBe('s');
    expect(await h.value('keywarden.verify.duration.seconds')).toBe(6);

    // nothing that identifies a key, a token or a tenant is a label
    const labels = JSON.stringify(await h.attributes());
    for (const forbidden of [key.id, rk.id, token, revoked, 'tenant-42', 'tenant-other', 'ci']) {
      expect(labels).not.toContain(forbidden);
    }
  });

  it('counts a verification that throws as ERROR (storage failure) and the storage error by operation', async () => {
    const h = harness();
    const inner = memoryStorage();
    let failGet = false;
    const storage: StorageAdapter = {
      ...inner,
      name: inner.name,
      get: (id) => (failGet ? Promise.reject(new Error('connection reset')) : inner.get(id)),
    };
    const { km } = withMetrics(h, { storage });
    const { token } = await km.apiKeys.create({ name: 'ci' });
    failGet = true;
    await expect(km.apiKeys.verify(token)).rejects.toMatchObject({ code: 'ERR_STORAGE' });
    expect(await h.value('keywarden.verify', { code: 'ERROR' })).toBe(1);
    expect(await h.value('keywarden.storage.errors', { operation: 'get' })).toBe(1);
  });

  it('counts secret reads with their duration, rotations by kind and outcome, and audit writes', async () => {
    const h = harness();
    const { km } = withMetrics(h);
    await km.secrets.set('STRIPE_KEY', 'sk_live_abcdef');
    expect(await km.secrets.get('STRIPE_KEY')).toBe('sk_live_abcdef');
    await expect(km.secrets.get('MISSING')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const { key } = await km.apiKeys.create({ name: 'rotating' });
    await km.rotator.rotate(key.id);

    expect(await h.value('keywarden.secret.read', { outcome: 'ok', source: 'secrets' })).toBe(1);
    expect(await h.value('keywarden.secret.read', { outcome: 'error', source: 'secrets' })).toBe(1);
    expect(await h.value('keywarden.secret.read.duration.seconds')).toBe(2);
    expect(await h.value('keywarden.rotations', { kind: 'api_key', outcome: 'success' })).toBe(1);
    const audited = (await km.audit.list({ limit: 1000 })).items.length;
    expect(await h.value('keywarden.audit.writes', { outcome: 'ok' })).toBe(audited);
    expect(await h.value('keywarden.audit.writes', { outcome: 'failed' })).toBe(0);
    expect(JSON.stringify(await h.attributes())).not.toContain('sk_live_abcdef');
  });

  it('counts failed audit writes, and KMS errors by operation', async () => {
    const h = harness();
    const inner = memoryStorage();
    let failAudit = false;
    const storage: StorageAdapter = {
      ...inner,
      name: inner.name,
      appendAudit: (events) =>
        failAudit ? Promise.reject(new Error('disk full')) : inner.appendAudit(events),
    };
    const local = localKms({ masterKey: generateMasterKey() });
    let failUnwrap = false;
    const kms = {
      id: local.id,
      wrapKey: local.wrapKey.bind(local),
      unwrapKey: (w: Parameters<typeof local.unwrapKey>[0], c: Parameters<typeof local.unwrapKey>[1]) =>
        failUnwrap ? Promise.reject(new Error('kms unreachable')) : local.unwrapKey(w, c),
    };
    const { km } = withMetrics(h, { storage, kms });
    await km.secrets.set('A', 'value-a');
    failAudit = true;
    await expect(km.apiKeys.create({ name: 'x' })).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    expect(await h.value('keywarden.audit.writes', { outcome: 'failed' })).toBe(1);
    expect(await h.value('keywarden.storage.errors', { operation: 'appendAudit' })).toBe(1);
    failAudit = false;
    failUnwrap = true;
    await expect(km.secrets.get('A')).rejects.toBeDefined();
    expect(await h.value('keywarden.kms.errors', { operation: 'unwrap' })).toBe(1);
    expect(await h.value('keywarden.secret.read', { outcome: 'error' })).toBe(1);
  });

  it('reports the hit and miss counters of cachedStorage (the hit ratio)', async () => {
    const h = harness();
    const storage = cachedStorage(memoryStorage(), { ttl: '1h' });
    const { km } = withMetrics(h, { storage });
    const { token } = await km.apiKeys.create({ name: 'hot' });
    for (let i = 0; i < 5; i++) await km.apiKeys.verify(token);
    const stats = storage.stats();
    expect(stats.hits).toBeGreaterThan(0);
    expect(await h.value('keywarden.cache.requests', { result: 'hit' })).toBe(stats.hits);
    expect(await h.value('keywarden.cache.requests', { result: 'miss' })).toBe(stats.misses);
  });

  it('counts access requests by decision, active sessions, and gateway requests by tool and status class', async () => {
    const h = harness();
    const { km } = withMetrics(h);
    const access = agentAccess(km);
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    await addTool(km, access, {
      id: 'openai',
      secretValue: 'sk-proj-secret-value-123',
      upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['GET'],
      paths: ['/v1/models'],
    });
    const gw = createGateway(access);
    await gw.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => gw.close());
    const token = await grant(access, 'openai');
    const ok = await fetch(`${gw.url}/openai/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    await ok.arrayBuffer();
    const forbidden = await fetch(`${gw.url}/openai/v1/other`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await forbidden.arrayBuffer();
    // made-up tool ids never become labels
    for (const id of ['tool-a1', 'tool-b2', 'tool-c3']) {
      const r = await fetch(`${gw.url}/${id}/x`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
    }
    const denied = await access.requests.create({ toolId: 'openai', agentId: 'a2', justification: 'j' });
    expect(denied.status).toBe('approved'); // auto approval
    expect(await h.value('keywarden.access.requests', { decision: 'approved' })).toBe(2);
    expect(await h.value('keywarden.access.sessions.active')).toBe(1);
    const sessions = await access.sessions.list();
    for (const s of sessions.items) await access.sessions.revoke(s.id);
    expect(await h.value('keywarden.access.sessions.active')).toBe(0);

    expect(await h.value('keywarden.gateway.requests', { tool: 'openai', outcome: '2xx' })).toBe(1);
    expect(await h.value('keywarden.gateway.requests', { tool: 'openai', outcome: '4xx' })).toBe(1);
    expect(await h.value('keywarden.gateway.requests', { tool: 'unknown', outcome: '4xx' })).toBe(3);
    expect(await h.value('keywarden.secret.read', { source: 'access', outcome: 'ok' })).toBe(1);
    const labels = JSON.stringify(await h.attributes());
    for (const forbidden of ['tool-a1', token, 'sk-proj-secret-value-123', 'a2']) {
      expect(labels).not.toContain(forbidden);
    }
  });

  it('records nothing and costs nothing without the option; `metrics: true` uses the global provider', async () => {
    const { km } = createTestKeyManager();
    cleanups.push(() => km.close());
    const { token } = await km.apiKeys.create({ name: 'plain' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);

    const h = harness();
    otelMetrics.setGlobalMeterProvider(h.provider);
    cleanups.push(() => otelMetrics.disable());
    const global = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
      metrics: true,
    });
    cleanups.push(() => global.close());
    const created = await global.apiKeys.create({ name: 'g' });
    await global.apiKeys.verify(created.token);
    expect(await h.value('keywarden.verify', { code: 'VALID' })).toBe(1);
  });

  it('rejects a metrics option that is not a meter or provider, naming the field', () => {
    const base = { storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) };
    expect(() => createKeyManager({ ...base, metrics: { meterProvider: {} as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'metrics.meterProvider' }),
    );
    expect(() => createKeyManager({ ...base, metrics: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'metrics' }),
    );
  });
});

describe('metrics through the Prometheus exporter, scraped over loopback', () => {
  it('exposes _total counters and _seconds histograms without ids, tokens or tenants', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    const server: Server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => provider.shutdown());
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { km } = createTestKeyManager({ metrics: { meterProvider: provider } });
    cleanups.push(() => km.close());
    const { token, key } = await km.apiKeys.create({ name: 'scraped', tenantId: 'acme-corp' });
    await km.apiKeys.verify(token);
    await km.apiKeys.verify(token, { tenantId: 'acme-corp' });
    await km.apiKeys.verify(`${token.slice(0, -8)}BBBBBBBB`);

    const { port } = server.address() as AddressInfo;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/^keywarden_verify_total\{code="VALID"[^}]*\} 2$/m);
    expect(text).toMatch(/^# TYPE keywarden_verify_duration_seconds histogram$/m);
    expect(text).toMatch(/^keywarden_verify_total\{code="MALFORMED"[^}]*\} 1$/m);
    expect(text).toMatch(/^keywarden_verify_duration_seconds_count(\{[^}]*\})? 3$/m);
    expect(text).toMatch(/^keywarden_verify_duration_seconds_bucket\{[^}]*le="0\.001"[^}]*\} \d+$/m);
    expect(text).toMatch(/^keywarden_audit_writes_total\{outcome="ok"[^}]*\} \d+$/m);
    for (const forbidden of [token, key.id, 'acme-corp', 'scraped']) expect(text).not.toContain(forbidden);
  });
});
