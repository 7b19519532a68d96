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
export type UpstreamAuth =
  | {
      /** `Authorization: Bearer <secret>`. */
      type: 'bearer';
    }
  | {
      /** The secret is the whole value of the header `name`. */
      type: 'header';
      /** Header that carries the secret (and the agent's proxy token), e.g. `x-api-key`. */
      name: string;
    }
  | {
      /** `Authorization: Basic base64(secret)`, the secret being `user:password` or a bare user name. */
      type: 'basic';
    };

/** The one origin a tool's calls go to. */
export interface ToolUpstream {
  /** `https://host[:port]` (http only for loopback or with `allowPrivateNetwork`); no path, query or credentials. */
  origin: string;
  /** How the secret is sent to the origin, and where the agent puts its proxy token. */
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
  /** Shown to approvers and in `list_tools` (MCP); up to 1000 characters, no control characters. Default null. */
  description?: string;
  /** Name of the keywarden secret (`km.secrets`) the tool's calls use. */
  secret: string;
  /** Environment of that secret; default `'default'`. */
  environment?: string;
  /** The one origin the tool's calls are forwarded to, and how the secret is injected. */
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
  /** Tool id given to `tools.register` (the first segment of gateway routes `/{id}/...`). */
  id: string;
  /** Display name (the id when none was given). */
  name: string;
  /** Text shown to approvers; null when none was given. */
  description: string | null;
  /** The secret's name (not its value). */
  secret: string;
  /** Environment of the secret the tool's calls use. */
  environment: string;
  /** Tenant of the access object that registered it; null without tenant. */
  tenantId: string | null;
  /** Where the tool's calls go (see {@link ToolUpstream}). */
  upstream: {
    /** `https://host[:port]` the calls are forwarded to. */
    origin: string;
    /** How the secret is injected (and where the proxy token is taken from). */
    auth: UpstreamAuth;
    /** Whether the origin may be a loopback, private or link-local address. */
    allowPrivateNetwork: boolean;
  };
  /** HTTP methods a session may use (upper case). */
  methods: string[];
  /** Path patterns a session may call (`*` one segment, `**` any rest). */
  paths: string[];
  /** Risk level shown to approvers. */
  risk: ToolRisk;
  /** Whether a human approves each request (`required`) or requests are approved on creation (`auto`). */
  approval: ToolApproval;
  /** Distinct approvers a request needs (1-10). */
  approvals: number;
  /** Milliseconds. */
  maxDuration: number;
  /** Most calls one session may make; null = no cap. */
  maxCalls: number | null;
  /** When it was registered (epoch ms). */
  createdAt: number;
  /** Last change of the record (epoch ms). */
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
  /** Id of the registered tool asked for (`ERR_NOT_FOUND` when there is none). */
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
  /** Who approved (`'auto'` for a tool with `approval: 'auto'`). */
  approver: string;
  /** When (epoch ms). */
  at: number;
  /** The duration this approver granted (ms). */
  duration: number;
  /** The call cap this approver granted; null = no cap. */
  maxCalls: number | null;
}

/** The grant a session will get: the narrowest of what was asked and what each approver allowed. */
export interface AccessGrant {
  /** Milliseconds. */
  duration: number;
  /** Calls the session may make; null = no cap. */
  maxCalls: number | null;
  /** HTTP methods the session may use: the tool's, or the subset an approver kept. */
  methods: string[];
  /** Path patterns the session may call: the tool's, or the subset an approver kept. */
  paths: string[];
}

