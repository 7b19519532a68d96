/**
 * The one audited write path. Every record write of the library goes through these three
 * functions, which share one discipline:
 *
 * 1. write with compare-and-swap, retrying a lost race (`ERR_CONFLICT`) with the one backoff
 *    policy (src/internal/cas-retry.ts), re-running the mutation on the fresh record;
 * 2. write the audit events of the change;
 * 3. if the audit write fails, undo the write (an update put back, a create deleted, a delete
 *    re-created; skipped when a concurrent writer moved on) and rethrow `ERR_AUDIT`.
 *
 * A mutation returns its result next to the new record, so nothing travels out through closures.
 * Capabilities in their own subpath reach these through `capabilityContext(km)`.
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import { casBackoff, MAX_CAS_ATTEMPTS } from '../internal/cas-retry.js';
import type { RecordKind, StoredRecord } from '../ports/storage.js';
import type { AuditDraft, StoreContext } from './context.js';
import { computeDueAt } from './due.js';
import { loadRecord } from './record.js';

/** What a mutation returns: the new record body (`null`: leave the record as it is) and a result. */
export interface RecordChange<R> {
  /** The record to write in place of the current one, or `null` to write nothing (and audit nothing). */
  next: StoredRecord | null;
  /** What the mutation returns to its caller (from the attempt that won the compare-and-swap). */
  result: R;
}

/** A mutation: called with the current record, again after each lost race. */
export type RecordMutation<R> = (current: StoredRecord) => RecordChange<R> | Promise<RecordChange<R>>;

/** The audit events of a write; `null` or `[]`: nothing to audit. */
export type AuditDrafts = AuditDraft | readonly AuditDraft[] | null;

/** What {@link mutateRecord} returns. */
export interface MutatedRecord<R> {
  /** The record as stored now (the unchanged one when the mutation returned `next: null`). */
  record: StoredRecord;
  /** The record the winning attempt of the mutation was applied to. */
  before: StoredRecord;
  /** Whether a write happened. */
  changed: boolean;
  /** The mutation's result of the winning attempt. */
  result: R;
}

/** Options of {@link mutateRecord}. */
export interface MutateRecordOptions<R> {
  /** The record already loaded (saves a read; a stale one only costs a retry). */
  record?: StoredRecord;
  /** The audit events of a change, written after it (the change is undone if they cannot be). */
  audit?: (change: { before: StoredRecord; after: StoredRecord; result: R }) => AuditDrafts;
  /** Attempts before `ERR_CONFLICT` (default: the one CAS policy). Internal: undo uses 1. */
  maxAttempts?: number;
  /**
   * The revision the caller read (read-modify-write across processes): the write happens only on
   * that revision; any other (before or during the write) is `ERR_CONFLICT`, never retried.
   */
  expectedRevision?: number | undefined;
}

function staleRevision(): KeywardenError {
  return new KeywardenError(
    'ERR_CONFLICT',
    'the record changed since it was read (expectedRevision is stale)',
    {
      field: 'expectedRevision',
    },
  );
}

function draftList(drafts: AuditDrafts): AuditDraft[] {
  if (drafts === null) return [];
  return Array.isArray(drafts) ? [...(drafts as readonly AuditDraft[])] : [drafts as AuditDraft];
}

/**
 * Reads the record `id` of `kind`, applies `mutate`, writes the result with compare-and-swap
 * (setting `revision`, `updatedAt` and `dueAt`), retrying lost races, then writes the audit
 * events of `options.audit`; if they cannot be written the change is undone and `ERR_AUDIT`
 * thrown.
 *
 * @example
 * ```ts
 * const { record, result } = await mutateRecord(ctx, id, 'api_key', (cur) => ({
 *   next: { ...cur, tags: ['ci'] },
 *   result: cur.tags.length,
 * }), { audit: ({ after }) => ({ type: 'key.updated', recordId: after.id, kind: after.kind }) });
 * ```
 * @throws KeywardenError `ERR_NOT_FOUND` (absent or of another kind), `ERR_CONFLICT` (still losing
 *   after the retries, or at once when `options.expectedRevision` is not the stored revision), `ERR_AUDIT` (after the undo), `ERR_STORAGE`, and whatever `mutate` throws.
 */
export async function mutateRecord<R>(
  ctx: StoreContext,
  id: string,
  kind: RecordKind,
  mutate: RecordMutation<R>,
  options: MutateRecordOptions<R> = {},
): Promise<MutatedRecord<R>> {
  const maxAttempts = options.maxAttempts ?? MAX_CAS_ATTEMPTS;
  const expected = options.expectedRevision;
  let current = options.record ?? (await loadRecord(ctx, id, kind));
  if (expected !== undefined && options.record !== undefined && current.revision !== expected) {
    current = await loadRecord(ctx, id, kind);
  }
  for (let attempt = 1; ; attempt++) {
    if (expected !== undefined && current.revision !== expected) throw staleRevision();
    const { next, result } = await mutate(current);
    if (next === null) return { record: current, before: current, changed: false, result };
    const written: StoredRecord = { ...next, revision: current.revision + 1, updatedAt: ctx.clock.now() };
    written.dueAt = computeDueAt(written);
    try {
      await ctx.storage.update(written, { expectedRevision: current.revision });
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      if (expected !== undefined) throw staleRevision();
      if (attempt >= maxAttempts) {
        ctx.log?.warn('compare-and-swap retries exhausted', { recordId: id, attempts: attempt });
        throw error;
      }
      await casBackoff(attempt);
      current = await loadRecord(ctx, id, kind);
      continue;
    }
    const before = current;
    if (kind === 'key')
      ctx.openedKeys?.drop(id); // rotated, revoked or changed: reopen on next use
    else if (kind === 'secret') ctx.openedDataKeys?.drop(id);
    if (options.audit) {
      await auditOrUndo(ctx, draftList(options.audit({ before, after: written, result })), () =>
        undoUpdate(ctx, before, written),
      );
    }
    return { record: written, before, changed: true, result };
  }
}

