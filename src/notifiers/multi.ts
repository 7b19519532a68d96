/**
 * `multiNotifier`: fans one event out to several notifiers.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { KeyEvent, Notifier } from '../ports/notifier.js';

/**
 * A notifier that delivers each event to every given notifier in parallel and waits for all of
 * them. One failing never stops the others. If any failed, `notify` rejects with one `ERR_NOTIFY`
 * saying how many, whose `cause` is an `AggregateError` of the individual errors. (A manager
 * swallows notifier errors anyway; this matters to callers using it directly.)
 *
 * @example
 * ```ts
 * const notifier = multiNotifier(
 *   consoleNotifier(),
 *   webhookNotifier({ url: 'https://ops.example.com/kw', secret }),
 * );
 * // or multiNotifier([a, b])
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `notifiers.<i>`) when an item has no `notify`
 *   function. `notify` rejects with `ERR_NOTIFY` when at least one notifier failed.
 */
export function multiNotifier(...notifiers: Notifier[] | [readonly Notifier[]]): Notifier {
  const list: readonly unknown[] =
    notifiers.length === 1 && Array.isArray(notifiers[0]) ? (notifiers[0] as readonly unknown[]) : notifiers;
  list.forEach((n, i) => {
    if (typeof n !== 'object' || n === null || typeof (n as Notifier).notify !== 'function') {
      throw new KeywardenError(
        'ERR_VALIDATION',
        `notifiers.${i} must be a Notifier (an object with notify)`,
        {
          field: `notifiers.${i}`,
        },
      );
    }
  });
  const targets = [...(list as readonly Notifier[])];
  return Object.freeze({
    async notify(event: KeyEvent): Promise<void> {
      const results = await Promise.allSettled(targets.map(async (n) => n.notify(event)));
      const errors: unknown[] = [];
      for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
      if (errors.length > 0) {
        throw new KeywardenError('ERR_NOTIFY', `${errors.length} of ${targets.length} notifiers failed`, {
          cause: new AggregateError(errors, 'notifier failures'),
        });
      }
    },
  });
}
