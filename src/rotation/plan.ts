/**
 * Planning: what is due on one record at a time `now`. Pure; used by `due`, dry runs and as the
 * precondition check inside every runDue mutation (so a runner that lost a race finds nothing).
 * @internal
 * @module
 */
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import { idleRetireAt, noticeTarget } from '../records/due.js';
import { readPolicy, type StoredPolicy } from '../records/policy.js';
import type { DueAction, DueItem } from '../records/rotation-types.js';

/**
 * True when a secret's rotations go through provider hooks.
 * @example
 * ```ts
 * if (usesProvider(record)) console.log('rotate through the provider hooks (runProvider)');
 * ```
 * @throws never
 */
export function usesProvider(record: StoredRecord): boolean {
  return record.kind === 'secret' && record.provider !== null;
}

/**
 * What a provider rotation needs now: start one (due or retry), resume one whose lease ended, or nothing.
 * @example
 * ```ts
 * const work = providerWork(record, readPolicy(record), now); // 'start' | 'resume' | null
 * ```
 * @throws never
 */
export function providerWork(
  record: StoredRecord,
  policy: StoredPolicy | null,
  now: number,
): 'start' | 'resume' | null {
  if (!policy || !usesProvider(record) || record.status !== 'active') return null;
  if (policy.run) return policy.run.leaseUntil <= now ? 'resume' : null;
  if (policy.nextRotationAt !== null && policy.nextRotationAt <= now) return 'start';
  if (policy.retryAt !== null && policy.retryAt <= now) return 'start';
  return null;
}

/**
 * True when a non-provider scheduled rotation is due on an active record.
 * @example
 * ```ts
 * declare const policy: StoredPolicy | null;
 * if (rotationDue(record, policy, now)) await km.rotator.rotate(record.id);
 * ```
 * @throws never
 */
export function rotationDue(record: StoredRecord, policy: StoredPolicy | null, now: number): boolean {
  return (
    policy !== null &&
    !usesProvider(record) &&
    record.status === 'active' &&
    policy.nextRotationAt !== null &&
    policy.nextRotationAt <= now
  );
}

/**
 * The idle-retirement time of a previous version (API keys with `idleRetireAfter`).
 * @example
 * ```ts
 * const versions = retireDue(record.versions, now, idleAtFor(record));
 * ```
 * @throws never
 */
export function idleAtFor(record: StoredRecord): (v: StoredVersion) => number | null {
  return (v) => idleRetireAt(record, v.data);
}

/**
 * The actions due on `record` at `now`, in the order runDue applies them.
 *
 * @example
 * ```ts
 * const actions = planActions(record, clock.now()); // [{ type: 'rotate', ... }]
 * ```
 * @throws never
 */
export function planActions(record: StoredRecord, now: number): DueAction[] {
  const actions: DueAction[] = [];
  const policy = readPolicy(record);
  for (const v of record.versions) {
    if (v.state === 'pending' && v.promoteAt !== null && v.promoteAt <= now) {
      actions.push({ type: 'promote', version: v.version, at: v.promoteAt });
    }
  }
  const idleAt = idleAtFor(record);
  for (const v of record.versions) {
    if (v.state !== 'previous') continue;
    const at = v.retireAt !== null && v.retireAt <= now ? v.retireAt : idleAt(v);
    if (at !== null && at <= now) actions.push({ type: 'retire', version: v.version, at });
  }
  if (record.status === 'active' && record.expiresAt !== null && record.expiresAt <= now) {
    actions.push({ type: 'expire', at: record.expiresAt });
    return actions;
  }
  const notice = noticeTarget(record);
  if (notice && notice.noticeAt <= now) {
    actions.push({ type: 'notify', version: notice.version, at: notice.noticeAt, reason: notice.reason });
  }
  if (policy && rotationDue(record, policy, now)) {
    actions.push({
      type: 'rotate',
      at: policy.nextRotationAt as number,
      strategy: policy.strategy,
      provider: null,
    });
  }
  const pw = providerWork(record, policy, now);
  if (policy && pw === 'start') {
    const at = Math.min(
      policy.nextRotationAt ?? Number.POSITIVE_INFINITY,
      policy.retryAt ?? Number.POSITIVE_INFINITY,
    );
    actions.push({ type: 'rotate', at, strategy: policy.strategy, provider: record.provider });
  } else if (policy?.run && pw === 'resume') {
    const pending = record.versions.find((v) => v.version === policy.run?.version);
    const step = pending && typeof pending.data['step'] === 'string' ? pending.data['step'] : 'create';
    actions.push({ type: 'resume', at: policy.run.leaseUntil, step });
  }
  return actions;
}

/**
 * A {@link DueItem} for `record` at `now`.
 * @example
 * ```ts
 * const item = dueItem(record, now);
 * ```
 * @throws never
 */
export function dueItem(record: StoredRecord, now: number): DueItem {
  return {
    id: record.id,
    kind: record.kind,
    name: record.name,
    environment: record.environment,
    tenantId: record.tenantId,
    dueAt: record.dueAt,
    actions: planActions(record, now),
  };
}
