/**
 * What `runDue` does to one record, in ONE compare-and-swap write: promote pending versions whose
 * time came, retire previous versions whose overlap ended (or that went idle), mark the record
 * expired, send the `key.expiring` notice once, rotate when the schedule says so, and claim a
 * provider rotation (the hooks then run outside the write, see providers.ts).
 *
 * The mutation re-plans on the fresh record each time `mutateRecord` retries, so a runner that
 * lost the race to another one finds nothing left to do and writes nothing.
 * @internal
 * @module
 */

import { generateId } from '../crypto/ids.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import { noticeTarget } from '../records/due.js';
import { kindDescriptor } from '../records/kinds.js';
import { DEFAULT_OVERLAP_MS, readPolicy, type StoredPolicy, withPolicy } from '../records/policy.js';
import { nextVersionNumber } from '../records/record.js';
import { nextOccurrence } from '../records/schedule.js';
import { mutateRecord, type RecordChange } from '../records/write.js';
import { type ChangeSet, changeDrafts, changeSet } from './events.js';
import { addPendingVersion } from './material.js';
import { idleAtFor, providerWork, rotationDue, usesProvider } from './plan.js';
import { diffVersions, promoteVersion, pruneVersions, retireDue, rotateVersions } from './strategies.js';

/** How long a provider rotation's lease lasts: after it, another runner may resume the rotation. */
export const PROVIDER_LEASE_MS = 15 * 60_000;

/** The overlap to apply when `v` is promoted: its own (set at rotation), else the policy's. */
function overlapOf(v: StoredVersion, policy: StoredPolicy | null): number {
  return typeof v.data['overlap'] === 'number' ? v.data['overlap'] : (policy?.overlap ?? DEFAULT_OVERLAP_MS);
}

/** The outcome of one record's due work. */
export interface DueWorkResult {
  change: ChangeSet | null;
  /** API keys: the token of a scheduled rotation. */
  token?: string;
  /** A provider rotation this runner now holds the lease of. */
  claim: { owner: string; version: number } | null;
}

/**
 * Applies the due work to one record (see the module comment). Returns `change: null` when there
 * was nothing to do (e.g. another runner did it first).
 *
 * @example
 * ```ts
 * const { change, token, claim } = await applyDueWork(ctx, state, record, now);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_KMS`, `ERR_CONFLICT` (after many retries), `ERR_NOT_FOUND`.
 */
export async function applyDueWork(
  ctx: StoreContext,
  state: StoreState,
  record: StoredRecord,
  now: number,
): Promise<DueWorkResult> {
  const {
    record: written,
    changed,
    result,
  } = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    async (cur): Promise<RecordChange<DueWorkResult>> => {
      let token: string | undefined;
      let claim: DueWorkResult['claim'] = null;
      const policy = readPolicy(cur);
      let work: StoredRecord = cur;
      const c = changeSet(cur, cur);
      let touched = false;

      // 1. promote pending versions whose time came
      for (const v of cur.versions) {
        if (v.state === 'pending' && v.promoteAt !== null && v.promoteAt <= now) {
          work = { ...work, versions: promoteVersion(work.versions, v.version, overlapOf(v, policy), now) };
        }
      }
      // 2. retire previous versions whose overlap ended or that went idle
      work = { ...work, versions: retireDue(work.versions, now, idleAtFor(work)) };
      // 3. expiry
      if (work.status === 'active' && work.expiresAt !== null && work.expiresAt <= now) {
        work = { ...work, status: 'expired' };
        c.expired = true;
      }
      // 4. the expiring notice, once per version; one whose moment passed while no runner was up is
      //    sent late (marked `late`), once, rather than never
      if (policy) {
        const notice = noticeTarget(work);
        if (notice && notice.noticeAt <= now) {
          policy.noticeSentForVersion = notice.version;
          c.notice = notice;
          touched = true;
        }
      }
      // 5. scheduled rotation
      if (policy && rotationDue(work, policy, now)) {
        const pending = work.versions.find((v) => v.state === 'pending');
        if (pending)
          work = {
            ...work,
            versions: promoteVersion(work.versions, pending.version, overlapOf(pending, policy), now),
          };
        const added = await addPendingVersion(ctx, state, work, now);
        const rv = rotateVersions(
          added.record.versions,
          added.version,
          { strategy: policy.strategy, overlap: policy.overlap, promoteAfter: policy.promoteAfter },
          now,
        );
        work = {
          ...added.record,
          versions: kindDescriptor(work.kind).keepsRetiredVersions
            ? rv.versions
            : pruneVersions(rv.versions, now),
        };
        token = added.token;
        policy.lastRotatedAt = now;
        policy.nextRotationAt = nextOccurrence(policy, now);
        c.rotated = {
          version: added.version,
          previousVersion: rv.previousVersion,
          strategy: policy.strategy,
          manual: false,
        };
      }
      // 6. provider rotations: claim the lease (start, retry after backoff, or resume a crashed run)
      if (policy && !usesProvider(work) && (policy.run !== null || policy.retryAt !== null)) {
        policy.run = null; // the provider was removed: drop its bookkeeping
        policy.retryAt = null;
        touched = true;
      }
      const pw = providerWork(work, policy, now);
      if (policy && pw) {
        const owner = generateId(16);
        if (pw === 'start') {
          if (policy.nextRotationAt !== null && policy.nextRotationAt <= now) {
            policy.nextRotationAt = nextOccurrence(policy, now);
          }
          // a gradual version still pending from the last rotation is promoted before the next one
          const waiting = work.versions.find((v) => v.state === 'pending');
          if (waiting) {
            work = {
              ...work,
              versions: promoteVersion(work.versions, waiting.version, overlapOf(waiting, policy), now),
            };
          }
        }
        const version = pw === 'resume' && policy.run ? policy.run.version : nextVersionNumber(work);
        policy.run = {
          owner,
          version,
          leaseUntil: now + PROVIDER_LEASE_MS,
          strategy: policy.run?.strategy ?? policy.strategy,
          overlap: policy.run?.overlap ?? policy.overlap,
        };
        policy.retryAt = now + PROVIDER_LEASE_MS;
        claim = { owner, version };
        c.started = { version, provider: work.provider ?? '', resumed: pw === 'resume' };
      }

      const diff = diffVersions(cur.versions, work.versions);
      c.promoted = diff.promoted;
      c.retired = diff.retired;
      const changed =
        touched ||
        c.expired ||
        c.rotated !== null ||
        claim !== null ||
        diff.promoted.length > 0 ||
        diff.retired.length > 0;
      if (!changed) return { next: null, result: { change: null, claim: null } };
      const next = policy ? withPolicy(work, policy) : work;
      c.after = next;
      const out: DueWorkResult = { change: c, claim };
      if (token !== undefined) out.token = token;
      return { next, result: out };
    },
    {
      record,
      // the audit events of the change, written right after it (the change is undone if they fail)
      audit: ({ after, result }) => (result.change ? changeDrafts({ ...result.change, after }) : null),
    },
  );
  if (changed && result.change) result.change.after = written;
  return result;
}