/** An access request as returned by `access.requests`. */
export interface AccessRequestInfo {
  /** Request id (give it to `approve`, `deny`, `cancel`, `sessions.open`). */
  id: string;
  /** Tool asked for. */
  toolId: string;
  /** Agent that asked and will use the session. */
  agentId: string;
  /** User the agent acts for; null when none was given. */
  onBehalfOf: string | null;
  /** Why, as written by the agent. */
  justification: string;
  /** Free JSON given with the request (`{}` when none). */
  context: JsonObject;
  /** State as of the read: a pending or approved request past `expiresAt` reads `expired`, an active one whose session time is over reads `ended`. */
  status: AccessRequestStatus;
  /** What the request asked for (duration ms, maxCalls). */
  requested: {
    /** Session length asked for (ms); the tool's `maxDuration` when none was given. */
    duration: number;
    /** Calls asked for; the tool's `maxCalls` when none was given (null = no cap). */
    maxCalls: number | null;
  };
  /** Current grant (narrowed by approvers); meaningful once approved. */
  grant: AccessGrant;
  /** Approvals needed in all. */
  approvalsRequired: number;
  /** Approvals given so far, in order. */
  approvals: AccessApproval[];
  /** Who denied or cancelled it and why; null otherwise. */
  decision: {
    /** The approver who denied, or the `actor` who cancelled (null when cancelled without one). */
    by: string | null;
    /** When (epoch ms). */
    at: number;
    /** The deny reason; null for a cancel. */
    reason: string | null;
  } | null;
  /** Pending or approved-but-unopened requests expire at this time. */
  expiresAt: number | null;
  /** The session opened from it. */
  sessionId: string | null;
  /** When it was created (epoch ms). */
  createdAt: number;
  /** Last transition (epoch ms). */
  updatedAt: number;
  /** Tenant of the access object it was made through; null without tenant. */
  tenantId: string | null;
}

/** Options of `access.requests.approve`: an approver may narrow the grant, never widen it. */
export interface ApproveOptions {
  /** Who approves; not the request's `agentId` or `onBehalfOf` (`ERR_FORBIDDEN`), and once per request. */
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
  /** Who denies (kept in `decision.by`, the audit event and the notifier event). */
  approver: string;
  /** Why (1-1000 characters); kept in `decision.reason`. */
  reason: string;
}

/**
 * Filters of `access.requests.list`. `status` is applied to each page as read (expiry is computed),
 * so a page may hold fewer than `limit` items: follow `cursor` to the end.
 */
export interface ListRequestsQuery {
  /** Only requests in this state as of now (computed expiry included). */
  status?: AccessRequestStatus;
  /** Only requests for this tool. */
  toolId?: string;
  /** Only requests made by this agent. */
  agentId?: string;
  /** 1..1000, default 100. */
  limit?: number;
  /** The `cursor` of the previous page; absent for the first page. */
  cursor?: string;
}

/** Session states: `active → expired | revoked | exhausted`. */
export type AccessSessionStatus = 'active' | 'expired' | 'revoked' | 'exhausted';

/** A session as returned by `access.sessions`. Never holds the token or its hash. */
export interface SessionInfo {
  /** The id part of the proxy token. */
  id: string;
  /** The access request it was opened from. */
  requestId: string;
  /** The tool it may call. */
  toolId: string;
  /** The agent it was opened for. */
  agentId: string;
  /** The user the agent acts for; null when none. */
  onBehalfOf: string | null;
  /** State as of the read: an active session past `expiresAt` reads `expired`. */
  status: AccessSessionStatus;
  /** `kwp_<id>` — enough to recognize a token in logs, not to use it. */
  start: string;
  /** HTTP methods granted. */
  methods: string[];
  /** Path patterns granted. */
  paths: string[];
  /** When it was opened (epoch ms). */
  createdAt: number;
  /** When it stops working (epoch ms): open time + the granted duration, at most `maxSessionDuration`. */
  expiresAt: number;
  /** Calls granted; null = no cap. */
  maxCalls: number | null;
  /** Calls spent so far (counted when the session has a cap or the access option `auditCalls` is on). */
  callsUsed: number;
  /** Calls left; null = no cap. */
  remaining: number | null;
  /** When it ended (epoch ms; `expiresAt` for an expired one); null while active. */
  endedAt: number | null;
  /** Why it ended: `'expired'`, `'exhausted'`, the revoke `reason` or `'revoked'`; null while active. */
  endReason: string | null;
  /** Tenant of the access object; null without tenant. */
  tenantId: string | null;
}

