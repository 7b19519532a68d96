/**
 * The five agent operations behind the MCP tools, bound to one agent identity fixed at
 * construction. An agent sees only its own requests and sessions: another agent's id answers
 * exactly like a missing one (`ERR_NOT_FOUND`), so it learns nothing of their existence.
 * @module
 */
import { isKeywardenError, KeywardenError } from '../../errors.js';
import type { JsonObject } from '../../ports/json.js';
import type { AccessRequestInfo, AgentAccess, SessionInfo } from '../types.js';
import { agentRequest, agentSession, agentTool, openedSession } from './views.js';

/** Who the handlers act as, and where the gateway is. */
export interface AgentIdentity {
  agentId: string;
  onBehalfOf: string | null;
  /** Gateway base URL without a trailing slash, or null. */
  gatewayUrl: string | null;
}

/** Arguments of `request_access` (already shaped by the tool's input schema). */
export interface RequestAccessArgs {
  toolId: string;
  justification: string;
  context?: Record<string, unknown> | undefined;
  duration?: string | number | undefined;
  maxCalls?: number | undefined;
}

/** The operations, each returning what the agent may see. */
export interface AgentHandlers {
  listTools(): Promise<JsonObject>;
  requestAccess(args: RequestAccessArgs): Promise<JsonObject>;
  getRequest(requestId: string): Promise<JsonObject>;
  openSession(requestId: string): Promise<JsonObject>;
  endSession(sessionId: string): Promise<JsonObject>;
}

const MAX_TOOLS = 1000;

const notFound = (what: 'request' | 'session', field: string): KeywardenError =>
  new KeywardenError('ERR_NOT_FOUND', `${what} not found`, { field });

/**
 * Binds the agent operations to `access` and one identity.
 *
 * @example
 * ```ts
 * const h = agentHandlers(access, { agentId: 'agent-7', onBehalfOf: null, gatewayUrl: null });
 * const { id } = await h.requestAccess({ toolId: 'stripe', justification: 'refund order 123' });
 * ```
 * @throws never itself; each operation throws a KeywardenError (`ERR_NOT_FOUND`,
 * `ERR_INVALID_STATE`, `ERR_VALIDATION`...).
 */
export function agentHandlers(access: AgentAccess, who: AgentIdentity): AgentHandlers {
  const mine = (r: { agentId: string; onBehalfOf: string | null }): boolean =>
    r.agentId === who.agentId && r.onBehalfOf === who.onBehalfOf;

  async function ownRequest(requestId: string): Promise<AccessRequestInfo> {
    let r: AccessRequestInfo;
    try {
      r = await access.requests.get(requestId);
    } catch (e) {
      if (isKeywardenError(e, 'ERR_NOT_FOUND') || isKeywardenError(e, 'ERR_VALIDATION')) {
        throw notFound('request', 'requestId');
      }
      throw e;
    }
    if (!mine(r)) throw notFound('request', 'requestId');
    return r;
  }

  async function ownSession(sessionId: string): Promise<SessionInfo> {
    let s: SessionInfo;
    try {
      s = await access.sessions.get(sessionId);
    } catch (e) {
      if (isKeywardenError(e, 'ERR_NOT_FOUND') || isKeywardenError(e, 'ERR_VALIDATION')) {
        throw notFound('session', 'sessionId');
      }
      throw e;
    }
    if (!mine(s)) throw notFound('session', 'sessionId');
    return s;
  }

  return Object.freeze({
    async listTools() {
      const tools: JsonObject[] = [];
      let cursor: string | undefined;
      do {
        const page = await access.tools.list({ limit: 100, ...(cursor !== undefined && { cursor }) });
        for (const t of page.items) tools.push(agentTool(t));
        cursor = page.cursor;
      } while (cursor !== undefined && tools.length < MAX_TOOLS);
      return { tools };
    },
    async requestAccess(args: RequestAccessArgs) {
      const r = await access.requests.create({
        toolId: args.toolId,
        agentId: who.agentId,
        ...(who.onBehalfOf !== null && { onBehalfOf: who.onBehalfOf }),
        justification: args.justification,
        ...(args.context !== undefined && { context: args.context as JsonObject }),
        ...(args.duration !== undefined && { duration: args.duration }),
        ...(args.maxCalls !== undefined && { maxCalls: args.maxCalls }),
      });
      return agentRequest(r);
    },
    async getRequest(requestId: string) {
      return agentRequest(await ownRequest(requestId));
    },
    async openSession(requestId: string) {
      const r = await ownRequest(requestId);
      const tool = await access.tools.get(r.toolId);
      const session = await access.sessions.open(r.id);
      return openedSession(session, tool, who.gatewayUrl);
    },
    async endSession(sessionId: string) {
      const s = await ownSession(sessionId);
      const ended =
        s.status === 'active'
          ? await access.sessions.revoke(s.id, { reason: 'ended by the agent', actor: who.agentId })
          : s;
      return agentSession(ended);
    },
  });
}
