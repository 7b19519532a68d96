/**
 * mcpAuth with the SDK's real Client and StreamableHTTPClientTransport over loopback, against
 * the example server (examples/mcp-server.ts).
 */
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMcpApp } from '../../examples/mcp-server.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import { authRequired, hasScopes, mcpAuth, toMcpAuthInfo } from '../../src/middleware/mcp.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { listen } from './harness.js';

let km: KeyManager;
let server: { base: string; close: () => Promise<void> };
let url: URL;
const clients: Client[] = [];

beforeEach(async () => {
  const t = createTestKeyManager();
  km = t.km;
  server = await listen(createServer(buildMcpApp(km, { clock: t.clock })));
  url = new URL(`${server.base}/mcp`);
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await server.close();
  await km.close();
});

async function connect(token?: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  clients.push(client);
  return client;
}

async function statusOf(run: Promise<unknown>): Promise<number | string> {
  try {
    await run;
    return 'ok';
  } catch (e) {
    return e instanceof StreamableHTTPError ? (e.code ?? 'no code') : String(e);
  }
}

const text = (r: unknown): string => {
  const content = (r as { content: { text: string }[] }).content;
  return content[0]?.text ?? '';
};

describe('mcpAuth with the MCP SDK client', () => {
  it('with a valid key the client lists and calls tools; handlers see the key, not the token', async () => {
    const { token, key } = await km.apiKeys.create({ name: 'agent', scopes: ['mcp', 'invoices:read'] });
    const client = await connect(token);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name).sort()).toStrictEqual(['delete_invoice', 'list_invoices']);
    const r = await client.callTool({ name: 'list_invoices', arguments: {} });
    const body = JSON.parse(text(r)) as { caller: string; invoices: unknown[] };
    expect(body.caller).toBe(key.id);
    expect(body.invoices).toHaveLength(2);
    expect(text(r)).not.toContain(token);
  });

  it('without a key the client gets 401 with WWW-Authenticate', async () => {
    expect(await statusOf(connect())).toBe(401);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('with a revoked key the client gets 401', async () => {
    const { token, key } = await km.apiKeys.create({ name: 'agent', scopes: ['mcp'] });
    await km.apiKeys.revoke(key.id);
    expect(await statusOf(connect(token))).toBe(401);
  });

  it('refuses a tool call whose scope the key lacks (403 insufficient_scope), allows it with the scope', async () => {
    const reader = await km.apiKeys.create({ name: 'reader', scopes: ['mcp', 'invoices:read'] });
    const client = await connect(reader.token);
    expect(await statusOf(client.callTool({ name: 'delete_invoice', arguments: { id: 'inv_2' } }))).toBe(403);
    const writer = await km.apiKeys.create({ name: 'writer', scopes: ['mcp', 'invoices:*'] });
    const w = await connect(writer.token);
    const r = await w.callTool({ name: 'delete_invoice', arguments: { id: 'inv_2' } });
    expect(text(r)).toBe('deleted inv_2');
  });

  it('refuses a key without the server scope at connect (403)', async () => {
    const { token } = await km.apiKeys.create({ name: 'other', scopes: ['invoices:read'] });
    expect(await statusOf(connect(token))).toBe(403);
  });

  it('a tool handler can check scopes itself with hasScopes', async () => {
    const { token } = await km.apiKeys.create({ name: 'bare', scopes: ['mcp'] });
    const client = await connect(token);
    const r = await client.callTool({ name: 'list_invoices', arguments: {} });
    expect(r.isError).toBe(true);
    expect(text(r)).toBe('invoices:read is required');
  });
});

