/**
 * Two managers on ONE memory storage (same master key) running `runDue` at the same moment over
 * 200 due records: each record is rotated exactly once (versions, events, audit, reports).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import type { RotationStrategy } from '../../src/records/rotation-types.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { harness } from './harness.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Delegates to `inner`, yielding a seeded random number of microtask turns before each call;
 * with `shuffle`, `dueForRotation` returns the due records in a seeded random order, so the two
 * runners meet on records at random points (a loser backs off and would otherwise trail forever).
 */
function jittered(inner: StorageAdapter, rand: () => number, shuffle = false): StorageAdapter {
  const wrapped = {} as Record<string, unknown>;
  for (const key of Object.keys(inner) as (keyof StorageAdapter)[]) {
    const value = inner[key];
    if (typeof value !== 'function') {
      wrapped[key] = value;
      continue;
    }
    wrapped[key] = async (...args: unknown[]) => {
      const turns = rand() < 0.15 ? 40 + Math.floor(rand() * 80) : Math.floor(rand() * 4);
      for (let i = 0; i < turns; i++) await Promise.resolve();
      const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
      if (shuffle && key === 'dueForRotation') {
        const list = [...(result as unknown[])];
        for (let i = list.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [list[i], list[j]] = [list[j], list[i]];
        }
        return list;
      }
      return result;
    };
  }
  return wrapped as unknown as StorageAdapter;
}

const STRATEGIES: RotationStrategy[] = ['immediate', 'overlap', 'gradual', 'blue-green'];

async function allAudit(h: ReturnType<typeof harness>, type: 'key.rotated') {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await h.storage.listAudit(
      cursor === undefined ? { type, limit: 1000 } : { type, limit: 1000, cursor },
    );
    for (const e of page.items) out.push(e.keyId as string);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

describe('two runners on one storage', () => {
  it.each([1, 2, 3, 4])('rotate each of 200 due records exactly once (seed %i)', async (seed) => {
    const rand = mulberry32(seed);
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const clock = fakeClock();
    const a = harness({ storage: jittered(storage, mulberry32(seed * 101)), masterKey, clock });
    const b = harness({ storage: jittered(storage, mulberry32(seed * 211), true), masterKey, clock });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const strategy = STRATEGIES[Math.floor(rand() * 4)] as RotationStrategy;
      const maker = rand() < 0.8 ? a : b;
      let id: string;
      if (rand() < 0.75) id = (await maker.apiKeys.create({ name: `k${i}`, expiresIn: null })).key.id;
      else id = (await maker.secrets.set(`S${i}`, `v${i}`)).id;
      await maker.rotator.setPolicy(id, { every: '30d', strategy });
      ids.push(id);
    }
    clock.advance('30d');
    const delay = Math.floor(rand() * 5);
    const runB = async () => {
      for (let i = 0; i < delay; i++) await Promise.resolve();
      return b.rotator.runDue({ limit: 500 });
    };
    const [ra, rb] = await Promise.all([a.rotator.runDue({ limit: 500 }), runB()]);
    expect(ra.failed).toEqual([]);
    expect(rb.failed).toEqual([]);

    const rotatedIds = [...ra.rotated, ...rb.rotated].map((r) => r.id);
    expect(rotatedIds).toHaveLength(200);
    expect(new Set(rotatedIds)).toEqual(new Set(ids));
    // a runner never both rotated and skipped a record
    for (const r of [ra, rb]) {
      const rotated = new Set(r.rotated.map((x) => x.id));
      for (const s of r.skipped) expect(rotated.has(s.id)).toBe(false);
    }
    // with jittered storage both runners win some records
    expect(ra.rotated.length).toBeGreaterThan(0);
    expect(rb.rotated.length).toBeGreaterThan(0);
    for (const id of ids) {
      const record = await storage.get(id);
      expect(record?.versions.map((v) => v.version)).toEqual([1, 2]);
    }
    const events = [...a.ofType('key.rotated'), ...b.ofType('key.rotated')].map((e) => e.keyId);
    expect(events).toHaveLength(200);
    expect(new Set(events).size).toBe(200);
    const audited = await allAudit(a, 'key.rotated');
    expect(audited).toHaveLength(200);
    expect(new Set(audited).size).toBe(200);

    // a second simultaneous run finds nothing due
    const [again1, again2] = await Promise.all([
      a.rotator.runDue({ limit: 500 }),
      b.rotator.runDue({ limit: 500 }),
    ]);
    expect(again1.rotated.length + again2.rotated.length).toBe(0);
  });
});
