/**
 * `get`, `list`, `update`, `revoke`, `delete`. Every mutation is a compare-and-swap write followed
 * by its audit event; when the audit write fails the write is undone and `ERR_AUDIT` is thrown.
 * @internal
 * @module
 */

import { KeywardenError } from '../../errors.js';
import { parseObject } from '../../internal/parse-object.js';
import { parseInput } from '../../internal/validate.js';
import type { Page, StoredRecord } from '../../ports/storage.js';
import type { AuditDraft, StoreContext } from '../../records/context.js';
import { eventBase, loadRecord } from '../../records/record.js';
import { type UsageReport, usageReport } from '../../records/usage-report.js';
import { deleteRecord, mutateRecord } from '../../records/write.js';
import type { ApiKeyInfo } from '../api-key-types.js';
import { readApiKeyData, toApiKeyInfo, writeApiKeyData } from './record.js';
import {
  listQuerySchema,
  recordIdSchema,
  revokeOptionsSchema,
  UPDATE_KEYS,
  type UpdatePatch,
  updateOptionsSchema,
  updatePatchSchema,
} from './schemas.js';

const UPDATE_OPTION_KEYS: ReadonlySet<string> = new Set(['actor', 'expectedRevision']);
const REVOKE_KEYS: ReadonlySet<string> = new Set(['reason', 'actor', 'expectedRevision']);
const LIST_KEYS: ReadonlySet<string> = new Set(Object.keys(listQuerySchema.shape));

/**
 * Validates a record id (12 base62 characters).
 *
 * @example
 * ```ts
 * const id = parseId(input); // '4fG7kQ2mZx9A'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `id`) unless it is 12 base62 characters.
 */
export function parseId(id: unknown): string {
  return parseInput(recordIdSchema, id, 'id');
}

/**
 * One audited update of an API key: `mutate` (null: no change), then the audit event from
 * `draft`, the update undone if that audit write fails.
 */
function auditedUpdate(
  ctx: StoreContext,
  id: string,
  mutate: (current: StoredRecord) => StoredRecord | null,
  draft: (after: StoredRecord) => AuditDraft,
  expectedRevision?: number,
): Promise<{ record: StoredRecord; changed: boolean }> {
  return mutateRecord(ctx, id, 'api_key', (current) => ({ next: mutate(current), result: null }), {
    audit: ({ after }) => draft(after),
    expectedRevision,
  });
}

/**
 * `get(id)`.
 * @throws KeywardenError `ERR_VALIDATION` (field `id`), `ERR_NOT_FOUND`, `ERR_STORAGE`.
 * @example
 * ```ts
 * const info = await getApiKey(ctx, id);
 * ```
 */
export async function getApiKey(ctx: StoreContext, id: unknown): Promise<ApiKeyInfo> {
  await ctx.ready();
  const record = await loadRecord(ctx, parseId(id), 'api_key');
  return toApiKeyInfo(record, ctx.clock.now());
}

/**
 * `usage(id, options)`: the key's usage analytics (see records/usage-report.ts).
 * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION`, `ERR_UNSUPPORTED`, `ERR_STORAGE`.
 * @example
 * ```ts
 * const r = await apiKeyUsage(ctx, id, { granularity: 'day' });
 * ```
 */
export async function apiKeyUsage(ctx: StoreContext, id: unknown, options?: unknown): Promise<UsageReport> {
  await ctx.ready();
  const record = await loadRecord(ctx, parseId(id), 'api_key');
  return usageReport(ctx, record.id, options);
}

/**
 * `list(query)`: ordered by creation time then id; the cursor stays valid across inserts.
 * @throws KeywardenError `ERR_VALIDATION` naming the query field, `ERR_STORAGE`.
 * @example
 * ```ts
 * const { items, cursor } = await listApiKeys(ctx, { ownerId: 'user_1', limit: 50 });
 * ```
 */
export async function listApiKeys(ctx: StoreContext, query: unknown = {}): Promise<Page<ApiKeyInfo>> {
  await ctx.ready();
  const q = parseObject(listQuerySchema, LIST_KEYS, query, 'query');
  const page = await ctx.storage.list({
    kind: 'api_key',
    limit: q.limit ?? 100,
    ...(q.ownerId !== undefined && { ownerId: q.ownerId }),
    ...(q.tenantId !== undefined && { tenantId: q.tenantId }),
    ...(q.environment !== undefined && { environment: q.environment }),
    ...(q.status !== undefined && { status: q.status }),
    ...(q.tag !== undefined && { tag: q.tag }),
    ...(q.cursor !== undefined && { cursor: q.cursor }),
  });
  const now = ctx.clock.now();
  const items = page.items.filter((r) => r.kind === 'api_key').map((r) => toApiKeyInfo(r, now));
  return page.cursor === undefined ? { items } : { items, cursor: page.cursor };
}

/** The fields a patch changes, sorted: the keys given with a value (`undefined` is absent). */
function changedFields(patch: UpdatePatch): string[] {
  return Object.keys(patch)
    .filter((k) => patch[k as keyof UpdatePatch] !== undefined)
    .sort();
}

