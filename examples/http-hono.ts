/**
 * The keywarden management API mounted in Hono, next to the application's own routes. Offline:
 * memory storage, a random master key, a server on 127.0.0.1 and a free port.
 *
 *   npx tsx examples/http-hono.ts
 *
 * It creates an admin operator key, calls the API a few times, prints the answers and exits.
 * On Bun or Deno the API needs no framework at all: `Bun.serve({ fetch: api })`, `Deno.serve(api)`.
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { memoryStorage } from '../src/adapters/memory.js';
import { managementApi } from '../src/http/index.js';
import { createKeyManager, type KeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

/** The app: the management API under /admin, the application's routes elsewhere. */
export function buildHonoApp(km: KeyManager): Hono {
  const api = managementApi(km, { basePath: '/admin' });
  const app = new Hono();
  app.get('/', (c) => c.text('application home'));
  app.all('/admin/*', (c) => api(c.req.raw)); // the API sees the full path, hence basePath '/admin'
  // alternatively: app.mount('/admin', managementApi(km)) (Hono strips the prefix, so no basePath)
  return app;
}

async function main(): Promise<void> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  // An operator key: a keywarden API key with keywarden:* scopes; its ownerId is the operator's identity.
  const { token } = await km.apiKeys.create({
    name: 'ops console',
    ownerId: 'alice',
    scopes: ['keywarden:admin'],
  });
  const server = serve({ fetch: buildHonoApp(km).fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const show = async (label: string, res: Response) =>
    console.log(label.padEnd(30), res.status, await res.text());

  await show(
    'PUT /secrets/OPENAI_API_KEY',
    await fetch(`${base}/secrets/OPENAI_API_KEY`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ value: 'sk-example-not-real', provider: 'openai' }),
    }),
  );
  await show(
    'POST /api-keys (token once)',
    await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': 'create-billing-1' },
      body: JSON.stringify({ name: 'billing service', scopes: ['invoices:read'], expiresIn: '30d' }),
    }),
  );
  await show('GET /api-keys?limit=10', await fetch(`${base}/api-keys?limit=10`, { headers }));
  await show('GET /audit/verify', await fetch(`${base}/audit/verify`, { headers }));
  await show('GET /api-keys (no key)', await fetch(`${base}/api-keys`));
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: object };
  console.log('OpenAPI paths:', Object.keys(doc.paths).length);

  server.close();
  await km.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
