/**
 * The `keywarden` CLI's exit codes (documented in docs/cli.md) and the mapping from error codes.
 * @module
 */
import type { KeywardenErrorCode } from '../errors.js';

/** Exit codes. Stable: scripts may depend on them. */
export const EXIT = Object.freeze({
  /** Success. */
  OK: 0,
  /** The operation ran and failed: invalid key on `api-keys verify`, broken audit chain, doctor found a problem, bad backup. */
  FAILED: 1,
  /** Usage error: unknown command or option, missing argument, invalid value (`ERR_VALIDATION`). */
  USAGE: 2,
  /** The key, secret or version asked for does not exist (`ERR_NOT_FOUND`). */
  NOT_FOUND: 3,
  /** No master key, wrong master key, or a value that fails to decrypt (`ERR_MASTER_KEY_MISMATCH`, `ERR_DECRYPT`, `ERR_KMS`). */
  MASTER_KEY: 4,
  /** Storage failure: I/O, corrupt store, failed integrity check (`ERR_INTEGRITY`), lock timeout, insecure permissions, audit write failure. */
  STORAGE: 5,
  /** Already exists or changed concurrently (`ERR_ALREADY_EXISTS`, `ERR_CONFLICT`). */
  CONFLICT: 6,
  /** A bug: an unexpected error (details with `KEYWARDEN_DEBUG=1`). */
  INTERNAL: 10,
});

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Partial<Record<KeywardenErrorCode | 'ERR_USAGE', ExitCode>> = {
  ERR_USAGE: EXIT.USAGE,
  ERR_VALIDATION: EXIT.USAGE,
  ERR_NOT_FOUND: EXIT.NOT_FOUND,
  ERR_MASTER_KEY_MISMATCH: EXIT.MASTER_KEY,
  ERR_DECRYPT: EXIT.MASTER_KEY,
  ERR_KMS: EXIT.MASTER_KEY,
  ERR_STORAGE: EXIT.STORAGE,
  ERR_LOCKED: EXIT.STORAGE,
  ERR_INSECURE_PERMISSIONS: EXIT.STORAGE,
  ERR_INTEGRITY: EXIT.STORAGE,
  ERR_AUDIT: EXIT.STORAGE,
  ERR_CLOSED: EXIT.STORAGE,
  ERR_ALREADY_EXISTS: EXIT.CONFLICT,
  ERR_CONFLICT: EXIT.CONFLICT,
};

/**
 * The exit code for an error code; operation failures (`ERR_INVALID_STATE`, `ERR_BACKUP`,
 * `ERR_ROTATION`, `ERR_UNSUPPORTED`, `ERR_AUDIT_CHAIN`...) give {@link EXIT.FAILED}.
 *
 * @example
 * ```ts
 * exitCodeFor('ERR_NOT_FOUND'); // 3
 * ```
 * @throws never
 */
export function exitCodeFor(code: string): ExitCode {
  return BY_CODE[code as KeywardenErrorCode] ?? EXIT.FAILED;
}
