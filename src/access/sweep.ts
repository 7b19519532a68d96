/**
 * `access.sweep()`: persists what reads already show. Pending requests past `pendingTtl` (and
 * approved ones not opened in time) become `expired`; active sessions past their expiry become
 * `expired` and their requests `ended`. Each change is a CAS transition with its audit and notifier
 * events, so a sweep racing an approval ends in exactly one state. Safe to run from many
 * processes at once. Run it on a timer, or from the CLI (`keywarden access sweep`).
 * @internal
 * @module
 */
import type { StoredRecord } from '../ports/storage.js';
import type { AccessContext } from './context.js';
import { draftOf, eventBaseOf } from './events.js';
import {
  asJson,
  effectiveRequestState,
  readRequestData,
  readSessionData,
  requestRecordStatus,
} from './records.js';
import { requestSubject } from './requests.js';
import { endRequestOf, endSession } from './session-ops.js';
import { transition } from './transition.js';
import type { SweepReport } from './types.js';

async function* liveRecords(
  a: AccessContext,
  kind: 'access_request' | 'access_session',
): AsyncGenerator<StoredRecord> {
  let cursor: string | undefined;
  do {
    const page = await a.ctx.storage.list({
      kind,
      tenantId: a.options.tenantId,
      status: 'active',
      limit: 200,
      ...(cursor !== undefined && { cursor }),
    });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** Reads a record's data, or null when it is malformed (skipped: it is refused wherever it is used). */
function readOrNull<T>(read: (r: StoredRecord) => T, record: StoredRecord): T | null {
  try {
    return read(record);
  } catch {
    return null;
  }
}

/** Expires one request whose deadline passed; false when it was not (or no longer) due. */
async function expireRequest(a: AccessContext, record: StoredRecord): Promise<boolean> {
  const { changed } = await transition(a, record, (cur) => {
    const d = readRequestData(cur);
    const now = a.ctx.clock.now();
    if (effectiveRequestState(d, now) !== 'expired' || d.state === 'expired') return null;
    const nd = { ...d, state: 'expired' as const };
    const next = { ...cur, status: requestRecordStatus('expired'), data: asJson(nd) };
    const subject = requestSubject(next, nd);
    return {
      next,
      drafts: [draftOf(subject, 'access.expired', null, { from: d.state, deadline: d.deadline })],
      events: [{ ...eventBaseOf(subject, now), type: 'access.expired' }],
    };
  });
  return changed;
}

/**
 * Runs one sweep over the access object's tenant.
 *
 * @example
 * ```ts
 * const { requestsExpired, sessionsEnded } = await sweepAccess(a, { limit: 1000 });
 * ```
 * @throws KeywardenError `ERR_AUDIT`, `ERR_STORAGE`, `ERR_CLOSED`.
 */
export async function sweepAccess(a: AccessContext, options: { limit?: number } = {}): Promise<SweepReport> {
  await a.ctx.ready();
  const limit = options.limit ?? 10_000;
  const report: SweepReport = { requestsExpired: 0, sessionsEnded: 0 };
  let seen = 0;
  for await (const s of liveRecords(a, 'access_session')) {
    if (seen++ >= limit) break;
    const d = readOrNull(readSessionData, s);
    if (d === null || d.state !== 'active' || a.ctx.clock.now() < d.expiresAt) continue;
    const after = await endSession(a, s, 'expired');
    if (readSessionData(after).state === 'expired' && after.revision !== s.revision) report.sessionsEnded++;
  }
  for await (const r of liveRecords(a, 'access_request')) {
    if (seen++ >= limit) break;
    const d = readOrNull(readRequestData, r);
    if (d === null) continue;
    const now = a.ctx.clock.now();
    const state = effectiveRequestState(d, now);
    if (state === 'expired' && (await expireRequest(a, r))) report.requestsExpired++;
    else if (state === 'ended') await endRequestOf(a, r.id, now);
  }
  return report;
}
