/**
 * The three access record kinds: how `record.data` is shaped, read back (strictly: a malformed
 * record is refused with `ERR_INTEGRITY`, never used), and mapped to the public infos. Deadlines
 * live in `data`, and `record.expiresAt`/`dueAt` stay null, so the key rotator never picks up an
 * access record: `access.sweep()` persists expiry.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import type { JsonObject } from '../ports/json.js';
import type { RecordStatus, StoredRecord } from '../ports/storage.js';
import type {
  AccessGrant,
  AccessRequestInfo,
  AccessRequestStatus,
  AccessSessionStatus,
  SessionInfo,
  ToolInfo,
} from './types.js';

/**
 * The environment every access record is stored under (a tool's secret environment is in `data`).
 *
 * @example
 * ```ts
 * storage.findByName('stripe', { kind: 'access_tool', environment: ACCESS_ENVIRONMENT, tenantId: null });
 * ```
 */
export const ACCESS_ENVIRONMENT = 'default';
/**
 * Prefix of proxy tokens.
 *
 * @example
 * ```ts
 * generateApiToken({ prefix: PROXY_TOKEN_PREFIX }); // { token: 'kwp_…', ... }
 * ```
 */
export const PROXY_TOKEN_PREFIX = 'kwp';

/**
 * The error for an access record that is not what keywarden wrote.
 *
 * @example
 * ```ts
 * throw malformed(record.id);
 * ```
 * @throws never (returns the error)
 */
export function malformed(id: string): KeywardenError {
  return new KeywardenError('ERR_INTEGRITY', `access record ${id} is malformed`, { field: 'id' });
}

const int = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));
const str = z.string().check(z.maxLength(4096));
const strArray = z.array(str).check(z.maxLength(64));

const toolDataSchema = z.strictObject({
  displayName: str,
  description: z.nullable(str),
  secret: str,
  secretEnvironment: str,
  upstream: z.strictObject({
    origin: str,
    auth: z.union([
      z.strictObject({ type: z.literal('bearer') }),
      z.strictObject({ type: z.literal('header'), name: str }),
      z.strictObject({ type: z.literal('basic') }),
    ]),
    allowPrivateNetwork: z.boolean(),
  }),
  methods: strArray,
  paths: strArray,
  risk: z.enum(['low', 'medium', 'high']),
  approval: z.enum(['required', 'auto']),
  approvals: z.number().check(z.int(), z.gte(1), z.lte(10)),
  maxDuration: int,
  maxCalls: z.nullable(int),
});
/** `record.data` of an `access_tool` record. */
export type ToolData = z.output<typeof toolDataSchema>;

const grantSchema = z.strictObject({
  duration: int,
  maxCalls: z.nullable(int),
  methods: strArray,
  paths: strArray,
});

/** Request states as stored (`expired`/`ended` may also be computed on read). */
export type StoredRequestState = AccessRequestStatus;

const requestDataSchema = z.strictObject({
  toolId: str,
  agentId: str,
  onBehalfOf: z.nullable(str),
  justification: str,
  context: z.record(z.string(), z.unknown()),
  state: z.enum(['pending', 'approved', 'active', 'ended', 'denied', 'expired', 'cancelled']),
  requested: z.strictObject({ duration: int, maxCalls: z.nullable(int) }),
  grant: grantSchema,
  approvalsRequired: z.number().check(z.int(), z.gte(1), z.lte(10)),
  approvals: z
    .array(z.strictObject({ approver: str, at: int, duration: int, maxCalls: z.nullable(int) }))
    .check(z.maxLength(10)),
  decision: z.nullable(z.strictObject({ by: z.nullable(str), at: int, reason: z.nullable(str) })),
  /** Pending: decision deadline; approved: deadline to open the session. */
  deadline: z.nullable(int),
  sessionId: z.nullable(str),
  sessionExpiresAt: z.nullable(int),
});
/** `record.data` of an `access_request` record. */
export type RequestData = z.output<typeof requestDataSchema>;

const sessionDataSchema = z.strictObject({
  requestId: str,
  toolId: str,
  agentId: str,
  onBehalfOf: z.nullable(str),
  state: z.enum(['active', 'expired', 'revoked', 'exhausted']),
  methods: strArray,
  paths: strArray,
  expiresAt: int,
  maxCalls: z.nullable(int),
  callsUsed: int,
  endedAt: z.nullable(int),
  endReason: z.nullable(str),
});
/** `record.data` of an `access_session` record. */
export type SessionData = z.output<typeof sessionDataSchema>;

