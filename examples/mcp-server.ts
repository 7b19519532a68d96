/**
 * An MCP server on the streamable HTTP transport of @modelcontextprotocol/sdk, protected with
 * keywarden API keys and scopes.
 *
 *   npx tsx examples/mcp-server.ts
 *
 * Every request needs a key with the `mcp` scope; `delete_invoice` also needs `invoices:write`
 * (checked by `mcpAuth` before the transport sees the request: 403 insufficient_scope).
 * Tool handlers see the verified key as `extra.authInfo` (its `token` field holds the key's
 * public `start`, never the secret). Run directly, it starts on a free port, connects the SDK's
 * client with a key, lists and calls the tools, prints the answers and exits.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import { z } from 'zod';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager, type KeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { hasScopes, mcpAuth } from '../src/middleware/mcp.js';

const invoices = new Map([
  ['inv_1', { id: 'inv_1', amount: 1200 }],
  ['inv_2', { id: 'inv_2', amount: 80 }],
]);

/** One MCP server per request (stateless mode): tools see the caller's key in `extra.authInfo`. */
function buildServer(): McpServer {
  const server = new McpServer({ name: 'invoices', version: '1.0.0' });
  server.registerTool(
    'list_invoices',
    { description: 'List invoices', inputSchema: {} },
    async (_args, extra) => {
      if (!hasScopes(extra.authInfo, ['invoices:read'])) {
        return { isError: true, content: [{ type: 'text', text: 'invoices:read is required' }] };
      }
      const body = { caller: extra.authInfo?.clientId, invoices: [...invoices.values()] };
      return { content: [{ type: 'text', text: JSON.stringify(body) }] };
    },
  );
  server.registerTool(
    'delete_invoice',
    { description: 'Delete an invoice', inputSchema: { id: z.string() } },
    async ({ id }) => ({
      content: [{ type: 'text', text: invoices.delete(id) ? `deleted ${id}` : 'no such invoice' }],
    }),
  );
  return server;
}

/**
 * The Express app serving MCP at `/mcp`, protected by `mcpAuth`.
 *
 * @example
 * ```ts
 * const app = buildMcpApp(km);
 * app.listen(3000);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad middleware options.
 */
export function buildMcpApp(km: KeyManager, options: { clock?: { now(): number } } = {}): express.Express {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const auth = mcpAuth(km, {
    scopes: ['mcp'],
    toolScopes: { delete_invoice: ['invoices:write'] },
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  app.all('/mcp', auth, async (req, res) => {
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({}); // no session id generator: stateless;
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body); // req.auth is typed: no cast
  });
  return app;
}

async function main(): Promise<void> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  const { token } = await km.apiKeys.create({ name: 'agent', scopes: ['mcp', 'invoices:read'] });
  const server: Server = buildMcpApp(km).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);

  const client = new Client({ name: 'demo-client', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  console.log(
    'tools:',
    (await client.listTools()).tools.map((t) => t.name),
  );
  console.log(
    'list_invoices:',
    JSON.stringify((await client.callTool({ name: 'list_invoices', arguments: {} })).content),
  );
  try {
    await client.callTool({ name: 'delete_invoice', arguments: { id: 'inv_1' } });
  } catch (error) {
    console.log('delete_invoice without invoices:write:', (error as Error).message.slice(0, 80));
  }
  await client.close();
  server.close();
  await km.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