/**
 * Creates `records` one by one, then writes `audit` (one batch). If a create or the audit write
 * fails, the records already created are deleted again and the error is rethrown: a failed call
 * leaves nothing behind.
 *
 * @example
 * ```ts
 * await createRecords(ctx, [record], { audit: { type: 'key.created', recordId: record.id, kind: 'key' } });
 * ```
 * @throws KeywardenError `ERR_ALREADY_EXISTS` (a unique name taken), `ERR_AUDIT`, `ERR_STORAGE`.
 */
export async function createRecords(
  ctx: StoreContext,
  records: readonly StoredRecord[],
  options: { audit: AuditDrafts },
): Promise<void> {
  const written: StoredRecord[] = [];
  try {
    for (const record of records) {
      await ctx.storage.create(record);
      written.push(record);
    }
    await ctx.audit(draftList(options.audit));
  } catch (error) {
    for (const r of written) await undoCreate(ctx, r);
    throw error;
  }
}

/**
 * Deletes the record `load` finds, with compare-and-swap on its revision (a concurrent change
 * loads it again, with the one retry policy), then writes the audit events of `options.audit`;
 * if they cannot be written the record is created again and `ERR_AUDIT` thrown. Returns the
 * deleted record, or `null` when there was none.
 *
 * @example
 * ```ts
 * const gone = await deleteRecord(ctx, () => ctx.storage.get(id), {
 *   audit: (r) => ({ type: 'key.deleted', recordId: r.id, kind: r.kind }),
 * });
 * ```
 * With `options.expectedRevision` the delete happens only on that revision: any other (before or
 * during the delete) is `ERR_CONFLICT` at once, never retried.
 * @throws KeywardenError `ERR_CONFLICT` (after the retries, or a stale `expectedRevision`),
 *   `ERR_AUDIT`, `ERR_STORAGE`, and whatever `load` throws.
 */
export async function deleteRecord(
  ctx: StoreContext,
  load: () => Promise<StoredRecord | null>,
  options: { audit: (deleted: StoredRecord) => AuditDrafts; expectedRevision?: number | undefined },
): Promise<StoredRecord | null> {
  const expected = options.expectedRevision;
  for (let attempt = 1; ; attempt++) {
    const record = await load();
    if (record === null) return null;
    if (expected !== undefined && record.revision !== expected) throw staleRevision();
    try {
      if (!(await ctx.storage.delete(record.id, { expectedRevision: record.revision }))) {
        if (expected !== undefined) throw staleRevision(); // gone since it was read
        return null;
      }
      ctx.openedKeys?.drop(record.id);
      ctx.openedDataKeys?.drop(record.id);
    } catch (error) {
      if (isKeywardenError(error, 'ERR_CONFLICT') && expected !== undefined) throw staleRevision();
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      if (attempt >= MAX_CAS_ATTEMPTS) {
        ctx.log?.warn('compare-and-swap retries exhausted', { recordId: record.id, attempts: attempt });
        throw error;
      }
      await casBackoff(attempt);
      continue;
    }
    await auditOrUndo(ctx, draftList(options.audit(record)), () => undoDelete(ctx, record));
    return record;
  }
}

async function auditOrUndo(
  ctx: StoreContext,
  drafts: AuditDraft[],
  undo: () => Promise<void>,
): Promise<void> {
  if (drafts.length === 0) return;
  try {
    await ctx.audit(drafts);
  } catch (error) {
    await undo();
    throw error;
  }
}

/** Puts `before` back, only if the record is still at the revision of `after`. Never throws. */
async function undoUpdate(ctx: StoreContext, before: StoredRecord, after: StoredRecord): Promise<void> {
  try {
    const restored: StoredRecord = { ...before, revision: after.revision + 1, updatedAt: ctx.clock.now() };
    restored.dueAt = computeDueAt(restored);
    await ctx.storage.update(restored, { expectedRevision: after.revision });
  } catch {
    // a concurrent writer moved on: nothing more can be undone safely
  }
}

async function undoCreate(ctx: StoreContext, record: StoredRecord): Promise<void> {
  try {
    await ctx.storage.delete(record.id, { expectedRevision: record.revision });
  } catch {
    // changed or gone meanwhile: their write stands
  }
}

async function undoDelete(ctx: StoreContext, record: StoredRecord): Promise<void> {
  try {
    await ctx.storage.create(record);
  } catch {
    // restoring failed too; the audit failure is the error to report
  }
}