describe('mcpAuth details', () => {
  it('fails closed when toolScopes are set but the body was not parsed', async () => {
    const { token } = await km.apiKeys.create({ name: 'agent', scopes: ['*'] });
    const auth = mcpAuth(km, { toolScopes: { x: ['y'] } });
    const s = await listen(createServer(async (req, res) => void ((await auth(req, res)) && res.end('ok'))));
    try {
      const res = await fetch(s.base, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: '{}',
      });
      expect(res.status).toBe(500);
      const get = await fetch(s.base, { headers: { authorization: `Bearer ${token}` } });
      expect(await get.text()).toBe('ok'); // GET (the SSE stream) carries no tool call
    } finally {
      await s.close();
    }
  });

  it('maps a verify result to AuthInfo without the token, and hasScopes honours wildcards', async () => {
    const { token } = await km.apiKeys.create({ name: 'agent', scopes: ['files:*'], expiresIn: '1h' });
    const r = await km.apiKeys.verify(token);
    if (!r.valid) throw new Error('expected a valid key');
    const info = toMcpAuthInfo(r);
    expect(info.token).toBe(r.key.start);
    expect(info.clientId).toBe(r.key.id);
    expect(info.expiresAt).toBe(Math.floor((r.key.expiresAt as number) / 1000));
    expect(JSON.stringify(info)).not.toContain(token);
    expect(hasScopes(info, ['files:read'])).toBe(true);
    expect(hasScopes(info, ['mail:read'])).toBe(false);
    expect(hasScopes(undefined, [])).toBe(false);
    expect(() => mcpAuth(km, { toolScopes: { x: 'y' } as never })).toThrow(/toolScopes/);
  });
});

describe('mcpAuth required: false (development)', () => {
  const serve = async (options: Parameters<typeof mcpAuth>[1]) => {
    const auth = mcpAuth(km, options);
    return listen(
      createServer(async (req, res) => {
        if (!(await auth(req, res))) return;
        res.end(JSON.stringify({ caller: (req as { auth?: { clientId: string } }).auth?.clientId ?? null }));
      }),
    );
  };

  it('lets a request without a key through (req.auth unset), still verifies a key that is sent, and warns loudly', async () => {
    const warnings: string[] = [];
    const open = await serve({ required: false, warn: (m) => warnings.push(m) });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/NOT checking API keys/);
      const anonymous = await fetch(`${open.base}/mcp`, { method: 'POST' });
      expect(anonymous.status).toBe(200);
      expect(await anonymous.json()).toStrictEqual({ caller: null });
      const { token, key } = await km.apiKeys.create({ name: 'dev' });
      const known = await fetch(`${open.base}/mcp`, { headers: { authorization: `Bearer ${token}` } });
      expect(await known.json()).toStrictEqual({ caller: key.id });
      const wrong = await fetch(`${open.base}/mcp`, { headers: { authorization: 'Bearer kw_nope' } });
      expect(wrong.status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('KEYWARDEN_AUTH_REQUIRED=false turns it off; true, unset and the option keep it on', () => {
    expect(authRequired(undefined, { KEYWARDEN_AUTH_REQUIRED: 'false' })).toBe(false);
    expect(authRequired(undefined, { KEYWARDEN_AUTH_REQUIRED: '0' })).toBe(false);
    expect(authRequired(undefined, { KEYWARDEN_AUTH_REQUIRED: 'true' })).toBe(true);
    expect(authRequired(undefined, {})).toBe(true);
    expect(authRequired(true, { KEYWARDEN_AUTH_REQUIRED: 'false' })).toBe(true); // the option wins
    expect(() => authRequired(undefined, { KEYWARDEN_AUTH_REQUIRED: 'nah' })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'KEYWARDEN_AUTH_REQUIRED' }),
    );
    expect(() => authRequired('no', {})).toThrow(expect.objectContaining({ field: 'options.required' }));
  });

  it('is refused at build time when NODE_ENV=production, by option or variable', async () => {
    expect(() => authRequired(false, { NODE_ENV: 'production' })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'options.required' }),
    );
    expect(() =>
      authRequired(undefined, { NODE_ENV: 'production', KEYWARDEN_AUTH_REQUIRED: 'false' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION', field: 'KEYWARDEN_AUTH_REQUIRED' }));
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => mcpAuth(km, { required: false, warn: () => {} })).toThrow(/NODE_ENV=production/);
    } finally {
      process.env.NODE_ENV = before;
    }
  });
});
