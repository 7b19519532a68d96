/**
 * Public types of `keywarden/access`: tools, access requests, sessions, proxy verification and
 * the {@link AgentAccess} object that `agentAccess(km, options)` returns. Types only.
 * @module
 */

import type { Duration } from '../duration.js';
import type { IterateQuery } from '../internal/iterate.js';
import type { JsonObject } from '../ports/json.js';
import type { Page } from '../ports/storage.js';
import type { UsageOptions, UsageReport } from '../records/usage-report.js';

/** How risky a tool is; informational (shown to approvers, carried in events). */
export type ToolRisk = 'low' | 'medium' | 'high';

/** `required`: a human approves each request; `auto`: requests are approved when created. */
export type ToolApproval = 'required' | 'auto';

/**
 * Where the secret goes on the way out (and where the agent puts its proxy token on the way in):
 * `Authorization: Bearer`, a named header, or `Authorization: Basic` (the secret is `user:password`,
 * or a bare value used as the user name with an empty password, as Stripe does).
 */
export type UpstreamAuth = { type: 'bearer' } | { type: 'header'; name: string } | { type: 'basic' };

/** The one origin a tool's calls go to. */
export interface ToolUpstream {
  /** `https://host[:port]` (http only for loopback or with `allowPrivateNetwork`); no path, query or credentials. */
  origin: string;
  auth: UpstreamAuth;
  /** Allow an origin on a loopback, private or link-local address (the gateway refuses them otherwise). */
  allowPrivateNetwork?: boolean;
}

/** Input of `access.tools.register`. */
export interface RegisterToolInput {
  /** Stable handle, used in gateway routes `/{id}/...`: 1-64 of `[a-z0-9_-]`, starting with a letter or digit. */
  id: string;
  /** Display name; default the id. */
  name?: string;
  description?: string;
  /** Name of the keywarden secret (`km.secrets`) the tool's calls use. */
  secret: string;
  /** Environment of that secret; default `'default'`. */
  environment?: string;
  upstream: ToolUpstream;
  /** Allowed HTTP methods (upper case); default `['GET']`. */
  methods?: string[];
  /** Allowed paths: `/v1/charges`, `/v1/charges/*` (`*` = exactly one segment), `/v1/files/**` (any rest). Default `['/**']`. */
  paths?: string[];
  /** Default `'high'`. */
  risk?: ToolRisk;
  /** Default `'required'`. */
  approval?: ToolApproval;
  /** Distinct approvers needed (1-10); default 1. */
  approvals?: number;
  /** Longest session a request may get; default the access option `maxSessionDuration` (`'1h'`). */
  maxDuration?: Duration;
  /** Most calls one session may make; default `null` (no cap). */
  maxCalls?: number | null;
  /** Who registers it (audit). */
  actor?: string;
}

