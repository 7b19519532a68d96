import type { RecordKind } from './storage.js';

/** Fields every {@link KeyEvent} has. Never a secret, token, hash or key material. */
export interface KeyEventBase {
  /** Epoch milliseconds. */
  at: number;
  /**
   * The record id (an API key, a secret, a key...). Always set by keywarden; optional in the type
   * only so events built by hand before it existed stay valid, until `keyId` is removed.
   */
  recordId?: string;
  /** The record id. @deprecated Use `recordId`; `keyId` is removed in the next minor version. */
  keyId: string;
  kind: RecordKind;
  name: string;
  tenantId: string | null;
  environment: string;
  /** The version concerned, when one is. */
  version?: number;
}

/**
 * What a security monitor event carries (docs/observability.md): `rule` names the rule, `count` is
 * what it counted in `windowMs`, `action` what the monitor did (`disabled`: the key was disabled;
 * `revoked`: the proxy session was revoked).
 * `security.verify_failures`, `security.new_network`, `security.usage_spike`: about the key
 * `keyId`; `security.ip_failures`: about the network `network`, `keyId` the last key tried from it
 * ('' when none existed); `security.violations`: about the session `sessionId`, `keyId` its record.
 */
export interface SecurityRuleFields {
  rule: string;
  count: number;
  windowMs: number;
  /** The /24 (IPv4) or /64 (IPv6) network concerned, when the rule is about one. */
  network: string | null;
  sessionId: string | null;
  action: 'none' | 'disabled' | 'revoked';
}

/** The events a {@link Notifier} receives. `type` names are stable. */
export type KeyEvent =
  | (KeyEventBase & { type: 'key.created' })
  | (KeyEventBase & { type: 'key.rotated'; previousVersion: number | null; strategy: string })
  | (KeyEventBase & {
      type: 'key.expiring';
      reason: 'expiry' | 'rotation';
      /**
       * When the key expires (reason `expiry`). For reason `rotation` it holds the rotation time too,
       * for 0.1 consumers only: deprecated there, read `rotatesAt` instead.
       */
      expiresAt: number;
      /** When the scheduled rotation happens (reason `rotation`), else null. */
      rotatesAt: number | null;
      /**
       * True when the moment the notice warns about had already passed when it was sent (no
       * runner was up in time): it is sent late, once, rather than never.
       */
      late: boolean;
    })
  | (KeyEventBase & { type: 'key.expired'; expiresAt: number })
  | (KeyEventBase & { type: 'key.revoked'; reason: string | null })
  | (KeyEventBase & { type: 'key.rolled_back'; fromVersion: number })
  | (KeyEventBase & { type: 'version.promoted' })
  | (KeyEventBase & { type: 'version.retired' })
  | (KeyEventBase & {
      /** A token of this key was reported public (GitHub secret scanning); `revoked` says whether this report revoked the key. */
      type: 'security.token_leaked';
      source: string | null;
      url: string | null;
      revoked: boolean;
    })
  | (KeyEventBase & SecurityRuleFields & { type: 'security.verify_failures' })
  | (KeyEventBase & SecurityRuleFields & { type: 'security.ip_failures' })
  | (KeyEventBase & SecurityRuleFields & { type: 'security.new_network' })
  | (KeyEventBase & SecurityRuleFields & { type: 'security.usage_spike' })
  | (KeyEventBase & SecurityRuleFields & { type: 'security.violations' })
  | (KeyEventBase & {
      type: 'rotation.failed';
      step: string;
      error: { code: string; message: string };
      attempt: number;
      nextAttemptAt: number | null;
    })
  | (AccessEventBase & {
      type: 'access.requested';
      justification: string;
      risk: string;
      approvalsRequired: number;
    })
  | (AccessEventBase & {
      type: 'access.approved';
      approver: string;
      approvals: number;
      approvalsRequired: number;
    })
  | (AccessEventBase & { type: 'access.denied'; approver: string; reason: string })
  | (AccessEventBase & { type: 'access.cancelled' })
  | (AccessEventBase & { type: 'access.expired' })
  | (AccessEventBase & { type: 'access.session_opened'; expiresAt: number; maxCalls: number | null })
  | (AccessEventBase & { type: 'access.session_ended'; reason: 'expired' | 'revoked' | 'exhausted' })
  | (AccessEventBase & { type: 'access.violation'; reason: string });

/**
 * Fields of every agent access event (`keyId` is the request, session or tool record id; `name`
 * the tool id). Never a token or a secret value.
 */
export interface AccessEventBase extends KeyEventBase {
  toolId: string;
  requestId: string | null;
  sessionId: string | null;
  agentId: string | null;
  onBehalfOf: string | null;
}

/** The `type` of every {@link KeyEvent}. */
export type KeyEventType = KeyEvent['type'];

/**
 * Tells people about key lifecycle events. A notifier failure never fails the operation that
 * caused it; the manager catches and drops (and may log) it.
 *
 * @example
 * ```ts
 * const notifier: Notifier = { async notify(e) { console.log(e.type, e.keyId); } };
 * ```
 */
export interface Notifier {
  notify(event: KeyEvent): Promise<void>;
}
