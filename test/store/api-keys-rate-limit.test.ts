import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';
import { expectKw } from './api-keys-helpers.js';

const rule = { limit: 10, window: 1000 };

describe('memoryRateLimiter (GCRA)', () => {
  it('allows a burst of `limit`, then one unit per window/limit', async () => {
    const rl = memoryRateLimiter();
    const t = 1_000_000;
    for (let i = 0; i < 10; i++) {
      const r = await rl.limit('k', rule, 1, t);
      expect(r).toEqual({ allowed: true, limit: 10, remaining: 9 - i, reset: t + (i + 1) * 100 });
    }
    expect(await rl.limit('k', rule, 1, t)).toEqual({
      allowed: false,
      limit: 10,
      remaining: 0,
      reset: t + 100,
    });
    expect((await rl.limit('k', rule, 1, t + 99)).allowed).toBe(false);
    expect(await rl.limit('k', rule, 1, t + 100)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await rl.limit('other', rule, 1, t)).allowed).toBe(true);
    expect((await rl.limit('k', rule, 10, t + 1100)).allowed).toBe(true);
  });

  it('counts cost units; cost 0 only reports; a cost above the limit is never allowed', async () => {
    const rl = memoryRateLimiter();
    expect(await rl.limit('k', rule, 4, 0)).toMatchObject({ allowed: true, remaining: 6 });
    expect(await rl.limit('k', rule, 0, 0)).toMatchObject({ allowed: true, remaining: 6 });
    expect(await rl.limit('k', rule, 7, 0)).toMatchObject({ allowed: false, remaining: 6, reset: 100 });
    expect((await rl.limit('x', rule, 11, 0)).allowed).toBe(false);
    expect((await rl.limit('x', rule, 11, 10 ** 9)).allowed).toBe(false);
  });

  it('property: never allows more than limit + elapsed·limit/window units', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 5 })), {
          maxLength: 80,
        }),
        async (limit, window, steps) => {
          const rl = memoryRateLimiter();
          let now = 0;
          let used = 0;
          for (const [dt, cost] of steps) {
            now += dt;
            const r = await rl.limit('k', { limit, window }, cost, now);
            expect(r.remaining).toBeGreaterThanOrEqual(0);
            expect(r.remaining).toBeLessThanOrEqual(limit);
            if (r.allowed) used += cost;
            expect(used).toBeLessThanOrEqual(limit + Math.floor((now * limit) / window) + 1e-9);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bounds memory: idle keys are dropped, then the oldest', async () => {
    const rl = memoryRateLimiter({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await rl.limit(k, { limit: 1, window: 1000 }, 1, 0);
    // 'a' was evicted (oldest): it has its full limit again; 'd' is still limited
    expect((await rl.limit('a', { limit: 1, window: 1000 }, 1, 1)).allowed).toBe(true);
    expect((await rl.limit('d', { limit: 1, window: 1000 }, 1, 1)).allowed).toBe(false);
  });

  it('validates its inputs and refuses work after close', async () => {
    expect(() => memoryRateLimiter({ maxKeys: 0 })).toThrow(/maxKeys/);
    const rl = memoryRateLimiter();
    await expectKw(() => rl.limit('', rule, 1, 0), 'ERR_VALIDATION', 'key');
    await expectKw(() => rl.limit('k', { limit: 0, window: 1 }, 1, 0), 'ERR_VALIDATION', 'rule.limit');
    await expectKw(() => rl.limit('k', { limit: 1, window: 1.5 }, 1, 0), 'ERR_VALIDATION', 'rule.window');
    await expectKw(() => rl.limit('k', rule, -1, 0), 'ERR_VALIDATION', 'cost');
    await expectKw(() => rl.limit('k', rule, 1, Number.NaN), 'ERR_VALIDATION', 'now');
    await rl.close?.();
    await expectKw(() => rl.limit('k', rule, 1, 0), 'ERR_CLOSED');
  });
});
