/**
 * The agent MCP server over streamable HTTP with the SDK's real client: a real key manager, a
 * real gateway and a loopback upstream. Every raw response body the MCP endpoint sent is kept and
 * checked for the secret at the end.
 */
import { Buffer } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import { accessMcpServer } from '../../src/access/mcp/index.js';
import type { AgentAccess } from '../../src/access/types.js';
import { isKeywardenError } from '../../src/errors.js';
import type { FakeClock } from '../../src/testing/fake-clock.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { findLeak } from './gateway-harness.js';
import {
  callTool,
  MCP_SECRET,
  type RecordingUpstream,
  recordingUpstream,
  throughGateway,
} from './mcp-support.js';

let access: AgentAccess;
let clock: FakeClock;
let upstream: RecordingUpstream;
let gateway: ReturnType<typeof createGateway>;
let gatewayUrl: string;
let mcpHttp: Server;
let mcpBase: string;
const rawResponses: string[] = [];
const clients: Client[] = [];

/**
 * One MCP endpoint per agent (`/mcp/<agentId>[/<onBehalfOf>]`): in a real deployment the identity
 * comes from the caller's authentication.
 */
function serveMcp(): Server {
  return createServer(async (req, res) => {
    const [, , agentId = '', onBehalfOf] = (req.url ?? '').split('/');
    const chunks: string[] = [];
    const text = (c: unknown): string =>
      c instanceof Uint8Array ? Buffer.from(c).toString('utf8') : typeof c === 'string' ? c : '';
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => typeof res;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(text(chunk));
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      chunks.push(text(chunk));
      rawResponses.push(chunks.join(''));
      return end(chunk, ...rest);
    }) as typeof res.end;
    const server = accessMcpServer(access, {
      agentId,
      gatewayUrl: `${gatewayUrl}/`,
      ...(onBehalfOf !== undefined && { onBehalfOf }),
    });
    const transport = new StreamableHTTPServerTransport({}); // stateless;
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
}

async function agent(agentId: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${mcpBase}/mcp/${agentId}`)));
  clients.push(client);
  return client;
}

beforeAll(async () => {
  const made = createTestKeyManager();
  clock = made.clock;
  await made.km.secrets.set('UPSTREAM_KEY', MCP_SECRET);
  access = agentAccess(made.km, { pendingTtl: '1h' });
  upstream = await recordingUpstream();
  await access.tools.register({
    id: 'local',
    name: 'Local API',
    description: 'a loopback test API',
    secret: 'UPSTREAM_KEY',
    upstream: { origin: upstream.origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET'],
    paths: ['/v1/**'],
    risk: 'medium',
    maxDuration: '10m',
    maxCalls: 5,
  });
  gateway = createGateway(access);
  gatewayUrl = (await gateway.listen({ host: '127.0.0.1', port: 0 })).url.replace(/\/$/, '');
  mcpHttp = serveMcp();
  await new Promise<void>((resolve) => mcpHttp.listen(0, '127.0.0.1', resolve));
  mcpBase = `http://127.0.0.1:${(mcpHttp.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await new Promise<void>((resolve) => mcpHttp.close(() => resolve()));
  await gateway.close();
  await upstream.close();
});

