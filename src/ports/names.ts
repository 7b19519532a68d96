/**
 * The stable names of the storage contract, as data: every record kind and every audit event
 * type. The types `RecordKind` and `AuditEventType` are derived from these lists, so a new kind or
 * event type is added here, once (and, for a kind, one entry in the descriptor table of
 * `src/records/kinds.ts`, which the compiler then demands).
 *
 * The only runtime values among the ports: lists of names, no code.
 * @module
 */

/**
 * Every record kind a store holds: an API key we issued, a secret we hold, a cryptographic key,
 * or an agent access record (`keywarden/access`: a registered tool, an access request, a
 * proxy-token session).
 *
 * @example
 * ```ts
 * RECORD_KINDS.includes(record.kind); // true for a valid record
 * ```
 */
export const RECORD_KINDS = Object.freeze([
  'api_key',
  'secret',
  'key',
  'access_tool',
  'access_request',
  'access_session',
] as const);

/**
 * Every audit event type. Stable names.
 *
 * @example
 * ```ts
 * AUDIT_EVENT_TYPES.includes('key.created'); // true
 * ```
 */
export const AUDIT_EVENT_TYPES = Object.freeze([
  'store.initialized',
  'key.created',
  'key.updated',
  'key.verified',
  'key.verify_failed',
  'key.revoked',
  'key.deleted',
  'key.rotated',
  'key.rolled_back',
  'key.expired',
  'key.exported',
  'key.used',
  'version.promoted',
  'version.retired',
  'version.destroyed',
  'secret.set',
  'secret.read',
  'secret.rolled_back',
  'secret.deleted',
  'rotation.started',
  'rotation.step',
  'rotation.failed',
  'rotation.policy_set',
  'kms.rewrapped',
  'backup.exported',
  'backup.imported',
  'audit.keyed',
  'store.upgraded',
  'access.tool_registered',
  'access.tool_removed',
  'access.requested',
  'access.approved',
  'access.denied',
  'access.cancelled',
  'access.expired',
  'access.session_opened',
  'access.session_ended',
  'access.request_ended',
  'access.call',
  'access.violation',
  'security.token_leaked',
  'security.verify_failures',
  'security.ip_failures',
  'security.new_network',
  'security.usage_spike',
  'security.violations',
] as const);

/**
 * The required methods of a `StorageAdapter` (`init` and `close` are optional), for code that
 * checks or wraps an adapter without spelling the list out again.
 *
 * @example
 * ```ts
 * STORAGE_ADAPTER_METHODS.every((m) => typeof storage[m] === 'function');
 * ```
 */
export const STORAGE_ADAPTER_METHODS = Object.freeze([
  'get',
  'findByName',
  'list',
  'create',
  'update',
  'delete',
  'dueForRotation',
  'appendAudit',
  'listAudit',
  'getMeta',
  'setMeta',
] as const);
