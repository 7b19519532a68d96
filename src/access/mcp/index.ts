/**
 * `keywarden/access/mcp`: the MCP server agents use to reach `keywarden/access`. Its tools are
 * `list_tools`, `request_access`, `get_request`, `open_session` and `end_session`. The agent's
 * identity is fixed when the server is built (from configuration, never from the model or from
 * tool arguments); the agent sees only its own requests and sessions, and the one credential it
 * ever receives is a short-lived proxy token: no tool returns a secret. Needs the optional peer
 * dependency `@modelcontextprotocol/sdk`. See docs/mcp.md.
 *
 * @example
 * ```ts
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 * import { agentAccess } from 'keywarden/access';
 * import { accessMcpServer } from 'keywarden/access/mcp';
 * const server = accessMcpServer(agentAccess(km), { agentId: 'agent-7', gatewayUrl: 'http://127.0.0.1:8787' });
 * await server.connect(new StdioServerTransport());
 * ```
 * @module
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod/mini';
import { validationError } from '../../errors.js';
import type { AgentAccess } from '../types.js';
import { agentHandlers } from './handlers.js';
import { run } from './result.js';

export type { AgentToolResult } from './result.js';

/** Options of {@link accessMcpServer}. */
export interface AccessMcpServerOptions {
  /** The agent every request is made as (1-200 characters). Never taken from tool arguments. */
  agentId: string;
  /** The user the agent acts for; requests carry it, and only requests with it are the agent's. */
  onBehalfOf?: string;
  /** Base URL of the gateway (`createGateway`); `open_session` answers `${gatewayUrl}/${toolId}`. */
  gatewayUrl?: string;
  /** Server name announced to clients; default `'keywarden'`. */
  name?: string;
  /** Server version announced to clients; default `'0.2.0'`. */
  version?: string;
}

const ID = z.string().check(z.minLength(1), z.maxLength(200));
const optionsSchema = z.strictObject({
  agentId: ID,
  onBehalfOf: z.optional(ID),
  gatewayUrl: z.optional(
    z.string().check(
      z.maxLength(2000),
      z.refine((u) => {
        try {
          const url = new URL(u);
          return (
            (url.protocol === 'http:' || url.protocol === 'https:') &&
            url.username === '' &&
            url.password === ''
          );
        } catch {
          return false;
        }
      }, 'must be an http(s) URL without credentials'),
    ),
  ),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  version: z.optional(z.string().check(z.minLength(1), z.maxLength(50))),
});

const RECORD_ID = z.string().check(z.minLength(1), z.maxLength(200));

/**
 * Builds an MCP server (the SDK's `McpServer`) exposing agent access to one agent. Connect it to
 * any transport: stdio (`keywarden mcp` does) or streamable HTTP.
 *
 * @param access - from `agentAccess(km)`
 * @param options - the agent's identity and where the gateway is
 * @example
 * ```ts
 * import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
 * const server = accessMcpServer(access, { agentId: 'agent-7', onBehalfOf: 'user_1' });
 * await server.connect(new StdioServerTransport());
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad option (`options.agentId`,
 * `options.gatewayUrl`...).
 */
export function accessMcpServer(access: AgentAccess, options: AccessMcpServerOptions): McpServer {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    throw validationError(path === '' ? 'options' : `options.${path}`, issue?.message ?? 'invalid');
  }
  const o = parsed.data;
  const h = agentHandlers(access, {
    agentId: o.agentId,
    onBehalfOf: o.onBehalfOf ?? null,
    gatewayUrl: o.gatewayUrl === undefined ? null : o.gatewayUrl.replace(/\/+$/, ''),
  });
  const server = new McpServer({ name: o.name ?? 'keywarden', version: o.version ?? '0.2.0' });

  server.registerTool(
    'list_tools',
    {
      title: 'List tools',
      description:
        'Lists the tools (external APIs) you can request access to: id, methods, paths, risk, whether a human must approve, the longest session and most calls allowed.',
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    () => run(() => h.listTools()),
  );

  server.registerTool(
    'request_access',
    {
      title: 'Request access to a tool',
      description:
        'Asks for a session on a tool. A human approves it unless the tool is auto-approved; poll get_request, then call open_session once the status is "approved". Never put secrets in context.',
      inputSchema: {
        toolId: z.string().check(z.minLength(1), z.maxLength(64), z.describe('the tool id from list_tools')),
        justification: z
          .string()
          .check(z.minLength(1), z.maxLength(1000), z.describe('why you need it, shown to the approver')),
        context: z
          .optional(z.record(z.string(), z.unknown()))
          .check(z.describe('facts for the approver, e.g. { "orderId": "123" }')),
        duration: z
          .optional(z.union([z.string().check(z.maxLength(20)), z.number().check(z.int(), z.positive())]))
          .check(
            z.describe('session length asked for: "10m", "1h" or milliseconds; at most the tool\'s maximum'),
          ),
        maxCalls: z
          .optional(z.number().check(z.int(), z.positive()))
          .check(z.describe("calls asked for; at most the tool's maximum")),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    (args) => run(() => h.requestAccess(args)),
  );

  server.registerTool(
    'get_request',
    {
      title: 'Get an access request',
      description:
        'Shows one of your access requests: its status (pending, approved, active, ended, denied, expired, cancelled) and grant.',
      inputSchema: { requestId: RECORD_ID.check(z.describe('the id request_access returned')) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ requestId }) => run(() => h.getRequest(requestId)),
  );

  server.registerTool(
    'open_session',
    {
      title: 'Open a session',
      description:
        'Opens the session of an approved request. Returns a short-lived proxy token and the gateway URL of the tool: call gatewayUrl + "/<path>" with the token where tokenPlacement says. The token is shown once.',
      inputSchema: { requestId: RECORD_ID.check(z.describe('an approved request of yours')) },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ requestId }) => run(() => h.openSession(requestId)),
  );

  server.registerTool(
    'end_session',
    {
      title: 'End a session',
      description: 'Ends one of your sessions now; its proxy token stops working.',
      inputSchema: { sessionId: RECORD_ID.check(z.describe('the sessionId open_session returned')) },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ sessionId }) => run(() => h.endSession(sessionId)),
  );

  return server;
}
