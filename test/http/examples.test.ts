/** The two mounting examples (examples/http-hono.ts, examples/http-express.ts) serve the API as documented. */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildExpressApp } from '../../examples/http-express.js';
import { buildHonoApp } from '../../examples/http-hono.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { listen } from '../middleware/harness.js';

describe('management API examples', () => {
  it('the Hono example serves the API under /admin and the app elsewhere', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:read'] });
    const app = buildHonoApp(km);
    const ok = await app.request('/admin/api-keys', { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await app.request('/admin/api-keys')).status).toBe(401);
    expect(await (await app.request('/')).text()).toBe('application home');
  });

  it('the Express example serves the API under /admin on a real server', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:admin'] });
    const server = await listen(createServer(buildExpressApp(km)));
    try {
      const created = await fetch(`${server.base}/admin/signing-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'jwt', type: 'ed25519' }),
      });
      expect(created.status).toBe(201);
      expect(await (await fetch(`${server.base}/`)).text()).toBe('application home');
    } finally {
      await server.close();
    }
  });
});
