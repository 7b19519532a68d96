/**
 * An agent asks for access to a tool through the keywarden MCP server, an operator approves, and
 * the agent calls the tool's API through the gateway with a proxy token: it never sees the secret.
 *
 *   npx tsx examples/agent-mcp.ts
 *
 * Everything runs in one process: a loopback "upstream API" that checks the real secret, the
 * gateway, and the SDK's client connected to `accessMcpServer` over an in-memory transport (a
 * real deployment runs `keywarden mcp` on stdio or serves it over streamable HTTP).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createGateway } from '../src/access/gateway/index.js';
import { agentAccess } from '../src/access/index.js';
import { accessMcpServer } from '../src/access/mcp/index.js';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

const SECRET = 'sk_example_upstream_secret_0123456789';

/** Calls an MCP tool and returns its JSON answer (throws on a tool error). */
async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const r = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: { text: string }[];
  };
  const body = JSON.parse(r.content[0]?.text ?? '{}') as Record<string, unknown>;
  if (r.isError === true) throw new Error(`${name}: ${String(body.error)}`);
  return body;
}

async function main(): Promise<void> {
  const upstream = createServer((req, res) => {
    res.statusCode = req.headers.authorization === `Bearer ${SECRET}` ? 200 : 401;
    res.end(JSON.stringify({ ok: res.statusCode === 200 }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  await km.secrets.set('EXAMPLE_KEY', SECRET);
  const access = agentAccess(km);
  await access.tools.register({
    id: 'example',
    secret: 'EXAMPLE_KEY',
    upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    paths: ['/v1/**'],
    maxDuration: '10m',
  });
  const gateway = createGateway(access);
  const { url } = await gateway.listen({ host: '127.0.0.1', port: 0 });

  // the agent's MCP connection; its identity is set here, by the operator, not by the model
  const server = accessMcpServer(access, { agentId: 'agent-7', gatewayUrl: url });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'example-agent', version: '1.0.0' });
  await client.connect(clientSide);

  console.log('tools:', JSON.stringify((await call(client, 'list_tools')).tools));
  const req = await call(client, 'request_access', {
    toolId: 'example',
    justification: 'sync orders',
    duration: '5m',
  });
  console.log('request:', req.id, req.status);
  await access.requests.approve(String(req.id), { approver: 'alice' }); // the operator
  const session = await call(client, 'open_session', { requestId: req.id });
  console.log('session:', session.sessionId, 'gateway:', session.gatewayUrl);

  const res = await fetch(`${String(session.gatewayUrl)}/v1/orders`, {
    headers: { authorization: `Bearer ${String(session.token)}` },
  });
  console.log('call through the gateway:', res.status, await res.text());
  await call(client, 'end_session', { sessionId: session.sessionId });
  const after = await fetch(`${String(session.gatewayUrl)}/v1/orders`, {
    headers: { authorization: `Bearer ${String(session.token)}` },
  });
  console.log('after end_session:', after.status);

  await client.close();
  await gateway.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
