/**
 * One transition of an access record: a compare-and-swap write (retried on `ERR_CONFLICT` with
 * backoff, re-deciding on the fresh record each time), then its audit events (on an audit failure
 * the write is undone and `ERR_AUDIT` thrown: fail closed), then its notifier events.
 * @internal
 * @module
 */
import type { AuditDraft } from '../extension/index.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import { updateRecord } from '../store/records.js';
import type { AccessContext } from './context.js';

/** What a decision returns: the new record body, its audit drafts and notifier events. */
export interface TransitionPlan {
  next: StoredRecord;
  drafts: AuditDraft[];
  events: KeyEvent[];
}

/**
 * Applies `decide` to the current record with CAS. `decide` returns null to write nothing, or
 * throws to refuse (e.g. `ERR_INVALID_STATE`); it may run more than once (once per attempt).
 *
 * @example
 * ```ts
 * const { record } = await transition(a, existing, (cur) => ({ next: { ...cur, status: 'revoked' }, drafts, events }));
 * ```
 * @throws KeywardenError whatever `decide` throws, `ERR_NOT_FOUND`, `ERR_CONFLICT` (after many
 *   attempts), `ERR_AUDIT` (the write was undone), `ERR_STORAGE`.
 */
export async function transition(
  a: AccessContext,
  existing: StoredRecord,
  decide: (current: StoredRecord) => TransitionPlan | null,
  options: { maxAttempts?: number } = {},
): Promise<{ record: StoredRecord; changed: boolean }> {
  let plan: TransitionPlan | null = null;
  let before = existing;
  const { record, changed } = await updateRecord(
    a.ctx,
    existing.id,
    existing.kind,
    (current) => {
      before = current;
      plan = decide(current);
      return plan === null ? null : plan.next;
    },
    { record: existing, maxAttempts: options.maxAttempts ?? 100 },
  );
  const p = plan as TransitionPlan | null;
  if (!changed || p === null) return { record, changed: false };
  if (p.drafts.length > 0) {
    try {
      await a.ctx.audit(p.drafts);
    } catch (error) {
      try {
        await a.ctx.storage.update(
          { ...before, revision: record.revision + 1, updatedAt: a.ctx.clock.now() },
          { expectedRevision: record.revision },
        );
      } catch {
        // a concurrent writer moved on: nothing more can be undone safely
      }
      throw error;
    }
  }
  for (const e of p.events) a.ctx.notify(e);
  return { record, changed: true };
}
