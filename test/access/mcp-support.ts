/**
 * Shared pieces of the MCP server tests: a loopback upstream that records the credential it
 * receives, a gateway call with a proxy token, and helpers to read tool results.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The real secret: reaches the upstream, never an MCP response. */
export const MCP_SECRET = 'sk_live_mcpUpstreamSecret/with+slash=0123456789abcdef';

/** A loopback upstream recording each Authorization header it receives. */
export interface RecordingUpstream {
  origin: string;
  authorizations: (string | undefined)[];
  close(): Promise<void>;
}

export async function recordingUpstream(): Promise<RecordingUpstream> {
  const authorizations: (string | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A tool call's parsed JSON (from its text content) and whether it is an error. */
export interface Called {
  isError: boolean;
  body: Record<string, unknown>;
  raw: string;
}

/** Calls an MCP tool and parses its one text content as JSON. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Called> {
  const r = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: { type: string; text?: string }[];
  };
  const text = r.content[0]?.text ?? '';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text }; // the SDK's own input validation answers in plain text
  }
  return { isError: r.isError === true, body, raw: JSON.stringify(r) };
}

/** GET through the gateway with a proxy token as a Bearer token. */
export async function throughGateway(url: string, token: string): Promise<number> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}
