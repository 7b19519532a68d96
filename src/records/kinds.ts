/**
 * The record kinds and what the library needs to know about each one, in one table. A new kind
 * is one name in `RECORD_KINDS` (src/ports/names.ts) and one entry here; the compiler refuses a
 * kind without its descriptor. Code that branches on a kind reads the descriptor, and an unknown
 * kind is an error everywhere ({@link kindDescriptor}), never a default.
 * @module
 */
import { KeywardenError } from '../errors.js';
import { RECORD_KINDS } from '../ports/names.js';
import type { RecordKind } from '../ports/storage.js';

export { AUDIT_EVENT_TYPES, RECORD_KINDS } from '../ports/names.js';

/**
 * What a version of a record holds:
 * - `token-hash`: the keyed hash of a token we issued (API keys); nothing sealed.
 * - `sealed-value`: a value sealed with envelope encryption (secrets).
 * - `key-material`: generated key material, private or symmetric parts sealed (keys).
 * - `none`: the record has no versioned material (it cannot be rotated).
 */
export type KindMaterial = 'token-hash' | 'sealed-value' | 'key-material' | 'none';

/** What the library knows about one record kind. */
export interface RecordKindDescriptor {
  /**
   * The kind described: `api_key`, `secret`, `key`, or an agent-access kind (`access_tool`,
   * `access_request`, `access_session`).
   */
  readonly kind: RecordKind;
  /** Human name for messages: `API key not found`. */
  readonly label: string;
  /** Unique per (kind, tenant, environment, name): looked up by name. */
  readonly uniqueName: boolean;
  /** What its versions hold; decides how a rotation makes a new version. */
  readonly material: KindMaterial;
  /**
   * Whether retired versions stay in the record after a rotation (secrets keep their history for
   * rollback; the others prune retired versions).
   */
  readonly keepsRetiredVersions: boolean;
}

/**
 * The descriptor of every record kind.
 *
 * @example
 * ```ts
 * RECORD_KIND_DESCRIPTORS.secret.label; // 'secret'
 * ```
 */
export const RECORD_KIND_DESCRIPTORS: {
  readonly [K in RecordKind]: RecordKindDescriptor & {
    /** The kind described, the same as the key it is stored under. */
    kind: K;
  };
} = Object.freeze({
  api_key: Object.freeze({
    kind: 'api_key',
    label: 'API key',
    uniqueName: false,
    material: 'token-hash',
    keepsRetiredVersions: false,
  }),
  secret: Object.freeze({
    kind: 'secret',
    label: 'secret',
    uniqueName: true,
    material: 'sealed-value',
    keepsRetiredVersions: true,
  }),
  key: Object.freeze({
    kind: 'key',
    label: 'key',
    uniqueName: true,
    material: 'key-material',
    keepsRetiredVersions: false,
  }),
  access_tool: Object.freeze({
    kind: 'access_tool',
    label: 'tool',
    uniqueName: true,
    material: 'none',
    keepsRetiredVersions: false,
  }),
  access_request: Object.freeze({
    kind: 'access_request',
    label: 'access request',
    uniqueName: false,
    material: 'none',
    keepsRetiredVersions: false,
  }),
  access_session: Object.freeze({
    kind: 'access_session',
    label: 'session',
    uniqueName: false,
    material: 'none',
    keepsRetiredVersions: false,
  }),
});

const KIND_SET: ReadonlySet<unknown> = new Set<unknown>(RECORD_KINDS);

/**
 * Whether `value` names a record kind.
 *
 * @example
 * ```ts
 * isRecordKind('secret'); // true
 * isRecordKind('token'); // false
 * ```
 * @throws never
 */
export function isRecordKind(value: unknown): value is RecordKind {
  return KIND_SET.has(value);
}

/**
 * The descriptor of `kind`.
 *
 * @example
 * ```ts
 * kindDescriptor(record.kind).material; // 'sealed-value'
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` (field `kind`) for a kind this library does not know
 *   (a record written by a newer version, or altered in the store).
 */
export function kindDescriptor(kind: unknown): RecordKindDescriptor {
  if (!isRecordKind(kind)) {
    throw new KeywardenError('ERR_INVALID_STATE', 'unknown record kind', { field: 'kind' });
  }
  return RECORD_KIND_DESCRIPTORS[kind];
}
