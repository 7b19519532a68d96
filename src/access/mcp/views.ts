/**
 * What an agent sees through the MCP server: projections of tools, requests and sessions that
 * leave out operator detail (the secret's name and environment, the upstream origin, approver
 * names) and never hold a secret. Timestamps are ISO 8601 strings, durations seconds.
 * @module
 */
import type { JsonObject } from '../../ports/json.js';
import type { AccessRequestInfo, OpenedSession, SessionInfo, ToolInfo, UpstreamAuth } from '../types.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const seconds = (ms: number): number => Math.round(ms / 1000);

/**
 * How a tool's proxy token is presented to the gateway: the slot the tool's auth type uses.
 *
 * @example
 * ```ts
 * tokenPlacement({ type: 'header', name: 'x-api-key' }); // 'x-api-key: <token>'
 * ```
 * @throws never.
 */
export function tokenPlacement(auth: UpstreamAuth): string {
  if (auth.type === 'bearer') return 'authorization: Bearer <token>';
  if (auth.type === 'basic') return 'authorization: Basic base64(<token>:)';
  return `${auth.name}: <token>`;
}

/**
 * A tool as an agent sees it: no secret name, environment or origin.
 *
 * @example
 * ```ts
 * const t = agentTool(await access.tools.get('stripe'));
 * ```
 * @throws never.
 */
export function agentTool(t: ToolInfo): JsonObject {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    methods: [...t.methods],
    paths: [...t.paths],
    risk: t.risk,
    approval: t.approval,
    maxDurationSeconds: seconds(t.maxDuration),
    maxCalls: t.maxCalls,
    token: tokenPlacement(t.upstream.auth),
  };
}

/**
 * A request as its agent sees it: status, grant and the denial reason, not who approved.
 *
 * @example
 * ```ts
 * const r = agentRequest(await access.requests.get(id));
 * ```
 * @throws never.
 */
export function agentRequest(r: AccessRequestInfo): JsonObject {
  return {
    id: r.id,
    toolId: r.toolId,
    status: r.status,
    justification: r.justification,
    context: r.context,
    requested: { durationSeconds: seconds(r.requested.duration), maxCalls: r.requested.maxCalls },
    grant: {
      durationSeconds: seconds(r.grant.duration),
      maxCalls: r.grant.maxCalls,
      methods: [...r.grant.methods],
      paths: [...r.grant.paths],
    },
    approvalsRequired: r.approvalsRequired,
    approvalsGiven: r.approvals.length,
    denialReason: r.status === 'denied' ? (r.decision?.reason ?? null) : null,
    expiresAt: isoOrNull(r.expiresAt),
    sessionId: r.sessionId,
    createdAt: iso(r.createdAt),
  };
}

/**
 * A session as its agent sees it (no token).
 *
 * @example
 * ```ts
 * const s = agentSession(await access.sessions.get(id));
 * ```
 * @throws never.
 */
export function agentSession(s: SessionInfo): JsonObject {
  return {
    sessionId: s.id,
    requestId: s.requestId,
    toolId: s.toolId,
    status: s.status,
    methods: [...s.methods],
    paths: [...s.paths],
    expiresAt: iso(s.expiresAt),
    maxCalls: s.maxCalls,
    callsUsed: s.callsUsed,
    remaining: s.remaining,
    endedAt: isoOrNull(s.endedAt),
  };
}

/**
 * The answer of `open_session`: the proxy token (the one credential an agent may hold), where to
 * send it, and the session's limits.
 *
 * @example
 * ```ts
 * declare const tool: ToolInfo;
 * const answer = openedSession(await access.sessions.open(id), tool, 'http://127.0.0.1:8787');
 * ```
 * @throws never.
 */
export function openedSession(s: OpenedSession, tool: ToolInfo, gatewayUrl: string | null): JsonObject {
  return {
    sessionId: s.id,
    token: s.token,
    expiresAt: iso(s.expiresAt),
    toolId: s.toolId,
    gatewayUrl: gatewayUrl === null ? null : `${gatewayUrl}/${encodeURIComponent(s.toolId)}`,
    tokenPlacement: tokenPlacement(tool.upstream.auth),
    methods: [...s.methods],
    paths: [...s.paths],
    maxCalls: s.maxCalls,
  };
}