/** What `access.sessions.open` returns: `token` is a non-enumerable getter, shown once. */
export interface OpenedSession extends SessionInfo {
  /** The proxy token `kwp_…`. Not enumerable: JSON.stringify and util.inspect never show it. */
  readonly token: string;
}

/** Filters of `access.sessions.list` (like {@link ListRequestsQuery}, a page may be short: follow `cursor`). */
export interface ListSessionsQuery {
  /** Only sessions in this state as of now (computed expiry included). */
  status?: AccessSessionStatus;
  /** Only sessions for this tool. */
  toolId?: string;
  /** Only sessions of this agent. */
  agentId?: string;
  /** 1..1000, default 100. */
  limit?: number;
  /** The `cursor` of the previous page; absent for the first page. */
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
  | {
      /** The token is usable for what was asked. */
      valid: true;
      /** The token's session (no call spent). */
      session: SessionInfo;
      /** The tool the session is for. */
      tool: ToolInfo;
    }
  | {
      /** The token was refused. */
      valid: false;
      /** Why (see {@link ProxyVerifyCode}). */
      code: ProxyVerifyCode;
    };

/** HTTP status of each refusal code (401 bad token, 403 not allowed, 429 calls used up). */
export type ProxyVerifyStatus = 401 | 403 | 429;

/** A call to authorize. */
export interface AuthorizeCall {
  /** Tool the call is for; a session for another tool gets `FORBIDDEN`. */
  toolId: string;
  /** HTTP method of the call, checked against the session's `methods`. */
  method: string;
  /** Upstream path of the call (without the `/{toolId}` prefix), checked against the session's `paths`. */
  path: string;
  /** Client details kept in the call's audit event, or in the violation if the call is refused as one. */
  context?: {
    /** Client address. */
    ip?: string;
    /** Client `User-Agent`. */
    userAgent?: string;
  };
}

/**
 * Result of `access.authorize`. `secret` is the CURRENT value of the tool's secret: never log it
 * (it is a non-enumerable getter, so JSON.stringify and util.inspect of the result do not show it).
 */
export type AuthorizeResult =
  | {
      /** The call is allowed; one call was spent (when the session has a cap or `auditCalls` is on). */
      ok: true;
      /** The session after the spend. */
      session: SessionInfo;
      /** The tool, with the upstream to forward to. */
      tool: ToolInfo;
      /** Current value of the tool's secret (non-enumerable); inject it, never log it. */
      secret: string;
    }
  | {
      /** The call is refused; nothing was spent. */
      ok: false;
      /** Why (see {@link ProxyVerifyCode}). */
      code: ProxyVerifyCode;
      /** HTTP status to answer with: 401, 403 or 429. */
      status: ProxyVerifyStatus;
    };

/** A violation to record. */
export interface ViolationReport {
  /** Tool concerned, when known. */
  toolId?: string | null;
  /** Session concerned, when known; an unknown id is recorded without session details. */
  sessionId?: string | null;
  /** What happened (1-1000 characters), e.g. `'token in query string'`; never the token itself. */
  reason: string;
  /** Client details kept in the audit event. */
  context?: {
    /** Client address (up to 64 characters). */
    ip?: string;
    /** Client `User-Agent` (up to 512 characters). */
    userAgent?: string;
  };
}

/** `access.tools`. */
export interface ToolsView {
  /** @throws KeywardenError `ERR_VALIDATION` (naming the field), `ERR_ALREADY_EXISTS`, `ERR_AUDIT`, `ERR_STORAGE`. */
  register(input: RegisterToolInput): Promise<ToolInfo>;
  /** @throws KeywardenError `ERR_NOT_FOUND`. */
  get(id: string): Promise<ToolInfo>;
  /**
   * One page of registered tools (`limit` 1..1000, default 100; pass the returned `cursor` for the next).
   * @throws KeywardenError `ERR_VALIDATION` naming the query field, `ERR_STORAGE`.
   */
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
  /**
   * Asks for a tool: `pending`, or `approved` at once when the tool's approval is `auto`.
   * @throws KeywardenError `ERR_VALIDATION` naming the field (also a duration or maxCalls above the
   *   tool's), `ERR_NOT_FOUND` (no such tool), `ERR_AUDIT`, `ERR_STORAGE`.
   */
  create(input: CreateAccessRequestInput): Promise<AccessRequestInfo>;
  /** The request as of now. @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION` (bad id). */
  get(id: string): Promise<AccessRequestInfo>;
  /**
   * One page of requests, filters applied (a page may be short: follow `cursor`).
   * @throws KeywardenError `ERR_VALIDATION` naming the query field, `ERR_STORAGE`.
   */
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
  /**
   * Adds one approval (possibly narrowing the grant); the request turns `approved` once
   * `approvalsRequired` distinct approvers have approved.
   * @throws KeywardenError `ERR_FORBIDDEN` (the agent or `onBehalfOf` approving, or a second approval
   *   by the same approver), `ERR_INVALID_STATE` (not pending), `ERR_VALIDATION` (a widening),
   *   `ERR_NOT_FOUND`, `ERR_AUDIT`.
   */
  approve(id: string, options: ApproveOptions): Promise<AccessRequestInfo>;
  /**
   * Denies a pending or approved (not yet opened) request.
   * @throws KeywardenError `ERR_INVALID_STATE`, `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_AUDIT`.
   */
  deny(id: string, options: DenyOptions): Promise<AccessRequestInfo>;
  /**
   * Withdraws a pending or approved (not yet opened) request; `actor` defaults to the agent in the audit event.
   * @throws KeywardenError `ERR_INVALID_STATE`, `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_AUDIT`.
   */
  cancel(id: string, options?: { actor?: string }): Promise<AccessRequestInfo>;
}

/** `access.sessions`. */
export interface SessionsView {
  /**
   * Opens the session of an approved request (once) and returns its proxy token, shown only here.
   * @throws KeywardenError `ERR_INVALID_STATE` (the request is not approved, or already opened),
   *   `ERR_NOT_FOUND` (request or tool), `ERR_VALIDATION`, `ERR_AUDIT`, `ERR_STORAGE`.
   */
  open(requestId: string): Promise<OpenedSession>;
  /** The session as of now. @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION` (bad id). */
  get(id: string): Promise<SessionInfo>;
  /**
   * One page of sessions, filters applied (a page may be short: follow `cursor`).
   * @throws KeywardenError `ERR_VALIDATION` naming the query field, `ERR_STORAGE`.
   */
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
  /**
   * Ends an active session at once (its token stops working); `reason` becomes its `endReason`.
   * A session that has already ended is returned unchanged.
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_AUDIT`, `ERR_STORAGE`.
   */
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
  /** Requests whose expiry was written (pending or approved past their deadline). */
  requestsExpired: number;
  /** Sessions past `expiresAt` marked `expired`. */
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
  violationThrottle?:
    | {
        /** Throttle window; default `'1m'`. */
        window?: Duration;
        /** Rows per window for violations without a session; default 100. */
        maxUnattributed?: number;
      }
    | false;
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
  auditBatch?:
    | {
        /** Longest time a call's row waits before its batch is written (1 ms to `'10s'`; default `'200ms'`). */
        window?: Duration;
        /** Queued rows that trigger a write at once (1 to 100,000; default 500). */
        maxRows?: number;
      }
    | false;
}

/** The object `agentAccess(km, options)` returns. */
export interface AgentAccess {
  /** Register, list and remove tools. */
  readonly tools: ToolsView;
  /** Create, approve, deny and cancel access requests. */
  readonly requests: RequestsView;
  /** Open, read and revoke sessions (proxy tokens). */
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
