import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessHarness, openSession, SECRET_VALUE } from './helpers.js';

let upstream: Server;
let origin: string;
const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    if (req.url === '/v1/charges/redirect') {
      res.writeHead(302, { location: 'https://evil.example/steal' });
      res.end();
      return;
    }
    if (req.url === '/v1/charges/echo') {
      // echoes the credential back, split over two chunks, and in a header
      const auth = req.headers.authorization ?? '';
      res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': auth });
      res.write(`you sent ${auth.slice(0, 20)}`);
      setTimeout(() => res.end(`${auth.slice(20)} ok`), 5);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

async function setup(
  auth: { type: 'bearer' } | { type: 'header'; name: string } | { type: 'basic' } = { type: 'bearer' },
) {
  const h = await accessHarness({
    tool: { upstream: { origin, auth, allowPrivateNetwork: true }, methods: ['GET', 'POST'] },
  });
  const s = await openSession(h);
  return { h, ...s };
}

describe('access.fetch', () => {
  it('injects the secret in the slot of the tool and drops credentials the caller set', async () => {
    for (const [auth, header, expected] of [
      [{ type: 'bearer' }, 'authorization', `Bearer ${SECRET_VALUE}`],
      [{ type: 'header', name: 'x-api-key' }, 'x-api-key', SECRET_VALUE],
      [{ type: 'basic' }, 'authorization', `Basic ${Buffer.from(`${SECRET_VALUE}:`).toString('base64')}`],
    ] as const) {
      const { h, token } = await setup(auth);
      seen.length = 0;
      const res = await h.access.fetch(token, `${origin}/v1/charges?limit=3`, {
        headers: { authorization: 'Bearer attacker', 'x-api-key': 'attacker', cookie: 'a=b', 'x-trace': '1' },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ path: '/v1/charges?limit=3' });
      expect(seen[0]?.headers[header]).toBe(expected);
      expect(seen[0]?.headers.cookie).toBeUndefined();
      expect(seen[0]?.headers['x-trace']).toBe('1');
      if (auth.type === 'header') expect(seen[0]?.headers.authorization).toBeUndefined();
    }
  });

  it('masks an echo of the secret in the response body and headers, across chunks', async () => {
    const { h, token } = await setup();
    const res = await h.access.fetch(token, `${origin}/v1/charges/echo`);
    const text = await res.text();
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).toBe(`you sent Bearer ${'*'.repeat(SECRET_VALUE.length)} ok`);
    expect(res.headers.get('x-echo')).not.toContain(SECRET_VALUE);
  });

  it('follows no redirect', async () => {
    const { h, token } = await setup();
    const res = await h.access.fetch(token, `${origin}/v1/charges/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://evil.example/steal');
  });

  it('refuses another origin, a disallowed path or method, and a request carrying the token', async () => {
    const { h, token } = await setup();
    seen.length = 0;
    const other = await h.access.fetch(token, 'https://example.com/v1/charges');
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ error: 'FORBIDDEN' });
    expect((await h.access.fetch(token, `${origin}/admin`)).status).toBe(403);
    expect((await h.access.fetch(token, `${origin}/v1/charges`, { method: 'DELETE' })).status).toBe(403);
    expect((await h.access.fetch(token, `${origin}/v1/charges?t=${token}`)).status).toBe(403);
    expect(
      (await h.access.fetch(token, `${origin}/v1/charges`, { headers: { 'x-token': token } })).status,
    ).toBe(403);
    expect((await h.access.fetch('kwp_nope', `${origin}/v1/charges`)).status).toBe(401);
    expect(seen).toEqual([]);
    const violations = (await h.km.audit.list({ type: 'access.violation', limit: 50 })).items;
    // the second 'request carries the proxy token' of this session within a minute is counted,
    // not written: it is reported as `suppressed` on the next such row of the session
    expect(violations.map((v) => v.data['reason'])).toEqual([
      'url is not on the tool origin',
      'path not allowed',
      'method not allowed',
      'request carries the proxy token',
    ]);
    h.clock.advance('1m');
    expect((await h.access.fetch(token, `${origin}/v1/charges?t=${token}`)).status).toBe(403);
    const later = (await h.km.audit.list({ type: 'access.violation', limit: 50 })).items;
    expect(later).toHaveLength(5);
    expect(later[4]?.data).toMatchObject({ reason: 'request carries the proxy token', suppressed: 1 });
  });
});
