import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkApiToken } from '../../src/crypto/index.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { allAudit, expectKw, snapshot } from './api-keys-helpers.js';

const DAY = 86_400_000;

describe('apiKeys.create', () => {
  it('returns a well-formed token once and stores only its hash', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'ci', scopes: ['deploy:*'], tags: ['ci'] });
    const parsed = checkApiToken(token);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.prefix).toBe('kw');
    expect(parsed.id).toBe(key.id);
    expect(key).toMatchObject({
      name: 'ci',
      prefix: 'kw',
      start: `kw_${key.id}`,
      status: 'active',
      scopes: ['deploy:*'],
      tags: ['ci'],
      tenantId: null,
      environment: 'default',
      remaining: null,
      version: 1,
      revision: 1,
      expiresAt: clock.now() + 90 * DAY,
    });
    expect(Object.keys(key)).not.toContain('token');
    expect(Object.keys(key)).not.toContain('hash');
    const stored = await storage.get(key.id);
    expect(stored?.versions[0]?.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(stored)).not.toContain(parsed.secret);
  });

  it('hides the token from JSON, inspect, spread and keys but allows destructuring', async () => {
    const { km } = createTestKeyManager();
    const created = await km.apiKeys.create({ name: 'x' });
    const { token } = created;
    expect(typeof token).toBe('string');
    expect(created.token).toBe(token);
    expect(JSON.stringify(created)).not.toContain(token);
    expect(JSON.parse(JSON.stringify(created))).toEqual({ key: created.key });
    expect(inspect(created)).not.toContain(token);
    expect(inspect(created)).toContain('[redacted]');
    expect(inspect(created, { showHidden: true, depth: 5 })).not.toContain(token);
    expect(JSON.stringify({ ...created })).not.toContain(token);
    expect(Object.keys(created)).toEqual(['key']);
  });

  it('applies defaults from the manager and per-key options', async () => {
    const { km, clock } = createTestKeyManager({ defaults: { apiKeyPrefix: 'sk_live', expiresIn: null } });
    const a = await km.apiKeys.create({ name: 'a' });
    expect(a.key.prefix).toBe('sk_live');
    expect(a.token.startsWith(`sk_live_${a.key.id}_`)).toBe(true);
    expect(a.key.expiresAt).toBeNull();
    const b = await km.apiKeys.create({
      name: 'b',
      prefix: 'rk',
      expiresIn: '1h',
      tenantId: 't1',
      ownerId: 'u1',
    });
    expect(b.key).toMatchObject({
      prefix: 'rk',
      expiresAt: clock.now() + 3_600_000,
      tenantId: 't1',
      ownerId: 'u1',
    });
    const at = clock.now() + 5 * DAY;
    const c = await km.apiKeys.create({ name: 'c', expiresAt: new Date(at), environment: 'production' });
    expect(c.key).toMatchObject({ expiresAt: at, environment: 'production' });
    const d = await km.apiKeys.create({ name: 'd', refill: { amount: 50, every: '1d' } });
    expect(d.key.remaining).toBe(50);
    expect(d.key.refill).toEqual({ amount: 50, every: DAY, lastRefillAt: clock.now() });
    const e = await km.apiKeys.create({
      name: 'e',
      rateLimit: { limit: 10, window: '1m' },
      meta: { plan: 'pro' },
    });
    expect(e.key.rateLimit).toEqual({ limit: 10, window: 60_000 });
    expect(e.key.meta).toEqual({ plan: 'pro' });
  });

  it('writes a key.created audit event without the token', async () => {
    const { km, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'audited', actor: 'admin@example.com' });
    const events = await allAudit(storage);
    const created = events.find((e) => e.type === 'key.created');
    expect(created).toMatchObject({ keyId: key.id, kind: 'api_key', version: 1, actor: 'admin@example.com' });
    expect(JSON.stringify(events)).not.toContain(token);
  });
});

