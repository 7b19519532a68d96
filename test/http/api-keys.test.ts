import { describe, expect, it } from 'vitest';
import { recordEtag } from '../../src/http/etag.js';
import { call, fixture } from './harness.js';

const etagOf = (key: { revision: number }) => recordEtag(key.revision, JSON.stringify(key));

describe('management API: API keys', () => {
  it('creates a key (token once, no-store), gets it with a revision ETag and lists it', async () => {
    const { api, tokens, km } = await fixture();
    const created = await call(api, 'POST', '/api-keys', {
      token: tokens.write,
      body: { name: 'billing', scopes: ['invoices:read'], ownerId: 'acme', expiresIn: '30d' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.json.token).toMatch(/^kw_/);
    expect(created.json.key).toMatchObject({ name: 'billing', ownerId: 'acme', scopes: ['invoices:read'] });
    expect((await km.apiKeys.verify(created.json.token)).valid).toBe(true);

    const id = created.json.key.id as string;
    const got = await call(api, 'GET', `/api-keys/${id}`, { token: tokens.read });
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe(etagOf(got.json));
    expect(got.text).not.toContain(created.json.token);
    const again = await call(api, 'GET', `/api-keys/${id}`, {
      token: tokens.read,
      headers: { 'if-none-match': got.headers.get('etag') as string },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const actor = (await km.audit.list({ keyId: id, type: 'key.created' })).items[0]?.actor;
    expect(actor).toBe('wes');
  });

  it('pages through keys with limit and an opaque cursor', async () => {
    const { api, tokens } = await fixture();
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = cursor === undefined ? '?limit=3' : `?limit=3&cursor=${encodeURIComponent(cursor)}`;
      const page = await call(api, 'GET', `/api-keys${q}`, { token: tokens.read });
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(3);
      for (const k of page.json.items) seen.add(k.id);
      cursor = page.json.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    expect(seen.size).toBe(8); // the 8 operator keys of the fixture
    expect(pages).toBe(3);
  });

  it('updates with If-Match: the current ETag passes, a stale one is 412 and changes nothing', async () => {
    const { api, tokens, km } = await fixture();
    const { key } = await km.apiKeys.create({ name: 'app', scopes: ['a:read'] });
    const etag = (await call(api, 'GET', `/api-keys/${key.id}`, { token: tokens.read })).headers.get(
      'etag',
    ) as string;
    expect(etag).toMatch(/^"r\d+-[A-Za-z0-9_-]{12}"$/);
    const ok = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: tokens.write,
      headers: { 'if-match': etag },
      body: { name: 'renamed', tags: ['t1'] },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ name: 'renamed', tags: ['t1'] });
    expect(ok.headers.get('etag')).toBe(etagOf(ok.json));
    const stale = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: tokens.write,
      headers: { 'if-match': etag },
      body: { name: 'lost update' },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect(stale.json).toMatchObject({ status: 412, code: 'ERR_PRECONDITION_FAILED' });
    expect((await km.apiKeys.get(key.id)).name).toBe('renamed');
    const weak = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: tokens.write,
      headers: { 'if-match': `W/${etagOf(ok.json)}` },
      body: { name: 'weak' },
    });
    expect(weak.status).toBe(412); // weak tags never match If-Match
  });

  it('revokes, rotates (new token once) and deletes', async () => {
    const { api, tokens, km } = await fixture();
    const { key, token: oldToken } = await km.apiKeys.create({ name: 'app', scopes: ['a:read'] });
    const rotated = await call(api, 'POST', `/api-keys/${key.id}/rotate`, {
      token: tokens.write,
      body: { strategy: 'immediate' },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ version: 2, state: 'current', previousVersion: 1 });
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect((await km.apiKeys.verify(rotated.json.token)).valid).toBe(true);
    expect((await km.apiKeys.verify(oldToken)).valid).toBe(false);

    const revoked = await call(api, 'POST', `/api-keys/${key.id}/revoke`, {
      token: tokens.write,
      body: { reason: 'leaked' },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ status: 'revoked', revokeReason: 'leaked' });
    expect((await km.apiKeys.verify(rotated.json.token)).valid).toBe(false);

    const deleted = await call(api, 'DELETE', `/api-keys/${key.id}`, { token: tokens.write });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await call(api, 'GET', `/api-keys/${key.id}`, { token: tokens.read });
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('ERR_NOT_FOUND');
  });

  it('verifies a token without echoing it', async () => {
    const { api, tokens, km } = await fixture();
    const { token } = await km.apiKeys.create({ name: 'app', scopes: ['a:read'] });
    const ok = await call(api, 'POST', '/api-keys/verify', {
      token: tokens.read,
      body: { token, scopes: ['a:read'], cost: 0 },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ valid: true, key: { name: 'app' } });
    expect(ok.text).not.toContain(token);
    const bad = await call(api, 'POST', '/api-keys/verify', {
      token: tokens.read,
      body: { token, scopes: ['a:write'] },
    });
    expect(bad.json).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPE' });
    expect(bad.text).not.toContain(token);
  });

  it('keywarden:write cannot mint, change, rotate, revoke or delete a key with keywarden scopes; admin can', async () => {
    const { api, tokens, km } = await fixture();
    for (const scopes of [['keywarden:admin'], ['keywarden:read'], ['*']]) {
      const r = await call(api, 'POST', '/api-keys', { token: tokens.write, body: { name: 'x', scopes } });
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('ERR_FORBIDDEN');
    }
    const { key } = await km.apiKeys.create({ name: 'plain', scopes: ['a:read'] });
    const escalate = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: tokens.write,
      body: { scopes: ['keywarden:admin'] },
    });
    expect(escalate.status).toBe(403);
    expect((await km.apiKeys.get(key.id)).scopes).toEqual(['a:read']);

    const admin = (await km.apiKeys.list({ ownerId: 'alice' })).items[0];
    if (!admin) throw new Error('fixture has an admin key');
    for (const [method, path] of [
      ['POST', `/api-keys/${admin.id}/rotate`],
      ['POST', `/api-keys/${admin.id}/revoke`],
      ['DELETE', `/api-keys/${admin.id}`],
      ['PATCH', `/api-keys/${admin.id}`],
      ['PUT', `/rotation/policies/${admin.id}`],
    ] as const) {
      const r = await call(api, method, path, {
        token: tokens.write,
        body: method === 'DELETE' ? undefined : {},
      });
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(r.text).not.toMatch(/kw_[A-Za-z0-9]{20,}/);
    }
    expect((await km.apiKeys.get(admin.id)).status).toBe('active');
    expect((await km.apiKeys.verify(tokens.admin)).valid).toBe(true);

    const minted = await call(api, 'POST', '/api-keys', {
      token: tokens.admin,
      body: { name: 'ops-2', scopes: ['keywarden:read'], ownerId: 'carol' },
    });
    expect(minted.status).toBe(201);
    const used = await call(api, 'GET', '/api-keys', { token: minted.json.token });
    expect(used.status).toBe(200);
  });

  describe('Idempotency-Key', () => {
    it('replays the same answer (same token) for the same key, operator and body', async () => {
      const { api, tokens, km } = await fixture();
      const o = { token: tokens.write, headers: { 'idempotency-key': 'k-1' }, body: { name: 'once' } };
      const first = await call(api, 'POST', '/api-keys', o);
      const second = await call(api, 'POST', '/api-keys', o);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.json.token).toBe(first.json.token);
      expect((await km.apiKeys.list({})).items.filter((k) => k.name === 'once')).toHaveLength(1);
    });

    it('refuses the same key with another body (422) and never replays to another operator', async () => {
      const { api, tokens, km } = await fixture();
      const first = await call(api, 'POST', '/api-keys', {
        token: tokens.write,
        headers: { 'idempotency-key': 'k-2' },
        body: { name: 'a' },
      });
      const changed = await call(api, 'POST', '/api-keys', {
        token: tokens.write,
        headers: { 'idempotency-key': 'k-2' },
        body: { name: 'b' },
      });
      expect(changed.status).toBe(422);
      expect(changed.json.code).toBe('ERR_IDEMPOTENCY_KEY_REUSED');
      const other = await call(api, 'POST', '/api-keys', {
        token: tokens.admin,
        headers: { 'idempotency-key': 'k-2' },
        body: { name: 'a' },
      });
      expect(other.status).toBe(201);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
      expect(other.json.token).not.toBe(first.json.token);
      expect((await km.apiKeys.list({})).items.filter((k) => k.name === 'a')).toHaveLength(2);
    });

    it('forgets a failed create, so a retry with the same key runs again instead of replaying the error', async () => {
      const { api, tokens } = await fixture();
      const o = {
        token: tokens.write,
        headers: { 'idempotency-key': 'k-3' },
        body: { name: 'x', prefix: 'BAD PREFIX' },
      };
      expect((await call(api, 'POST', '/api-keys', o)).status).toBe(400);
      const retry = await call(api, 'POST', '/api-keys', o);
      expect(retry.status).toBe(400);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
    });

    it('expires replays after 24 h and rejects a malformed key', async () => {
      const { api, tokens, clock } = await fixture();
      const o = { token: tokens.write, headers: { 'idempotency-key': 'k-4' }, body: { name: 'ttl' } };
      const first = await call(api, 'POST', '/api-keys', o);
      clock.advance('24h');
      clock.advance(1);
      const later = await call(api, 'POST', '/api-keys', o);
      expect(later.status).toBe(201);
      expect(later.json.token).not.toBe(first.json.token);
      const bad = await call(api, 'POST', '/api-keys', {
        token: tokens.write,
        headers: { 'idempotency-key': 'x'.repeat(256) },
        body: { name: 'bad' },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.field).toBe('header.idempotency-key');
    });
  });
});
