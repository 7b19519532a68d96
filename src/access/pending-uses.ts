/**
 * The call counter of uncapped sessions when call audit rows are batched (`auditBatch`, the
 * default): `authorize` spends nothing on a session without `maxCalls` (there is nothing to run
 * out of), so instead of one compare-and-swap write per call it counts the calls here and adds
 * them to each session's `callsUsed` with one write per session per batch window (timer,
 * `flush()`, `close()`). Capped sessions never go through here: their spend stays one exact CAS
 * write per call. A crash loses at most one window of counts (as of audit rows).
 * @internal
 * @module
 */
import { isKeywardenError } from '../errors.js';
import { type AccessContext, loadAccessRecord } from './context.js';
import { asJson, readSessionData } from './records.js';
import { transition } from './transition.js';

/** Calls counted and not yet written, per session. */
export interface PendingUses {
  /** Counts one call of `sessionId`; returns how many of its calls are now pending (this one included). */
  add(sessionId: string, windowMs: number): number;
  /** How many calls of `sessionId` are pending. */
  pending(sessionId: string): number;
  /** Adds every pending count to its session record now (a failed one is kept for the next flush). */
  flush(): Promise<void>;
}

/**
 * The counter of one access object (`a` is given at flush time, so it can live inside the context).
 *
 * @example
 * ```ts
 * const uses = createPendingUses(() => a);
 * uses.add('ses_0123456789ab', 200);
 * await uses.flush();
 * ```
 * @throws never (flush rejects with the first write error after keeping the counts)
 */
export function createPendingUses(context: () => AccessContext): PendingUses {
  let counts = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;

  const write = async (): Promise<void> => {
    const a = context();
    const batch = counts;
    counts = new Map();
    let failure: unknown = null;
    for (const [id, n] of batch) {
      try {
        const record = await loadAccessRecord(a, id, 'access_session');
        await transition(a, record, (cur) => {
          const d = readSessionData(cur);
          return {
            next: { ...cur, data: asJson({ ...d, callsUsed: d.callsUsed + n }) },
            drafts: [], // each call already has its access.call row
            events: [],
          };
        });
      } catch (error) {
        // the session is gone, or the manager closed (nothing can be written any more)
        if (isKeywardenError(error, 'ERR_NOT_FOUND') || isKeywardenError(error, 'ERR_CLOSED')) continue;
        counts.set(id, (counts.get(id) ?? 0) + n);
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  };

  const flush = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    while (running !== null) await running.catch(() => undefined);
    if (counts.size === 0) return;
    const run = write();
    running = run;
    try {
      await run;
    } finally {
      running = null;
    }
  };

  return {
    add(sessionId, windowMs) {
      const n = (counts.get(sessionId) ?? 0) + 1;
      counts.set(sessionId, n);
      // not unref'd: a process that ends on its own writes its last counts first
      timer ??= setTimeout(() => {
        timer = undefined;
        flush().catch(() => undefined); // kept for the next flush
      }, windowMs);
      return n;
    },
    pending: (sessionId) => counts.get(sessionId) ?? 0,
    flush,
  };
}
