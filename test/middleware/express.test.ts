import { createServer } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { nodeMiddleware } from '../../src/middleware/node.js';
import { fixture, listen } from './harness.js';
import { describeMiddleware } from './scenarios.js';

describeMiddleware('Express 5', async (f, o) => {
  const app = express();
  app.get(
    '/invoices',
    nodeMiddleware(f.km, {
      scopes: ['invoices:read'],
      clock: f.clock,
      ...(o.header !== undefined && { header: o.header }),
      ...(o.onError !== undefined && { onError: o.onError }),
    }),
    (_req, res) => {
      const { key } = res.locals.keywarden;
      res.json({ id: key.id, owner: key.ownerId });
    },
  );
  return listen(createServer(app));
});

describe('Express 5 specifics', () => {
  it('sets req.keywarden as well as res.locals.keywarden, and scopes can depend on the request', async () => {
    const f = await fixture();
    const app = express();
    app.use(
      nodeMiddleware(f.km, {
        clock: f.clock,
        scopes: (req) => (req.method === 'GET' ? ['invoices:read'] : ['invoices:write']),
      }),
    );
    app.all('/x', (req, res) => {
      const fromReq = (req as typeof req & { keywarden?: { key: { id: string } } }).keywarden?.key.id;
      res.json({ same: fromReq === res.locals.keywarden.key.id, version: res.locals.keywarden.version });
    });
    const server = await listen(createServer(app));
    try {
      const auth = { authorization: `Bearer ${f.tokens.good}` };
      const ok = await fetch(`${server.base}/x`, { headers: auth });
      expect(await ok.json()).toStrictEqual({ same: true, version: 1 });
      const post = await fetch(`${server.base}/x`, { method: 'POST', headers: auth });
      expect(post.status).toBe(403);
      expect(post.headers.get('www-authenticate')).toContain('scope="invoices:write"');
    } finally {
      await server.close();
      await f.km.close();
    }
  });

  it('answers 500 INTERNAL (not 200) when a scopes function throws', async () => {
    const f = await fixture();
    const seen: unknown[] = [];
    const app = express();
    app.use(
      nodeMiddleware(f.km, {
        scopes: () => {
          throw new Error('bug');
        },
        onError: (e) => seen.push(e),
      }),
    );
    app.get('/x', (_req, res) => res.json({ reached: true }));
    const server = await listen(createServer(app));
    try {
      const res = await fetch(`${server.base}/x`, { headers: { authorization: `Bearer ${f.tokens.good}` } });
      expect(res.status).toBe(500);
      expect(await res.json()).toStrictEqual({
        error: { code: 'INTERNAL', message: 'Internal server error' },
      });
      expect(seen).toHaveLength(1);
    } finally {
      await server.close();
      await f.km.close();
    }
  });
});
