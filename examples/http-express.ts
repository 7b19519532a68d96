/**
 * The keywarden management API mounted in Express 5 through `nodeHandler`. Offline: memory
 * storage, a random master key, a server on 127.0.0.1 and a free port.
 *
 *   npx tsx examples/http-express.ts
 *
 * It creates operator keys, shows the scope checks and If-Match, prints the answers and exits.
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { memoryStorage } from '../src/adapters/memory.js';
import { managementApi } from '../src/http/index.js';
import { nodeHandler } from '../src/http/node.js';
import { createKeyManager, type KeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

/** The app: the management API under /admin (mount it before any body parser). */
export function buildExpressApp(km: KeyManager): express.Express {
  const app = express();
  app.use('/admin', nodeHandler(managementApi(km, { basePath: '/admin' })));
  app.use(express.json()); // the application's own routes may parse bodies as usual
  app.get('/', (_req, res) => {
    res.send('application home');
  });
  return app;
}

async function main(): Promise<void> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  const admin = await km.apiKeys.create({ name: 'ops', ownerId: 'alice', scopes: ['keywarden:admin'] });
  const reader = await km.apiKeys.create({
    name: 'dashboard',
    ownerId: 'grafana',
    scopes: ['keywarden:read'],
  });
  const server = buildExpressApp(km).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`;
  const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const show = async (label: string, res: Response) => {
    console.log(label.padEnd(34), res.status, res.headers.get('etag') ?? '', await res.clone().text());
    return res;
  };

  const created = await show(
    'POST /api-keys',
    await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: as(admin.token),
      body: JSON.stringify({ name: 'partner', scopes: ['orders:read'] }),
    }),
  );
  const { key } = (await created.json()) as { key: { id: string } };
  const got = await show(
    'GET /api-keys/{id}',
    await fetch(`${base}/api-keys/${key.id}`, { headers: as(reader.token) }),
  );
  const etag = got.headers.get('etag') ?? '';
  await show(
    'PATCH (If-Match current)',
    await fetch(`${base}/api-keys/${key.id}`, {
      method: 'PATCH',
      headers: { ...as(admin.token), 'if-match': etag },
      body: JSON.stringify({ tags: ['partner'] }),
    }),
  );
  await show(
    'PATCH (If-Match stale) -> 412',
    await fetch(`${base}/api-keys/${key.id}`, {
      method: 'PATCH',
      headers: { ...as(admin.token), 'if-match': etag },
      body: JSON.stringify({ tags: ['lost'] }),
    }),
  );
  await show(
    'POST revoke as reader -> 403',
    await fetch(`${base}/api-keys/${key.id}/revoke`, {
      method: 'POST',
      headers: as(reader.token),
      body: '{}',
    }),
  );

  server.close();
  await km.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
