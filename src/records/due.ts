/**
 * `dueAt`: the earliest time the rotator has work on a record. Written on every update so
 * `StorageAdapter.dueForRotation` can be an indexed query.
 * @internal
 * @module
 */
import type { JsonObject } from '../ports/json.js';
import type { StoredRecord } from '../ports/storage.js';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The `key.expiring` notice a record still owes for its current version. */
export interface NoticeTarget {
  /** The current version the notice is about. */
  version: number;
  /** What ends it: the record's expiry or its next scheduled rotation. */
  reason: 'expiry' | 'rotation';
  /** When it ends (epoch ms). */
  target: number;
  /** When the notice is due: `target - notifyBefore`. */
  noticeAt: number;
}

/**
 * The notice owed for the current version: `notifyBefore` ahead of the earlier of expiry and next
 * rotation, unless already sent for this version (`rotation.noticeSentForVersion`). Null when the
 * record is not active, has no `notifyBefore`, no current version, or nothing ends.
 *
 * @example
 * ```ts
 * const n = noticeTarget(record); // { version: 3, reason: 'rotation', target, noticeAt }
 * ```
 * @throws never
 */
export function noticeTarget(record: StoredRecord): NoticeTarget | null {
  const rotation = record.rotation;
  if (!rotation || record.status !== 'active') return null;
  const notifyBefore = num(rotation['notifyBefore']);
  if (notifyBefore === null) return null;
  const current = record.versions.find((v) => v.state === 'current');
  if (!current || num(rotation['noticeSentForVersion']) === current.version) return null;
  const expiresAt = num(record.expiresAt);
  const nextRotationAt = num(rotation['nextRotationAt']);
  let target: number;
  let reason: NoticeTarget['reason'];
  if (expiresAt !== null && (nextRotationAt === null || expiresAt <= nextRotationAt)) {
    target = expiresAt;
    reason = 'expiry';
  } else if (nextRotationAt !== null) {
    target = nextRotationAt;
    reason = 'rotation';
  } else {
    return null;
  }
  return { version: current.version, reason, target, noticeAt: target - notifyBefore };
}

/**
 * When a previous API-key version may retire early for being idle (policy strategy `gradual` with
 * `idleRetireAfter`): `version.data.lastUsedAt + idleRetireAfter`, or null without usage data.
 *
 * @example
 * ```ts
 * const t = idleRetireAt(record, version.data);
 * ```
 * @throws never
 */
export function idleRetireAt(record: StoredRecord, data: JsonObject): number | null {
  if (record.kind !== 'api_key' || !record.rotation || record.rotation['strategy'] !== 'gradual') return null;
  const idle = num(record.rotation['idleRetireAfter']);
  const lastUsedAt = num(data['lastUsedAt']);
  return idle === null || lastUsedAt === null ? null : lastUsedAt + idle;
}

/**
 * Minimum of: the record's expiry (while active), the policy's next rotation, the notice owed
 * for the current version ({@link noticeTarget}), a provider retry or lease end
 * (`rotation.retryAt`), pending versions' `promoteAt`, previous versions' `retireAt` (and their
 * idle retirement). Null when none applies (revoked records have none).
 *
 * @example
 * ```ts
 * record.dueAt = computeDueAt(record);
 * ```
 * @throws never
 */
export function computeDueAt(record: StoredRecord): number | null {
  if (record.status === 'revoked') return null;
  let due: number | null = null;
  const consider = (t: unknown): void => {
    if (typeof t === 'number' && Number.isFinite(t) && (due === null || t < due)) due = t;
  };
  if (record.status === 'active') consider(record.expiresAt);
  const rotation = record.rotation;
  if (rotation && record.status === 'active') {
    consider(rotation['nextRotationAt']);
    consider(noticeTarget(record)?.noticeAt);
    consider(rotation['retryAt']);
  }
  for (const v of record.versions) {
    if (v.state === 'pending') consider(v.promoteAt);
    else if (v.state === 'previous') {
      consider(v.retireAt);
      consider(idleRetireAt(record, v.data));
    }
  }
  return due;
}
