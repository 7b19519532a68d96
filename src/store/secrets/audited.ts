/**
 * Mutations fail if their audit event cannot be written, and leave nothing behind: the record is
 * written first (compare-and-swap), then the audit event; if the audit write fails, the write is
 * undone (a create deleted, an update put back, a delete re-created) and `ERR_AUDIT` rethrown.
 * Shared by the secrets and keys views; the API keys view does the same.
 * @internal
 * @module
 */
import type { StoredRecord } from '../../ports/storage.js';
import type { AuditDraft, StoreContext } from '../context.js';

/**
 * Writes the audit event of a mutation that turned `before` (null: created) into `after`
 * (null: deleted), undoing the mutation if the audit write fails.
 *
 * @example
 * ```ts
 * await auditMutation(ctx, before, after, { type: 'secret.set', keyId: after.id, kind: 'secret' });
 * ```
 * @throws KeywardenError `ERR_AUDIT` (after undoing; if a concurrent writer changed the record in
 *   the meantime, the undo is skipped: their write stands).
 */
export async function auditMutation(
  ctx: StoreContext,
  before: StoredRecord | null,
  after: StoredRecord | null,
  draft: AuditDraft | AuditDraft[],
): Promise<void> {
  try {
    await ctx.audit(draft);
  } catch (error) {
    try {
      if (after === null && before !== null) await ctx.storage.create(before);
      else if (after !== null && before === null)
        await ctx.storage.delete(after.id, { expectedRevision: after.revision });
      else if (after !== null && before !== null) {
        await ctx.storage.update(
          { ...before, revision: after.revision + 1, updatedAt: ctx.clock.now() },
          { expectedRevision: after.revision },
        );
      }
    } catch {
      // a concurrent writer moved on: nothing more can be undone safely
    }
    throw error;
  }
}
