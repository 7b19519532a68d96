/**
 * Framework typings without hand declarations: in Express, `req.keywarden` and
 * `res.locals.keywarden` are typed (a global `Express.Request` / `Express.Locals` augmentation
 * shipped with `keywarden/middleware/node`); in Hono, `c.get('keywarden')` and `c.var.keywarden`
 * are typed without a `Variables` declaration (a `ContextVariableMap` augmentation shipped with
 * `honoMiddleware`). The `expectTypeOf` checks run in `npm run typecheck`; each app also answers a
 * real request on loopback, so the typed values are the ones the middleware set.
 */
import { createServer } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { honoMiddleware } from '../../src/middleware/hono.js';
import { verifyRequest } from '../../src/middleware/index.js';
import { nodeMiddleware } from '../../src/middleware/node.js';
import type { ApiKeyInfo, ApiKeyVerifySuccess } from '../../src/store/api-key-types.js';
import { fixture, listen } from './harness.js';

describe('Express typings', () => {
  it('req.keywarden and res.locals.keywarden are typed in any handler, and hold the key', async () => {
    const f = await fixture();
    const app = express();
    app.use(nodeMiddleware(f.km, { clock: f.clock, scopes: ['invoices:read'] }));
    app.get('/x', (req, res) => {
      expectTypeOf(req.keywarden).toEqualTypeOf<ApiKeyVerifySuccess | undefined>();
      expectTypeOf(res.locals.keywarden.key).toEqualTypeOf<ApiKeyInfo>();
      res.json({ fromReq: req.keywarden?.key.id ?? null, fromLocals: res.locals.keywarden.key.ownerId });
    });
    const server = await listen(createServer(app));
    try {
      const ok = await fetch(`${server.base}/x`, { headers: { authorization: `Bearer ${f.tokens.good}` } });
      expect(await ok.json()).toStrictEqual({ fromReq: f.ids.good, fromLocals: 'acme' });
      const denied = await fetch(`${server.base}/x`);
      expect(denied.status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

describe('Hono typings', () => {
  it("c.get('keywarden') is typed with no Variables declared, through app.use and per route", async () => {
    const f = await fixture();
    const app = new Hono();
    app.use('/a/*', honoMiddleware(f.km, { clock: f.clock, scopes: ['invoices:read'] }));
    app.get('/a/x', (c) => {
      expectTypeOf(c.get('keywarden')).toEqualTypeOf<ApiKeyVerifySuccess>();
      expectTypeOf(c.var.keywarden.key).toEqualTypeOf<ApiKeyInfo>();
      return c.json({ id: c.get('keywarden').key.id, owner: c.var.keywarden.key.ownerId });
    });
    app.get('/b', honoMiddleware(f.km, { clock: f.clock }), (c) => c.text(c.get('keywarden').key.name));
    // an app with its own Variables keeps them, and gains keywarden's
    const typed = new Hono<{ Variables: { requestId: string } }>();
    typed.use(async (c, next) => {
      c.set('requestId', 'r-1');
      await next();
    });
    typed.use(honoMiddleware(f.km, { clock: f.clock }));
    typed.get('/t', (c) => {
      expectTypeOf(c.get('requestId')).toEqualTypeOf<string>();
      return c.text(`${c.get('requestId')} ${c.get('keywarden').key.name}`);
    });
    app.route('/typed', typed);
    const server = await listen(createAdaptorServer({ fetch: app.fetch }) as never);
    try {
      const auth = { authorization: `Bearer ${f.tokens.good}` };
      expect(await (await fetch(`${server.base}/a/x`, { headers: auth })).json()).toStrictEqual({
        id: f.ids.good,
        owner: 'acme',
      });
      expect(await (await fetch(`${server.base}/b`, { headers: auth })).text()).toBe('good');
      expect(await (await fetch(`${server.base}/typed/t`, { headers: auth })).text()).toBe('r-1 good');
      expect((await fetch(`${server.base}/a/x`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

describe('fetch typings', () => {
  it('verifyRequest narrows on ok: key and headers on success, a Response otherwise', async () => {
    const f = await fixture();
    const r = await verifyRequest(
      f.km,
      new Request('http://x/', { headers: { authorization: `Bearer ${f.tokens.good}` } }),
      { clock: f.clock },
    );
    if (r.ok) {
      expectTypeOf(r.key).toEqualTypeOf<ApiKeyInfo>();
      expectTypeOf(r.headers).toEqualTypeOf<Headers>();
    } else {
      expectTypeOf(r.response).toEqualTypeOf<Response>();
    }
    expect(r.ok && r.key.id).toBe(f.ids.good);
  });
});
