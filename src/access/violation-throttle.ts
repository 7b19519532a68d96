/**
 * Bounds the `access.violation` rows a flood of refused calls can write: one row per (session,
 * reason) or, without a session, per (client address, reason) per window, and at most
 * `maxUnattributed` rows per window for violations without a session, whatever their address
 * (an unauthenticated client can vary its address and the tool id in the path, never the budget).
 * @internal
 * @module
 */
import { FailureThrottle } from '../store/api-keys/throttle.js';

/** What a written violation row reports about the ones not written before it. */
export interface ViolationTally {
  /** The same violation (same session or address, same reason) not written since the last row. */
  suppressed: number;
  /** Violations without a session dropped by the per-window budget since the last such row. */
  dropped: number;
}

/** Decides which violations are written. */
export interface ViolationThrottle {
  /**
   * Returns null when this violation is counted but not written, else what the row reports.
   * @example
   * ```ts
   * declare const throttle: ViolationThrottle;
   * const tally = throttle.take({ sessionId: null, ip: '203.0.113.9', reason: 'unknown tool' }, now);
   * ```
   * @throws never
   */
  take(
    v: { sessionId: string | null; ip: string | undefined; reason: string },
    now: number,
  ): ViolationTally | null;
}

/** The longest part of a reason used to tell violations apart. */
const REASON_KEY_LENGTH = 200;

/**
 * Builds the throttle of one access object; `false` writes every violation.
 * @example
 * ```ts
 * const throttle = createViolationThrottle({ windowMs: 60_000, maxUnattributed: 100 });
 * ```
 * @throws never
 */
export function createViolationThrottle(
  options: { windowMs: number; maxUnattributed: number } | false,
): ViolationThrottle {
  if (options === false) return { take: () => ({ suppressed: 0, dropped: 0 }) };
  const { windowMs, maxUnattributed } = options;
  const perKey = new FailureThrottle(windowMs);
  let windowStart = Number.NEGATIVE_INFINITY;
  let written = 0;
  let dropped = 0;
  return {
    take(v, now) {
      const reason = v.reason.slice(0, REASON_KEY_LENGTH);
      const key = v.sessionId !== null ? `s\u0000${v.sessionId}` : `a\u0000${v.ip ?? '-'}`;
      const suppressed = perKey.take(key, reason, now);
      if (suppressed === null) return null;
      if (v.sessionId !== null) return { suppressed, dropped: 0 };
      if (now - windowStart >= windowMs) {
        windowStart = now;
        written = 0;
      }
      if (written >= maxUnattributed) {
        dropped += 1 + suppressed;
        return null;
      }
      written += 1;
      const tally = { suppressed, dropped };
      dropped = 0;
      return tally;
    },
  };
}
