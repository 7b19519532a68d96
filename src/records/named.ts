/**
 * What the secrets and keys views share: both hold uniquely named records (one per name, tenant and
 * environment), loaded, listed and deleted the same way.
 * @internal
 * @module
 */
import { parseInput } from '../internal/validate.js';
import type { AuditEventType, ListQuery, StoredRecord } from '../ports/storage.js';
import type { StoreContext } from './context.js';
import { loadByName } from './record.js';
import { namedDeleteSchema, namedScopeSchema, nameSchema } from './schemas.js';
import { resolveScope } from './scope.js';
import { deleteRecord } from './write.js';

/** The kinds of record that have a unique name. */
export type NamedKind = 'secret' | 'key';

/** A parsed scope: `environment` and `tenantId`, defaulted by {@link resolveScope}. */
export interface NamedScope {
  environment?: string | undefined;
  tenantId?: string | null | undefined;
}

/** A parsed list query of secrets or keys (`provider` only for secrets). */
export interface NamedListOptions extends NamedScope {
  tag?: string | undefined;
  provider?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/**
 * Loads the record of a validated `name` in `scope` (after `ctx.ready()`).
 *
 * @example
 * ```ts
 * const record = await loadNamedRecord(ctx, 'key', 'jwt', { environment: 'production' });
 * ```
 * @throws KeywardenError `ERR_NOT_FOUND` (field `name`), `ERR_STORAGE`, `ERR_CLOSED`,
 *   `ERR_MASTER_KEY_MISMATCH`.
 */
export async function loadNamedRecord(
  ctx: StoreContext,
  kind: NamedKind,
  name: string,
  scope: NamedScope,
): Promise<StoredRecord> {
  const { environment, tenantId } = resolveScope(scope);
  await ctx.ready();
  return loadByName(ctx, kind, name, environment, tenantId);
}

/**
 * Validates a public `name` (first) and `options` (`{ environment?, tenantId? }`), then loads the record.
 *
 * @example
 * ```ts
 * const record = await loadNamed(ctx, 'secret', 'OPENAI_API_KEY', { environment: 'production' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `name` or `options…`), and as {@link loadNamedRecord}.
 */
export async function loadNamed(
  ctx: StoreContext,
  kind: NamedKind,
  name: unknown,
  options: unknown,
): Promise<StoredRecord> {
  const n = parseInput(nameSchema, name, 'name');
  const o = parseInput(namedScopeSchema, options ?? {}, 'options');
  return loadNamedRecord(ctx, kind, n, o);
}

/**
 * One page of secrets or keys matching parsed list options (default limit 100), mapped by `toInfo`.
 *
 * @example
 * ```ts
 * const page = await listNamed(ctx, 'key', { tag: 'jwt' }, toKeyInfo);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `cursor`, from the adapter), `ERR_STORAGE`, `ERR_CLOSED`.
 */
export async function listNamed<T>(
  ctx: StoreContext,
  kind: NamedKind,
  o: NamedListOptions,
  toInfo: (record: StoredRecord) => T,
): Promise<{ items: T[]; cursor?: string }> {
  await ctx.ready();
  const query: ListQuery = { kind, limit: o.limit ?? 100 };
  if (o.environment !== undefined) query.environment = o.environment;
  if (o.tenantId !== undefined) query.tenantId = o.tenantId;
  if (o.tag !== undefined) query.tag = o.tag;
  if (o.provider !== undefined) query.provider = o.provider;
  if (o.cursor !== undefined) query.cursor = o.cursor;
  const page = await ctx.storage.list(query);
  const out: { items: T[]; cursor?: string } = { items: page.items.map((r) => toInfo(r)) };
  if (page.cursor !== undefined) out.cursor = page.cursor;
  return out;
}

/**
 * Deletes the record of a public `name` in `options`' scope (compare-and-swap, retried on a
 * concurrent change with the one retry policy) and audits it as `auditType`; if that audit write fails the
 * record is put back. Returns false when there was nothing to delete.
 *
 * @example
 * ```ts
 * await deleteNamed(ctx, 'secret', 'OPENAI_API_KEY', { environment: 'production' }, 'secret.deleted');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `name` or `options…`), `ERR_CONFLICT` (after the
 *   retries), `ERR_AUDIT`, `ERR_STORAGE`, `ERR_CLOSED`.
 */
export async function deleteNamed(
  ctx: StoreContext,
  kind: NamedKind,
  name: unknown,
  options: unknown,
  auditType: Extract<AuditEventType, 'secret.deleted' | 'key.deleted'>,
): Promise<boolean> {
  const n = parseInput(nameSchema, name, 'name');
  const o = parseInput(namedDeleteSchema, options ?? {}, 'options');
  const { environment, tenantId } = resolveScope(o);
  await ctx.ready();
  const deleted = await deleteRecord(ctx, () => ctx.storage.findByName(n, { kind, environment, tenantId }), {
    audit: (record) => ({ type: auditType, recordId: record.id, kind, tenantId: record.tenantId }),
    expectedRevision: o.expectedRevision,
  });
  return deleted !== null;
}

/** The fields of a new named record that differ between secrets and keys. */
export type NewNamedRecord = Pick<
  StoredRecord,
  'id' | 'kind' | 'name' | 'tenantId' | 'environment' | 'data'
> &
  Partial<Pick<StoredRecord, 'expiresAt' | 'tags' | 'meta' | 'versions'>>;

/**
 * A revision-1, active, uniquely named record created at `now` (no owner, provider or rotation
 * policy; `expiresAt` null, no tags, empty meta and no versions unless given; `dueAt` null: the
 * caller computes it once the versions are in).
 *
 * @example
 * ```ts
 * const record = newNamedRecord({ id, kind: 'key', name: 'jwt', tenantId: null, environment: 'default', data: {} }, now);
 * ```
 * @throws never
 */
export function newNamedRecord(fields: NewNamedRecord, now: number): StoredRecord {
  return {
    id: fields.id,
    kind: fields.kind,
    name: fields.name,
    uniqueName: true,
    tenantId: fields.tenantId,
    environment: fields.environment,
    ownerId: null,
    status: 'active',
    revision: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: fields.expiresAt ?? null,
    dueAt: null,
    tags: fields.tags ?? [],
    provider: null,
    data: fields.data,
    meta: fields.meta ?? {},
    rotation: null,
    versions: fields.versions ?? [],
  };
}
