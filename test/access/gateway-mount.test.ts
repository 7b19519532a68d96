/**
 * The gateway as a handler mounted in someone else's server (plain node:http and Express under a
 * prefix), its option validation, and its lifecycle (url before listen, close twice, dispose).
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { isKeywardenError } from '../../src/errors.js';
import {
  addTool,
  call,
  grant,
  SECRETS,
  setupAccess,
  startUpstream,
  type Upstream,
} from './gateway-harness.js';

let upstream: Upstream;
let env: ReturnType<typeof setupAccess>;
let token: string;
const servers: Server[] = [];

async function serve(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  upstream = await startUpstream();
  env = setupAccess();
  await addTool(env.km, env.access, {
    id: 'openai',
    secretValue: SECRETS.openai,
    upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET', 'POST'],
    paths: ['/v1/models', '/echo'],
  });
  token = await grant(env.access, 'openai');
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await upstream?.close();
});

describe('mounted gateway', () => {
  it('works as the request listener of a plain node:http server, next to other routes', async () => {
    const gw = createGateway(env.access);
    const base = await serve(
      createServer((req, res) => {
        if (req.url === '/health') res.end('ok');
        else gw.handler(req, res);
      }),
    );
    expect((await call(`${base}/health`)).body).toBe('ok');
    const before = upstream.seen.length;
    const r = await call(`${base}/openai/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(upstream.seen[before]?.headers.authorization).toBe(`Bearer ${SECRETS.openai}`);
    // mounted, without allowedHosts, the Host header is ignored (it never routes)
    const spoofed = await call(`${base}/openai/v1/models`, {
      headers: { authorization: `Bearer ${token}`, host: 'api.openai.com' },
    });
    expect(spoofed.status).toBe(200);
    expect(upstream.seen.at(-1)?.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    await gw.close();
  });

  it('works under an Express prefix, and enforces allowedHosts when given', async () => {
    const gw = createGateway(env.access, { allowedHosts: ['gateway.internal'] });
    const app = express();
    app.use('/gw', gw.handler);
    const base = await serve(createServer(app));
    const ok = await call(`${base}/gw/openai/v1/models`, {
      headers: { authorization: `Bearer ${token}`, host: 'gateway.internal' },
    });
    expect(ok.status).toBe(200);
    const other = await call(`${base}/gw/openai/v1/models`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body)).toEqual({ error: 'BAD_REQUEST' });
    await gw.close();
  });
});

describe('options and lifecycle', () => {
  it.each([
    [{ maxBodyBytes: -1 }, 'maxBodyBytes'],
    [{ maxBodyBytes: 1.5 }, 'maxBodyBytes'],
    [{ timeout: 'soon' }, 'timeout'],
    [{ timeout: 0 }, 'timeout'],
    [{ lookup: 'dns' }, 'lookup'],
    [{ allowedHosts: 'x' }, 'allowedHosts'],
    [{ allowedHosts: [''] }, 'allowedHosts'],
    [{ ca: 'not a certificate' }, 'ca'],
    [{ ca: [42] }, 'ca'],
  ])('refuses %o (field %s)', (options, field) => {
    let caught: unknown;
    try {
      createGateway(env.access, options as never);
    } catch (e) {
      caught = e;
    }
    expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
    expect((caught as { field?: string }).field).toBe(field);
  });

  it('refuses something that is not an access object', () => {
    expect(() => createGateway({} as never)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'access' }),
    );
  });

  it('has no url before listen, listens once, closes twice, and disposes', async () => {
    const gw = createGateway(env.access);
    expect(() => gw.url).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    const { url } = await gw.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(gw.url).toBe(url);
    await expect(gw.listen()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await gw.close();
    await gw.close();
    expect(() => gw.url).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    const again = createGateway(env.access);
    const second = await again.listen();
    expect((await call(`${second.url}/openai/v1/models`)).status).toBe(401);
    await again[Symbol.asyncDispose]();
    await expect(call(`${second.url}/openai/v1/models`)).rejects.toThrow();
  });
});

describe('idle timeouts', () => {
  const post = (url: string, agent: Agent, body: string | null) =>
    new Promise<{ status: number; body: string; reused: boolean }>((resolve, reject) => {
      const r = request(
        url,
        { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-length': 10 } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reused: r.reusedSocket }));
        },
      );
      r.on('error', reject);
      if (body === null)
        r.write('12345'); // half of the announced body, then nothing
      else r.end(body);
    });

  it('answers 504 when the agent stalls mid-upload', async () => {
    const gw = createGateway(env.access, { timeout: '200ms' });
    const { url } = await gw.listen();
    const agent = new Agent({ keepAlive: false });
    const r = await post(`${url}/openai/echo`, agent, null);
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body)).toEqual({ error: 'UPSTREAM_TIMEOUT' });
    await gw.close();
  });

  it('keeps a stream that keeps moving past the timeout, and cuts one that stalls mid-answer', async () => {
    // an upstream that writes a chunk every 40 ms for ~400 ms, then stalls (or ends) for good
    const ticking = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => {
        res.write(`data: ${n}\n\n`);
        if (++n === 10) {
          clearInterval(timer);
          if (req.url?.endsWith('/ends')) res.end();
        }
      }, 40);
      res.on('close', () => clearInterval(timer));
    });
    const origin = await serve(ticking);
    await addTool(env.km, env.access, {
      id: 'ticker',
      secretValue: 'sk-ticker-0123456789abcdefghij',
      upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['GET'],
      paths: ['/ends', '/stalls'],
    });
    const tickerToken = await grant(env.access, 'ticker');
    const gw = createGateway(env.access, { timeout: '150ms' });
    const { url } = await gw.listen();
    const get = (path: string) =>
      new Promise<{ status: number; body: string; complete: boolean }>((resolve, reject) => {
        const r = request(
          `${url}/ticker${path}`,
          { headers: { authorization: `Bearer ${tickerToken}` } },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString();
            });
            res.on('close', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
          },
        );
        r.on('error', reject);
        r.end();
      });
    const started = Date.now();
    // side by side, so the shared sweep cuts one call out of several in flight and keeps the others
    const [ends, stalls, endsToo] = await Promise.all([get('/ends'), get('/stalls'), get('/ends')]);
    for (const done of [ends, endsToo]) {
      expect(done.status).toBe(200); // ~400 ms of stream, never idle for 150 ms
      expect(done.complete).toBe(true);
      expect(done.body).toContain('data: 9');
    }
    expect(stalls.status).toBe(200); // the same stream, then silence: cut, not left hanging
    expect(stalls.complete).toBe(false);
    expect(stalls.body).toContain('data: 9');
    expect(Date.now() - started).toBeLessThan(5_000);
    await gw.close();
  });

  it('keeps a keep-alive connection usable after the idle timeout has passed between calls', async () => {
    const gw = createGateway(env.access, { timeout: '150ms' });
    const { url } = await gw.listen();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await post(`${url}/openai/echo`, agent, '0123456789');
    expect(first.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400)); // idle for longer than the timeout
    const second = await post(`${url}/openai/echo`, agent, '0123456789');
    expect(second.status).toBe(200);
    expect(second.reused).toBe(true);
    agent.destroy();
    await gw.close();
  });
});
