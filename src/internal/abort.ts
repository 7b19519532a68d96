/**
 * Abort signals of long operations: recognising one in options, and joining the caller's signal
 * with the manager's own (the rotator's, aborted by `stop()`/`close()`).
 * @internal
 * @module
 */

/**
 * True for an `AbortSignal` (checked by shape, so a signal from another realm passes).
 *
 * @example
 * ```ts
 * isAbortSignal(AbortSignal.timeout(1000)); // true
 * ```
 * @throws never
 */
export function isAbortSignal(v: unknown): v is AbortSignal {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as AbortSignal).aborted === 'boolean' &&
    typeof (v as AbortSignal).addEventListener === 'function' &&
    typeof (v as AbortSignal).throwIfAborted === 'function'
  );
}

/**
 * A signal that aborts when either does (`AbortSignal.any`), or `own` alone when the caller gave none.
 * Made per call, never at construction (Workers forbid it in global scope).
 *
 * @example
 * ```ts
 * const own = new AbortController(); // e.g. the rotator's, aborted by stop()
 * const either = eitherSignal(own.signal, signal);
 * ```
 * @throws never
 */
export function eitherSignal(own: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
  if (caller === undefined) return own;
  return AbortSignal.any([own, caller]);
}
