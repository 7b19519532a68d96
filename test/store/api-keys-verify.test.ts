import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/crypto/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { makeVersion } from '../../src/records/record.js';
import { scopesGranted } from '../../src/store/api-keys/scopes.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { trustedStorage } from '../support/trusted-storage.js';
import { allAudit } from './api-keys-helpers.js';

describe('apiKeys.verify', () => {
  it('accepts a good token and reports the key and version', async () => {
    const { km } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'ok', scopes: ['a'] });
    const r = await km.apiKeys.verify(token, { scopes: ['a'], context: { ip: '10.0.0.1' } });
    expect(r).toEqual({ valid: true, key, version: 1 });
  });

  it('NOT_FOUND: unknown id, wrong secret for a known id, deleted, another kind; no key info', async () => {
    const { km, storage } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'nf' });
    const unknown = generateApiToken({ prefix: 'kw' }).token;
    expect(await km.apiKeys.verify(unknown)).toEqual({ valid: false, code: 'NOT_FOUND' });
    const forged = generateApiToken({ prefix: 'kw', id: key.id }).token; // valid checksum, wrong secret
    expect(await km.apiKeys.verify(forged)).toEqual({ valid: false, code: 'NOT_FOUND' });
    const otherPrefix = generateApiToken({ prefix: 'zz', id: key.id }).token;
    expect(await km.apiKeys.verify(otherPrefix)).toEqual({ valid: false, code: 'NOT_FOUND' });
    const secret = await km.secrets.set('S', 'v');
    const asKey = generateApiToken({ prefix: 'kw', id: secret.id }).token;
    expect(await km.apiKeys.verify(asKey)).toEqual({ valid: false, code: 'NOT_FOUND' });
    // failures on an existing record are audited, throttled to one row per key per code per minute
    await km.apiKeys.verify(forged);
    const failed = (await allAudit(storage)).filter((e) => e.type === 'key.verify_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toMatchObject({ code: 'NOT_FOUND', reason: 'secret_mismatch' });
  });

  it('tenants: a key of tenant A verified for tenant B is NOT_FOUND', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 't', tenantId: 'A' });
    expect(await km.apiKeys.verify(token, { tenantId: 'B' })).toEqual({ valid: false, code: 'NOT_FOUND' });
    expect((await km.apiKeys.verify(token, { tenantId: 'A' })).valid).toBe(true);
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    const { token: noTenant } = await km.apiKeys.create({ name: 'none' });
    expect(await km.apiKeys.verify(noTenant, { tenantId: 'A' })).toEqual({ valid: false, code: 'NOT_FOUND' });
  });

  it('environment: a genuine key of another environment is WRONG_ENVIRONMENT, audited; absent = any', async () => {
    const { km, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'stg', environment: 'staging' });
    const r = await km.apiKeys.verify(token, { environment: 'production' });
    expect(r).toMatchObject({
      valid: false,
      code: 'WRONG_ENVIRONMENT',
      key: { id: key.id, environment: 'staging' },
    });
    expect((await km.apiKeys.verify(token, { environment: 'staging' })).valid).toBe(true);
    expect((await km.apiKeys.verify(token)).valid).toBe(true); // not asked: not checked
    const failed = (await allAudit(storage)).filter((e) => e.type === 'key.verify_failed');
    expect(failed.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ code: 'WRONG_ENVIRONMENT', reason: 'environment_mismatch' }),
    );
    // a forged secret for that id learns nothing about its environment
    const forged = generateApiToken({ prefix: 'kw', id: key.id }).token;
    expect(await km.apiKeys.verify(forged, { environment: 'production' })).toEqual({
      valid: false,
      code: 'NOT_FOUND',
    });
    // a default-environment key is refused for production too
    const { token: plain } = await km.apiKeys.create({ name: 'plain' });
    expect((await km.apiKeys.verify(plain, { environment: 'production' })).valid).toBe(false);
    await expect(km.apiKeys.verify(token, { environment: '' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'options.environment',
    });
  });

  it('EXPIRED once expiresAt passes (fake clock)', async () => {
    const { km, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'e', expiresIn: '1h' });
    clock.advance('59m');
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    clock.advance('1m');
    const r = await km.apiKeys.verify(token);
    expect(r).toMatchObject({ valid: false, code: 'EXPIRED', key: { id: key.id, status: 'expired' } });
    expect((await km.apiKeys.get(key.id)).status).toBe('expired');
  });

  it('default expiry is 90 days; expiresIn null never expires', async () => {
    const { km, clock } = createTestKeyManager();
    const { token: t90 } = await km.apiKeys.create({ name: 'd' });
    const { token: forever } = await km.apiKeys.create({ name: 'f', expiresIn: null });
    clock.advance('89d');
    expect((await km.apiKeys.verify(t90)).valid).toBe(true);
    clock.advance('1d');
    expect(await km.apiKeys.verify(t90)).toMatchObject({ code: 'EXPIRED' });
    clock.advance('3650d');
    expect((await km.apiKeys.verify(forever)).valid).toBe(true);
  });

  it('REVOKED and DISABLED come before scope and credit checks', async () => {
    const { km } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 's', remaining: 1 });
    await km.apiKeys.update(key.id, { status: 'disabled' });
    expect(await km.apiKeys.verify(token, { scopes: ['x'] })).toMatchObject({ code: 'DISABLED' });
    await km.apiKeys.revoke(key.id);
    expect(await km.apiKeys.verify(token, { scopes: ['x'] })).toMatchObject({ code: 'REVOKED' });
    expect((await km.apiKeys.get(key.id)).remaining).toBe(1);
  });

  it('a token of a retired version is EXPIRED; pending and previous versions are accepted', async () => {
    const { km, clock } = createTestKeyManager();
    const storage = trustedStorage(km); // keywarden's own writes (MAC'd), not an attacker's
    const { token: oldToken, key } = await km.apiKeys.create({ name: 'rot' });
    const rec = (await storage.get(key.id))!;
    // a token with the right id and checksum but no matching hash in any version
    const { token: newToken } = generateApiToken({ prefix: 'kw', id: key.id });
    const now = clock.now();
    const retireAt = now + 60_000;
    // we cannot compute the pepper hash here without the context, so move versions around instead:
    await storage.update(
      {
        ...rec,
        revision: rec.revision + 1,
        versions: [{ ...(rec.versions[0] as (typeof rec.versions)[0]), state: 'previous', retireAt }],
      },
      { expectedRevision: rec.revision },
    );
    expect(await km.apiKeys.verify(oldToken)).toMatchObject({ valid: true, version: 1 });
    clock.advance('1m');
    expect(await km.apiKeys.verify(oldToken)).toMatchObject({
      valid: false,
      code: 'EXPIRED',
      key: { id: key.id },
    });
    const rec2 = (await storage.get(key.id))!;
    await storage.update(
      {
        ...rec2,
        revision: rec2.revision + 1,
        versions: [
          makeVersion({
            ...(rec2.versions[0] as (typeof rec2.versions)[0]),
            state: 'retired',
            retiredAt: clock.now(),
          }),
          makeVersion({ version: 2, state: 'current', createdAt: clock.now(), hash: 'x'.repeat(43) }),
        ],
      },
      { expectedRevision: rec2.revision },
    );
    expect(await km.apiKeys.verify(oldToken)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await km.apiKeys.verify(newToken)).toEqual({ valid: false, code: 'NOT_FOUND' });
    const rec3 = (await storage.get(key.id))!;
    await storage.update(
      {
        ...rec3,
        revision: rec3.revision + 1,
        versions: [
          { ...(rec3.versions[0] as (typeof rec3.versions)[0]), state: 'pending', retiredAt: null },
          rec3.versions[1] as (typeof rec3.versions)[0],
        ],
      },
      { expectedRevision: rec3.revision },
    );
    expect(await km.apiKeys.verify(oldToken)).toMatchObject({ valid: true, version: 1 });
  });
});

