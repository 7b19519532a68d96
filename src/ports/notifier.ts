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

/** The events a {@link Notifier} receives. `type` names are stable. */
export type KeyEvent =
  | (KeyEventBase & { type: 'key.created' })
  | (KeyEventBase & { type: 'key.rotated'; previousVersion: number | null; strategy: string })
  | (KeyEventBase & { type: 'key.expiring'; expiresAt: number; reason: 'expiry' | 'rotation' })
  | (KeyEventBase & { type: 'key.expired'; expiresAt: number })
  | (KeyEventBase & { type: 'key.revoked'; reason: string | null })
  | (KeyEventBase & { type: 'key.rolled_back'; fromVersion: number })
  | (KeyEventBase & { type: 'version.promoted' })
  | (KeyEventBase & { type: 'version.retired' })
  | (KeyEventBase & {
      type: 'rotation.failed';
      step: string;
      error: { code: string; message: string };
      attempt: number;
      nextAttemptAt: number | null;
    });

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
