/**
 * `authorize` reads the tool's secret record on every call, opens its value at most once per
 * (record, version, revision) within `secretCacheTtl`, and writes ONE audit row per call
 * (`access.call`, naming the secret and version read) — never a second `secret.read` row.
 * The cache never delays a rotation, a disable or a session revocation, holds nothing after
 * `close()`, and never shows in JSON or util.inspect.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { createSecretCache } from '../../src/access/secret-cache.js';
import type { AgentAccessOptions } from '../../src/access/types.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { delegateStorage } from '../support/store-context.js';
import { accessHarness, CHARGES, openSession, SECRET_VALUE, stripeTool } from './helpers.js';

const ROTATED = 'sk_test_rotated_value_0000000000';

/** A real local KMS whose unwraps are counted: each one is a secret value opened. */
function countingKms(): { kms: KmsAdapter; unwraps: () => number } {
  const inner = localKms({ masterKey: generateMasterKey() });
  let n = 0;
  const kms: KmsAdapter = Object.create(inner) as KmsAdapter;
  Object.defineProperty(kms, 'unwrapKey', {
    value: (...args: Parameters<KmsAdapter['unwrapKey']>) => {
      n++;
      return inner.unwrapKey(...args);
    },
  });
  return { kms, unwraps: () => n };
}

async function setup(access: AgentAccessOptions = {}, create: { maxCalls?: number } = {}) {
  const { kms, unwraps } = countingKms();
  const { km, clock } = createTestKeyManager({ kms });
  await km.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
  const a = agentAccess(km, access);
  await a.tools.register(stripeTool());
  const req = await a.requests.create({
    toolId: 'stripe',
    agentId: 'agent-7',
    justification: 'x',
    ...create,
  });
  await a.requests.approve(req.id, { approver: 'alice' });
  const s = await a.sessions.open(req.id);
  const before = unwraps();
  return { km, clock, access: a, token: s.token, sessionId: s.id, opened: () => unwraps() - before };
}

