/**
 * An Express 5 API protected with keywarden: `nodeMiddleware` on the routes, the verification
 * cache in front of storage (revocation bound 5 s), a rate limit shared by every instance,
 * and usage counted without a write per request.
 *
 *   npx tsx examples/express-app.ts
 *
 * It starts on a free port, calls itself a few times, prints the answers and exits.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { memoryStorage } from '../src/adapters/memory.js';
import { cachedStorage } from '../src/cache/index.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { nodeMiddleware } from '../src/middleware/node.js';
import { storageRateLimiter } from '../src/rate-limit/index.js';
import type { ApiKeyVerifySuccess } from '../src/store/api-key-types.js';
import { createUsageTracker } from '../src/usage/index.js';

// In production: postgresStorage({ url }) shared by every instance.
const shared = memoryStorage();
const storage = cachedStorage(shared, { ttl: '5s' });
const km = createKeyManager({
  storage,
  kms: localKms({ masterKey: generateMasterKey() }),
  rateLimiter: storageRateLimiter(storage), // state in store meta, which the cache passes through
});
const usage = createUsageTracker(storage, { flushInterval: '10s' });

const app = express();
const auth = nodeMiddleware(km, { scopes: ['invoices:read'], trustProxy: false });
app.get('/invoices', auth, (_req, res) => {
  const verified = res.locals.keywarden as ApiKeyVerifySuccess;
  usage.record(verified.key.id, verified.version);
  res.json({ owner: verified.key.ownerId, invoices: [] });
});
app.post('/invoices', nodeMiddleware(km, { scopes: ['invoices:write'], cost: 5 }), (_req, res) => {
  res.status(201).json({ created: true });
});

const { token } = await km.apiKeys.create({
  name: 'acme reader',
  ownerId: 'acme',
  scopes: ['invoices:read'],
  rateLimit: { limit: 3, window: '1m' },
});
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const show = async (label: string, res: Response) =>
  console.log(label.padEnd(22), res.status, res.headers.get('ratelimit-remaining') ?? '-', await res.text());

const headers = { authorization: `Bearer ${token}` };
for (let i = 1; i <= 4; i++) await show(`GET #${i}`, await fetch(`${base}/invoices`, { headers }));
await show('POST (no write scope)', await fetch(`${base}/invoices`, { method: 'POST', headers }));
await show('GET without a key', await fetch(`${base}/invoices`));

server.close();
await usage.close(); // flushes the buffered lastUsedAt / use counts
const record = await shared.get((await km.apiKeys.list()).items[0]?.id ?? '');
console.log('uses of version 1 after flush:', record?.versions[0]?.data['uses']);
await km.close();
