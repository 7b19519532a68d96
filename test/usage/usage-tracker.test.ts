import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { makeRecord, makeVersion } from '../../src/testing/fixtures.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { createUsageTracker } from '../../src/usage/usage-tracker.js';

const T0 = Date.UTC(2030, 0, 1);

/** A memory storage counting updates; `failUpdates` makes them throw a non-conflict error. */
function store() {
  const inner = memoryStorage();
  const state = { updates: 0, failUpdates: false, beforeUpdate: null as null | (() => Promise<void>) };
  const storage: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
    update: async (record: StoredRecord, o: { expectedRevision: number }) => {
      if (state.failUpdates) throw new Error('db down');
      const hook = state.beforeUpdate;
      state.beforeUpdate = null;
      if (hook) await hook();
      state.updates++;
      return inner.update(record, o);
    },
  });
  return { storage, inner, state };
}

async function twoVersionRecord(storage: StorageAdapter): Promise<StoredRecord> {
  const r = makeRecord({
    versions: [makeVersion({ version: 1, state: 'previous' }), makeVersion({ version: 2, state: 'current' })],
  });
  await storage.create(r);
  return r;
}

const usage = (r: StoredRecord | null) => ({
  lastUsedAt: r?.data['lastUsedAt'],
  versions: r?.versions.map((v) => [v.version, v.data['uses'] ?? 0, v.data['lastUsedAt'] ?? null]),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createUsageTracker', () => {
  it('buffers uses and writes each record once per flush', async () => {
    const { storage, state } = store();
    const r = await twoVersionRecord(storage);
    const t = createUsageTracker(storage, { flushInterval: 0 });
    for (let i = 0; i < 50; i++) t.record(r.id, 2, T0 + i);
    t.record(r.id, 1, T0 + 5);
    expect(state.updates).toBe(0);
    expect(t.pending).toBe(1);
    expect(await t.flush()).toStrictEqual({ written: 1, dropped: 0 });
    expect(state.updates).toBe(1);
    const stored = await storage.get(r.id);
    expect(usage(stored)).toStrictEqual({
      lastUsedAt: T0 + 49,
      versions: [
        [1, 1, T0 + 5],
        [2, 50, T0 + 49],
      ],
    });
    expect(stored?.revision).toBe(r.revision + 1);
    expect(await t.flush()).toStrictEqual({ written: 0, dropped: 0 });
    expect(state.updates).toBe(1);
    // counts accumulate across flushes; lastUsedAt never goes backwards
    t.record(r.id, 2, T0 - 1000);
    await t.flush();
    expect(usage(await storage.get(r.id))).toStrictEqual({
      lastUsedAt: T0 + 49,
      versions: [
        [1, 1, T0 + 5],
        [2, 51, T0 + 49],
      ],
    });
  });

  it('loses nothing on close, and refuses records after it', async () => {
    const { storage } = store();
    const r = await twoVersionRecord(storage);
    const t = createUsageTracker(storage, { flushInterval: '1h' });
    t.record(r.id, 2, T0);
    t.record(r.id, 2, T0 + 1);
    await t.close();
    expect(usage(await storage.get(r.id)).versions).toStrictEqual([
      [1, 0, null],
      [2, 2, T0 + 1],
    ]);
    expect(() => t.record(r.id, 2, T0)).toThrow(/close/);
  });

  it('keeps the counts of a failed write for the next flush (and close can be retried)', async () => {
    const { storage, state } = store();
    const r = await twoVersionRecord(storage);
    const t = createUsageTracker(storage, { flushInterval: 0 });
    t.record(r.id, 2, T0);
    state.failUpdates = true;
    await expect(t.flush()).rejects.toThrow('db down');
    t.record(r.id, 2, T0 + 1);
    await expect(t.close()).rejects.toThrow('db down');
    expect(t.pending).toBe(1);
    state.failUpdates = false;
    await t.close();
    expect(usage(await storage.get(r.id)).versions).toStrictEqual([
      [1, 0, null],
      [2, 2, T0 + 1],
    ]);
  });

  it('retries a lost compare-and-swap and keeps the other writer change', async () => {
    const { storage, inner, state } = store();
    const r = await twoVersionRecord(storage);
    const t = createUsageTracker(storage, { flushInterval: 0 });
    t.record(r.id, 2, T0);
    state.beforeUpdate = async () => {
      const cur = (await inner.get(r.id)) as StoredRecord;
      await inner.update(
        { ...cur, name: 'renamed', revision: cur.revision + 1 },
        { expectedRevision: cur.revision },
      );
    };
    expect(await t.flush()).toStrictEqual({ written: 1, dropped: 0 });
    const stored = await storage.get(r.id);
    expect(stored?.name).toBe('renamed');
    expect(usage(stored).versions).toStrictEqual([
      [1, 0, null],
      [2, 1, T0],
    ]);
  });

  it('drops usage of deleted records and of versions that no longer exist', async () => {
    const { storage } = store();
    const r = await twoVersionRecord(storage);
    const gone = makeRecord();
    await storage.create(gone);
    const t = createUsageTracker(storage, { flushInterval: 0 });
    t.record(gone.id, 1, T0);
    t.record(r.id, 7, T0);
    await storage.delete(gone.id);
    expect(await t.flush()).toStrictEqual({ written: 1, dropped: 1 });
    expect(usage(await storage.get(r.id))).toStrictEqual({
      lastUsedAt: T0,
      versions: [
        [1, 0, null],
        [2, 0, null],
      ],
    });
  });

  it('flushes on its interval and early when maxIds records are buffered', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { storage, state } = store();
    const a = await twoVersionRecord(storage);
    const b = await twoVersionRecord(storage);
    const t = createUsageTracker(storage, { flushInterval: '10s', maxIds: 2 });
    t.record(a.id, 2, T0);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(state.updates).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await t.flush(); // waits for the interval's flush in flight
    expect(state.updates).toBe(1);
    t.record(a.id, 2, T0 + 1);
    t.record(b.id, 2, T0 + 1); // the second record reaches maxIds
    await t.flush();
    expect(state.updates).toBe(3);
    await t.close();
  });

  it('reports background flush failures to onError and keeps the counts', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { storage, state } = store();
    const r = await twoVersionRecord(storage);
    const errors: unknown[] = [];
    const t = createUsageTracker(storage, { flushInterval: '1s', onError: (e) => errors.push(e) });
    t.record(r.id, 2, T0);
    state.failUpdates = true;
    await vi.advanceTimersByTimeAsync(1000);
    await t.flush().catch(() => undefined);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    state.failUpdates = false;
    await t.close();
    expect(usage(await storage.get(r.id)).versions).toStrictEqual([
      [1, 0, null],
      [2, 1, T0],
    ]);
  });

  it('takes a store context and its clock', async () => {
    const { storage } = store();
    const r = await twoVersionRecord(storage);
    const clock = fakeClock({ now: T0 + 42 });
    const t = createUsageTracker({ storage, clock }, { flushInterval: 0 });
    t.record(r.id, 2);
    await t.close();
    expect((await storage.get(r.id))?.data['lastUsedAt']).toBe(T0 + 42);
  });

  it('records verified API keys of a manager (as verify will once wired)', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    const t = createUsageTracker({ storage, clock }, { flushInterval: 0 });
    for (let i = 0; i < 10; i++) {
      const r = await km.apiKeys.verify(token);
      if (r.valid) t.record(r.key.id, r.version);
      clock.advance('1s');
    }
    await t.close();
    const stored = await storage.get(key.id);
    expect(stored?.data['lastUsedAt']).toBe(clock.now() - 1000);
    expect(stored?.versions[0]?.data['uses']).toBe(10);
    expect((await km.apiKeys.verify(token)).valid).toBe(true); // the record still verifies
    await km.close();
  });

  it('rejects bad arguments', () => {
    const { storage } = store();
    expect(() => createUsageTracker({} as never)).toThrow(/target/);
    expect(() => createUsageTracker(storage, { flushInterval: 'soon' })).toThrow(/flushInterval/);
    expect(() => createUsageTracker(storage, { maxIds: 0 })).toThrow(/maxIds/);
    expect(() => createUsageTracker(storage, { maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    const t = createUsageTracker(storage, { flushInterval: 0 });
    const field = (fn: () => void) => {
      try {
        fn();
        return 'none';
      } catch (e) {
        return isKeywardenError(e) ? e.field : 'other';
      }
    };
    expect(field(() => t.record('', 1))).toBe('id');
    expect(field(() => t.record('abc', 0))).toBe('version');
    expect(field(() => t.record('abc', 1, Number.POSITIVE_INFINITY))).toBe('at');
  });
});