describe('scopes', () => {
  const table: [granted: string[], requested: string[], ok: boolean][] = [
    [[], [], true],
    [['a'], [], true],
    [[], ['a'], false],
    [['a'], ['a'], true],
    [['a'], ['b'], false],
    [['a', 'b'], ['a', 'b'], true],
    [['a'], ['a', 'b'], false],
    [['*'], ['anything', 'files:read', 'x:y:z'], true],
    [['files:*'], ['files:read'], true],
    [['files:*'], ['files:a:b'], true],
    [['files:*'], ['files'], false],
    [['files:*'], ['files:'], false],
    [['files:*'], ['filesystem:read'], false],
    [['files:read'], ['files:*'], false],
    [['files:read'], ['*'], false],
    [['files:*'], ['files:*'], true],
    [['files:a:*'], ['files:a:b'], true],
    [['files:a:*'], ['files:b'], false],
    [['files:a:*'], ['files:*'], false],
    [['files:*', 'mail:send'], ['files:write', 'mail:send'], true],
    [['files:*'], ['files:write', 'mail:send'], false],
  ];
  it.each(table)('granted %j, requested %j -> %s', async (granted, requested, ok) => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 's', scopes: granted });
    const r = await km.apiKeys.verify(token, { scopes: requested });
    if (ok) expect(r.valid).toBe(true);
    else expect(r).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE', key: { scopes: granted } });
  });
});

