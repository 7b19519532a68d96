/**
 * Record plumbing shared by the views: typed loads, compare-and-swap updates with retry,
 * version builders, and the base of notifier events.
 * @internal
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import type { KeyEventBase } from '../ports/notifier.js';
import type { RecordKind, StoredRecord, StoredVersion } from '../ports/storage.js';
import { kindDescriptor } from '../records/kinds.js';
import type { StoreContext } from './context.js';
import { computeDueAt } from './due.js';

/**
 * Loads a record of `kind` by id.
 * @throws KeywardenError `ERR_NOT_FOUND` when absent or of another kind.
 * @example
 * ```ts
 * const record = await loadRecord(ctx, id, 'api_key');
 * ```
 */
export async function loadRecord(ctx: StoreContext, id: string, kind: RecordKind): Promise<StoredRecord> {
  const record = await ctx.storage.get(id);
  if (!record || record.kind !== kind) {
    throw new KeywardenError('ERR_NOT_FOUND', `${kindDescriptor(kind).label} not found`, { field: 'id' });
  }
  return record;
}

/**
 * Loads a uniquely named record (secret or key).
 * @throws KeywardenError `ERR_NOT_FOUND`.
 * @example
 * ```ts
 * const record = await loadByName(ctx, 'secret', 'OPENAI_API_KEY', 'production', null);
 * ```
 */
export async function loadByName(
  ctx: StoreContext,
  kind: RecordKind,
  name: string,
  environment: string,
  tenantId: string | null,
): Promise<StoredRecord> {
  const record = await ctx.storage.findByName(name, { kind, environment, tenantId });
  if (!record)
    throw new KeywardenError('ERR_NOT_FOUND', `${kindDescriptor(kind).label} not found`, { field: 'name' });
  return record;
}

/** What a mutation callback returns: the new record body, or `null` to leave the record as is. */
export type Mutation = (current: StoredRecord) => StoredRecord | null | Promise<StoredRecord | null>;

/**
 * Reads a record, applies `mutate`, and writes it with compare-and-swap, retrying on
 * `ERR_CONFLICT` with jittered backoff. Sets `revision`, `updatedAt` and `dueAt`.
 * Returns the stored record (or the unchanged one when `mutate` returned null).
 * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_CONFLICT` after `maxAttempts`, `ERR_STORAGE`.
 * @example
 * ```ts
 * const { record, changed } = await updateRecord(ctx, id, 'key', (cur) => ({ ...cur, tags: ['jwt'] }));
 * ```
 */
export async function updateRecord(
  ctx: StoreContext,
  id: string,
  kind: RecordKind,
  mutate: Mutation,
  options: { maxAttempts?: number; record?: StoredRecord } = {},
): Promise<{ record: StoredRecord; changed: boolean }> {
  const maxAttempts = options.maxAttempts ?? 50;
  let current = options.record ?? (await loadRecord(ctx, id, kind));
  for (let attempt = 1; ; attempt++) {
    const next = await mutate(current);
    if (next === null) return { record: current, changed: false };
    const written: StoredRecord = {
      ...next,
      revision: current.revision + 1,
      updatedAt: ctx.clock.now(),
    };
    written.dueAt = computeDueAt(written);
    try {
      await ctx.storage.update(written, { expectedRevision: current.revision });
      return { record: written, changed: true };
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT') || attempt >= maxAttempts) throw error;
      await backoff(attempt);
      current = await loadRecord(ctx, id, kind);
    }
  }
}

/**
 * {@link updateRecord} of a record already loaded, also returning `before`: the stored version the
 * winning attempt of `mutate` was applied to (what an audit failure must restore).
 *
 * @example
 * ```ts
 * const { record, before } = await updateLoadedRecord(ctx, existing, (cur) => ({ ...cur, tags: ['x'] }));
 * await auditMutation(ctx, before, record, draft);
 * ```
 * @throws KeywardenError as {@link updateRecord}, and whatever `mutate` throws.
 */
export async function updateLoadedRecord(
  ctx: StoreContext,
  existing: StoredRecord,
  mutate: Mutation,
): Promise<{ record: StoredRecord; before: StoredRecord }> {
  let before = existing;
  const { record } = await updateRecord(
    ctx,
    existing.id,
    existing.kind,
    (cur) => {
      before = cur;
      return mutate(cur);
    },
    { record: existing },
  );
  return { record, before };
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** Math.min(attempt, 6)) * Math.random();
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A version with every optional field defaulted.
 *
 * @example
 * ```ts
 * const v = makeVersion({ version: 1, state: 'current', createdAt: now, hash });
 * ```
 * @throws never
 */
export function makeVersion(
  fields: Pick<StoredVersion, 'version' | 'state' | 'createdAt'> & Partial<StoredVersion>,
): StoredVersion {
  return {
    activatedAt: fields.state === 'current' ? fields.createdAt : null,
    promoteAt: null,
    retireAt: null,
    retiredAt: null,
    kid: null,
    hash: null,
    sealed: null,
    publicJwk: null,
    destroyedAt: null,
    data: {},
    ...fields,
  };
}

/**
 * The next version number of a record.
 *
 * @example
 * ```ts
 * nextVersionNumber(record); // 1 + the highest version number
 * ```
 * @throws never
 */
export function nextVersionNumber(record: StoredRecord): number {
  let max = 0;
  for (const v of record.versions) if (v.version > max) max = v.version;
  return max + 1;
}

/**
 * The current version, or undefined (e.g. every version retired).
 *
 * @example
 * ```ts
 * const v = currentVersion(record)?.version ?? null;
 * ```
 * @throws never
 */
export function currentVersion(record: StoredRecord): StoredVersion | undefined {
  return record.versions.find((v) => v.state === 'current');
}

/**
 * Versions that are accepted at `now`: current, pending, and previous ones whose `retireAt`
 * has not passed (a previous with `retireAt: null` is accepted until retired).
 * @example
 * ```ts
 * const live = acceptedVersions(record, clock.now()); // what verify still accepts
 * ```
 * @throws never
 */
export function acceptedVersions(record: StoredRecord, now: number): StoredVersion[] {
  return record.versions.filter(
    (v) =>
      v.state === 'current' ||
      v.state === 'pending' ||
      (v.state === 'previous' && (v.retireAt === null || v.retireAt > now)),
  );
}

/**
 * The fields every notifier event shares.
 *
 * @example
 * ```ts
 * ctx.notify({ ...eventBase(record, now, 2), type: 'key.rotated' });
 * ```
 * @throws never
 */
export function eventBase(record: StoredRecord, at: number, version?: number): KeyEventBase {
  const base: KeyEventBase = {
    at,
    keyId: record.id,
    kind: record.kind,
    name: record.name,
    tenantId: record.tenantId,
    environment: record.environment,
  };
  if (version !== undefined) base.version = version;
  return base;
}
