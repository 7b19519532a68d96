/**
 * Errors thrown by keywarden. Every failure is a {@link KeywardenError} with a stable `code`;
 * the message names the field or operation at fault and never contains key material.
 *
 * @example
 * ```ts
 * import { isKeywardenError } from 'keywarden/errors';
 * try { await km.secrets.get('OPENAI_API_KEY'); }
 * catch (e) { if (isKeywardenError(e, 'ERR_NOT_FOUND')) console.log('not set yet'); }
 * ```
 * @module
 */

/** Every code a {@link KeywardenError} can carry. Codes are stable across minor versions. */
export const ERROR_CODES = [
  /** A public input failed validation; `field` names it. */
  'ERR_VALIDATION',
  /** The record (or version) asked for does not exist. */
  'ERR_NOT_FOUND',
  /** A record with the same id, or the same name in the same tenant and environment, exists. */
  'ERR_ALREADY_EXISTS',
  /** A compare-and-swap write lost: the record changed since it was read. */
  'ERR_CONFLICT',
  /** The storage adapter failed (I/O, network, database). */
  'ERR_STORAGE',
  /** A sealed value failed authentication: tampered, moved, or opened with the wrong key. */
  'ERR_DECRYPT',
  /** The KMS failed to wrap or unwrap a data key. */
  'ERR_KMS',
  /** The master key does not match the one this store was created with. */
  'ERR_MASTER_KEY_MISMATCH',
  /** The audit event for a mutation or a secret read could not be written; the operation failed closed. */
  'ERR_AUDIT',
  /** The audit chain is broken (returned by verify helpers that throw). */
  'ERR_AUDIT_CHAIN',
  /** The operation is not valid for the record's type or state (e.g. signing with an AES key). */
  'ERR_INVALID_STATE',
  /** The operation is not supported by this key type, adapter or runtime. */
  'ERR_UNSUPPORTED',
  /** A file store's files are readable by group or others. */
  'ERR_INSECURE_PERMISSIONS',
  /** A store is locked by another process and the lock could not be taken in time. */
  'ERR_LOCKED',
  /** A rotation step or provider hook failed. */
  'ERR_ROTATION',
  /** A backup bundle is malformed or does not match this store. */
  'ERR_BACKUP',
  /** The manager was used after `close()`. */
  'ERR_CLOSED',
  /** A notifier failed (only surfaced by notifiers used directly; managers never fail on it). */
  'ERR_NOTIFY',
  /**
   * A stored record or the store itself failed its integrity check or is malformed (e.g. a record
   * of the wrong shape, a file store whose log is missing or was replaced). The message names the
   * record id or the file, never its content. Nothing from it was used.
   */
  'ERR_INTEGRITY',
  /** The actor may not do this (e.g. approve its own request, an operator key without the scope). */
  'ERR_FORBIDDEN',
] as const;

/** The union of stable error codes. */
export type KeywardenErrorCode = (typeof ERROR_CODES)[number];

/** Options for {@link KeywardenError}. */
export interface KeywardenErrorOptions {
  /** The public input at fault, as a dotted path (`'scopes.2'`, `'rateLimit.window'`). */
  field?: string;
  /** The underlying error. Never put key material in it. */
  cause?: unknown;
}

/**
 * The one error class keywarden throws.
 *
 * @example
 * ```ts
 * throw new KeywardenError('ERR_VALIDATION', 'name must be 1-128 characters', { field: 'name' });
 * ```
 */
export class KeywardenError extends Error {
  /** Stable machine-readable code. */
  readonly code: KeywardenErrorCode;
  /** The input field at fault, when there is one. */
  readonly field: string | undefined;

  /**
   * @param code - stable code from {@link ERROR_CODES}
   * @param message - human-readable; must not contain secrets
   * @param options - `field` and `cause`
   */
  constructor(code: KeywardenErrorCode, message: string, options: KeywardenErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeywardenError';
    this.code = code;
    this.field = options.field;
  }

  /** A plain object for logs and JSON; carries code, field and message only. */
  toJSON(): {
    /** Always `'KeywardenError'`. */
    name: string;
    /** The stable `ERR_*` code. */
    code: KeywardenErrorCode;
    /** The input at fault (e.g. `'options.since'`); absent when the error is not about one field. */
    field?: string;
    /** Human-readable message; never a secret, token or key material. */
    message: string;
  } {
    return this.field === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, field: this.field, message: this.message };
  }
}

/**
 * True when `error` is a {@link KeywardenError}, optionally with the given code.
 *
 * @example
 * ```ts
 * declare const err: unknown;
 * if (isKeywardenError(err, 'ERR_CONFLICT')) console.log('stale revision: read again and retry');
 * ```
 */
export function isKeywardenError(error: unknown, code?: KeywardenErrorCode): error is KeywardenError {
  return error instanceof KeywardenError && (code === undefined || error.code === code);
}

/**
 * Shorthand for an `ERR_VALIDATION` error naming a field.
 *
 * @example
 * ```ts
 * throw validationError('prefix', 'prefix must match [a-z0-9_]{1,32}');
 * ```
 */
export function validationError(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field}: ${message}`, { field });
}

/**
 * Wraps an unknown adapter failure as `ERR_STORAGE`, passing KeywardenErrors through unchanged.
 *
 * @example
 * ```ts
 * declare const db: { query(sql: string): Promise<unknown> };
 * try { await db.query('select 1'); } catch (e) { throw toStorageError(e, 'get'); }
 * ```
 */
export function toStorageError(error: unknown, operation: string): KeywardenError {
  if (error instanceof KeywardenError) return error;
  return new KeywardenError('ERR_STORAGE', `storage ${operation} failed`, { cause: error });
}
