/**
 * Audit drafts and notifier events of access transitions. Nothing here ever holds a token, a
 * token hash or a secret value.
 * @internal
 * @module
 */
import type { AuditDraft } from '../extension/index.js';
import type { AccessEventBase, KeyEvent } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import type { AccessContext } from './context.js';
import { ACCESS_ENVIRONMENT } from './records.js';

/** Who and what an access event is about. */
export interface AccessSubject {
  record: StoredRecord;
  toolId: string;
  requestId: string | null;
  sessionId: string | null;
  agentId: string | null;
  onBehalfOf: string | null;
}

/**
 * The base of a notifier event about `s` at `now`.
 * @example
 * ```ts
 * declare const subject: AccessSubject;
 * a.ctx.notify({ ...eventBaseOf(subject, now), type: 'access.cancelled' });
 * ```
 * @throws never
 */
export function eventBaseOf(s: AccessSubject, now: number): AccessEventBase {
  return {
    at: now,
    keyId: s.record.id,
    kind: s.record.kind,
    name: s.toolId,
    tenantId: s.record.tenantId,
    environment: ACCESS_ENVIRONMENT,
    toolId: s.toolId,
    requestId: s.requestId,
    sessionId: s.sessionId,
    agentId: s.agentId,
    onBehalfOf: s.onBehalfOf,
  };
}

/**
 * An audit draft about `s`; `data` always carries the tool, request and session ids.
 * @example
 * ```ts
 * declare const subject: AccessSubject;
 * declare const approver: string | null;
 * await a.ctx.audit(draftOf(subject, 'access.approved', approver, { approvals: 1 }));
 * ```
 * @throws never
 */
export function draftOf(
  s: AccessSubject,
  type: AuditDraft['type'],
  actor: string | null,
  data: AuditDraft['data'] = {},
  context: AuditDraft['context'] = {},
): AuditDraft {
  return {
    type,
    keyId: s.record.id,
    kind: s.record.kind,
    tenantId: s.record.tenantId,
    actor,
    context,
    data: { toolId: s.toolId, requestId: s.requestId, sessionId: s.sessionId, agentId: s.agentId, ...data },
  };
}

/**
 * Sends a notifier event (fire and forget: a notifier failure never fails the transition).
 * @example
 * ```ts
 * declare const subject: AccessSubject;
 * notifyAccess(a, { ...eventBaseOf(subject, now), type: 'access.expired' });
 * ```
 * @throws never
 */
export function notifyAccess(a: AccessContext, event: KeyEvent): void {
  a.ctx.notify(event);
}
