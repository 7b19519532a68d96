/**
 * Sliding-window counters per subject in a capped map: O(1) memory per subject (the current and
 * the previous fixed window; the sliding count weighs the previous one by how much of it still
 * overlaps), at most `max` subjects (the least recently touched is dropped first). Used by the
 * security monitor to count failures per key and per network without a storage write.
 * Portable: no node:*.
 * @internal
 * @module
 */

interface Slot {
  /** Start of the current fixed window. */
  start: number;
  cur: number;
  prev: number;
  /** No new alert for this subject before this time. */
  quietUntil: number;
}

/** Sliding-window counts per subject, bounded. */
export class WindowCounters {
  private readonly slots = new Map<string, Slot>();

  /**
   * @param windowMs - the window length
   * @param max - most subjects tracked
   */
  constructor(
    readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Subjects tracked now. */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Adds `n` for `subject` at `now` and returns the sliding count over the last window.
   * @example
   * ```ts
   * const c = new WindowCounters(60_000, 10_000);
   * c.add('key:abc', Date.now()); // 1
   * ```
   * @throws never
   */
  add(subject: string, now: number, n = 1): number {
    const w = this.windowMs;
    let s = this.slots.get(subject);
    const start = Math.floor(now / w) * w;
    if (s === undefined) {
      s = { start, cur: 0, prev: 0, quietUntil: 0 };
      if (this.slots.size >= this.max) {
        const oldest = this.slots.keys().next();
        if (!oldest.done) this.slots.delete(oldest.value);
      }
    } else {
      this.slots.delete(subject); // re-inserted below: most recently touched last
      if (start !== s.start) {
        s.prev = start - s.start === w ? s.cur : 0;
        s.cur = 0;
        s.start = start;
      }
    }
    s.cur += n;
    this.slots.set(subject, s);
    return s.cur + s.prev * (1 - (now - start) / w);
  }

  /**
   * True once per window for `subject`: the caller raises an alert only when this says so.
   * @example
   * ```ts
   * declare const counters: WindowCounters;
   * if (counters.add('key:abc', now) >= 10 && counters.alert('key:abc', now)) console.warn('alert');
   * ```
   * @throws never
   */
  alert(subject: string, now: number): boolean {
    const s = this.slots.get(subject);
    if (s === undefined || now < s.quietUntil) return false;
    s.quietUntil = now + this.windowMs;
    return true;
  }
}

/**
 * The network of an IP address: `a.b.c.0/24` for IPv4 (and IPv4-mapped IPv6), the first 64 bits
 * `x:x:x:x::/64` for IPv6; null when it is not an IP address.
 * @example
 * ```ts
 * networkOf('203.0.113.7'); // '203.0.113.0/24'
 * networkOf('2001:db8::1'); // '2001:db8:0:0::/64'
 * ```
 * @throws never
 */
export function networkOf(ip: string): string | null {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(ip);
  if (v4 !== null) {
    const parts = v4.slice(1, 5).map(Number);
    if (parts.some((p) => p > 255)) return null;
    return `${parts[0]}.${parts[1]}.${parts[2]}.0/24`;
  }
  const bare = ip.split('%')[0] ?? '';
  if (!/^[0-9a-f:]+$/i.test(bare) || bare.length < 2) return null;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? (halves[1] as string).split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (groups.some((g) => g.length < 1 || g.length > 4)) return null;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