describe('credits', () => {
  it('decrements by cost and reports USAGE_EXCEEDED without going negative', async () => {
    const { km } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'c', remaining: 5 });
    expect(await km.apiKeys.verify(token, { cost: 2 })).toMatchObject({ valid: true, remaining: 3 });
    expect(await km.apiKeys.verify(token, { cost: 0 })).toMatchObject({ valid: true, remaining: 3 });
    expect(await km.apiKeys.verify(token, { cost: 4 })).toMatchObject({
      valid: false,
      code: 'USAGE_EXCEEDED',
      remaining: 3,
    });
    expect(await km.apiKeys.verify(token, { cost: 3 })).toMatchObject({ valid: true, remaining: 0 });
    expect(await km.apiKeys.verify(token)).toMatchObject({
      valid: false,
      code: 'USAGE_EXCEEDED',
      remaining: 0,
    });
    expect((await km.apiKeys.get(key.id)).remaining).toBe(0);
  });

  it('is exact under concurrency: 200 simultaneous verifies on 100 credits give exactly 100 valid', async () => {
    const { km } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'race', remaining: 100 });
    const results = await Promise.all(Array.from({ length: 200 }, () => km.apiKeys.verify(token)));
    expect(results.filter((r) => r.valid)).toHaveLength(100);
    expect(results.filter((r) => !r.valid && r.code === 'USAGE_EXCEEDED')).toHaveLength(100);
    const remainders = results.flatMap((r) => (r.valid ? [r.remaining] : [])).sort((a, b) => a! - b!);
    expect(remainders).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await km.apiKeys.get(key.id)).remaining).toBe(0);
  });

  it('is exact across two managers sharing one storage (CAS retries)', async () => {
    const masterKey = generateMasterKey();
    const a = createTestKeyManager({ kms: localKms({ masterKey }) });
    const b = createTestKeyManager({ storage: a.storage, kms: localKms({ masterKey }), clock: a.clock });
    const { token, key } = await a.km.apiKeys.create({ name: 'shared', remaining: 30 });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a.km : b.km).apiKeys.verify(token)),
    );
    expect(results.filter((r) => r.valid)).toHaveLength(30);
    expect((await b.km.apiKeys.get(key.id)).remaining).toBe(0);
  });

  it('refills over time: topped up to amount every period, aligned to the schedule', async () => {
    const { km, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'r', refill: { amount: 3, every: '1h' } });
    for (let i = 0; i < 3; i++) expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.apiKeys.verify(token)).toMatchObject({ code: 'USAGE_EXCEEDED' });
    clock.advance('59m');
    expect(await km.apiKeys.verify(token)).toMatchObject({ code: 'USAGE_EXCEEDED' });
    clock.advance('1m');
    expect((await km.apiKeys.get(key.id)).remaining).toBe(3);
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: true, remaining: 2 });
    clock.advance('5h30m');
    const info = await km.apiKeys.get(key.id);
    expect(info.remaining).toBe(3);
    expect(info.refill?.lastRefillAt).toBe(key.createdAt + 6 * 3_600_000);
    expect(await km.apiKeys.verify(token, { cost: 3 })).toMatchObject({ valid: true, remaining: 0 });
  });

  it('a refill never lowers credits set above the amount', async () => {
    const { km, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({
      name: 'r',
      remaining: 100,
      refill: { amount: 10, every: '1d' },
    });
    clock.advance('1d');
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: true, remaining: 99 });
    expect((await km.apiKeys.get(key.id)).remaining).toBe(99);
  });
});

describe('rate limits', () => {
  it('limits per key with GCRA and reports limit, remaining and reset', async () => {
    const { km, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'rl', rateLimit: { limit: 3, window: '1m' } });
    const { token: other } = await km.apiKeys.create({ name: 'rl2', rateLimit: { limit: 3, window: '1m' } });
    const t0 = clock.now();
    expect(await km.apiKeys.verify(token)).toMatchObject({
      valid: true,
      rateLimit: { limit: 3, remaining: 2 },
    });
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: true, rateLimit: { remaining: 1 } });
    expect(await km.apiKeys.verify(token)).toMatchObject({
      valid: true,
      rateLimit: { remaining: 0, reset: t0 + 60_000 },
    });
    const limited = await km.apiKeys.verify(token);
    expect(limited).toMatchObject({
      valid: false,
      code: 'RATE_LIMITED',
      key: { id: key.id },
      rateLimit: { limit: 3, remaining: 0, reset: t0 + 20_000 },
    });
    expect((await km.apiKeys.verify(other)).valid).toBe(true);
    clock.advance('20s');
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.apiKeys.verify(token)).toMatchObject({ code: 'RATE_LIMITED' });
    clock.advance('1m');
    for (let i = 0; i < 3; i++) expect((await km.apiKeys.verify(token)).valid).toBe(true);
  });

  it('a rate-limited request does not spend credits', async () => {
    const { km, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({
      name: 'rl',
      remaining: 10,
      rateLimit: { limit: 1, window: '1s' },
    });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.apiKeys.verify(token)).toMatchObject({ code: 'RATE_LIMITED' });
    expect((await km.apiKeys.get(key.id)).remaining).toBe(9);
    clock.advance('1s');
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: true, remaining: 8 });
  });
});