function applyPatch(current: StoredRecord, patch: UpdatePatch, now: number): StoredRecord {
  if (current.status === 'revoked') {
    throw new KeywardenError('ERR_INVALID_STATE', 'a revoked API key cannot be updated', { field: 'id' });
  }
  const data = readApiKeyData(current);
  const next: StoredRecord = { ...current };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.tags !== undefined) next.tags = patch.tags;
  if (patch.meta !== undefined) next.meta = patch.meta;
  if (patch.ownerId !== undefined) next.ownerId = patch.ownerId;
  if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
  if (patch.scopes !== undefined) data.scopes = patch.scopes;
  if (patch.rateLimit !== undefined) data.rateLimit = patch.rateLimit;
  if (patch.refill !== undefined) {
    data.refill = patch.refill === null ? null : { ...patch.refill, lastRefillAt: now };
    if (patch.refill !== null && data.remaining === null && patch.remaining === undefined) {
      data.remaining = patch.refill.amount;
    }
  }
  if (patch.remaining !== undefined) data.remaining = patch.remaining;
  if (data.refill !== null && data.remaining === null) {
    throw new KeywardenError('ERR_VALIDATION', 'remaining must be a number while refill is set', {
      field: 'remaining',
    });
  }
  if (patch.status !== undefined) {
    if (patch.status === 'active' && next.expiresAt !== null && next.expiresAt <= now) {
      throw new KeywardenError(
        'ERR_INVALID_STATE',
        'an expired API key needs a future expiresAt to be active',
        {
          field: 'status',
        },
      );
    }
    next.status = patch.status;
  }
  next.data = writeApiKeyData(data);
  return next;
}

/**
 * `update(id, patch, { actor? })`.
 * @throws KeywardenError `ERR_VALIDATION` (fields `id`, `patch`, `name`, `refill.every`...),
 *   `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (revoked key; activating an expired key), `ERR_AUDIT`,
 *   `ERR_CONFLICT`, `ERR_STORAGE`.
 * @example
 * ```ts
 * const info = await updateApiKey(ctx, id, { scopes: ['read'] });
 * ```
 */
export async function updateApiKey(
  ctx: StoreContext,
  id: unknown,
  patch: unknown,
  options?: unknown,
): Promise<ApiKeyInfo> {
  await ctx.ready();
  const keyId = parseId(id);
  const p = parseObject(updatePatchSchema, UPDATE_KEYS, patch, 'patch');
  const o =
    options === undefined
      ? {}
      : parseObject(updateOptionsSchema, UPDATE_OPTION_KEYS, options, 'options', 'options');
  const actor = o.actor ?? null;
  const now = ctx.clock.now();
  const { record } = await auditedUpdate(
    ctx,
    keyId,
    (current) => applyPatch(current, p, now),
    (after) => ({
      type: 'key.updated',
      recordId: keyId,
      kind: 'api_key',
      tenantId: after.tenantId,
      actor,
      data: { fields: changedFields(p), status: after.status },
    }),
    o.expectedRevision,
  );
  return toApiKeyInfo(record, ctx.clock.now());
}

/**
 * `revoke(id, { reason?, actor?, expectedRevision? })`: permanent. Revoking a revoked key returns
 * it unchanged. With `expectedRevision` it lands only on that revision.
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_CONFLICT` (stale
 *   `expectedRevision`), `ERR_AUDIT`, `ERR_STORAGE`.
 * @example
 * ```ts
 * await revokeApiKey(ctx, id, { reason: 'leaked' });
 * ```
 */
export async function revokeApiKey(ctx: StoreContext, id: unknown, options?: unknown): Promise<ApiKeyInfo> {
  await ctx.ready();
  const keyId = parseId(id);
  const o =
    options === undefined ? {} : parseObject(revokeOptionsSchema, REVOKE_KEYS, options, 'options', 'options');
  const now = ctx.clock.now();
  const reason = o.reason ?? null;
  const { record, changed } = await auditedUpdate(
    ctx,
    keyId,
    (current) => {
      if (current.status === 'revoked') return null;
      const data = readApiKeyData(current);
      data.revokedAt = now;
      data.revokeReason = reason;
      return { ...current, status: 'revoked', data: writeApiKeyData(data) };
    },
    (after) => ({
      type: 'key.revoked',
      recordId: keyId,
      kind: 'api_key',
      tenantId: after.tenantId,
      actor: o.actor ?? null,
      data: { reason },
    }),
    o.expectedRevision,
  );
  if (changed) ctx.notify({ ...eventBase(record, now), type: 'key.revoked', reason });
  return toApiKeyInfo(record, ctx.clock.now());
}

/**
 * `delete(id, { actor?, expectedRevision? })`: removes the record (its audit events stay). If the
 * audit write fails the record is restored and `ERR_AUDIT` thrown. With `expectedRevision` it
 * happens only on that revision.
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_CONFLICT` (stale
 *   `expectedRevision`), `ERR_AUDIT`, `ERR_STORAGE`.
 * @example
 * ```ts
 * await deleteApiKey(ctx, id);
 * ```
 */
export async function deleteApiKey(ctx: StoreContext, id: unknown, options?: unknown): Promise<void> {
  await ctx.ready();
  const keyId = parseId(id);
  const o =
    options === undefined
      ? {}
      : parseObject(updateOptionsSchema, UPDATE_OPTION_KEYS, options, 'options', 'options');
  const actor = o.actor ?? null;
  const deleted = await deleteRecord(ctx, () => loadRecord(ctx, keyId, 'api_key'), {
    expectedRevision: o.expectedRevision,
    audit: (record) => ({
      type: 'key.deleted',
      recordId: keyId,
      kind: 'api_key',
      tenantId: record.tenantId,
      actor,
      data: { name: record.name, start: readApiKeyData(record).start },
    }),
  });
  if (deleted === null) throw new KeywardenError('ERR_NOT_FOUND', 'API key not found', { field: 'id' });
}
