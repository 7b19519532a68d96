import { describe, expect, it } from 'vitest';
import { call, fixture } from './harness.js';

describe('management API: signing keys', () => {
  it('creates, gets, publishes the JWKS and rotates a signing key, never answering key material', async () => {
    const { api, tokens, km } = await fixture();
    const created = await call(api, 'POST', '/signing-keys', {
      token: tokens.write,
      body: { name: 'jwt', type: 'ed25519', environment: 'production' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'jwt', type: 'ed25519', algorithm: 'EdDSA', version: 1 });
    const got = await call(api, 'GET', '/signing-keys/jwt?environment=production', { token: tokens.read });
    expect(got.json.kid).toBe(created.json.kid);
    const jwks = await call(api, 'GET', '/signing-keys/jwt/jwks?environment=production', {
      token: tokens.read,
    });
    expect(jwks.status).toBe(200);
    expect(jwks.json.keys).toHaveLength(1);
    expect(jwks.json.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: created.json.kid,
      use: 'sig',
    });
    expect(jwks.json.keys[0].d).toBeUndefined();

    const rotated = await call(api, 'POST', '/signing-keys/jwt/rotate?environment=production', {
      token: tokens.write,
      body: { strategy: 'overlap', overlap: '1h' },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toEqual({ version: 2, state: 'current', previousVersion: 1 });
    const after = await call(api, 'GET', '/signing-keys/jwt/jwks?environment=production', {
      token: tokens.read,
    });
    expect(after.json.keys).toHaveLength(2); // the previous version stays published during the overlap
    const list = await call(api, 'GET', '/signing-keys?environment=production', { token: tokens.read });
    expect(list.json.items.map((k: { name: string }) => k.name)).toEqual(['jwt']);

    const priv = await km.keys.export('jwt', { environment: 'production', includePrivate: true });
    const d = (priv as { d?: string }).d as string;
    for (const r of [created, got, jwks, rotated, after, list]) expect(r.text).not.toContain(d);
  });

  it('refuses an unknown key type naming the field', async () => {
    const { api, tokens } = await fixture();
    const r = await call(api, 'POST', '/signing-keys', {
      token: tokens.write,
      body: { name: 'k', type: 'dsa' },
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'ERR_VALIDATION', field: 'body.type' });
  });
});

describe('management API: rotation', () => {
  it('sets a policy, lists due work, runs it (no token in the report) and clears the policy', async () => {
    const { api, tokens, km, clock } = await fixture();
    const { key, token: oldToken } = await km.apiKeys.create({ name: 'svc', scopes: ['a:read'] });
    const set = await call(api, 'PUT', `/rotation/policies/${key.id}`, {
      token: tokens.write,
      body: { every: '1d', strategy: 'immediate' },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ every: 86_400_000, strategy: 'immediate' });
    expect(set.json.nextRotationAt).toBe(clock.now() + 86_400_000);

    const notYet = await call(api, 'GET', '/rotation/due', { token: tokens.read });
    expect(notYet.json.items).toEqual([]);
    const ahead = await call(api, 'GET', '/rotation/due?within=2d', { token: tokens.read });
    expect(ahead.json.items.map((i: { id: string }) => i.id)).toEqual([key.id]);

    clock.advance('25h');
    const dry = await call(api, 'POST', '/rotation/run', { token: tokens.write, body: { dryRun: true } });
    expect(dry.json.planned.map((i: { id: string }) => i.id)).toEqual([key.id]);
    expect(dry.json.rotated).toEqual([]);
    const run = await call(api, 'POST', '/rotation/run', { token: tokens.write, body: {} });
    expect(run.status).toBe(200);
    expect(run.json.rotated).toEqual([
      { id: key.id, kind: 'api_key', version: 2, previousVersion: 1, strategy: 'immediate' },
    ]);
    expect(run.text).not.toMatch(/kw_[A-Za-z0-9]{12}_/);
    expect((await km.apiKeys.verify(oldToken)).valid).toBe(false);

    const cleared = await call(api, 'DELETE', `/rotation/policies/${key.id}`, { token: tokens.write });
    expect(cleared.status).toBe(204);
    expect(await km.rotator.getPolicy(key.id)).toBeNull();
  });
});

describe('management API: audit', () => {
  it('lists events with a cursor, filters by key and verifies the chain', async () => {
    const { api, tokens, km } = await fixture();
    const { key } = await km.apiKeys.create({ name: 'svc' });
    await km.apiKeys.update(key.id, { name: 'svc-2' });
    const first = await call(api, 'GET', '/audit?limit=2', { token: tokens.read });
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(2);
    expect(typeof first.json.cursor).toBe('string');
    const next = await call(api, 'GET', `/audit?limit=2&cursor=${encodeURIComponent(first.json.cursor)}`, {
      token: tokens.read,
    });
    expect(next.json.items[0].seq).toBeGreaterThan(first.json.items[1].seq);
    const mine = await call(api, 'GET', `/audit?keyId=${key.id}`, { token: tokens.read });
    expect(mine.json.items.map((e: { type: string }) => e.type)).toEqual(['key.created', 'key.updated']);
    const verified = await call(api, 'GET', '/audit/verify', { token: tokens.read });
    expect(verified.json).toMatchObject({ ok: true });
    expect(verified.json.count).toBeGreaterThan(8);
  });

  it('answers 501 ERR_UNSUPPORTED for a checkpoint until the manager has km.audit.checkpoint', async () => {
    const { api, tokens, km } = await fixture();
    const r = await call(api, 'POST', '/audit/checkpoint', { token: tokens.write });
    const has = typeof (km.audit as { checkpoint?: unknown }).checkpoint === 'function';
    if (has) {
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ seq: expect.any(Number), hash: expect.any(String) });
    } else {
      expect(r.status).toBe(501);
      expect(r.json.code).toBe('ERR_UNSUPPORTED');
    }
  });
});
