/**
 * The verify failure throttle: one audit row per (key, code) per window, the rest counted; its
 * table bounded, expired entries dropped from the front without a scan of the whole table.
 */
import { describe, expect, it } from 'vitest';
import { FailureThrottle } from '../../src/store/api-keys/throttle.js';

describe('FailureThrottle', () => {
  it('writes the first failure of a window, counts the rest, and reports them on the next row', () => {
    const t = new FailureThrottle(1000, 10);
    expect(t.take('a', 'REVOKED', 0)).toBe(0);
    expect(t.take('a', 'REVOKED', 10)).toBeNull();
    expect(t.take('a', 'REVOKED', 999)).toBeNull();
    expect(t.take('a', 'EXPIRED', 999)).toBe(0); // another code: its own row
    expect(t.take('a', 'REVOKED', 1000)).toBe(2);
    expect(t.take('a', 'REVOKED', 1001)).toBeNull();
  });

  it('a flood of distinct keys never grows the table past its bound; the oldest go first', () => {
    const t = new FailureThrottle(60_000, 100);
    for (let i = 0; i < 25_000; i++) expect(t.take(`k${i}`, 'REVOKED', i)).toBe(0);
    const size = (t as unknown as { entries: Map<string, unknown> }).entries.size;
    expect(size).toBe(100);
    // the newest 100 are still throttled, an old one was dropped and writes again
    expect(t.take('k24999', 'REVOKED', 25_000)).toBeNull();
    expect(t.take('k0', 'REVOKED', 25_000)).toBe(0);
  });

  it('expired entries are dropped as time passes, so the table holds only live windows', () => {
    const t = new FailureThrottle(100, 1000);
    for (let i = 0; i < 50; i++) t.take(`k${i}`, 'REVOKED', 0);
    t.take('late', 'REVOKED', 100); // every earlier window ended at 100
    const entries = (t as unknown as { entries: Map<string, unknown> }).entries;
    expect([...entries.keys()]).toEqual(['late\u0000REVOKED']);
  });

  it('a clock that goes back keeps the bound and still throttles', () => {
    const t = new FailureThrottle(100, 3);
    t.take('a', 'X', 1000);
    t.take('b', 'X', 500);
    t.take('c', 'X', 2000);
    t.take('d', 'X', 10);
    const entries = (t as unknown as { entries: Map<string, unknown> }).entries;
    expect(entries.size).toBeLessThanOrEqual(3);
    expect(t.take('d', 'X', 20)).toBeNull();
  });

  it('a key written again after its window moves to the back: the oldest live window is evicted first', () => {
    const t = new FailureThrottle(100, 2);
    expect(t.take('a', 'X', 0)).toBe(0);
    expect(t.take('a', 'X', 10)).toBeNull();
    expect(t.take('b', 'X', 50)).toBe(0);
    expect(t.take('a', 'X', 100)).toBe(1); // a's window ended: written again, now newer than b's
    expect(t.take('c', 'X', 120)).toBe(0); // full: b (oldest) goes, not a
    expect(t.take('a', 'X', 130)).toBeNull();
    expect(t.take('c', 'X', 130)).toBeNull();
    expect(t.take('b', 'X', 130)).toBe(0);
  });

  it('its eviction queue stays as long as the table through a long flood, and bounded when the clock goes back', () => {
    const queued = (t: FailureThrottle): number => {
      const inner = t as unknown as { queue: unknown[]; head: number };
      return inner.queue.length - inner.head;
    };
    const size = (t: FailureThrottle): number =>
      (t as unknown as { entries: Map<string, unknown> }).entries.size;
    const flood = new FailureThrottle(1000, 500);
    for (let i = 0; i < 50_000; i++) flood.take(`k${i % 700}`, 'REVOKED', i);
    expect(size(flood)).toBe(500);
    expect(queued(flood)).toBe(500);
    expect((flood as unknown as { queue: unknown[] }).queue.length).toBeLessThan(500 + 1024 * 2);

    const jumpy = new FailureThrottle(100, 50);
    for (let i = 0; i < 20_000; i++) jumpy.take(`k${i % 60}`, 'X', i % 2 === 0 ? 1_000_000 - i * 7 : i * 3);
    expect(size(jumpy)).toBeLessThanOrEqual(50);
    expect(queued(jumpy)).toBeLessThanOrEqual(2 * 50 + 1024 + 1);
  });
});
