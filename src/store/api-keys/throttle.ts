/**
 * Small in-process helpers of the verify path: a keyed mutex (so credit decrements of one process
 * do not fight each other through CAS conflicts) and a throttle that bounds how many
 * `key.verify_failed` audit rows a flood of failures can write.
 * @internal
 * @module
 */

/**
 * Runs async functions one at a time per key, in call order.
 *
 * @example
 * ```ts
 * const lock = new KeyedLock();
 * await lock.run('abc', async () => console.log('one at a time per key id'));
 * ```
 * @throws never itself; `run` rejects with whatever its function rejects with.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` after every earlier `run` of the same key settled.
   * @throws whatever `fn` throws
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    return previous.then(fn).finally(() => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }
}

/** One (key, code) window; `key` lets the eviction queue find its map entry. */
interface ThrottleEntry {
  readonly key: string;
  readonly until: number;
  suppressed: number;
}

/**
 * At most one audit row per (key, code) per `windowMs`; the rows in between are counted and
 * reported as `suppressed` on the next row written. Bounded to `maxEntries` pairs. Every call costs
 * O(1) amortised however full the table is (a flood of failures over many distinct keys keeps it
 * full): windows are dropped in insertion order from a queue of their own.
 *
 * @example
 * ```ts
 * const t = new FailureThrottle();
 * const n = t.take('abc', 'RATE_LIMITED', now); // null: skip; a number: write, with n suppressed
 * ```
 * @throws never
 */
export class FailureThrottle {
  private readonly entries = new Map<string, ThrottleEntry>();
  /**
   * The entries in insertion order (so in `until` order, up to a clock that went back), from
   * `head` on. A slot whose entry is no longer the map's (replaced after it expired) is skipped.
   * Not the map's own iteration order: a `Map` keeps a hole for each deleted entry until it
   * rehashes, and a fresh iterator walks every hole, so "drop expired entries from the front" by
   * iterating the map cost thousands of steps per call once the table held 10,000 entries.
   */
  private queue: ThrottleEntry[] = [];
  private head = 0;

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * Returns null when this failure should not be written, else how many were suppressed before it.
   * @throws never
   */
  take(keyId: string, code: string, now: number): number | null {
    const k = `${keyId}\u0000${code}`;
    const entries = this.entries;
    const entry = entries.get(k);
    if (entry !== undefined && now < entry.until) {
      entry.suppressed += 1;
      return null;
    }
    const suppressed = entry !== undefined ? entry.suppressed : 0;
    if (entry !== undefined) entries.delete(k);
    // drop expired windows from the front, then the oldest while full
    const queue = this.queue;
    let head = this.head;
    while (head < queue.length) {
      const e = queue[head] as ThrottleEntry;
      if (entries.get(e.key) === e) {
        if (e.until > now && entries.size < this.maxEntries) break;
        entries.delete(e.key);
      }
      head++;
    }
    const fresh: ThrottleEntry = { key: k, until: now + this.windowMs, suppressed: 0 };
    entries.set(k, fresh);
    queue.push(fresh);
    // reclaim the consumed front; with a clock that goes back, stale slots can pile up behind a
    // live one: rebuild from the map when the queue is far longer than the table
    if (head >= 1024 && head * 2 >= queue.length) {
      this.queue = queue.slice(head);
      head = 0;
    } else if (queue.length - head > 2 * this.maxEntries + 1024) {
      this.queue = [...entries.values()];
      head = 0;
    }
    this.head = head;
    return suppressed;
  }
}