describe('apiKeys.get / list', () => {
  it('gets a key by id and reports unknown ids as ERR_NOT_FOUND', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'g' });
    expect(await km.apiKeys.get(key.id)).toEqual(key);
    await expectKw(() => km.apiKeys.get('AAAAAAAAAAAA'), 'ERR_NOT_FOUND');
    await expectKw(() => km.apiKeys.get('short'), 'ERR_VALIDATION', 'id');
    await expectKw(() => km.apiKeys.get(42 as unknown as string), 'ERR_VALIDATION', 'id');
  });

  it('does not return secrets or keys of another kind', async () => {
    const { km } = createTestKeyManager();
    const secret = await km.secrets.set('OPENAI_API_KEY', 'sk-test-value');
    await expectKw(() => km.apiKeys.get(secret.id), 'ERR_NOT_FOUND');
    expect((await km.apiKeys.list()).items).toEqual([]);
  });

  it('filters and paginates stably', async () => {
    const { km, clock } = createTestKeyManager();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(1);
      const { key } = await km.apiKeys.create({
        name: `k${i}`,
        ownerId: i % 2 === 0 ? 'even' : 'odd',
        tenantId: i < 5 ? 'A' : 'B',
        tags: i === 3 ? ['special'] : [],
        environment: i === 6 ? 'staging' : 'default',
      });
      ids.push(key.id);
    }
    await km.apiKeys.revoke(ids[1] as string);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await km.apiKeys.list(cursor === undefined ? { limit: 3 } : { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((k) => k.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(ids);
    const ev = (await km.apiKeys.list({ ownerId: 'even' })).items.map((k) => k.name);
    expect(ev).toEqual(['k0', 'k2', 'k4', 'k6']);
    expect((await km.apiKeys.list({ tenantId: 'B' })).items.map((k) => k.name)).toEqual(['k5', 'k6']);
    expect((await km.apiKeys.list({ tag: 'special' })).items.map((k) => k.name)).toEqual(['k3']);
    expect((await km.apiKeys.list({ environment: 'staging' })).items.map((k) => k.name)).toEqual(['k6']);
    expect((await km.apiKeys.list({ status: 'revoked' })).items.map((k) => k.id)).toEqual([ids[1]]);
    expect((await km.apiKeys.list({ limit: 1000 })).items).toHaveLength(7);
    await expectKw(() => km.apiKeys.list({ limit: 0 }), 'ERR_VALIDATION', 'limit');
    await expectKw(() => km.apiKeys.list({ limit: 1001 }), 'ERR_VALIDATION', 'limit');
    await expectKw(() => km.apiKeys.list({ status: 'gone' as 'active' }), 'ERR_VALIDATION', 'status');
    await expectKw(() => km.apiKeys.list({ bogus: 1 } as object), 'ERR_VALIDATION', 'bogus');
  });
});

describe('apiKeys.update', () => {
  it('changes the allowed fields with compare-and-swap and audits them', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'u' });
    clock.advance('1m');
    const updated = await km.apiKeys.update(key.id, {
      name: 'renamed',
      scopes: ['a:*'],
      tags: ['t'],
      meta: { x: 1 },
      ownerId: 'o',
      expiresAt: null,
      remaining: 10,
      refill: { amount: 10, every: '1h' },
      rateLimit: { limit: 5, window: '1s' },
    });
    expect(updated).toMatchObject({
      name: 'renamed',
      scopes: ['a:*'],
      tags: ['t'],
      meta: { x: 1 },
      ownerId: 'o',
      expiresAt: null,
      remaining: 10,
      refill: { amount: 10, every: 3_600_000, lastRefillAt: clock.now() },
      rateLimit: { limit: 5, window: 1000 },
      revision: 2,
      updatedAt: clock.now(),
    });
    expect((await km.apiKeys.verify(token, { scopes: ['a:b'] })).valid).toBe(true);
    const disabled = await km.apiKeys.update(key.id, { status: 'disabled' });
    expect(disabled.status).toBe('disabled');
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'DISABLED' });
    await km.apiKeys.update(key.id, { status: 'active' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    const updates = (await allAudit(storage)).filter((e) => e.type === 'key.updated');
    expect(updates).toHaveLength(3);
    expect(updates[0]?.data['fields']).toContain('scopes');
  });

  it('rejects bad patches and state changes without writing', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'u', expiresIn: '1h' });
    const before = await snapshot(storage);
    await expectKw(() => km.apiKeys.update(key.id, {}), 'ERR_VALIDATION', 'patch');
    await expectKw(() => km.apiKeys.update(key.id, { name: '' }), 'ERR_VALIDATION', 'name');
    await expectKw(() => km.apiKeys.update(key.id, { remaining: -1 }), 'ERR_VALIDATION', 'remaining');
    await expectKw(
      () => km.apiKeys.update(key.id, { status: 'revoked' as 'active' }),
      'ERR_VALIDATION',
      'status',
    );
    await expectKw(() => km.apiKeys.update(key.id, { prefix: 'x' } as object), 'ERR_VALIDATION', 'prefix');
    await expectKw(() => km.apiKeys.update(key.id, null as unknown as object), 'ERR_VALIDATION', 'patch');
    await expectKw(() => km.apiKeys.update('nope', { name: 'x' }), 'ERR_VALIDATION', 'id');
    await expectKw(() => km.apiKeys.update('AAAAAAAAAAAA', { name: 'x' }), 'ERR_NOT_FOUND');
    await expectKw(
      () => km.apiKeys.update(key.id, { refill: { amount: 5, every: '1h' }, remaining: null }),
      'ERR_VALIDATION',
      'remaining',
    );
    clock.advance('2h');
    await expectKw(() => km.apiKeys.update(key.id, { status: 'active' }), 'ERR_INVALID_STATE', 'status');
    expect(await snapshot(storage)).toBe(before);
    await km.apiKeys.revoke(key.id);
    await expectKw(() => km.apiKeys.update(key.id, { name: 'again' }), 'ERR_INVALID_STATE');
  });
});

