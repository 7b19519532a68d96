/**
 * One transition of an access record: a compare-and-swap write (retried on `ERR_CONFLICT` with
 * backoff, re-deciding on the fresh record each time), then its audit events (on an audit failure
 * the write is undone and `ERR_AUDIT` thrown: fail closed), then its notifier events.
 * @internal
 * @module
 */
import type { AuditDraft } from '../extension/index.js';
import { MAX_CAS_ATTEMPTS } from '../internal/cas-retry.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import { mutateRecord } from '../records/write.js';
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
 * declare const existing: StoredRecord;
 * const { record } = await transition(a, existing, (cur) => ({ next: { ...cur, status: 'revoked' }, drafts: [], events: [] }));
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
  const outcome = await mutateRecord(
    a.ctx,
    existing.id,
    existing.kind,
    (current) => {
      const plan = decide(current);
      return { next: plan === null ? null : plan.next, result: plan };
    },
    {
      record: existing,
      maxAttempts: options.maxAttempts ?? MAX_CAS_ATTEMPTS,
      // fail closed: a transition whose audit events cannot be written is undone (ERR_AUDIT)
      audit: ({ result }) => result?.drafts ?? null,
    },
  );
  const plan = outcome.result;
  if (!outcome.changed || plan === null) return { record: outcome.record, changed: false };
  for (const e of plan.events) a.ctx.notify(e);
  return { record: outcome.record, changed: true };
}