describe('authorize: one audit row per call, the secret opened once per version', () => {
  it('writes access.call naming the secret and version, and no secret.read row', async () => {
    const h = await setup();
    const secret = await h.km.secrets.info('STRIPE_KEY', { environment: 'production' });
    const seqBefore = (await h.km.audit.list({ limit: 1000 })).items.length;
    for (let i = 0; i < 3; i++) expect((await h.access.authorize(h.token, CHARGES)).ok).toBe(true);
    const rows = (await h.km.audit.list({ limit: 1000 })).items.slice(seqBefore);
    expect(rows.map((e) => e.type)).toEqual(['access.call', 'access.call', 'access.call']);
    expect(rows[0]?.data).toMatchObject({
      secretId: secret.id,
      secret: 'STRIPE_KEY',
      secretVersion: secret.version,
      sessionId: h.sessionId,
      remaining: 99,
    });
    expect(rows[2]?.data).toMatchObject({ remaining: 97 });
    expect(h.opened()).toBe(1); // opened once, then served from the cache
  });

  it('with auditCalls: false, the read is still audited once (secret.read), with or without a cap', async () => {
    for (const maxCalls of [undefined, 5]) {
      const h = await setup({ auditCalls: false }, maxCalls === undefined ? {} : { maxCalls });
      const seqBefore = (await h.km.audit.list({ limit: 1000 })).items.length;
      await h.access.authorize(h.token, CHARGES);
      await h.access.authorize(h.token, CHARGES);
      const rows = (await h.km.audit.list({ limit: 1000 })).items.slice(seqBefore);
      expect(rows.map((e) => e.type)).toEqual(['secret.read', 'secret.read']);
      expect(rows[0]?.data).toMatchObject({ toolId: 'stripe', sessionId: h.sessionId });
    }
  });

  it('a rotated secret is injected on the very next call, without waiting for the TTL', async () => {
    const h = await setup({ secretCacheTtl: '1m' });
    const first = await h.access.authorize(h.token, CHARGES);
    expect(first.ok && first.secret).toBe(SECRET_VALUE);
    await h.km.secrets.set('STRIPE_KEY', ROTATED, { environment: 'production' });
    const second = await h.access.authorize(h.token, CHARGES);
    expect(second.ok && second.secret).toBe(ROTATED);
    await h.km.secrets.rollback('STRIPE_KEY', { environment: 'production' });
    const third = await h.access.authorize(h.token, CHARGES);
    expect(third.ok && third.secret).toBe(SECRET_VALUE);
  });

  it('a revoked session is refused on the very next call', async () => {
    const h = await setup({ secretCacheTtl: '1m' });
    expect((await h.access.authorize(h.token, CHARGES)).ok).toBe(true);
    await h.access.sessions.revoke(h.sessionId, { reason: 'suspicious' });
    expect(await h.access.authorize(h.token, CHARGES)).toEqual({ ok: false, code: 'REVOKED', status: 401 });
  });

  it('a disabled or deleted secret is refused on the very next call, and spends nothing', async () => {
    const h = await setup({ secretCacheTtl: '1m' }, { maxCalls: 10 });
    expect((await h.access.authorize(h.token, CHARGES)).ok).toBe(true);
    await h.km.secrets.delete('STRIPE_KEY', { environment: 'production' });
    await expect(h.access.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((await h.access.sessions.get(h.sessionId)).callsUsed).toBe(1);
  });

  it('opens again after the TTL, and on every call with secretCacheTtl: 0', async () => {
    const h = await setup({ secretCacheTtl: '5s' });
    await h.access.authorize(h.token, CHARGES);
    h.clock.advance(4_999);
    await h.access.authorize(h.token, CHARGES);
    expect(h.opened()).toBe(1);
    h.clock.advance(1);
    await h.access.authorize(h.token, CHARGES);
    expect(h.opened()).toBe(2);

    const off = await setup({ secretCacheTtl: 0 });
    for (let i = 0; i < 3; i++) await off.access.authorize(off.token, CHARGES);
    expect(off.opened()).toBe(3);
  });

  it('close() drops the cached values and caches nothing afterwards', async () => {
    const h = await setup();
    await h.access.authorize(h.token, CHARGES);
    await h.access.authorize(h.token, CHARGES);
    expect(h.opened()).toBe(1);
    h.access.close();
    const r = await h.access.authorize(h.token, CHARGES);
    expect(r.ok && r.secret).toBe(SECRET_VALUE);
    await h.access.authorize(h.token, CHARGES);
    expect(h.opened()).toBe(3);
  });

  it('closing the key manager drops the cache on the next call (ERR_CLOSED)', async () => {
    const h = await setup();
    await h.access.authorize(h.token, CHARGES);
    await h.km.close();
    await expect(h.access.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('the cache holds nothing after clear(), evicts the oldest record, keeps one version per record', () => {
    const c = createSecretCache(5_000, 2);
    c.set({ recordId: 'a', version: 1, revision: 1 }, 'va', 0);
    c.set({ recordId: 'b', version: 1, revision: 1 }, 'vb', 0);
    c.set({ recordId: 'c', version: 1, revision: 1 }, 'vc', 0);
    expect(c.size()).toBe(2);
    expect(c.get({ recordId: 'a', version: 1, revision: 1 }, 0)).toBeUndefined();
    expect(c.get({ recordId: 'c', version: 1, revision: 1 }, 0)).toBe('vc');
    expect(c.get({ recordId: 'c', version: 1, revision: 2 }, 0)).toBeUndefined(); // a newer write misses
    expect(c.get({ recordId: 'b', version: 1, revision: 1 }, -1)).toBeUndefined(); // the clock went back
    c.set({ recordId: 'b', version: 1, revision: 1 }, 'vb', 0);
    expect(JSON.stringify(c)).not.toContain('vb');
    expect(inspect(c, { showHidden: true, depth: 10 })).not.toContain('vb');
    c.clear();
    expect(c.size()).toBe(0);
    c.set({ recordId: 'd', version: 1, revision: 1 }, 'vd', 0);
    expect(c.size()).toBe(0);
  });

  it('the secret never appears in JSON.stringify or util.inspect of the access object', async () => {
    const h = await setup();
    const r = await h.access.authorize(h.token, CHARGES);
    expect(r.ok && r.secret).toBe(SECRET_VALUE);
    expect(JSON.stringify(h.access)).not.toContain(SECRET_VALUE);
    expect(inspect(h.access, { showHidden: true, depth: 20, getters: true })).not.toContain(SECRET_VALUE);
    expect(inspect(h.km, { showHidden: true, depth: 20 })).not.toContain(SECRET_VALUE);
  });

  it('refuses a secretCacheTtl over one minute or negative, naming the option', () => {
    const { km } = createTestKeyManager();
    for (const secretCacheTtl of ['2m', -1, 'soon']) {
      expect(() => agentAccess(km, { secretCacheTtl: secretCacheTtl as string })).toThrow(
        expect.objectContaining({ code: 'ERR_VALIDATION', field: 'secretCacheTtl' }),
      );
    }
  });

  it('concurrent calls of one session spend exactly, each with its own audit row', async () => {
    const h = await setup({}, { maxCalls: 20 });
    const seqBefore = (await h.km.audit.list({ limit: 1000 })).items.length;
    const results = await Promise.all(Array.from({ length: 30 }, () => h.access.authorize(h.token, CHARGES)));
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    expect(results.filter((r) => !r.ok && r.code === 'USAGE_EXCEEDED')).toHaveLength(10);
    expect((await h.access.sessions.get(h.sessionId)).callsUsed).toBe(20);
    const rows = (await h.km.audit.list({ limit: 1000 })).items.slice(seqBefore);
    expect(rows.filter((e) => e.type === 'access.call')).toHaveLength(20);
    expect(rows.filter((e) => e.type === 'secret.read')).toHaveLength(0);
  });

  it('one call: one read and one conditional write of the session, one audit append; a lost CAS reads again (strict: auditBatch: false)', async () => {
    const inner = memoryStorage();
    const log: string[] = [];
    let sessionId = '';
    let raceOnce = false;
    const storage = delegateStorage(inner, {
      get: async (id) => {
        if (id === sessionId) log.push('get');
        return inner.get(id);
      },
      update: async (r, o) => {
        if (r.id === sessionId) {
          log.push('update');
          if (raceOnce) {
            raceOnce = false; // another process spends first: this CAS must lose and re-read
            const cur = await inner.get(r.id);
            if (cur !== null)
              await inner.update({ ...cur, revision: cur.revision + 1 }, { expectedRevision: cur.revision });
          }
        }
        return inner.update(r, o);
      },
      appendAudit: async (e) => {
        log.push(`audit:${e.length}`);
        return inner.appendAudit(e);
      },
    });
    const h = await accessHarness({ storage, access: { auditBatch: false } });
    const opened = await openSession(h, { maxCalls: 5 });
    sessionId = opened.sessionId;
    log.length = 0;
    expect((await h.access.authorize(opened.token, CHARGES)).ok).toBe(true);
    expect(log).toEqual(['get', 'update', 'audit:1']);
    log.length = 0;
    raceOnce = true;
    const r = await h.access.authorize(opened.token, CHARGES);
    expect(r.ok && r.session.callsUsed).toBe(2);
    expect(log).toEqual(['get', 'update', 'get', 'update', 'audit:1']);
  });
});
