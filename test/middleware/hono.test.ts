import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { honoMiddleware } from '../../src/middleware/hono.js';
import type { ApiKeyVerifySuccess } from '../../src/store/api-key-types.js';
import { fixture, listen } from './harness.js';
import { describeMiddleware } from './scenarios.js';

describeMiddleware('Hono on @hono/node-server', async (f, o) => {
  const app = new Hono<{ Variables: { keywarden: ApiKeyVerifySuccess } }>();
  app.use(
    '/invoices',
    honoMiddleware(f.km, {
      scopes: ['invoices:read'],
      clock: f.clock,
      ...(o.header !== undefined && { header: o.header }),
      ...(o.onError !== undefined && { onError: o.onError }),
    }),
  );
  app.get('/invoices', (c) => {
    const { key } = c.get('keywarden');
    return c.json({ id: key.id, owner: key.ownerId });
  });
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
});

describe('Hono specifics', () => {
  it('works in an app without declared variables, with tenant and cost from the context', async () => {
    const f = await fixture();
    const app = new Hono();
    app.use(
      '*',
      honoMiddleware(f.km, {
        clock: f.clock,
        cost: (c) => (c.req.raw.method === 'GET' ? 0 : 1),
        tenantId: (c) => c.req.raw.headers.get('x-tenant') ?? undefined,
      }),
    );
    app.get('/x', (c) => c.text('ok'));
    const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Server);
    try {
      const auth = { authorization: `Bearer ${f.tokens.credits}` };
      // cost 0: a check that spends nothing, however often it runs
      for (let i = 0; i < 3; i++)
        expect((await fetch(`${server.base}/x`, { headers: auth })).status).toBe(200);
      const wrongTenant = await fetch(`${server.base}/x`, { headers: { ...auth, 'x-tenant': 'other' } });
      expect(wrongTenant.status).toBe(401);
      expect(((await wrongTenant.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    } finally {
      await server.close();
      await f.km.close();
    }
  });
});
