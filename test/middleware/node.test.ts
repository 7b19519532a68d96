import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { nodeMiddleware, type RequestWithKeywarden } from '../../src/middleware/node.js';
import { fixture, listen } from './harness.js';
import { describeMiddleware } from './scenarios.js';

describeMiddleware('node:http (gate)', async (f, o) => {
  const auth = nodeMiddleware(f.km, {
    scopes: ['invoices:read'],
    clock: f.clock,
    ...(o.header !== undefined && { header: o.header }),
    ...(o.onError !== undefined && { onError: o.onError }),
  });
  const server = createServer(async (req, res) => {
    if (!(await auth(req, res))) return;
    const key = (req as RequestWithKeywarden).keywarden?.key;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: key?.id, owner: key?.ownerId }));
  });
  return listen(server);
});

describe('node:http specifics', () => {
  it('calls next() in a (req, res, next) stack only when the key is valid', async () => {
    const f = await fixture();
    const auth = nodeMiddleware(f.km, { scopes: ['invoices:read'] });
    let nextCalls = 0;
    const server = createServer((req, res) => {
      void auth(req, res, () => {
        nextCalls++;
        res.end('next');
      });
    });
    const s = await listen(server);
    try {
      expect((await fetch(s.base)).status).toBe(401);
      expect(nextCalls).toBe(0);
      const ok = await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } });
      expect(await ok.text()).toBe('next');
      expect(nextCalls).toBe(1);
    } finally {
      await s.close();
      await f.km.close();
    }
  });

  it('uses X-Forwarded-For only with trustProxy', async () => {
    const f = await fixture();
    const trusting = nodeMiddleware(f.km, { trustProxy: true });
    const plain = nodeMiddleware(f.km);
    const server = createServer(async (req, res) => {
      const gate = req.url === '/trust' ? trusting : plain;
      if (await gate(req, res)) res.end('ok');
    });
    const s = await listen(server);
    try {
      const headers = {
        authorization: `Bearer ${f.tokens.revoked}`,
        'x-forwarded-for': '203.0.113.7, 10.0.0.1',
      };
      await fetch(`${s.base}/trust`, { headers });
      f.clock.advance('1h'); // past the failure-audit throttle
      await fetch(`${s.base}/plain`, { headers });
      const events = (await f.km.audit.list({ type: 'key.verify_failed' })).items;
      expect(events.map((e) => e.context['ip'])).toStrictEqual(['203.0.113.7', '127.0.0.1']);
    } finally {
      await s.close();
      await f.km.close();
    }
  });

  it('answers 503 once the manager is closed', async () => {
    const f = await fixture();
    const auth = nodeMiddleware(f.km);
    const s = await listen(createServer(async (req, res) => void ((await auth(req, res)) && res.end('ok'))));
    try {
      await f.km.close();
      const res = await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } });
      expect(res.status).toBe(503);
    } finally {
      await s.close();
    }
  });

  it('rejects bad options at build time', () => {
    const f = { apiKeys: { verify: async () => ({ valid: false as const, code: 'MALFORMED' as const }) } };
    expect(() => nodeMiddleware(f, { header: 'bad header' })).toThrow(/options.header/);
    expect(() => nodeMiddleware(f, { cost: -1 })).toThrow(/options.cost/);
    expect(() => nodeMiddleware(f, { scopes: 'files:read' as never })).toThrow(/options.scopes/);
    expect(() => nodeMiddleware(f, { realm: 'a"b' })).toThrow(/options.realm/);
    expect(() => nodeMiddleware(f, { nope: 1 } as never)).toThrow(/options.nope/);
    expect(() => nodeMiddleware({} as never)).toThrow(/km/);
  });
});

describe('node:http environment option', () => {
  it('refuses a key of another environment with 401 WRONG_ENVIRONMENT; accepts its own', async () => {
    const f = await fixture();
    const { token: staging } = await f.km.apiKeys.create({ name: 'stg', environment: 'staging' });
    const { token: production } = await f.km.apiKeys.create({ name: 'prd', environment: 'production' });
    const auth = nodeMiddleware(f.km, { environment: 'production' });
    const s = await listen(
      createServer(async (req, res) => {
        if (!(await auth(req, res))) return;
        res.end('ok');
      }),
    );
    try {
      const wrong = await fetch(s.base, { headers: { authorization: `Bearer ${staging}` } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await wrong.json()).toStrictEqual({
        error: { code: 'WRONG_ENVIRONMENT', message: 'The API key is for another environment' },
      });
      const right = await fetch(s.base, { headers: { authorization: `Bearer ${production}` } });
      expect(right.status).toBe(200);
    } finally {
      await s.close();
    }
    expect(() => nodeMiddleware(f.km, { environment: 42 as never })).toThrow(/options.environment/);
  });
});
