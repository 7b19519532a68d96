/**
 * `callbackNotifier`: hands each event to a function of yours.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { KeyEvent, Notifier } from '../ports/notifier.js';

/** The function a {@link callbackNotifier} calls. */
export type KeyEventCallback = (event: KeyEvent) => void | Promise<void>;

/**
 * A notifier that calls `fn` with a copy of each event (so a callback that edits it cannot
 * affect other notifiers) and resolves when `fn` has finished.
 *
 * @example
 * ```ts
 * const notifier = callbackNotifier(async (event) => {
 *   if (event.type === 'rotation.failed') console.error(`${event.name}: ${event.error.code}`); // page someone
 * });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `fn`) when `fn` is not a function. `notify`
 *   rejects with `ERR_NOTIFY` (the original error as `cause`) when `fn` throws or rejects.
 */
export function callbackNotifier(fn: KeyEventCallback): Notifier {
  if (typeof fn !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'fn must be a function', { field: 'fn' });
  }
  return Object.freeze({
    async notify(event: KeyEvent): Promise<void> {
      try {
        await fn(structuredClone(event));
      } catch (error) {
        throw new KeywardenError('ERR_NOTIFY', 'callback notifier failed', { cause: error });
      }
    },
  });
}
