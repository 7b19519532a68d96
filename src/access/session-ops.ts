/**
 * Ending a session (revoke, expiry, exhaustion) and the bookkeeping of its request, shared by
 * `sessions.revoke`, `tools.remove`, `authorize` and `sweep`.
 * @internal
 * @module
 */
import { isKeywardenError } from '../errors.js';
import type { StoredRecord } from '../ports/storage.js';
import { type AccessContext, loadAccessRecord } from './context.js';
import { type AccessSubject, draftOf, eventBaseOf } from './events.js';
import {
  asJson,
  type RequestData,
  readRequestData,
  readSessionData,
  requestRecordStatus,
  type SessionData,
  sessionRecordStatus,
} from './records.js';
import { requestSubject } from './requests.js';
import { transition } from './transition.js';

/**
 * The subject of events about a session record.
 * @example
 * ```ts
 * const s = sessionSubject(record, readSessionData(record));
 * ```
 * @throws never
 */
export function sessionSubject(record: StoredRecord, d: SessionData): AccessSubject {
  return {
    record,
    toolId: d.toolId,
    requestId: d.requestId,
    sessionId: record.id,
    agentId: d.agentId,
    onBehalfOf: d.onBehalfOf,
  };
}

/**
 * Marks the request of an ended session `ended` (audit `access.request_ended`; the session's
 * `access.session_ended` notifier event already told). Best effort: a failure leaves the request
 * `active` in storage, where it still reads as ended once the session's time is over and the next
 * sweep writes it.
 * @example
 * ```ts
 * await endRequestOf(a, readSessionData(record).requestId, now);
 * ```
 * @throws never
 */
export async function endRequestOf(a: AccessContext, requestId: string, now: number): Promise<void> {
  try {
    const record = await loadAccessRecord(a, requestId, 'access_request');
    await transition(a, record, (cur) => {
      const d = readRequestData(cur);
      if (d.state !== 'active') return null;
      const nd: RequestData = {
        ...d,
        state: 'ended',
        sessionExpiresAt: Math.min(d.sessionExpiresAt ?? now, now),
      };
      const next = { ...cur, status: requestRecordStatus('ended'), data: asJson(nd) };
      return {
        next,
        drafts: [draftOf(requestSubject(next, nd), 'access.request_ended', null)],
        events: [],
      };
    });
  } catch (error) {
    if (isKeywardenError(error)) return;
    throw error;
  }
}

/**
 * Ends an active session with `reason`: a CAS write (`state`, `endedAt`, `endReason`), the
 * `access.session_ended` audit event and notifier event, then the request's bookkeeping.
 * Nothing happens (and the current record is returned) when the session has already ended, or
 * for `expired` when its time is not over yet.
 *
 * @example
 * ```ts
 * await endSession(a, record, 'revoked', { note: 'leaked in a log', actor: 'alice' });
 * ```
 * @throws KeywardenError `ERR_AUDIT` (the write was undone), `ERR_NOT_FOUND`, `ERR_STORAGE`.
 */
export async function endSession(
  a: AccessContext,
  record: StoredRecord,
  reason: 'revoked' | 'expired',
  options: { note?: string | null; actor?: string | null } = {},
): Promise<StoredRecord> {
  const now = a.ctx.clock.now();
  const result = await transition(a, record, (cur) => {
    const d = readSessionData(cur);
    if (d.state !== 'active') return null;
    if (reason === 'expired' && now < d.expiresAt) return null;
    const next = { ...cur, status: sessionRecordStatus(reason) };
    const endedAt = reason === 'expired' ? d.expiresAt : now;
    next.data = asJson({ ...d, state: reason, endedAt, endReason: options.note ?? reason });
    const subject = sessionSubject(next, d);
    return {
      next,
      drafts: [
        draftOf(subject, 'access.session_ended', options.actor ?? null, {
          reason,
          note: options.note ?? null,
          callsUsed: d.callsUsed,
        }),
      ],
      events: [{ ...eventBaseOf(subject, now), type: 'access.session_ended', reason }],
    };
  });
  if (result.changed) await endRequestOf(a, readSessionData(result.record).requestId, now);
  return result.record;
}

/**
 * Revokes an active session (`reason` kept as its end reason).
 * @example
 * ```ts
 * await revokeSessionRecord(a, record, { reason: 'tool removed', actor: null });
 * ```
 * @throws KeywardenError as {@link endSession}.
 */
export function revokeSessionRecord(
  a: AccessContext,
  record: StoredRecord,
  options: { reason: string | null; actor: string | null },
): Promise<StoredRecord> {
  return endSession(a, record, 'revoked', { note: options.reason, actor: options.actor });
}
