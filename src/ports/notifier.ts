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
  /** What the record is (`api_key`, `secret`, `key`, `access_tool`, `access_request`, `access_session`). */
  kind: RecordKind;
  /** The record's name (for access events, the tool id). */
  name: string;
  /** The record's tenant; null without tenant. */
  tenantId: string | null;
  /** The record's environment (`'default'` when none was given). */
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
  /** The monitor rule that fired, e.g. `'verify_failures'`. */
  rule: string;
  /** What the rule counted within `windowMs` (failures, networks, calls, violations). */
  count: number;
  /** Length of the counting window, in milliseconds. */
  windowMs: number;
  /** The /24 (IPv4) or /64 (IPv6) network concerned, when the rule is about one. */
  network: string | null;
  /** The access session concerned (`security.violations`), else null. */
  sessionId: string | null;
  /**
   * What the monitor did: `disabled` = it disabled the key, `revoked` = it revoked the proxy
   * session (violations rule with `action: 'revoke'`), `none` = it only notified.
   */
  action: 'none' | 'disabled' | 'revoked';
}

/** The events a {@link Notifier} receives. `type` names are stable. */
export type KeyEvent =
  | (KeyEventBase & {
      /** A record was created. */
      type: 'key.created';
    })
  | (KeyEventBase & {
      /** A new version was made (`version` is the new one). */
      type: 'key.rotated';
      /** The version that was current before; null when there was none. */
      previousVersion: number | null;
      /** How the versions move: `immediate`, `overlap`, `gradual` or `blue-green`. */
      strategy: string;
    })
  | (KeyEventBase & {
      /** An advance notice: the key expires, or is rotated, soon (`reason`). */
      type: 'key.expiring';
      /** What is coming: the key's expiry or its scheduled rotation. */
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
  | (KeyEventBase & {
      /** The key reached its expiry. */
      type: 'key.expired';
      /** When it expired (epoch ms). */
      expiresAt: number;
    })
  | (KeyEventBase & {
      /** The key was revoked (permanent). */
      type: 'key.revoked';
      /** The reason given to `revoke`; null when none. */
      reason: string | null;
    })
  | (KeyEventBase & {
      /** An earlier version was made current again (`version` is the one now current). */
      type: 'key.rolled_back';
      /** The version that was current before the rollback. */
      fromVersion: number;
    })
  | (KeyEventBase & {
      /** A version (`version`) became the current one. */
      type: 'version.promoted';
    })
  | (KeyEventBase & {
      /** A version (`version`) was retired. */
      type: 'version.retired';
    })
  | (KeyEventBase & {
      /** A token of this key was reported public (GitHub secret scanning); `revoked` says whether this report revoked the key. */
      type: 'security.token_leaked';
      /** Where the token was found, as GitHub reported it; null when not given. */
      source: string | null;
      /** Public URL of the leak, as GitHub reported it; null when not given. */
      url: string | null;
      /** Whether this report revoked the key (false when it was already revoked or the token's version was retired). */
      revoked: boolean;
    })
  | (KeyEventBase &
      SecurityRuleFields & {
        /** Too many failed verifications of the key `keyId` within the window. */
        type: 'security.verify_failures';
      })
  | (KeyEventBase &
      SecurityRuleFields & {
        /** Too many failed verifications from the network `network` within the window. */
        type: 'security.ip_failures';
      })
  | (KeyEventBase &
      SecurityRuleFields & {
        /** The key `keyId` was used from a network it had not been seen on. */
        type: 'security.new_network';
      })
  | (KeyEventBase &
      SecurityRuleFields & {
        /** The key `keyId` was used far more than usual within the window. */
        type: 'security.usage_spike';
      })
  | (KeyEventBase &
      SecurityRuleFields & {
        /** Too many access violations by the session `sessionId` within the window. */
        type: 'security.violations';
      })
  | (KeyEventBase & {
      /** A provider rotation of a secret failed; the pending version was discarded and a retry is scheduled. */
      type: 'rotation.failed';
      /** The step that failed: `create`, `set`, `test` or `finish`. */
      step: string;
      /** The failure, without secret material. */
      error: {
        /** Stable `ERR_*` code. */
        code: string;
        /** Human-readable message. */
        message: string;
      };
      /** How many attempts have failed in a row, this one included. */
      attempt: number;
      /** When the next attempt is due (epoch ms); null when none is scheduled. */
      nextAttemptAt: number | null;
    })
  | (AccessEventBase & {
      /** An agent asked for a tool. */
      type: 'access.requested';
      /** Why, as the agent wrote it. */
      justification: string;
      /** The tool's risk: `low`, `medium` or `high`. */
      risk: string;
      /** Approvals the request needs. */
      approvalsRequired: number;
    })
  | (AccessEventBase & {
      /** An approver approved (the request is approved once `approvals` reaches `approvalsRequired`). */
      type: 'access.approved';
      /** Who approved (`'auto'` for a tool with `approval: 'auto'`). */
      approver: string;
      /** Approvals given so far, this one included. */
      approvals: number;
      /** Approvals the request needs. */
      approvalsRequired: number;
    })
  | (AccessEventBase & {
      /** A request was denied. */
      type: 'access.denied';
      /** Who denied it. */
      approver: string;
      /** Why, as the approver wrote it. */
      reason: string;
    })
  | (AccessEventBase & {
      /** A request was withdrawn. */
      type: 'access.cancelled';
    })
  | (AccessEventBase & {
      /** A pending or approved request passed its deadline (written by `access.sweep`). */
      type: 'access.expired';
    })
  | (AccessEventBase & {
      /** A session (proxy token) was opened from an approved request. */
      type: 'access.session_opened';
      /** When the session stops working (epoch ms). */
      expiresAt: number;
      /** Calls the session may make; null = no cap. */
      maxCalls: number | null;
    })
  | (AccessEventBase & {
      /** A session ended. */
      type: 'access.session_ended';
      /** Why: its time ran out, it was revoked, or its calls were used up. */
      reason: 'expired' | 'revoked' | 'exhausted';
    })
  | (AccessEventBase & {
      /** A refused or reported misuse (tool, method or path not granted, or `reportViolation`). */
      type: 'access.violation';
      /** What happened, e.g. `'path not allowed'`; never the token. */
      reason: string;
    });

/**
 * Fields of every agent access event (`keyId` is the request, session or tool record id; `name`
 * the tool id). Never a token or a secret value.
 */
export interface AccessEventBase extends KeyEventBase {
  /** The tool concerned ('' for a reported violation that named none). */
  toolId: string;
  /** The access request concerned; null when unknown. */
  requestId: string | null;
  /** The session concerned; null before one is opened or when unknown. */
  sessionId: string | null;
  /** The agent that asked; null when unknown. */
  agentId: string | null;
  /** The user the agent acts for; null when none. */
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
  /**
   * Delivers one event. A rejection is caught (and may be logged) by the manager; it never fails
   * the operation that caused the event.
   * @throws whatever the delivery throws; the manager catches it.
   */
  notify(event: KeyEvent): Promise<void>;
}
