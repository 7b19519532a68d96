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

/**
 * At most one audit row per (key, code) per `windowMs`; the rows in between are counted and
 * reported as `suppressed` on the next row written. Bounded to `maxEntries` pairs.
 *
 * @example
 * ```ts
 * const t = new FailureThrottle();
 * const n = t.take('abc', 'RATE_LIMITED', now); // null: skip; a number: write, with n suppressed
 * ```
 * @throws never
 */
export class FailureThrottle {
  private readonly entries = new Map<string, { until: number; suppressed: number }>();

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
    const entry = this.entries.get(k);
    if (entry && now < entry.until) {
      entry.suppressed += 1;
      return null;
    }
    const suppressed = entry ? entry.suppressed : 0;
    this.entries.delete(k);
    // Entries are (re)inserted at the end with the same window, so the map is in `until` order
    // (up to a clock that went back): expired entries sit at the front. Drop those, then the
    // oldest while full. O(1) amortised however large the table, where a full scan per failure
    // made a flood of distinct failing keys cost O(table) each.
    for (const [key, e] of this.entries) {
      if (e.until > now) break;
      this.entries.delete(key);
    }
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(k, { until: now + this.windowMs, suppressed: 0 });
    return suppressed;
  }
}
