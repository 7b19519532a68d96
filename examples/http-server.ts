/**
 * Issuing and verifying API keys in a plain node:http server.
 *
 *   npx tsx examples/http-server.ts
 *   # POST /keys creates a key (an admin route: protect it in real life); GET /invoices needs `invoices:read`
 *
 * The example starts on a free port, makes a few requests to itself, prints the answers and exits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST' && req.url === '/keys') {
    const { token, key } = await km.apiKeys.create({ name: 'demo client', scopes: ['invoices:read'] });
    return send(res, 201, { token, id: key.id });
  }
  if (req.method === 'GET' && req.url === '/invoices') {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const result = await km.apiKeys.verify(token, {
      scopes: ['invoices:read'],
      context: { ip: req.socket.remoteAddress ?? 'unknown' },
    });
    if (!result.valid) {
      const status = result.code === 'INSUFFICIENT_SCOPE' ? 403 : result.code === 'RATE_LIMITED' ? 429 : 401;
      return send(
        res,
        status,
        { error: result.code },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    return send(res, 200, { invoices: [], key: result.key.id });
  }
  send(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, { error: 'internal' }));
});
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const created = (await (await fetch(`${base}/keys`, { method: 'POST' })).json()) as { token: string };
const good = await fetch(`${base}/invoices`, { headers: { authorization: `Bearer ${created.token}` } });
console.log('with the key:   ', good.status, await good.json());
const none = await fetch(`${base}/invoices`);
console.log('without a key:  ', none.status, await none.json());

server.close();
await km.close();
