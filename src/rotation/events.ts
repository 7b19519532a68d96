/**
 * What a rotation write changed, as audit events (written by the one write path right after the
 * change, which is undone when they cannot be written) and then as notifications. Only the runner
 * whose write succeeded gets here, so each event is emitted once.
 * @internal
 * @module
 */
import type { JsonObject } from '../ports/json.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import type { AuditDraft, StoreContext } from '../records/context.js';
import type { NoticeTarget } from '../records/due.js';
import { eventBase } from '../records/record.js';
import type { RotationStrategy } from '../records/rotation-types.js';

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
 * declare const cur: StoredRecord;
 * declare const next: StoredRecord;
 * declare const actor: string | null | undefined;
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

/**
 * The audit events of a change set, in order (what the write path writes after the change).
 * @example
 * ```ts
 * declare const apply: RecordMutation<ChangeSet>;
 * await mutateRecord(ctx, id, 'secret', apply, { audit: ({ after, result }) => changeDrafts({ ...result, after }) });
 * ```
 * @throws never
 */
export function changeDrafts(c: ChangeSet): AuditDraft[] {
  const r = c.after;
  const base = (type: AuditDraft['type'], version: number | null, data: JsonObject = {}): AuditDraft => ({
    type,
    recordId: r.id,
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
 * declare const c: ChangeSet;
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
      rotatesAt: c.notice.reason === 'rotation' ? c.notice.target : null,
      reason: c.notice.reason,
      late: c.notice.target <= at,
    });
  }
  return out;
}

/**
 * Sends the notifications of a change set whose write and audit succeeded (fire-and-forget).
 *
 * @example
 * ```ts
 * declare const change: ChangeSet; // what the mutation decided
 * declare const written: StoredRecord; // the record as stored
 * notifyChange(ctx, { ...change, after: written }, now);
 * ```
 * @throws never
 */
export function notifyChange(ctx: StoreContext, c: ChangeSet, at: number): void {
  for (const e of notifications(c, at)) ctx.notify(e);
}