describe('verification audit modes', () => {
  it("'failures' (default) audits failures only, throttled per key and code", async () => {
    const { km, storage, clock } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'a', scopes: ['x'] });
    await km.apiKeys.verify(token);
    for (let i = 0; i < 5; i++) await km.apiKeys.verify(token, { scopes: ['y'], context: { ip: '1.2.3.4' } });
    let failed = (await allAudit(storage)).filter((e) => e.type === 'key.verify_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ keyId: key.id, version: 1, context: { ip: '1.2.3.4' } });
    expect(failed[0]?.data).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scopes: ['y'], suppressed: 0 });
    clock.advance('61s');
    await km.apiKeys.verify(token, { scopes: ['y'] });
    failed = (await allAudit(storage)).filter((e) => e.type === 'key.verify_failed');
    expect(failed).toHaveLength(2);
    expect(failed[1]?.data['suppressed']).toBe(4);
    expect((await allAudit(storage)).some((e) => e.type === 'key.verified')).toBe(false);
    await km.apiKeys.verify('garbage');
    await km.apiKeys.verify(generateApiToken({ prefix: 'kw' }).token);
    expect((await allAudit(storage)).filter((e) => e.type === 'key.verify_failed')).toHaveLength(2);
  });

  it("'all' audits every successful verification too", async () => {
    const { km, storage } = createTestKeyManager({ audit: { verifications: 'all' } });
    const { token, key } = await km.apiKeys.create({ name: 'a', remaining: 5 });
    await km.apiKeys.verify(token, { context: { requestId: 'req-1' } });
    await km.apiKeys.verify(token);
    await km.apiKeys.verify(token, { scopes: ['nope'] });
    await km.apiKeys.verify(token, { scopes: ['nope'] });
    const events = await allAudit(storage);
    const verified = events.filter((e) => e.type === 'key.verified');
    expect(verified).toHaveLength(2);
    expect(verified[0]).toMatchObject({
      keyId: key.id,
      context: { requestId: 'req-1' },
      data: { remaining: 4 },
    });
    expect(events.filter((e) => e.type === 'key.verify_failed')).toHaveLength(2);
  });

  it("'none' audits no verification", async () => {
    const { km, storage } = createTestKeyManager({ audit: { verifications: 'none' } });
    const { token } = await km.apiKeys.create({ name: 'a' });
    await km.apiKeys.verify(token);
    await km.apiKeys.verify(token, { scopes: ['x'] });
    const types = (await allAudit(storage)).map((e) => e.type);
    expect(types).toEqual(['store.initialized', 'key.created']);
  });

  it('verify does not write the record on success when the key has no credits', async () => {
    const { km, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'a' });
    for (let i = 0; i < 5; i++) await km.apiKeys.verify(token);
    expect((await storage.get(key.id))?.revision).toBe(1);
  });
});

describe('properties', () => {
  const name = fc.stringMatching(/^[a-z]{1,4}(:[a-z]{1,4}){0,2}$/);

  it('scopes: granted * covers all; exact grants cover themselves; nothing else widens', () => {
    fc.assert(
      fc.property(
        fc.array(name, { maxLength: 6 }),
        fc.array(name, { maxLength: 6 }),
        (granted, requested) => {
          expect(scopesGranted(['*'], requested)).toBe(true);
          expect(scopesGranted(granted, granted)).toBe(true);
          // without wildcards, a request is covered exactly when every scope is granted literally
          expect(scopesGranted(granted, requested)).toBe(requested.every((r) => granted.includes(r)));
          // a namespace wildcard covers every scope below it
          for (const r of requested) {
            const ns = r.split(':')[0] as string;
            expect(scopesGranted([`${ns}:*`], [`${ns}:${r}`])).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('credits: concurrent verifies with random costs never overspend and account exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 40 }),
        async (credits, costs) => {
          const { km } = createTestKeyManager();
          const { token, key } = await km.apiKeys.create({ name: 'p', remaining: credits });
          const results = await Promise.all(costs.map((cost) => km.apiKeys.verify(token, { cost })));
          let spent = 0;
          results.forEach((r, i) => {
            if (r.valid) spent += costs[i] as number;
            else expect(r.code).toBe('USAGE_EXCEEDED');
          });
          expect(spent).toBeLessThanOrEqual(credits);
          expect((await km.apiKeys.get(key.id)).remaining).toBe(credits - spent);
        },
      ),
      { numRuns: 40 },
    );
  });
});
