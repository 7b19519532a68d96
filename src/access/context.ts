/**
 * What every part of one `agentAccess` object shares: the manager's capability context, the
 * resolved options, the per-session spend lock, the cache of opened tool secrets, and typed
 * record loading scoped to the access object's tenant.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { CapabilityContext } from '../extension/index.js';
import type { RecordStatus, StoredRecord } from '../ports/storage.js';
import type { KeyedLock } from '../store/api-keys/throttle.js';
import type { CallCache } from './call-cache.js';
import type { PendingUses } from './pending-uses.js';
import { ACCESS_ENVIRONMENT, type SessionData } from './records.js';
import type { SecretCache } from './secret-cache.js';
import type { ViolationThrottle } from './violation-throttle.js';

/** What `agentAccess` is given: a key manager (only its capability context is used). */
export interface SecretReader {
  secrets: {
    get(name: string, options?: { environment?: string; tenantId?: string | null }): Promise<string>;
  };
}

/** `agentAccess` options after defaults. */
export interface ResolvedAccessOptions {
  pendingTtl: number;
  maxSessionDuration: number;
  tenantId: string | null;
  auditCalls: boolean;
  /** How long an opened tool secret is kept (ms); 0: never. */
  secretCacheTtl: number;
  /** Call audit rows queued and written in batches (`auditBatch`); null: strict, one write per call. */
  auditBatch: { windowMs: number; maxRows: number } | null;
}

/** Shared services of one access object. */
export interface AccessContext {
  readonly ctx: CapabilityContext;
  readonly options: ResolvedAccessOptions;
  /** Serializes spends of one session within this process (CAS still makes it exact across processes). */
  readonly lock: KeyedLock;
  /** Opened tool secrets, per (record id, version, revision), for `secretCacheTtl` (./secret-cache.ts). */
  readonly secretCache: SecretCache;
  /**
   * The checked records of each session's last granted call, reused while `storage.readMacs`
   * shows them unchanged (./call-cache.ts); unused when the adapter has no `readMacs`.
   */
  readonly calls: CallCache;
  /** Bounds how many `access.violation` rows a flood of refused calls can write (./violation-throttle.ts). */
  readonly violations: ViolationThrottle;
  /**
   * Per session being spent in this process: how many spends are queued on the lock, and the
   * record the last one wrote, so a queued spend starts from it instead of reading the store again.
   */
  readonly spending: Map<string, { queued: number; last: StoredRecord | null; lastData: SessionData | null }>;
  /** Calls of uncapped sessions counted and not yet written (batched mode, ./pending-uses.ts). */
  readonly uses: PendingUses;
}

const LABEL = { access_tool: 'tool', access_request: 'access request', access_session: 'session' } as const;

/**
 * Loads an access record by id within the access object's tenant.
 * @example
 * ```ts
 * const record = await loadAccessRecord(a, id, 'access_request');
 * ```
 * @throws KeywardenError `ERR_NOT_FOUND` (absent, another kind or another tenant), `ERR_STORAGE`.
 */
export async function loadAccessRecord(
  a: AccessContext,
  id: string,
  kind: keyof typeof LABEL,
): Promise<StoredRecord> {
  const record = await a.ctx.storage.get(id);
  if (record === null || record.kind !== kind || record.tenantId !== a.options.tenantId) {
    throw new KeywardenError('ERR_NOT_FOUND', `${LABEL[kind]} not found`, { field: 'id' });
  }
  return record;
}

/**
 * Finds a tool record by its tool id, or null.
 * @example
 * ```ts
 * const record = await findToolRecord(a, 'stripe');
 * ```
 * @throws KeywardenError `ERR_STORAGE`.
 */
export async function findToolRecord(a: AccessContext, toolId: string): Promise<StoredRecord | null> {
  const record = await a.ctx.storage.findByName(toolId, {
    kind: 'access_tool',
    environment: ACCESS_ENVIRONMENT,
    tenantId: a.options.tenantId,
  });
  return record !== null && record.kind === 'access_tool' && record.tenantId === a.options.tenantId
    ? record
    : null;
}

/**
 * One page of access requests or sessions: the store filters by kind, tenant, tool (`name`), agent
 * (`ownerId`) and the stored status; `status` itself is the effective one (expiry is computed on
 * read), so it is filtered again after `toInfo`.
 *
 * @example
 * ```ts
 * const q: { status: AccessSessionStatus; toolId: string } = { status: 'active', toolId: 'stripe' };
 * await listAccessPage(a, 'access_session', q, sessionRecordStatus(q.status), toSessionInfo);
 * ```
 * @throws KeywardenError as `ready()` and the storage (`ERR_STORAGE`, `ERR_INTEGRITY`).
 */
export async function listAccessPage<S extends string, I extends { status: S }>(
  a: AccessContext,
  kind: 'access_request' | 'access_session',
  q: {
    status?: S | undefined;
    toolId?: string | undefined;
    agentId?: string | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  },
  recordStatus: RecordStatus | undefined,
  toInfo: (record: StoredRecord, now: number) => I,
): Promise<{ items: I[]; cursor?: string }> {
  await a.ctx.ready();
  const page = await a.ctx.storage.list({
    kind,
    tenantId: a.options.tenantId,
    limit: q.limit ?? 100,
    ...(recordStatus !== undefined && { status: recordStatus }),
    ...(q.toolId !== undefined && { name: q.toolId }),
    ...(q.agentId !== undefined && { ownerId: q.agentId }),
    ...(q.cursor !== undefined && { cursor: q.cursor }),
  });
  const now = a.ctx.clock.now();
  const items = page.items
    .map((r) => toInfo(r, now))
    .filter((i) => q.status === undefined || i.status === q.status);
  return { items, ...(page.cursor !== undefined && { cursor: page.cursor }) };
}