describe('accessMcpServer over streamable HTTP', () => {
  it('offers the five tools', async () => {
    const client = await agent('agent-7');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'end_session',
      'get_request',
      'list_tools',
      'open_session',
      'request_access',
    ]);
  });

  it('list_tools shows what an agent needs, not the secret name, environment or origin', async () => {
    const client = await agent('agent-7');
    const r = await callTool(client, 'list_tools');
    expect(r.isError).toBe(false);
    expect(r.body.tools).toEqual([
      {
        id: 'local',
        name: 'Local API',
        description: 'a loopback test API',
        methods: ['GET'],
        paths: ['/v1/**'],
        risk: 'medium',
        approval: 'required',
        maxDurationSeconds: 600,
        maxCalls: 5,
        token: 'authorization: Bearer <token>',
      },
    ]);
    expect(r.raw).not.toContain('UPSTREAM_KEY');
    expect(r.raw).not.toContain(upstream.origin);
  });

  it('request, approval, session: the token works through the gateway until end_session', async () => {
    const client = await agent('agent-7');
    const created = await callTool(client, 'request_access', {
      toolId: 'local',
      justification: 'refund order 123',
      context: { orderId: '123' },
      duration: '5m',
    });
    expect(created.isError).toBe(false);
    expect(created.body).toMatchObject({ toolId: 'local', status: 'pending', context: { orderId: '123' } });
    const id = created.body.id as string;
    expect((await access.requests.get(id)).agentId).toBe('agent-7');

    const early = await callTool(client, 'open_session', { requestId: id });
    expect(early.isError).toBe(true);
    expect(early.body).toMatchObject({ error: 'ERR_INVALID_STATE', field: 'requestId' });

    await access.requests.approve(id, { approver: 'alice' });
    expect((await callTool(client, 'get_request', { requestId: id })).body).toMatchObject({
      status: 'approved',
      approvalsGiven: 1,
    });

    const opened = await callTool(client, 'open_session', { requestId: id });
    expect(opened.isError).toBe(false);
    const token = opened.body.token as string;
    expect(token).toMatch(/^kwp_/);
    expect(opened.body).toMatchObject({
      toolId: 'local',
      gatewayUrl: `${gatewayUrl}/local`,
      tokenPlacement: 'authorization: Bearer <token>',
      maxCalls: 5,
    });
    const sessionId = opened.body.sessionId as string;

    expect(await throughGateway(`${opened.body.gatewayUrl as string}/v1/charges`, token)).toBe(200);
    expect(upstream.authorizations.at(-1)).toBe(`Bearer ${MCP_SECRET}`);

    const again = await callTool(client, 'open_session', { requestId: id });
    expect(again.body).toMatchObject({ error: 'ERR_INVALID_STATE' });

    const ended = await callTool(client, 'end_session', { sessionId });
    expect(ended.isError).toBe(false);
    expect(ended.body).toMatchObject({ sessionId, status: 'revoked', callsUsed: 1 });
    const seen = upstream.authorizations.length;
    expect(await throughGateway(`${gatewayUrl}/local/v1/charges`, token)).toBe(401);
    expect(upstream.authorizations.length).toBe(seen);
    expect((await access.sessions.get(sessionId)).status).toBe('revoked');
  });

  it('the identity is fixed: an agentId argument does not change who asks', async () => {
    const client = await agent('agent-7');
    const r = await callTool(client, 'request_access', {
      toolId: 'local',
      justification: 'spoof',
      agentId: 'agent-9',
    });
    if (!r.isError) expect((await access.requests.get(r.body.id as string)).agentId).toBe('agent-7');
    const mine = await access.requests.list({ agentId: 'agent-9' });
    expect(mine.items).toEqual([]);
  });

  it("another agent's request or session answers exactly like a missing one", async () => {
    const owner = await agent('agent-7');
    const other = await agent('agent-9');
    const created = await callTool(owner, 'request_access', { toolId: 'local', justification: 'mine' });
    const id = created.body.id as string;
    await access.requests.approve(id, { approver: 'alice' });

    const foreign = await callTool(other, 'get_request', { requestId: id });
    const missing = await callTool(other, 'get_request', { requestId: 'req_does_not_exist' });
    expect(foreign.isError).toBe(true);
    expect(foreign.body).toEqual({
      error: 'ERR_NOT_FOUND',
      field: 'requestId',
      message: 'request not found',
    });
    expect(foreign.body).toEqual(missing.body);
    expect(foreign.raw).not.toContain('mine');

    const stolen = await callTool(other, 'open_session', { requestId: id });
    expect(stolen.body).toEqual(missing.body);
    expect((await access.requests.get(id)).status).toBe('approved');

    const opened = await callTool(owner, 'open_session', { requestId: id });
    const sessionId = opened.body.sessionId as string;
    const end = await callTool(other, 'end_session', { sessionId });
    expect(end.body).toEqual({ error: 'ERR_NOT_FOUND', field: 'sessionId', message: 'session not found' });
    expect((await access.sessions.get(sessionId)).status).toBe('active');
    expect((await callTool(owner, 'end_session', { sessionId })).body).toMatchObject({ status: 'revoked' });
  });

  it('onBehalfOf is carried on requests, and the pair decides whose request it is', async () => {
    const forUser = await agent('agent-7/user_1');
    const plain = await agent('agent-7');
    const id = (await callTool(forUser, 'request_access', { toolId: 'local', justification: 'for user_1' }))
      .body.id as string;
    expect(await access.requests.get(id)).toMatchObject({ agentId: 'agent-7', onBehalfOf: 'user_1' });
    await expect(access.requests.approve(id, { approver: 'user_1' })).rejects.toMatchObject({
      code: 'ERR_FORBIDDEN',
    });
    expect((await callTool(plain, 'get_request', { requestId: id })).body).toMatchObject({
      error: 'ERR_NOT_FOUND',
    });
    expect((await callTool(forUser, 'get_request', { requestId: id })).body).toMatchObject({
      status: 'pending',
    });
  });

  it('a denied request cannot open a session; the agent sees the reason', async () => {
    const client = await agent('agent-7');
    const id = (await callTool(client, 'request_access', { toolId: 'local', justification: 'x' })).body
      .id as string;
    await access.requests.deny(id, { approver: 'alice', reason: 'not for this order' });
    expect((await callTool(client, 'get_request', { requestId: id })).body).toMatchObject({
      status: 'denied',
      denialReason: 'not for this order',
    });
    const r = await callTool(client, 'open_session', { requestId: id });
    expect(r.isError).toBe(true);
    expect(r.body).toMatchObject({ error: 'ERR_INVALID_STATE', field: 'requestId' });
    expect(r.raw).not.toContain('    at ');
  });

  it('bad input: unknown tool, a duration over the maximum, an empty id', async () => {
    const client = await agent('agent-7');
    const unknown = await callTool(client, 'request_access', { toolId: 'nope', justification: 'x' });
    expect(unknown.body).toMatchObject({ error: 'ERR_NOT_FOUND', field: 'toolId' });
    const long = await callTool(client, 'request_access', {
      toolId: 'local',
      justification: 'x',
      duration: '2h',
    });
    expect(long.isError).toBe(true);
    expect(long.body).toMatchObject({ error: 'ERR_VALIDATION' });
    const empty = await callTool(client, 'get_request', { requestId: '' });
    expect(empty.isError).toBe(true);
  });

  it('options are validated when the server is built', () => {
    const bad = (o: Record<string, unknown>): string | undefined => {
      try {
        accessMcpServer(access, o as never);
      } catch (e) {
        if (isKeywardenError(e, 'ERR_VALIDATION')) return e.field;
        throw e;
      }
      return undefined;
    };
    expect(bad({ agentId: '' })).toBe('options.agentId');
    expect(bad({})).toBe('options.agentId');
    expect(bad({ agentId: 'a', gatewayUrl: 'ftp://x' })).toBe('options.gatewayUrl');
    expect(bad({ agentId: 'a', gatewayUrl: 'http://u:p@127.0.0.1' })).toBe('options.gatewayUrl');
    expect(bad({ agentId: 'a', extra: true })).toBe('options');
    expect(bad({ agentId: 'a', gatewayUrl: 'http://127.0.0.1:8787' })).toBeUndefined();
  });

  it('an expired request cannot open a session', async () => {
    const client = await agent('agent-7');
    const pending = (await callTool(client, 'request_access', { toolId: 'local', justification: 'late' }))
      .body.id as string;
    const approved = (await callTool(client, 'request_access', { toolId: 'local', justification: 'slow' }))
      .body.id as string;
    await access.requests.approve(approved, { approver: 'alice' });
    clock.advance('2h');
    expect((await callTool(client, 'get_request', { requestId: pending })).body).toMatchObject({
      status: 'expired',
    });
    for (const requestId of [pending, approved]) {
      const r = await callTool(client, 'open_session', { requestId });
      expect(r.isError).toBe(true);
      expect(r.body).toMatchObject({ error: 'ERR_INVALID_STATE', field: 'requestId' });
      expect(r.body.message).toContain('expired');
    }
  });

  it('no MCP response body ever held the secret', () => {
    expect(rawResponses.length).toBeGreaterThan(20);
    expect(rawResponses.some((r) => r.includes('kwp_'))).toBe(true); // the capture sees tool results
    for (const body of rawResponses) expect(findLeak(body, MCP_SECRET)).toBeNull();
  });
});
