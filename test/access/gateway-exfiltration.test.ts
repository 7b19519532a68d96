/**
 * Exfiltration attempts against the gateway, each with a real agent access object (memory
 * storage), a real gateway and real upstreams on loopback: the legitimate upstream and an "evil"
 * echo server the agent would like the secret sent to. Every attempt is refused, the evil server
 * receives nothing, and each leaves an `access.violation` audit event.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import type { AgentAccess } from '../../src/access/types.js';
import {
  addTool,
  call,
  findLeak,
  grant,
  rawRequest,
  SECRETS,
  setupAccess as setup,
  type setupAccess,
  startUpstream,
  type Upstream,
  violations,
} from './gateway-harness.js';

let km: ReturnType<typeof setupAccess>['km'];
let access: AgentAccess;
let upstream: Upstream;
let evil: Upstream;
let gw: Gateway;
let base: string;
let port: number;
let token: string;
let stripeToken: string;

const names: Record<string, string> = {
  'internal.example': '127.0.0.1',
  'metadata.example': '169.254.169.254',
  'mapped.example': '::ffff:10.0.0.1',
};

beforeAll(async () => {
  ({ km, access } = setup());
  upstream = await startUpstream();
  evil = await startUpstream();
  await addTool(km, access, {
    id: 'openai',
    secretValue: SECRETS.openai,
    upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET', 'POST'],
    paths: ['/v1/**', '/echo', '/gzip', '/zstd', '/redirect-in', '/redirect-out', '/slow'],
  });
  await addTool(km, access, {
    id: 'stripe',
    secretValue: SECRETS.stripe,
    upstream: { origin: upstream.origin, auth: { type: 'basic' }, allowPrivateNetwork: true },
    methods: ['GET'],
    paths: ['/v1/charges'],
  });
  for (const [id, host] of [
    ['internal', 'internal.example'],
    ['metadata', 'metadata.example'],
    ['mapped', 'mapped.example'],
  ] as const) {
    await addTool(km, access, {
      id,
      secretValue: SECRETS.github,
      upstream: { origin: `https://${host}:${upstream.port}`, auth: { type: 'bearer' } },
      paths: ['/**'],
    });
  }
  await addTool(km, access, {
    id: 'metadata-ok',
    secretValue: SECRETS.github,
    upstream: {
      origin: `http://metadata.example:${upstream.port}`,
      auth: { type: 'bearer' },
      allowPrivateNetwork: true,
    },
    paths: ['/**'],
  });
  await addTool(km, access, {
    id: 'internal-ok',
    secretValue: SECRETS.github,
    upstream: {
      origin: `http://internal.example:${upstream.port}`,
      auth: { type: 'bearer' },
      allowPrivateNetwork: true,
    },
    paths: ['/**'],
  });
  token = await grant(access, 'openai');
  stripeToken = await grant(access, 'stripe');
  gw = createGateway(access, {
    lookup: async (host) => {
      const address = names[host];
      if (address === undefined) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [{ address, family: address.includes(':') ? 6 : 4 }];
    },
    timeout: '2s',
    maxBodyBytes: 64 * 1024,
  });
  ({ url: base } = await gw.listen({ host: '127.0.0.1', port: 0 }));
  port = Number(new URL(base).port);
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await evil?.close();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** Runs an attempt and returns the violation reasons it added. */
async function attempt(run: () => Promise<{ status: number; body: string }>) {
  const before = (await violations(km)).length;
  const evilBefore = evil.seen.length;
  const r = await run();
  const added = (await violations(km)).slice(before);
  expect(evil.seen.length).toBe(evilBefore);
  expect(findLeak(r.body, SECRETS.openai)).toBeNull();
  return { ...r, added };
}

