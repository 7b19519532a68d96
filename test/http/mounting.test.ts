import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { recordEtag } from '../../src/http/etag.js';
import { managementApi } from '../../src/http/index.js';
import { nodeHandler } from '../../src/http/node.js';
import { listen } from '../middleware/harness.js';
import { fixture, read } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** The same conversation against any mounted server: create (idempotent), read, update, problems. */
async function conversation(base: string, tokens: { admin: string; read: string }) {
  const auth = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
  const created = await read(
    await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: { ...auth(tokens.admin), 'idempotency-key': 'mount-1' },
      body: JSON.stringify({ name: 'mounted', scopes: ['a:read'] }),
    }),
  );
  expect(created.status).toBe(201);
  expect(created.headers.get('cache-control')).toBe('no-store');
  const replay = await read(
    await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: { ...auth(tokens.admin), 'idempotency-key': 'mount-1' },
      body: JSON.stringify({ name: 'mounted', scopes: ['a:read'] }),
    }),
  );
  expect(replay.json.token).toBe(created.json.token);
  const id = created.json.key.id;
  const got = await read(await fetch(`${base}/api-keys/${id}`, { headers: auth(tokens.read) }));
  expect(got.status).toBe(200);
  const etag = got.headers.get('etag') as string;
  expect(etag).toBe(recordEtag(got.json.revision, got.text));
  const notModified = await fetch(`${base}/api-keys/${id}`, {
    headers: { ...auth(tokens.read), 'if-none-match': etag },
  });
  expect(notModified.status).toBe(304);
  const patched = await read(
    await fetch(`${base}/api-keys/${id}`, {
      method: 'PATCH',
      headers: { ...auth(tokens.admin), 'if-match': etag },
      body: JSON.stringify({ name: 'renamed' }),
    }),
  );
  expect(patched.json.name).toBe('renamed');
  const stale = await fetch(`${base}/api-keys/${id}`, {
    method: 'PATCH',
    headers: { ...auth(tokens.admin), 'if-match': etag },
    body: JSON.stringify({ name: 'lost' }),
  });
  expect(stale.status).toBe(412);
  const put = await read(
    await fetch(`${base}/secrets/MOUNTED`, {
      method: 'PUT',
      headers: auth(tokens.admin),
      body: JSON.stringify({ value: 'mounted-secret-value' }),
    }),
  );
  expect(put.status).toBe(200);
  expect(put.text).not.toContain('mounted-secret-value');
  const bad = await read(
    await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: auth(tokens.admin),
      body: JSON.stringify({}),
    }),
  );
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toBe('application/problem+json');
  expect(bad.json).toMatchObject({ code: 'ERR_VALIDATION', field: 'body.name' });
  const unauth = await fetch(`${base}/api-keys`);
  expect(unauth.status).toBe(401);
  const deleted = await fetch(`${base}/api-keys/${id}`, { method: 'DELETE', headers: auth(tokens.admin) });
  expect(deleted.status).toBe(204);
  const doc = await read(await fetch(`${base}/openapi.json`));
  expect(doc.json.openapi).toBe('3.1.0');
}

describe('management API mounted in real servers on loopback', () => {
  it('node:http through nodeHandler', async () => {
    const f = await fixture();
    const server = await listen(createServer(nodeHandler(f.api)));
    closers.push(server.close);
    await conversation(server.base, f.tokens);
  });

  it('node:http refuses an oversized body with 413 before reading it', async () => {
    const f = await fixture();
    const server = await listen(createServer(nodeHandler(f.api, { maxBodyBytes: 100 })));
    closers.push(server.close);
    const r = await fetch(`${server.base}/secrets/X`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${f.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'y'.repeat(500) }),
    });
    expect(r.status).toBe(413);
    expect((await r.json()).code).toBe('ERR_VALIDATION');
    expect(await f.km.secrets.list({})).toMatchObject({ items: [] });
  });

  it('Express 5 under a mount path, with and without express.json() before it', async () => {
    const f = await fixture();
    const app = express();
    app.use('/admin', nodeHandler(managementApi(f.km, { basePath: '/admin' })));
    app.use('/parsed', express.json(), nodeHandler(managementApi(f.km, { basePath: '/parsed' })));
    const server = await listen(createServer(app));
    closers.push(server.close);
    await conversation(`${server.base}/admin`, f.tokens);
    await conversation(`${server.base}/parsed`, f.tokens);
  });

  it('Hono, both as a route handler and mounted', async () => {
    const f = await fixture();
    const api = managementApi(f.km, { basePath: '/admin' });
    const app = new Hono();
    app.all('/admin/*', (c) => api(c.req.raw));
    app.mount('/mounted', managementApi(f.km));
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    closers.push(
      () =>
        new Promise<void>((resolve, reject) => {
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close((e) => (e ? reject(e) : resolve()));
        }),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await conversation(`${base}/admin`, f.tokens);
    await conversation(`${base}/mounted`, f.tokens);
  });
});
