/**
 * Violations: an agent tried something its session does not allow (another tool, method or path),
 * or the gateway saw something it refuses (a token sent to the wrong place, a private upstream).
 * Each one is an `access.violation` audit event and notifier event; neither ever holds a token
 * (a `kwp_…` token pasted into `reason` is cut to its id part). Each one is also counted by the
 * manager's security monitor, whose `violations` rule may revoke the session ({@link monitorRevoker}).
 * @internal
 * @module
 */

import { isKeywardenError } from '../errors.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import { KeyedLock } from '../store/api-keys/throttle.js';
import { createCallCache } from './call-cache.js';
import { type AccessContext, loadAccessRecord } from './context.js';
import { draftOf, eventBaseOf } from './events.js';
import { ACCESS_ENVIRONMENT, readSessionData, type SessionData } from './records.js';
import { violationSchema } from './schemas.js';
import { createSecretCache } from './secret-cache.js';
import { revokeSessionRecord, sessionSubject } from './session-ops.js';
import { parseFields } from './validate.js';

const TOKEN_LIKE = /kwp_([0-9A-Za-z]{12})_[0-9A-Za-z]{32,}/g;

/**
 * Cuts anything token-shaped in `text` down to its public id part.
 * @example
 * ```ts
 * scrubTokens('bad kwp_abcdefghijkl_…'); // 'bad kwp_abcdefghijkl_[redacted]'
 * ```
 * @throws never
 */
export function scrubTokens(text: string): string {
  return text.replace(TOKEN_LIKE, 'kwp_$1_[redacted]');
}

/** A violation to record; `session` when the caller already holds the session record. */
export interface ViolationInput {
  toolId: string | null;
  sessionId: string | null;
  reason: string;
  context: { ip?: string; userAgent?: string };
  session?: { record: StoredRecord; data: SessionData };
}

/**
 * The end reason (`endReason`, audit `data.note`) of a session the security monitor revoked.
 * @example
 * ```ts
 * const info = await access.sessions.get('ses_0123456789ab');
 * if (info.endReason === MONITOR_REVOKE_REASON) console.warn('revoked by the security monitor');
 * ```
 */
export const MONITOR_REVOKE_REASON = 'security-monitor';

/**
 * The revoker `agentAccess` registers with the manager's security monitor: revokes the active
 * session `sessionId` of this access object's tenant through the ordinary session transition (CAS
 * write, `access.session_ended` audit row with actor `keywarden:monitor` and note
 * `security-monitor`, notifier event, the request's bookkeeping).
 * @example
 * ```ts
 * const unregister = ctx.monitor?.setSessionRevoker(a.options.tenantId, monitorRevoker(a));
 * ```
 * @throws never itself; the returned function rejects as `revokeSessionRecord` (`ERR_AUDIT`,
 *   `ERR_STORAGE`), and resolves false for a session that is unknown here or already ended.
 */
export function monitorRevoker(access: AccessContext): (sessionId: string) => Promise<boolean> {
  // the monitor keeps this for the manager's life: no secret cache, no call cache (tokens), no per-call state
  const a: AccessContext = Object.freeze({
    ...access,
    secretCache: createSecretCache(0),
    calls: createCallCache(0),
    spending: new Map(),
    lock: new KeyedLock(),
  });
  return async (sessionId) => {
    let record: StoredRecord;
    try {
      record = await loadAccessRecord(a, sessionId, 'access_session');
    } catch (error) {
      if (isKeywardenError(error) && error.code === 'ERR_NOT_FOUND') return false;
      throw error;
    }
    if (readSessionData(record).state !== 'active') return false;
    const after = await revokeSessionRecord(a, record, {
      reason: MONITOR_REVOKE_REASON,
      actor: 'keywarden:monitor',
    });
    return after.revision !== record.revision && readSessionData(after).state === 'revoked';
  };
}

/**
 * Writes the audit event and sends the notifier event of a violation, unless the access object's
 * violation throttle counts it instead (./violation-throttle.ts); a written row carries
 * `suppressed` / `dropped` counts of the ones not written before it. An audit failure is
 * swallowed: the call is refused either way. Either way the security monitor counts it, and
 * this resolves only after the monitor's action (a session revoked by its `violations` rule is
 * revoked before the refused call is answered, so the agent's next call already fails).
 * @example
 * ```ts
 * await recordViolation(a, { toolId: 'stripe', sessionId: null, reason: 'token in query string', context: {} });
 * ```
 * @throws never
 */
export async function recordViolation(a: AccessContext, v: ViolationInput): Promise<void> {
  const reason = scrubTokens(v.reason);
  const now = a.ctx.clock.now();
  const context = { ...v.context };
  const sessionId = v.session !== undefined ? v.session.record.id : v.sessionId;
  const subject = v.session !== undefined ? sessionSubject(v.session.record, v.session.data) : null;
  const event: KeyEvent =
    subject !== null
      ? { ...eventBaseOf(subject, now), type: 'access.violation', reason }
      : {
          at: now,
          type: 'access.violation',
          keyId: v.sessionId ?? v.toolId ?? '',
          kind: v.sessionId === null ? 'access_tool' : 'access_session',
          name: v.toolId ?? '',
          tenantId: a.options.tenantId,
          environment: ACCESS_ENVIRONMENT,
          toolId: v.toolId ?? '',
          requestId: null,
          sessionId: v.sessionId,
          agentId: null,
          onBehalfOf: null,
          reason,
        };
  const tally = a.violations.take({ sessionId, ip: context.ip, reason }, now);
  if (tally === null) {
    // not written, still counted: the security monitor sees every violation
    await a.ctx.monitor?.violation(event);
    return;
  }
  const counts = {
    ...(tally.suppressed > 0 && { suppressed: tally.suppressed }),
    ...(tally.dropped > 0 && { dropped: tally.dropped }),
  };
  try {
    await a.ctx.audit(
      v.session !== undefined && subject !== null
        ? draftOf(subject, 'access.violation', v.session.data.agentId, { reason, ...counts }, context)
        : {
            type: 'access.violation',
            keyId: v.sessionId,
            kind: v.sessionId === null ? null : 'access_session',
            tenantId: a.options.tenantId,
            actor: null,
            context,
            data: { toolId: v.toolId, sessionId: v.sessionId, reason, ...counts },
          },
    );
    a.ctx.notify(event);
  } catch {
    // the call is refused either way; a lost violation record must not turn into an error
  }
  await a.ctx.monitor?.violation(event);
}

/**
 * `access.reportViolation`: validates the report, attaches the session when it is known (in this
 * access object's tenant), and records it.
 * @example
 * ```ts
 * await reportViolation(a, { toolId: 'stripe', sessionId: null, reason: 'token in query string', context: { ip: '203.0.113.9' } });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field; `ERR_CLOSED`.
 */
export async function reportViolation(a: AccessContext, raw: unknown): Promise<void> {
  const v = parseFields(violationSchema, raw, 'violation');
  await a.ctx.ready();
  const sessionId = v.sessionId ?? null;
  let session: ViolationInput['session'];
  if (sessionId !== null) {
    try {
      const record = await loadAccessRecord(a, sessionId, 'access_session');
      session = { record, data: readSessionData(record) };
    } catch {
      session = undefined; // unknown or malformed session: recorded without it
    }
  }
  await recordViolation(a, {
    toolId: v.toolId ?? null,
    sessionId,
    reason: v.reason,
    context: {
      ...(v.context?.ip !== undefined && { ip: v.context.ip }),
      ...(v.context?.userAgent !== undefined && { userAgent: v.context.userAgent }),
    },
    ...(session !== undefined && { session }),
  });
}