/** A registered tool as returned by `access.tools`. Never holds the secret value. */
export interface ToolInfo {
  id: string;
  name: string;
  description: string | null;
  /** The secret's name (not its value). */
  secret: string;
  environment: string;
  tenantId: string | null;
  upstream: { origin: string; auth: UpstreamAuth; allowPrivateNetwork: boolean };
  methods: string[];
  paths: string[];
  risk: ToolRisk;
  approval: ToolApproval;
  approvals: number;
  /** Milliseconds. */
  maxDuration: number;
  maxCalls: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Request states: `pending → approved → active → ended`, or `denied`, `expired`, `cancelled`. */
export type AccessRequestStatus =
  | 'pending'
  | 'approved'
  | 'active'
  | 'ended'
  | 'denied'
  | 'expired'
  | 'cancelled';

/** Input of `access.requests.create`. */
export interface CreateAccessRequestInput {
  toolId: string;
  /** The agent (or tool) that will use the session. */
  agentId: string;
  /** The user the agent acts for; may not approve the request either. */
  onBehalfOf?: string;
  /** Why: shown to approvers. 1-1000 characters. */
  justification: string;
  /** Free JSON shown to approvers (order id...). Never put secrets here. */
  context?: JsonObject;
  /** Session length asked for; at most the tool's `maxDuration` (its default). */
  duration?: Duration;
  /** Calls asked for; at most the tool's `maxCalls` (its default). */
  maxCalls?: number;
}

/** One approver's decision on a request. */
export interface AccessApproval {
  approver: string;
  at: number;
  /** The duration this approver granted (ms). */
  duration: number;
  maxCalls: number | null;
}

/** The grant a session will get: the narrowest of what was asked and what each approver allowed. */
export interface AccessGrant {
  /** Milliseconds. */
  duration: number;
  maxCalls: number | null;
  methods: string[];
  paths: string[];
}

/** An access request as returned by `access.requests`. */
export interface AccessRequestInfo {
  id: string;
  toolId: string;
  agentId: string;
  onBehalfOf: string | null;
  justification: string;
  context: JsonObject;
  status: AccessRequestStatus;
  /** What the request asked for (duration ms, maxCalls). */
  requested: { duration: number; maxCalls: number | null };
  /** Current grant (narrowed by approvers); meaningful once approved. */
  grant: AccessGrant;
  /** Approvals needed in all. */
  approvalsRequired: number;
  approvals: AccessApproval[];
  /** Who denied it and why (denied requests). */
  decision: { by: string | null; at: number; reason: string | null } | null;
  /** Pending or approved-but-unopened requests expire at this time. */
  expiresAt: number | null;
  /** The session opened from it. */
  sessionId: string | null;
  createdAt: number;
  updatedAt: number;
  tenantId: string | null;
}

/** Options of `access.requests.approve`: an approver may narrow the grant, never widen it. */
export interface ApproveOptions {
  approver: string;
  /** At most what was asked. */
  duration?: Duration;
  /** At most what was asked. */
  maxCalls?: number;
  /** A subset of the tool's methods. */
  methods?: string[];
  /** A subset of the tool's paths (each one of them, as written). */
  paths?: string[];
  /** Note kept in the audit event. */
  note?: string;
}

/** Options of `access.requests.deny`. */
export interface DenyOptions {
  approver: string;
  reason: string;
}

/**
 * Filters of `access.requests.list`. `status` is applied to each page as read (expiry is computed),
 * so a page may hold fewer than `limit` items: follow `cursor` to the end.
 */
export interface ListRequestsQuery {
  status?: AccessRequestStatus;
  toolId?: string;
  agentId?: string;
  /** 1..1000, default 100. */
  limit?: number;
  cursor?: string;
}

/** Session states: `active → expired | revoked | exhausted`. */
export type AccessSessionStatus = 'active' | 'expired' | 'revoked' | 'exhausted';

/** A session as returned by `access.sessions`. Never holds the token or its hash. */
export interface SessionInfo {
  /** The id part of the proxy token. */
  id: string;
  requestId: string;
  toolId: string;
  agentId: string;
  onBehalfOf: string | null;
  status: AccessSessionStatus;
  /** `kwp_<id>` — enough to recognize a token in logs, not to use it. */
  start: string;
  methods: string[];
  paths: string[];
  createdAt: number;
  expiresAt: number;
  maxCalls: number | null;
  callsUsed: number;
  /** Calls left; null = no cap. */
  remaining: number | null;
  endedAt: number | null;
  endReason: string | null;
  tenantId: string | null;
}

/** What `access.sessions.open` returns: `token` is a non-enumerable getter, shown once. */
export interface OpenedSession extends SessionInfo {
  /** The proxy token `kwp_…`. Not enumerable: JSON.stringify and util.inspect never show it. */
  readonly token: string;
}

/** Filters of `access.sessions.list` (like {@link ListRequestsQuery}, a page may be short: follow `cursor`). */
export interface ListSessionsQuery {
  status?: AccessSessionStatus;
  toolId?: string;
  agentId?: string;
  limit?: number;
  cursor?: string;
}

/** Why a proxy token was refused. */
export type ProxyVerifyCode =
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'FORBIDDEN'
  | 'USAGE_EXCEEDED';

/** Result of `access.verify`. */
export type ProxyVerifyResult =
  | { valid: true; session: SessionInfo; tool: ToolInfo }
  | { valid: false; code: ProxyVerifyCode };

/** HTTP status of each refusal code (401 bad token, 403 not allowed, 429 calls used up). */
export type ProxyVerifyStatus = 401 | 403 | 429;

/** A call to authorize. */
export interface AuthorizeCall {
  toolId: string;
  method: string;
  path: string;
  context?: { ip?: string; userAgent?: string };
}

/**
 * Result of `access.authorize`. `secret` is the CURRENT value of the tool's secret: never log it
 * (it is a non-enumerable getter, so JSON.stringify and util.inspect of the result do not show it).
 */
export type AuthorizeResult =
  | { ok: true; session: SessionInfo; tool: ToolInfo; secret: string }
  | { ok: false; code: ProxyVerifyCode; status: ProxyVerifyStatus };

/** A violation to record. */
export interface ViolationReport {
  toolId?: string | null;
  sessionId?: string | null;
  reason: string;
  context?: { ip?: string; userAgent?: string };
}

/** `access.tools`. */
export interface ToolsView {
  /** @throws KeywardenError `ERR_VALIDATION` (naming the field), `ERR_ALREADY_EXISTS`, `ERR_AUDIT`, `ERR_STORAGE`. */
  register(input: RegisterToolInput): Promise<ToolInfo>;
  /** @throws KeywardenError `ERR_NOT_FOUND`. */
  get(id: string): Promise<ToolInfo>;
  list(query?: { limit?: number; cursor?: string }): Promise<Page<ToolInfo>>;
  /**
   * Every registered tool, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const tool of access.tools.iterate()) console.log(tool.id);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(query?: IterateQuery<{ limit?: number; cursor?: string }>): AsyncIterableIterator<ToolInfo>;
  /** Removes the tool and revokes its active sessions. @throws KeywardenError `ERR_NOT_FOUND`, `ERR_AUDIT`. */
  remove(id: string, options?: { actor?: string }): Promise<void>;
  /**
   * Usage analytics of the tool: authorized calls (valid) and calls refused after the tool was
   * found (failed: session exhausted...) per hour or UTC day, zero-filled.
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_UNSUPPORTED`, `ERR_STORAGE`.
   */
  usage(id: string, options?: UsageOptions): Promise<UsageReport>;
}

/** `access.requests`. */
export interface RequestsView {
  create(input: CreateAccessRequestInput): Promise<AccessRequestInfo>;
  get(id: string): Promise<AccessRequestInfo>;
  list(query?: ListRequestsQuery): Promise<Page<AccessRequestInfo>>;
  /**
   * Every access request matching the query, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const r of access.requests.iterate({ status: 'pending' })) console.log(r.id);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(query?: IterateQuery<ListRequestsQuery>): AsyncIterableIterator<AccessRequestInfo>;
  approve(id: string, options: ApproveOptions): Promise<AccessRequestInfo>;
  deny(id: string, options: DenyOptions): Promise<AccessRequestInfo>;
  cancel(id: string, options?: { actor?: string }): Promise<AccessRequestInfo>;
}

/** `access.sessions`. */
export interface SessionsView {
  open(requestId: string): Promise<OpenedSession>;
  get(id: string): Promise<SessionInfo>;
  list(query?: ListSessionsQuery): Promise<Page<SessionInfo>>;
  /**
   * Every session matching the query, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const s of access.sessions.iterate({ status: 'active' })) console.log(s.id);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(query?: IterateQuery<ListSessionsQuery>): AsyncIterableIterator<SessionInfo>;
  revoke(id: string, options?: { reason?: string; actor?: string }): Promise<SessionInfo>;
  /**
   * Usage analytics of the session: authorized calls (valid) and refused uses of its token
   * (failed: revoked, expired, exhausted, tool/method/path not granted) per hour or UTC day.
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_UNSUPPORTED`, `ERR_STORAGE`.
   */
  usage(id: string, options?: UsageOptions): Promise<UsageReport>;
}

/** What one sweep changed. */
export interface SweepReport {
  requestsExpired: number;
  sessionsEnded: number;
}

/** Options of `agentAccess(km, options)`. */
export interface AgentAccessOptions {
  /** How long a request waits for a decision (and an approved one for its session); default `'24h'`. */
  pendingTtl?: Duration;
  /** Upper bound of every tool's `maxDuration`; default `'1h'`. */
  maxSessionDuration?: Duration;
  /** The tenant every record of this access object belongs to; default null. */
  tenantId?: string | null;
  /** Audit every authorized call (`access.call`); default true. */
  auditCalls?: boolean;
  /**
   * How long `authorize` keeps a tool secret's decrypted value, per secret version and record
   * revision (the secret record is still read on every call, so a rotation or a disable applies to
   * the very next call); default `'5s'`, at most `'1m'`, `0` turns it off. Dropped by `close()`.
   */
  secretCacheTtl?: Duration;
  /**
   * How many `access.violation` audit rows (and notifier events) a flood of refused calls can
   * write. Within one `window` (default `'1m'`) the same violation (same reason) of one session,
   * or of one client address when no session is known, is written once; the ones in between are
   * counted and reported as `suppressed` on the next row written. At most `maxUnattributed`
   * (default 100) rows per window are written for violations without a session, whatever their
   * address. `false` writes every violation (a flood then writes a row per refused call).
   */
  violationThrottle?: { window?: Duration; maxUnattributed?: number } | false;
  /**
   * How `authorize` writes the audit row of each call (`access.call`, or `secret.read` with
   * `auditCalls: false`). Default `{ window: '200ms', maxRows: 500 }`: the rows are queued in the
   * key manager and appended in order, in one write per batch — within `window` (at most `'10s'`),
   * once `maxRows` are queued, before any other audit write or audit read of that manager, and on
   * `flush()`, `close()` and `km.close()`; each row's `at` is its call's time. A session without
   * `maxCalls` then needs no write per call either: its `callsUsed` is added with the batch
   * (a capped session is still spent exactly, one compare-and-swap write per call). A batch that
   * cannot be written is kept and retried, and every call is refused (503) until one is written.
   * The trade-off: a crash (or a kill) loses at most the rows and counts of the last window.
   * `false` is the strict mode: each row is written with its call, before the secret is handed
   * out, and a call whose row cannot be written is refused and its unit given back.
   */
  auditBatch?: { window?: Duration; maxRows?: number } | false;
}

/** The object `agentAccess(km, options)` returns. */
export interface AgentAccess {
  readonly tools: ToolsView;
  readonly requests: RequestsView;
  readonly sessions: SessionsView;
  /** Checks a proxy token (spends nothing). Never throws for a bad token. */
  verify(
    token: string,
    opts?: { toolId?: string; method?: string; path?: string },
  ): Promise<ProxyVerifyResult>;
  /** Trusted in-process call: resolves the tool from the URL, authorizes, injects the secret, follows no redirect. */
  fetch(token: string, url: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * For the gateway (and access.fetch): checks the token for toolId/method/path, spends one call
   * atomically, and returns the tool and the CURRENT secret value to inject. Never logs.
   */
  authorize(token: string, call: AuthorizeCall): Promise<AuthorizeResult>;
  /** Records a violation (audit `access.violation` + notifier event); never contains the token. */
  reportViolation(v: ViolationReport): Promise<void>;
  /** Persists expiry: pending requests past `pendingTtl`, sessions past `expiresAt`. */
  sweep(options?: { limit?: number }): Promise<SweepReport>;
  /**
   * Writes the queued call audit rows and call counts now (see `auditBatch`).
   * @throws KeywardenError `ERR_AUDIT`, `ERR_STORAGE` (what could not be written stays queued).
   */
  flush(): Promise<void>;
  /**
   * Drops every cached secret value and caches none again (the object keeps working, opening the
   * secret on every call), then writes the queued call audit rows and call counts (`flush()`).
   * Also done (the cache part) on the first call after the key manager was closed.
   */
  close(): Promise<void>;
}