describe('apiKeys.revoke / delete', () => {
  it('revokes with a reason, idempotently, and notifies', async () => {
    const events: string[] = [];
    const { km, clock, storage } = createTestKeyManager({
      notifier: { notify: async (e) => void events.push(`${e.type}:${e.keyId}`) },
    });
    const { token, key } = await km.apiKeys.create({ name: 'r' });
    clock.advance('1s');
    const revoked = await km.apiKeys.revoke(key.id, { reason: 'leaked in CI logs', actor: 'sec-team' });
    expect(revoked).toMatchObject({
      status: 'revoked',
      revokedAt: clock.now(),
      revokeReason: 'leaked in CI logs',
    });
    const again = await km.apiKeys.revoke(key.id);
    expect(again.revision).toBe(revoked.revision);
    expect(await km.apiKeys.verify(token)).toMatchObject({
      valid: false,
      code: 'REVOKED',
      key: { id: key.id },
    });
    const audit = (await allAudit(storage)).filter((e) => e.type === 'key.revoked');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'sec-team', data: { reason: 'leaked in CI logs' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(events).toEqual([`key.created:${key.id}`, `key.revoked:${key.id}`]);
    await expectKw(() => km.apiKeys.revoke(key.id, { reason: '' }), 'ERR_VALIDATION', 'options.reason');
    await expectKw(() => km.apiKeys.revoke(key.id, { why: 'x' } as object), 'ERR_VALIDATION', 'options.why');
    await expectKw(() => km.apiKeys.revoke('AAAAAAAAAAAA'), 'ERR_NOT_FOUND');
  });

  it('deletes a key; its token no longer verifies; its audit trail stays', async () => {
    const { km, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'd' });
    await km.apiKeys.delete(key.id, { actor: 'ops' });
    expect(await storage.get(key.id)).toBeNull();
    expect(await km.apiKeys.verify(token)).toEqual({ valid: false, code: 'NOT_FOUND' });
    await expectKw(() => km.apiKeys.get(key.id), 'ERR_NOT_FOUND');
    await expectKw(() => km.apiKeys.delete(key.id), 'ERR_NOT_FOUND');
    await expectKw(() => km.apiKeys.delete('x'), 'ERR_VALIDATION', 'id');
    await expectKw(() => km.apiKeys.delete(key.id, { who: 'x' } as object), 'ERR_VALIDATION', 'options.who');
    await expectKw(() => km.apiKeys.delete(key.id, 'ops' as unknown as object), 'ERR_VALIDATION', 'options');
    await expectKw(
      () => km.apiKeys.update(key.id, { name: 'n' }, { actor: '' }),
      'ERR_VALIDATION',
      'options.actor',
    );
    const types = (await allAudit(storage)).filter((e) => e.keyId === key.id).map((e) => e.type);
    expect(types).toEqual(['key.created', 'key.deleted']);
    expect((await km.audit.verify()).ok).toBe(true);
  });
});

describe('apiKeys.createMany', () => {
  it('creates all keys, audited in one batch', async () => {
    const { km, storage } = createTestKeyManager();
    const created = await km.apiKeys.createMany([{ name: 'a' }, { name: 'b', scopes: ['x'] }, { name: 'c' }]);
    expect(created.map((c) => c.key.name)).toEqual(['a', 'b', 'c']);
    for (const c of created) expect((await km.apiKeys.verify(c.token)).valid).toBe(true);
    expect(JSON.stringify(created)).not.toContain(created[0]?.token);
    expect((await allAudit(storage)).filter((e) => e.type === 'key.created')).toHaveLength(3);
  });

  it('validates every input before writing anything', async () => {
    const { km, storage } = createTestKeyManager();
    await km.ready();
    const before = await snapshot(storage);
    await expectKw(() => km.apiKeys.createMany([{ name: 'ok' }, { name: '' }]), 'ERR_VALIDATION', '1.name');
    await expectKw(
      () => km.apiKeys.createMany([{ name: 'ok' }, { name: 'ok', prefix: 'A' }]),
      'ERR_VALIDATION',
      '1.prefix',
    );
    await expectKw(
      () => km.apiKeys.createMany([{ name: 'ok' }, 7 as unknown as { name: string }]),
      'ERR_VALIDATION',
      '1',
    );
    await expectKw(() => km.apiKeys.createMany([]), 'ERR_VALIDATION', 'inputs');
    await expectKw(() => km.apiKeys.createMany('x' as unknown as []), 'ERR_VALIDATION', 'inputs');
    expect(await snapshot(storage)).toBe(before);
  });
});
