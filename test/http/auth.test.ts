import { describe, expect, it } from 'vitest';
import { hasOperatorScope, OPERATOR_SCOPES, ROUTES } from '../../src/http/index.js';
import { call, fixture, headerText } from './harness.js';

/** A concrete path for a route template (ids that do not exist: nothing real is changed). */
const concrete = (path: string) => path.replace('{id}', 'does-not-exist').replace('{name}', 'NOPE');

describe('management API: operator authentication', () => {
  it('401 without a key, with another scheme, a malformed, unknown or revoked key; the token is never echoed', async () => {
    const { api, tokens, km } = await fixture();
    const none = await call(api, 'GET', '/api-keys');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="keywarden"');
    expect(none.json).toEqual({
      type: 'urn:keywarden:problem:err_unauthenticated',
      title: 'Unauthorized',
      status: 401,
      detail: expect.any(String),
      code: 'ERR_UNAUTHENTICATED',
    });
    const basic = await call(api, 'GET', '/api-keys', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    const { key, token } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:admin'] });
    await km.apiKeys.revoke(key.id);
    const forged = `${tokens.admin.slice(0, -1)}${tokens.admin.endsWith('a') ? 'b' : 'a'}`;
    for (const bad of ['garbage', forged, token]) {
      const r = await call(api, 'GET', '/api-keys', { token: bad });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(r.text).not.toContain(bad);
      expect(headerText(r.headers)).not.toContain(bad);
    }
  });

  it('a key with a bare * grant or bound to a tenant is not an operator', async () => {
    const { api, tokens } = await fixture();
    const star = await call(api, 'GET', '/api-keys', { token: tokens.star });
    expect(star.status).toBe(403);
    expect(star.json.code).toBe('ERR_FORBIDDEN');
    const tenant = await call(api, 'GET', '/api-keys', { token: tokens.tenant });
    expect(tenant.status).toBe(403);
    expect(tenant.json.detail).toContain('tenant');
  });

  it('429 when the operator key is out of credits', async () => {
    const { api, km } = await fixture();
    const { token } = await km.apiKeys.create({ name: 'metered', scopes: ['keywarden:read'], remaining: 1 });
    expect((await call(api, 'GET', '/secrets', { token })).status).toBe(200);
    const r = await call(api, 'GET', '/secrets', { token });
    expect(r.status).toBe(429);
    expect(r.json.code).toBe('ERR_RATE_LIMITED');
  });

  it('keywarden:admin and keywarden:* imply every scope; nothing else implies another', () => {
    for (const s of OPERATOR_SCOPES) {
      expect(hasOperatorScope(['keywarden:admin'], s)).toBe(true);
      expect(hasOperatorScope(['keywarden:*'], s)).toBe(true);
      expect(hasOperatorScope(['*'], s)).toBe(false);
      for (const other of OPERATOR_SCOPES) {
        if (other !== s && other !== 'keywarden:admin') expect(hasOperatorScope([other], s)).toBe(false);
      }
    }
  });

  it('scope matrix: every route refuses keys without its scope (403 before any input is read) and admits those with it', async () => {
    const { api, tokens } = await fixture();
    const byScope: Record<string, string> = {
      'keywarden:read': tokens.read,
      'keywarden:reveal': tokens.reveal,
      'keywarden:approve': tokens.approve,
      'keywarden:write': tokens.write,
    };
    let checked = 0;
    for (const route of ROUTES) {
      const path = concrete(route.path);
      const body = route.body ? {} : undefined;
      const viewer = await call(api, route.method, path, { token: tokens.viewer, body });
      expect([route.operationId, viewer.status]).toEqual([route.operationId, 403]);
      const holders = Object.entries(byScope);
      for (const [scope, token] of holders) {
        const r = await call(api, route.method, path, { token, body });
        const allowed = hasOperatorScope(
          scope === 'keywarden:write'
            ? ['keywarden:read', 'keywarden:write']
            : scope === 'keywarden:approve'
              ? ['keywarden:read', 'keywarden:approve']
              : [scope],
          route.scope,
        );
        if (allowed) expect([route.operationId, scope, r.status]).not.toContainEqual(403);
        else
          expect([route.operationId, scope, r.status, r.json.code]).toEqual([
            route.operationId,
            scope,
            403,
            'ERR_FORBIDDEN',
          ]);
        expect(r.status).not.toBe(401);
        checked++;
      }
      const admin = await call(api, route.method, path, { token: tokens.admin, body });
      expect([route.operationId, admin.status === 401 || admin.status === 403]).toEqual([
        route.operationId,
        false,
      ]);
    }
    expect(checked).toBe(ROUTES.length * 4);
  });
});

describe('management API: requests and problems', () => {
  it('bad input is a 400 problem naming the field, for body, query and JSON errors', async () => {
    const { api, tokens } = await fixture();
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api-keys', { scopes: ['a'] }, 'body.name'],
      ['POST', '/api-keys', { name: 'x', scopes: 'a' }, 'body.scopes'],
      ['POST', '/api-keys', { name: 'x', remaining: -1 }, 'body.remaining'],
      ['POST', '/api-keys', { name: 'x', sneaky: true }, 'body.sneaky'],
      ['POST', '/api-keys', { name: 'x', rateLimit: { limit: 1 } }, 'body.rateLimit.window'],
      ['POST', '/api-keys', { name: 'x', expiresIn: 'forever' }, 'body.expiresIn'],
      ['POST', '/api-keys', { name: 'x', prefix: 'Bad Prefix' }, 'body.prefix'],
      ['GET', '/secrets/X?environment=-bad-', undefined, 'query.environment'],
      ['GET', `/secrets/${encodeURIComponent('bad\u0001name')}`, undefined, 'params.name'],
      ['POST', '/signing-keys', { name: 'k', type: 'ecdsa', algorithm: 'ES999' }, 'body.algorithm'],
      ['GET', '/api-keys?limit=0', undefined, 'query.limit'],
      ['GET', '/api-keys?limit=ten', undefined, 'query.limit'],
      ['GET', '/api-keys?status=gone', undefined, 'query.status'],
      ['GET', '/api-keys?bogus=1', undefined, 'query.bogus'],
      ['GET', '/api-keys?limit=1&limit=2', undefined, 'query.limit'],
      ['GET', '/api-keys?__proto__=1', undefined, 'query.__proto__'],
      ['POST', '/rotation/run', { limit: 0 }, 'body.limit'],
      ['PUT', '/rotation/policies/x', { every: 5, strategy: 'sometimes' }, 'body.strategy'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await call(api, method, path, { token: tokens.admin, body });
      expect([method, path, r.status, r.json.code]).toEqual([method, path, 400, 'ERR_VALIDATION']);
      expect([method, path, r.json.field]).toEqual([method, path, field]);
      expect(r.json.detail).toContain(r.json.field);
    }
    const notJson = await call(api, 'POST', '/api-keys', { token: tokens.admin, body: '{"name":' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.field).toBe('body');
    const notAnObject = await call(api, 'POST', '/api-keys', { token: tokens.admin, body: '[1,2]' });
    expect(notAnObject.status).toBe(400);
    const wrongType = await call(api, 'POST', '/api-keys', {
      token: tokens.admin,
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.field).toBe('header.content-type');
  });

  it('413 for a body over the limit, 404 for unknown routes, 405 with Allow for a wrong method', async () => {
    const { api, tokens } = await fixture({ maxBodyBytes: 1000 });
    const big = await call(api, 'PUT', '/secrets/BIG', {
      token: tokens.admin,
      body: { value: 'x'.repeat(2000) },
    });
    expect(big.status).toBe(413);
    const unknown = await call(api, 'GET', '/nope', { token: tokens.admin });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('ERR_NOT_FOUND');
    const wrong = await call(api, 'PUT', '/api-keys', { token: tokens.admin, body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect(wrong.json.code).toBe('ERR_METHOD_NOT_ALLOWED');
  });

  it('serves only under basePath', async () => {
    const { api, tokens } = await fixture({ basePath: '/admin/' });
    expect((await call(api, 'GET', '/admin/api-keys', { token: tokens.read })).status).toBe(200);
    expect((await call(api, 'GET', '/api-keys', { token: tokens.read })).status).toBe(404);
    expect((await call(api, 'GET', '/administrator/api-keys', { token: tokens.read })).status).toBe(404);
    const doc = await call(api, 'GET', '/admin/openapi.json');
    expect(doc.json.servers).toEqual([{ url: '/admin' }]);
  });

  it('fails closed with 503 and no details when storage is down; onError gets the cause', async () => {
    const seen: unknown[] = [];
    const { api, tokens, km } = await fixture({ onError: (e) => seen.push(e) });
    await km.close();
    const r = await call(api, 'GET', '/api-keys', { token: tokens.admin });
    expect(r.status).toBe(503);
    expect(r.json.code).toBe('ERR_CLOSED');
    expect(r.json.detail).toBe('The operation failed (ERR_CLOSED)');
    expect(seen).toHaveLength(1);
  });

  it('records the client address from clientIp in the operator verification, and survives a throwing clientIp', async () => {
    const { managementApi } = await import('../../src/http/index.js');
    const { createTestKeyManager } = await import('../../src/testing/index.js');
    const { km } = createTestKeyManager({ audit: { verifications: 'all' } });
    const { key, token } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:read'] });
    const api = managementApi(km, { clientIp: (r) => r.headers.get('cf-connecting-ip') ?? undefined });
    const r = await call(api, 'GET', '/secrets', {
      token,
      headers: { 'cf-connecting-ip': '203.0.113.9', 'user-agent': 'ops-cli/1', 'x-request-id': 'req-42' },
    });
    expect(r.status).toBe(200);
    const verified = (await km.audit.list({ keyId: key.id, type: 'key.verified' })).items.at(-1);
    expect(verified?.context).toMatchObject({
      ip: '203.0.113.9',
      userAgent: 'ops-cli/1',
      requestId: 'req-42',
    });
    const throwing = managementApi(km, {
      clientIp: () => {
        throw new Error('no address');
      },
    });
    expect((await call(throwing, 'GET', '/secrets', { token })).status).toBe(200);
  });

  it('refuses to build over something that is not a key manager, or with a bad basePath', async () => {
    const { managementApi } = await import('../../src/http/index.js');
    const { km } = await fixture();
    expect(() => managementApi({} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'km' }),
    );
    expect(() => managementApi(km, { basePath: 'admin' })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'basePath' }),
    );
  });
});
