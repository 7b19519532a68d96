/**
 * `keywarden mcp` through the real CLI on stdio, driven by the SDK's real client: the agent's
 * identity from its API key (KEYWARDEN_AGENT_KEY) or KEYWARDEN_AGENT_ID, approvals and denials by
 * an operator through the CLI, and a real gateway (in this process, on the same file store) that
 * takes the proxy token to a loopback upstream. stdout carries only the protocol: any other byte
 * would surface as a client parse error, and the client must see none.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { agentAccess } from '../../src/access/index.js';
import { fileStorage } from '../../src/adapters/file.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { baseEnv, kw, oneLineError, ROOT, TSX, tempDir } from '../cli/harness.js';
import { findLeak } from './gateway-harness.js';
import {
  type Called,
  callTool,
  MCP_SECRET,
  type RecordingUpstream,
  recordingUpstream,
  throughGateway,
} from './mcp-support.js';

const T = 180_000;
const masterKey = generateMasterKey();
const env = { KEYWARDEN_MASTER_KEY: masterKey, KEYWARDEN_OPERATOR: 'carol' };
let dir: string;
let cleanup: () => Promise<void>;
let upstream: RecordingUpstream;
let gateway: ReturnType<typeof createGateway>;
let gatewayUrl: string;
let agentKey: string;
const results: Called[] = [];
const clientErrors: Error[] = [];

const run = async (args: string[], input?: string) => {
  const r = await kw(args, { cwd: dir, env, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(`keywarden ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r;
};

async function mcpClient(agentEnv: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', TSX, join(ROOT, 'src/cli/main.ts'), 'mcp'],
    cwd: dir,
    env: { ...baseEnv(dir), ...env, KEYWARDEN_GATEWAY_URL: gatewayUrl, ...agentEnv },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-agent', version: '1.0.0' });
  client.onerror = (e) => clientErrors.push(e);
  await client.connect(transport);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Called> {
  const r = await callTool(client, name, args);
  results.push(r);
  return r;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('kw-mcp-'));
  upstream = await recordingUpstream();
  await run(['init']);
  await run(['secrets', 'set', 'UPSTREAM_KEY'], MCP_SECRET);
  await run([
    'access',
    'tools',
    'add',
    '--id',
    'local',
    '--secret',
    'UPSTREAM_KEY',
    '--origin',
    upstream.origin,
    '--allow-private-network',
    '--paths',
    '/v1/**',
  ]);
  const created = JSON.parse(
    (await run(['--json', 'api-keys', 'create', '--name', 'agent key', '--owner', 'agent-7'])).stdout,
  ) as {
    token: string;
  };
  agentKey = created.token;
  const km = createKeyManager({
    storage: fileStorage({ dir: join(dir, '.keywarden') }),
    kms: localKms({ masterKey }),
  });
  gateway = createGateway(agentAccess(km));
  gatewayUrl = (await gateway.listen({ host: '127.0.0.1', port: 0 })).url.replace(/\/$/, '');
}, T);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await cleanup?.();
});

describe('keywarden mcp (stdio)', () => {
  it('the agent from its key: request, CLI approval, session through the gateway, end', {
    timeout: T,
  }, async () => {
    const client = await mcpClient({ KEYWARDEN_AGENT_KEY: agentKey });
    try {
      const tools = await call(client, 'list_tools');
      expect((tools.body.tools as { id: string }[]).map((t) => t.id)).toEqual(['local']);
      expect(tools.raw).not.toContain('UPSTREAM_KEY');

      const req = await call(client, 'request_access', { toolId: 'local', justification: 'nightly sync' });
      expect(req.body).toMatchObject({ status: 'pending', toolId: 'local' });
      const id = req.body.id as string;
      const listed = JSON.parse(
        (await run(['--json', 'access', 'requests', '--agent', 'agent-7'])).stdout,
      ) as {
        id: string;
      }[];
      expect(listed.map((r) => r.id)).toEqual([id]);

      await run(['access', 'approve', id]);
      const opened = await call(client, 'open_session', { requestId: id });
      expect(opened.isError).toBe(false);
      const token = opened.body.token as string;
      expect(token).toMatch(/^kwp_/);
      expect(opened.body.gatewayUrl).toBe(`${gatewayUrl}/local`);
      expect(await throughGateway(`${gatewayUrl}/local/v1/items`, token)).toBe(200);
      expect(upstream.authorizations.at(-1)).toBe(`Bearer ${MCP_SECRET}`);

      const ended = await call(client, 'end_session', { sessionId: opened.body.sessionId });
      expect(ended.body).toMatchObject({ status: 'revoked' });
      expect(await throughGateway(`${gatewayUrl}/local/v1/items`, token)).toBe(401);
    } finally {
      await client.close();
    }
  });

  it("a denied request fails to open; another agent sees none of agent-7's requests", {
    timeout: T,
  }, async () => {
    const client = await mcpClient({ KEYWARDEN_AGENT_ID: 'agent-7' });
    const other = await mcpClient({ KEYWARDEN_AGENT_ID: 'agent-9' });
    try {
      const id = (await call(client, 'request_access', { toolId: 'local', justification: 'x' })).body
        .id as string;
      await run(['access', 'deny', id, '--reason', 'no']);
      const r = await call(client, 'open_session', { requestId: id });
      expect(r.isError).toBe(true);
      expect(r.body).toMatchObject({ error: 'ERR_INVALID_STATE', field: 'requestId' });
      const foreign = await call(other, 'get_request', { requestId: id });
      expect(foreign.body).toEqual({
        error: 'ERR_NOT_FOUND',
        field: 'requestId',
        message: 'request not found',
      });
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('refuses to start without an identity or with a bad key, printing nothing on stdout', {
    timeout: T,
  }, async () => {
    const none = await kw(['mcp'], { cwd: dir, env });
    expect(none.code).toBe(EXIT.USAGE);
    expect(none.stdout).toBe('');
    expect(oneLineError(none.stderr)).toContain('KEYWARDEN_AGENT_KEY');
    const badKey = `${agentKey.slice(0, -4)}AAAA`;
    const bad = await kw(['mcp'], { cwd: dir, env: { ...env, KEYWARDEN_AGENT_KEY: badKey } });
    expect(bad.code).toBe(EXIT.FAILED);
    expect(bad.stdout).toBe('');
    expect(oneLineError(bad.stderr)).toContain('ERR_UNAUTHORIZED');
    expect(bad.stderr).not.toContain(badKey);
    const mismatch = await kw(['mcp'], {
      cwd: dir,
      env: { ...env, KEYWARDEN_AGENT_KEY: agentKey, KEYWARDEN_AGENT_ID: 'agent-9' },
    });
    expect(mismatch.code).toBe(EXIT.USAGE);
    expect(mismatch.stdout).toBe('');
  });

  it('the client saw only protocol on stdout and no response held the secret', () => {
    expect(clientErrors).toEqual([]);
    expect(results.length).toBeGreaterThan(5);
    for (const r of results) expect(findLeak(r.raw, MCP_SECRET)).toBeNull();
  });
});
