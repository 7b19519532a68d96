/**
 * After a successful CAS write: the audit events (written first; the change is reverted and the
 * call fails with `ERR_AUDIT` when they cannot be written) and then the notifications. Only the
 * runner whose write succeeded gets here, so each event is emitted once.
 * @internal
 * @module
 */
import type { JsonObject } from '../ports/json.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import type { AuditDraft, StoreContext } from '../store/context.js';
import type { NoticeTarget } from '../store/due.js';
import { eventBase, updateRecord } from '../store/records.js';
import type { RotationStrategy } from './types.js';

/** What one write changed, for audit and notification. */
export interface ChangeSet {
  /** The record before the write (for the revert). */
  before: StoredRecord;
  /** The record as written. */
  after: StoredRecord;
  promoted: number[];
  retired: number[];
  expired: boolean;
  notice: NoticeTarget | null;
  rotated: {
    version: number;
    previousVersion: number | null;
    strategy: RotationStrategy;
    manual: boolean;
  } | null;
  rolledBack: { version: number; fromVersion: number } | null;
  /** A provider rotation was started (or resumed after a lost lease). */
  started: { version: number; provider: string; resumed: boolean } | null;
  actor: string | null;
}

/**
 * An empty change set for `before` → `after`.
 * @example
 * ```ts
 * const c = changeSet(cur, next, actor);
 * c.rotated = { version: 2, previousVersion: 1, strategy: 'overlap', manual: true };
 * ```
 * @throws never
 */
export function changeSet(before: StoredRecord, after: StoredRecord, actor: string | null = null): ChangeSet {
  return {
    before,
    after,
    promoted: [],
    retired: [],
    expired: false,
    notice: null,
    rotated: null,
    rolledBack: null,
    started: null,
    actor,
  };
}

function drafts(c: ChangeSet): AuditDraft[] {
  const r = c.after;
  const base = (type: AuditDraft['type'], version: number | null, data: JsonObject = {}): AuditDraft => ({
    type,
    keyId: r.id,
    kind: r.kind,
    version,
    tenantId: r.tenantId,
    actor: c.actor,
    data,
  });
  const out: AuditDraft[] = [];
  if (c.started) {
    out.push(
      base('rotation.started', c.started.version, {
        provider: c.started.provider,
        resumed: c.started.resumed,
      }),
    );
  }
  for (const v of c.promoted) out.push(base('version.promoted', v));
  if (c.rotated) {
    out.push(
      base('key.rotated', c.rotated.version, {
        strategy: c.rotated.strategy,
        previousVersion: c.rotated.previousVersion,
        manual: c.rotated.manual,
      }),
    );
  }
  if (c.rolledBack)
    out.push(base('key.rolled_back', c.rolledBack.version, { fromVersion: c.rolledBack.fromVersion }));
  for (const v of c.retired) out.push(base('version.retired', v));
  if (c.expired) out.push(base('key.expired', null, { expiresAt: r.expiresAt }));
  return out;
}

/**
 * Notifier events of a change set (never a secret).
 * @example
 * ```ts
 * for (const e of notifications(c, now)) ctx.notify(e);
 * ```
 * @throws never
 */
export function notifications(c: ChangeSet, at: number): KeyEvent[] {
  const r = c.after;
  const out: KeyEvent[] = [];
  for (const v of c.promoted) out.push({ ...eventBase(r, at, v), type: 'version.promoted' });
  if (c.rotated) {
    out.push({
      ...eventBase(r, at, c.rotated.version),
      type: 'key.rotated',
      previousVersion: c.rotated.previousVersion,
      strategy: c.rotated.strategy,
    });
  }
  if (c.rolledBack) {
    out.push({
      ...eventBase(r, at, c.rolledBack.version),
      type: 'key.rolled_back',
      fromVersion: c.rolledBack.fromVersion,
    });
  }
  for (const v of c.retired) out.push({ ...eventBase(r, at, v), type: 'version.retired' });
  if (c.expired) out.push({ ...eventBase(r, at), type: 'key.expired', expiresAt: r.expiresAt ?? at });
  if (c.notice) {
    out.push({
      ...eventBase(r, at, c.notice.version),
      type: 'key.expiring',
      expiresAt: c.notice.target,
      reason: c.notice.reason,
    });
  }
  return out;
}

/**
 * Writes the audit events of `c`, then notifies. If the audit write fails, tries to put the record
 * back as it was (only if nobody changed it since) and rethrows `ERR_AUDIT`: nothing unaudited
 * stays in effect, and no notification is sent.
 *
 * @example
 * ```ts
 * await publish(ctx, change, now);
 * ```
 * @throws KeywardenError `ERR_AUDIT`.
 */
export async function publish(ctx: StoreContext, c: ChangeSet, at: number): Promise<void> {
  const list = drafts(c);
  try {
    await ctx.audit(list);
  } catch (error) {
    await revert(ctx, c);
    throw error;
  }
  for (const e of notifications(c, at)) ctx.notify(e);
}

/**
 * Best-effort undo of a write whose audit failed: writes `c.before` back, only if the record is
 * still at the revision written.
 * @example
 * ```ts
 * await revert(ctx, c);
 * ```
 * @throws never (a failed revert is swallowed; the caller reports ERR_AUDIT)
 */
export async function revert(ctx: StoreContext, c: ChangeSet): Promise<void> {
  try {
    await updateRecord(
      ctx,
      c.after.id,
      c.after.kind,
      (cur) => (cur.revision === c.after.revision ? { ...c.before } : null),
      { record: c.after, maxAttempts: 1 },
    );
  } catch {
    // the record stays as written; the caller still gets ERR_AUDIT
  }
}
