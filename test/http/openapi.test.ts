import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/index.js';
import { call, fixture } from './harness.js';

describe('management API: OpenAPI 3.1', () => {
  it('GET /openapi.json validates under a standard OpenAPI 3.1 validator', async () => {
    const { api } = await fixture();
    const r = await call(api, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.json.openapi).toBe('3.1.0');
    const validator = new Validator();
    const res = await validator.validate(r.json);
    expect(res.errors).toBeUndefined();
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // the validator is not vacuous: a broken copy fails
    const broken = structuredClone(r.json);
    broken.paths['/api-keys'].get.responses = 'none';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('lists every route of the table with its scope, parameters, body and responses', async () => {
    const { api } = await fixture();
    const doc = (await call(api, 'GET', '/openapi.json')).json;
    const ops = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap(
      ([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })),
    );
    expect(ops).toHaveLength(ROUTES.length + 1); // + GET /openapi.json
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect([route.method, route.path, op?.operationId]).toEqual([
        route.method,
        route.path,
        route.operationId,
      ]);
      expect(op.security).toEqual([{ operatorKey: [route.scope] }]);
      expect(op.responses[String(route.status)]).toBeDefined();
      expect(op.responses.default.content['application/problem+json']).toBeDefined();
      const pathParams = (op.parameters ?? [])
        .filter((p: { in: string }) => p.in === 'path')
        .map((p: { name: string }) => p.name);
      expect(pathParams).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      expect(op.requestBody !== undefined).toBe(route.body !== undefined);
      const headers = (op.parameters ?? [])
        .filter((p: { in: string }) => p.in === 'header')
        .map((p: { name: string }) => p.name);
      expect(headers.includes('Idempotency-Key')).toBe(route.idempotent === true);
      expect(headers.includes('If-Match')).toBe(route.ifMatch === true);
    }
    const ids = ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // generated from the same schema that validates: the create body's properties and required list
    const create = doc.paths['/api-keys'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(['name']);
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(create.properties)).toContain('rateLimit');
  });

  it('covers every route listed in DESIGN.md', () => {
    const design = [
      'GET /api-keys',
      'POST /api-keys',
      'GET /api-keys/{id}',
      'PATCH /api-keys/{id}',
      'DELETE /api-keys/{id}',
      'POST /api-keys/{id}/revoke',
      'POST /api-keys/{id}/rotate',
      'POST /api-keys/verify',
      'GET /secrets',
      'GET /secrets/{name}',
      'PUT /secrets/{name}',
      'DELETE /secrets/{name}',
      'GET /secrets/{name}/versions',
      'POST /secrets/{name}/rollback',
      'POST /secrets/{name}/reveal',
      'GET /signing-keys',
      'POST /signing-keys',
      'GET /signing-keys/{name}',
      'GET /signing-keys/{name}/jwks',
      'POST /signing-keys/{name}/rotate',
      'GET /rotation/due',
      'POST /rotation/run',
      'PUT /rotation/policies/{id}',
      'DELETE /rotation/policies/{id}',
      'GET /audit',
      'GET /audit/verify',
      'POST /audit/checkpoint',
      'GET /access/tools',
      'POST /access/tools',
      'GET /access/tools/{id}',
      'DELETE /access/tools/{id}',
      'GET /access/requests',
      'POST /access/requests/{id}/approve',
      'POST /access/requests/{id}/deny',
      'GET /access/sessions',
      'POST /access/sessions/{id}/revoke',
    ];
    expect(ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...design].sort());
  });

  it('real answers conform to the response schemas the document is generated from', async () => {
    const { api, tokens, km } = await fixture();
    await km.secrets.set('S', 'value-1');
    await km.keys.create({ name: 'jwt', type: 'ecdsa' });
    const { key } = await km.apiKeys.create({ name: 'k', scopes: ['a'] });
    const calls: [string, string, unknown?][] = [
      ['GET', '/api-keys'],
      ['POST', '/api-keys', { name: 'n' }],
      ['GET', `/api-keys/${key.id}`],
      ['PATCH', `/api-keys/${key.id}`, { name: 'm' }],
      ['POST', '/api-keys/verify', { token: tokens.read }],
      ['POST', `/api-keys/${key.id}/rotate`, {}],
      ['POST', `/api-keys/${key.id}/revoke`, {}],
      ['GET', '/secrets'],
      ['GET', '/secrets/S'],
      ['PUT', '/secrets/S', { value: 'value-2' }],
      ['GET', '/secrets/S/versions'],
      ['POST', '/secrets/S/rollback', {}],
      ['POST', '/secrets/S/reveal', {}],
      ['GET', '/signing-keys'],
      ['POST', '/signing-keys', { name: 'hmac', type: 'hmac' }],
      ['GET', '/signing-keys/jwt'],
      ['GET', '/signing-keys/jwt/jwks'],
      ['POST', '/signing-keys/jwt/rotate', {}],
      ['GET', '/rotation/due?within=400d'],
      ['PUT', `/rotation/policies/${key.id}`, { every: '30d' }],
      ['POST', '/rotation/run', { dryRun: true }],
      ['GET', '/audit'],
      ['GET', '/audit/verify'],
    ];
    for (const [method, path, body] of calls) {
      const r = await call(api, method, path, { token: tokens.admin, body });
      const route = ROUTES.find(
        (x) =>
          x.method === method && new RegExp(`^${x.path.replace(/\{\w+\}/g, '[^/?]+')}(\\?|$)`).test(path),
      );
      expect([method, path, r.status]).toEqual([method, path, route?.status]);
      const parsed = route?.response?.safeParse(r.json);
      expect([method, path, parsed?.success, parsed?.error?.issues[0]]).toEqual([
        method,
        path,
        true,
        undefined,
      ]);
    }
  });
});
