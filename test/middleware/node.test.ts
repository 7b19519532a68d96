import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { nodeMiddleware, type RequestWithKeywarden } from '../../src/middleware/node.js';
import { fixture, listen, read } from './harness.js';
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

describe('node:http verifier shapes (the handler never rejects)', () => {
  /** A gate server over `auth` that records what each call resolved to (or `'rejected'`). */
  async function gate(auth: ReturnType<typeof nodeMiddleware>) {
    const outcomes: Array<boolean | 'rejected'> = [];
    const s = await listen(
      createServer((req, res) => {
        auth(req, res).then(
          (ok) => {
            outcomes.push(ok);
            if (ok) res.end(`hello ${(req as RequestWithKeywarden).keywarden?.key.name}`);
          },
          () => {
            outcomes.push('rejected');
            res.end();
          },
        );
      }),
    );
    return { s, outcomes };
  }

  it('answers 503 UNAVAILABLE (reported, never rejected) when verify throws synchronously', async () => {
    const f = await fixture();
    const errors: unknown[] = [];
    const throwing = {
      apiKeys: {
        verify(): Promise<never> {
          throw new Error('verifier down');
        },
      },
    };
    const { s, outcomes } = await gate(nodeMiddleware(throwing, { onError: (e) => errors.push(e) }));
    try {
      const r = await read(await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } }));
      expect(r.status).toBe(503);
      expect(r.json).toStrictEqual({
        error: { code: 'UNAVAILABLE', message: 'Authentication is temporarily unavailable' },
      });
      expect(outcomes).toStrictEqual([false]);
      expect(errors.map(String)).toStrictEqual(['Error: verifier down']);
    } finally {
      await s.close();
      await f.km.close();
    }
  });

  it('answers 500 INTERNAL when verify rejects with ERR_VALIDATION', async () => {
    const f = await fixture();
    const invalid = { apiKeys: { verify: () => f.km.apiKeys.verify(f.tokens.good, { cost: -1 }) } };
    const { s, outcomes } = await gate(nodeMiddleware(invalid));
    try {
      const r = await read(await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } }));
      expect(r.status).toBe(500);
      expect(r.json).toStrictEqual({ error: { code: 'INTERNAL', message: 'Internal server error' } });
      expect(outcomes).toStrictEqual([false]);
    } finally {
      await s.close();
      await f.km.close();
    }
  });

  it('accepts a verifier that returns its result without a promise', async () => {
    const f = await fixture();
    const result = await f.km.apiKeys.verify(f.tokens.good, { scopes: ['invoices:read'] });
    const plain = { apiKeys: { verify: () => result as unknown as Promise<typeof result> } };
    const { s, outcomes } = await gate(nodeMiddleware(plain, { scopes: ['invoices:read'] }));
    try {
      const r = await read(await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('hello good');
      expect(outcomes).toStrictEqual([true]);
    } finally {
      await s.close();
      await f.km.close();
    }
  });

  it('resolves false for every request refused before verify, without calling verify', async () => {
    const f = await fixture();
    let calls = 0;
    const counting = {
      apiKeys: {
        verify: (token: unknown, options?: Parameters<typeof f.km.apiKeys.verify>[1]) => {
          calls++;
          return f.km.apiKeys.verify(token, options);
        },
      },
    };
    const { s, outcomes } = await gate(nodeMiddleware(counting));
    try {
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwdw==' }]) {
        const r = await read(await fetch(s.base, { headers }));
        expect(r.status).toBe(401);
        expect(r.json).toMatchObject({ error: { code: 'MISSING' } });
      }
      expect(outcomes).toStrictEqual([false, false]);
      expect(calls).toBe(0);
      const ok = await fetch(s.base, { headers: { authorization: `Bearer ${f.tokens.good}` } });
      expect(ok.status).toBe(200);
      expect(calls).toBe(1);
    } finally {
      await s.close();
      await f.km.close();
    }
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