function parseData<S extends z.ZodMiniType>(
  schema: S,
  record: StoredRecord,
  kind: StoredRecord['kind'],
): z.output<S> {
  if (record.kind !== kind) throw malformed(record.id);
  const r = schema.safeParse(record.data);
  if (!r.success) throw malformed(record.id);
  return r.data;
}

/** Whether `value` and everything in it is frozen (so nothing in it can ever change). */
function deepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const v of Object.values(value)) if (!deepFrozen(v)) return false;
  return true;
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) freezeDeep(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parsed `data` of deeply frozen record objects, by object. An adapter that hands out the same
 * deeply frozen object until the record is written again (the memory adapter) then costs one
 * shape check per record revision instead of one per call; any other object (a copy from a
 * database, a record built in this process) is parsed every time. The parsed value is frozen too.
 */
const parsedOfFrozen = new WeakMap<StoredRecord, unknown>();

function parseDataCached<S extends z.ZodMiniType>(
  schema: S,
  record: StoredRecord,
  kind: StoredRecord['kind'],
): z.output<S> {
  const hit = parsedOfFrozen.get(record);
  if (hit !== undefined && record.kind === kind) return hit as z.output<S>;
  const data = parseData(schema, record, kind);
  if (Object.isFrozen(record) && deepFrozen(record.data)) {
    parsedOfFrozen.set(record, freezeDeep(data));
  }
  return data;
}

/**
 * Reads a tool record's data.
 * @example
 * ```ts
 * const data = readToolData(record);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function readToolData(record: StoredRecord): ToolData {
  return parseDataCached(toolDataSchema, record, 'access_tool');
}

/**
 * Reads a request record's data.
 * @example
 * ```ts
 * const data = readRequestData(record);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function readRequestData(record: StoredRecord): RequestData {
  return parseData(requestDataSchema, record, 'access_request');
}

/**
 * Reads a session record's data.
 * @example
 * ```ts
 * const data = readSessionData(record);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function readSessionData(record: StoredRecord): SessionData {
  return parseDataCached(sessionDataSchema, record, 'access_session');
}

/**
 * Data objects as stored JSON.
 * @example
 * ```ts
 * declare const current: StoredRecord;
 * declare const next: SessionData;
 * const record = { ...current, data: asJson(next) };
 * ```
 * @throws never
 */
export function asJson(data: ToolData | RequestData | SessionData): JsonObject {
  return data as unknown as JsonObject;
}

/**
 * The record-level status of a request state (so storage can filter live from finished ones).
 * @example
 * ```ts
 * requestRecordStatus('denied'); // 'revoked'
 * ```
 * @throws never
 */
export function requestRecordStatus(state: AccessRequestStatus): RecordStatus {
  if (state === 'pending' || state === 'approved' || state === 'active') return 'active';
  if (state === 'denied' || state === 'cancelled') return 'revoked';
  return 'expired';
}

/**
 * The record-level status of a session state.
 * @example
 * ```ts
 * sessionRecordStatus('exhausted'); // 'expired'
 * ```
 * @throws never
 */
export function sessionRecordStatus(state: AccessSessionStatus): RecordStatus {
  if (state === 'active') return 'active';
  return state === 'revoked' ? 'revoked' : 'expired';
}

/**
 * A request's state as of `now`: a pending or approved request past its deadline reads as
 * `expired`, an active one whose session's time is over reads as `ended`.
 * @example
 * ```ts
 * effectiveRequestState(readRequestData(record), clock.now()); // 'expired'
 * ```
 * @throws never
 */
export function effectiveRequestState(data: RequestData, now: number): AccessRequestStatus {
  if (
    (data.state === 'pending' || data.state === 'approved') &&
    data.deadline !== null &&
    now >= data.deadline
  ) {
    return 'expired';
  }
  if (data.state === 'active' && data.sessionExpiresAt !== null && now >= data.sessionExpiresAt)
    return 'ended';
  return data.state;
}

/**
 * A session's state as of `now`: an active session past its expiry reads as `expired`.
 * @example
 * ```ts
 * effectiveSessionState(readSessionData(record), clock.now());
 * ```
 * @throws never
 */
export function effectiveSessionState(data: SessionData, now: number): AccessSessionStatus {
  if (data.state === 'active' && now >= data.expiresAt) return 'expired';
  return data.state;
}

/**
 * The public view of a tool record.
 * @example
 * ```ts
 * const info = toToolInfo(record);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function toToolInfo(record: StoredRecord): ToolInfo {
  return toolInfoOf(record, readToolData(record));
}

/**
 * {@link toToolInfo} with the record's data already read (by {@link readToolData}).
 * @example
 * ```ts
 * const info = toolInfoOf(record, readToolData(record));
 * ```
 * @throws never
 */
export function toolInfoOf(record: StoredRecord, d: ToolData): ToolInfo {
  return {
    id: record.name,
    name: d.displayName,
    description: d.description,
    secret: d.secret,
    environment: d.secretEnvironment,
    tenantId: record.tenantId,
    upstream: {
      origin: d.upstream.origin,
      auth:
        d.upstream.auth.type === 'header'
          ? { type: 'header', name: d.upstream.auth.name }
          : { ...d.upstream.auth },
      allowPrivateNetwork: d.upstream.allowPrivateNetwork,
    },
    methods: [...d.methods],
    paths: [...d.paths],
    risk: d.risk,
    approval: d.approval,
    approvals: d.approvals,
    maxDuration: d.maxDuration,
    maxCalls: d.maxCalls,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function copyGrant(g: AccessGrant): AccessGrant {
  return { duration: g.duration, maxCalls: g.maxCalls, methods: [...g.methods], paths: [...g.paths] };
}

/**
 * The public view of a request record as of `now`.
 * @example
 * ```ts
 * const info = toRequestInfo(record, clock.now());
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function toRequestInfo(record: StoredRecord, now: number): AccessRequestInfo {
  const d = readRequestData(record);
  const status = effectiveRequestState(d, now);
  return {
    id: record.id,
    toolId: d.toolId,
    agentId: d.agentId,
    onBehalfOf: d.onBehalfOf,
    justification: d.justification,
    context: structuredClone(d.context) as JsonObject,
    status,
    requested: { ...d.requested },
    grant: copyGrant(d.grant),
    approvalsRequired: d.approvalsRequired,
    approvals: d.approvals.map((a) => ({ ...a })),
    decision: d.decision ? { ...d.decision } : null,
    expiresAt: status === 'pending' || status === 'approved' || status === 'expired' ? d.deadline : null,
    sessionId: d.sessionId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    tenantId: record.tenantId,
  };
}

/**
 * The public view of a session record as of `now` (never the token or its hash).
 * @example
 * ```ts
 * const info = toSessionInfo(record, clock.now());
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when malformed.
 */
export function toSessionInfo(record: StoredRecord, now: number): SessionInfo {
  return sessionInfoOf(record, now, readSessionData(record));
}

/**
 * {@link toSessionInfo} with the record's data already read (by {@link readSessionData}).
 * @example
 * ```ts
 * const info = sessionInfoOf(record, clock.now(), readSessionData(record));
 * ```
 * @throws never
 */
export function sessionInfoOf(record: StoredRecord, now: number, d: SessionData): SessionInfo {
  const status = effectiveSessionState(d, now);
  return {
    id: record.id,
    requestId: d.requestId,
    toolId: d.toolId,
    agentId: d.agentId,
    onBehalfOf: d.onBehalfOf,
    status,
    start: `${PROXY_TOKEN_PREFIX}_${record.id}`,
    methods: [...d.methods],
    paths: [...d.paths],
    createdAt: record.createdAt,
    expiresAt: d.expiresAt,
    maxCalls: d.maxCalls,
    callsUsed: d.callsUsed,
    remaining: d.maxCalls === null ? null : Math.max(0, d.maxCalls - d.callsUsed),
    endedAt: status === 'expired' && d.endedAt === null ? d.expiresAt : d.endedAt,
    endReason: status === 'expired' && d.endReason === null ? 'expired' : d.endReason,
    tenantId: record.tenantId,
  };
}

/**
 * A new access record with the common fields filled.
 * @example
 * ```ts
 * const record = newAccessRecord({
 *   id, kind: 'access_request', name: 'stripe', uniqueName: false, tenantId: null,
 *   ownerId: 'agent-7', status: 'active', now: clock.now(), data: {},
 * });
 * ```
 * @throws never
 */
export function newAccessRecord(fields: {
  id: string;
  kind: 'access_tool' | 'access_request' | 'access_session';
  name: string;
  uniqueName: boolean;
  tenantId: string | null;
  ownerId: string | null;
  status: RecordStatus;
  now: number;
  data: JsonObject;
  versions?: StoredRecord['versions'];
}): StoredRecord {
  return {
    id: fields.id,
    kind: fields.kind,
    name: fields.name,
    uniqueName: fields.uniqueName,
    tenantId: fields.tenantId,
    environment: ACCESS_ENVIRONMENT,
    ownerId: fields.ownerId,
    status: fields.status,
    revision: 1,
    createdAt: fields.now,
    updatedAt: fields.now,
    expiresAt: null,
    dueAt: null,
    tags: [],
    provider: null,
    data: fields.data,
    meta: {},
    rotation: null,
    versions: fields.versions ?? [],
  };
}