describe('the gateway refuses exfiltration', () => {
  it('forwards a legitimate call with the secret in the slot (control)', async () => {
    const before = upstream.seen.length;
    const r = await call(`${base}/openai/v1/models`, { headers: bearer(token) });
    expect(r.status).toBe(200);
    const got = upstream.seen[before];
    expect(got?.headers.authorization).toBe(`Bearer ${SECRETS.openai}`);
    expect(got?.url).toBe('/v1/models');
    expect(got?.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(findLeak(r.body, SECRETS.openai)).toBeNull();
  });

  it('refuses a spoofed Host header and never dials it', async () => {
    const r = await attempt(() =>
      rawRequest(
        port,
        `GET /openai/echo HTTP/1.1\r\nHost: 127.0.0.1:${evil.port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'BAD_REQUEST' });
    expect(r.added).toEqual(['Host header names another host']);
  });

  it('refuses an absolute-form target naming another host', async () => {
    const r = await attempt(() =>
      rawRequest(
        port,
        `GET http://127.0.0.1:${evil.port}/openai/echo HTTP/1.1\r\nHost: 127.0.0.1:${evil.port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(r.status).toBe(400);
    expect(r.added).toEqual(['absolute-form request target (names a host)']);
  });

  it('refuses CONNECT', async () => {
    const r = await attempt(() =>
      rawRequest(port, `CONNECT 127.0.0.1:${evil.port} HTTP/1.1\r\nHost: 127.0.0.1:${evil.port}\r\n\r\n`),
    );
    expect(r.status).toBe(400);
    expect(r.added).toEqual(['CONNECT request']);
  });

  it('follows no cross-host redirect and does not pass it on', async () => {
    const r = await attempt(() =>
      call(`${base}/openai/redirect-out?to=${encodeURIComponent(`${evil.origin}/steal`)}`, {
        headers: bearer(token),
      }),
    );
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toEqual({ error: 'REDIRECT_REFUSED' });
    expect(r.added).toEqual(['upstream redirect off the tool origin']);
  });

  it('passes a same-origin redirect back rewritten to the gateway path, without following it', async () => {
    const before = upstream.seen.length;
    const r = await call(`${base}/openai/redirect-in`, { headers: bearer(token) });
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/openai/v1/models?page=2');
    expect(upstream.seen.length).toBe(before + 1);
  });

  it.each([
    ['internal', 'a name resolving to loopback'],
    ['metadata', 'a name resolving to the metadata address'],
    ['mapped', 'a name resolving to an IPv4-mapped private address'],
    ['metadata-ok', 'a link-local address reached through a name, even with allowPrivateNetwork'],
  ])('refuses to dial %s (%s)', async (tool) => {
    const t = await grant(access, tool);
    const r = await attempt(() => call(`${base}/${tool}/x`, { headers: bearer(t) }));
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toEqual({ error: 'ADDRESS_REFUSED' });
    expect(r.added).toEqual(['upstream address not allowed for this tool']);
  });

  it('dials a private address the operator allowed, pinned to the checked address', async () => {
    const t = await grant(access, 'internal-ok');
    const before = upstream.seen.length;
    const r = await call(`${base}/internal-ok/v1/models`, { headers: bearer(t) });
    expect(r.status).toBe(200);
    expect(upstream.seen[before]?.headers.host).toBe(`internal.example:${upstream.port}`);
  });

  it('refuses a path outside the tool list, and a method outside it', async () => {
    const p = await attempt(() => call(`${base}/stripe/v1/refunds`, { headers: bearer(stripeToken) }));
    expect(p.status).toBe(403);
    expect(JSON.parse(p.body)).toEqual({ error: 'FORBIDDEN' });
    expect(p.added).toEqual(['path not allowed']);
    const m = await attempt(() =>
      call(`${base}/stripe/v1/charges`, { method: 'DELETE', headers: bearer(stripeToken) }),
    );
    expect(m.status).toBe(403);
    expect(m.added).toEqual(['method not allowed']);
  });

  it('refuses dot segments and encoded separators that would leave the allowed path upstream', async () => {
    const r = await attempt(() =>
      rawRequest(
        port,
        `GET /stripe/v1/charges/%2e%2e/refunds HTTP/1.1\r\nHost: ${new URL(base).host}\r\nAuthorization: Bearer ${stripeToken}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(r.status).toBe(400);
    expect(r.added).toEqual(['path with dot segments or encoded separators']);
  });

  it('refuses a token of another tool, and an unknown tool', async () => {
    const r = await attempt(() => call(`${base}/openai/v1/models`, { headers: bearer(stripeToken) }));
    expect(r.status).toBe(403);
    expect(r.added).toEqual(['tool not granted']);
    const u = await attempt(() => call(`${base}/nope/v1/models`, { headers: bearer(token) }));
    expect(u.status).toBe(403);
    expect(u.added).toEqual(['unknown tool']);
  });

  it('refuses the token in the query string', async () => {
    const before = upstream.seen.length;
    const r = await attempt(() =>
      call(`${base}/openai/v1/models?api_key=${token}`, { headers: bearer(token) }),
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ error: 'TOKEN_EXPOSED' });
    expect(r.added).toEqual(['proxy token in the query string']);
    const bare = await attempt(() => call(`${base}/openai/v1/models?api_key=${token}`));
    expect(bare.status).toBe(403);
    expect(bare.added).toEqual(['proxy token in the query string']);
    expect(upstream.seen.length).toBe(before);
  });

  it('refuses the token in the body, and the upstream never sees its bytes', async () => {
    const body = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: `my key is ${token} ok` }],
    });
    const r = await attempt(() =>
      call(`${base}/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body,
      }),
    );
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual({ error: 'TOKEN_EXPOSED' });
    expect(r.added).toEqual(['proxy token in the request body']);
    expect(upstream.seen.some((s) => s.body.includes(token) || s.body.includes(token.slice(0, 20)))).toBe(
      false,
    );
  });

  it('refuses the token in another header', async () => {
    const r = await attempt(() =>
      call(`${base}/openai/v1/models`, { headers: { ...bearer(token), 'x-note': `token=${token}` } }),
    );
    expect(r.status).toBe(403);
    expect(r.added).toEqual(['proxy token in a forwarded header']);
  });

  it('never lets a violation event carry the token', async () => {
    const page = await km.audit.list({ type: 'access.violation', limit: 1000 });
    expect(page.items.length).toBeGreaterThanOrEqual(12);
    expect(JSON.stringify(page.items)).not.toContain(token);
    expect(JSON.stringify(page.items)).not.toContain(stripeToken);
  });
});

describe('headers, encodings and limits', () => {
  it('strips the agent credentials, cookies and hop-by-hop headers, and injects only the secret', async () => {
    const before = upstream.seen.length;
    const r = await call(`${base}/openai/echo`, {
      headers: {
        ...bearer(token),
        cookie: 'sid=agent',
        'x-api-key': 'agent-chosen',
        connection: 'x-hop',
        'x-hop': 'drop me',
        'x-forwarded-host': `127.0.0.1:${evil.port}`,
        'x-http-method-override': 'DELETE',
        'accept-encoding': 'gzip, br',
        'x-custom': 'kept',
      },
    });
    expect(r.status).toBe(200);
    const h = upstream.seen[before]?.headers ?? {};
    expect(h.authorization).toBe(`Bearer ${SECRETS.openai}`);
    for (const gone of ['cookie', 'x-api-key', 'x-hop', 'x-forwarded-host', 'x-http-method-override']) {
      expect(h[gone]).toBeUndefined();
    }
    expect(h['accept-encoding']).toBe('identity');
    expect(h['x-custom']).toBe('kept');
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['x-echo']).toMatch(/^Bearer \*+$/);
  });

  it('injects Basic (the key as user name) for a basic tool whose agent sends Bearer', async () => {
    const before = upstream.seen.length;
    const r = await call(`${base}/stripe/v1/charges`, { headers: bearer(stripeToken) });
    expect(r.status).toBe(200);
    const expected = `Basic ${Buffer.from(`${SECRETS.stripe}:`).toString('base64')}`;
    expect(upstream.seen[before]?.headers.authorization).toBe(expected);
    expect(findLeak(r.body, SECRETS.stripe)).toBeNull();
  });

  it('decodes a gzipped answer to scrub it, and refuses an encoding it cannot decode', async () => {
    const r = await call(`${base}/openai/gzip`, { headers: bearer(token) });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(r.body).echo.raw).toMatch(/^\*+$/);
    expect(findLeak(r.body, SECRETS.openai)).toBeNull();
    const z = await call(`${base}/openai/zstd`, { headers: bearer(token) });
    expect(z.status).toBe(502);
    expect(JSON.parse(z.body)).toEqual({ error: 'UPSTREAM_ENCODING' });
  });

  it('answers 401 without a token, 413 for a body over the limit, 504 when the upstream stalls', async () => {
    expect((await call(`${base}/openai/v1/models`)).status).toBe(401);
    expect(JSON.parse((await call(`${base}/openai/v1/models`)).body)).toEqual({ error: 'MISSING' });
    const big = await call(`${base}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: bearer(token),
      body: Buffer.alloc(65 * 1024, 0x61),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual({ error: 'PAYLOAD_TOO_LARGE' });
    const slow = await call(`${base}/openai/slow`, { headers: bearer(token) });
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.body)).toEqual({ error: 'UPSTREAM_TIMEOUT' });
  });
});

describe('logging', () => {
  it('writes nothing to the console or the standard streams, on success, refusal or echo', async () => {
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) => vi.spyOn(console, m)),
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
    ];
    try {
      await call(`${base}/openai/echo`, { headers: bearer(token) });
      await call(`${base}/openai/v1/models?key=${token}`, { headers: bearer(token) });
      await call(`${base}/openai/redirect-out`, { headers: bearer(token) });
      await call(`${base}/internal/x`, { headers: bearer(await grant(access, 'internal')) });
      await call(`${base}/openai/v1/models`, { headers: { authorization: 'Bearer kwp_not_a_token' } });
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
