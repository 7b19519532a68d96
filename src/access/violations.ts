/**
 * Violations: an agent tried something its session does not allow (another tool, method or path),
 * or the gateway saw something it refuses (a token sent to the wrong place, a private upstream).
 * Each one is an `access.violation` audit event and notifier event; neither ever holds a token
 * (a `kwp_…` token pasted into `reason` is cut to its id part).
 * @internal
 * @module
 */
import type { StoredRecord } from '../ports/storage.js';
import type { AccessContext } from './context.js';
import { draftOf, eventBaseOf } from './events.js';
import { ACCESS_ENVIRONMENT, type SessionData } from './records.js';
import { sessionSubject } from './session-ops.js';

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
 * Writes the audit event and sends the notifier event of a violation. An audit failure is
 * swallowed: the call is refused either way.
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
  try {
    if (v.session !== undefined) {
      const subject = sessionSubject(v.session.record, v.session.data);
      await a.ctx.audit(draftOf(subject, 'access.violation', v.session.data.agentId, { reason }, context));
      a.ctx.notify({ ...eventBaseOf(subject, now), type: 'access.violation', reason });
      return;
    }
    await a.ctx.audit({
      type: 'access.violation',
      keyId: v.sessionId,
      kind: v.sessionId === null ? null : 'access_session',
      tenantId: a.options.tenantId,
      actor: null,
      context,
      data: { toolId: v.toolId, sessionId: v.sessionId, reason },
    });
    a.ctx.notify({
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
    });
  } catch {
    // the call is refused either way; a lost violation record must not turn into an error
  }
}
