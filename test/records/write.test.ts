import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { capabilityContext, createRecords, deleteRecord, mutateRecord } from '../../src/extension/index.js';
import { createKeyManager } from '../../src/index.js';
import { localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/index.js';

/** A real memory store whose audit appends can be made to fail, and whose updates can lose races. */
function flakyStore() {
  const inner = memoryStorage();
  // `writer`: a second manager on the same store, the concurrent keywarden writer (its writes are MAC'd)
  const state: { failAudit: boolean; conflicts: number; writer: StorageAdapter | null } = {
    failAudit: false,
    conflicts: 0,
    writer: null,
  };
  const storage: StorageAdapter = {
    ...inner,
    name: 'flaky',
    appendAudit: (events) =>
      state.failAudit ? Promise.reject(new Error('audit store down')) : inner.appendAudit(events),
    update: async (record, o) => {
      if (state.conflicts > 0) {
        state.conflicts--;
        // a concurrent writer wins the race: bump the stored record first
        const writer = state.writer ?? inner;
        const cur = (await writer.get(record.id))!;
        await writer.update(
          { ...cur, revision: cur.revision + 1, tags: [...cur.tags, 'other'] },
          {
            expectedRevision: cur.revision,
          },
        );
      }
      return inner.update(record, o);
    },
  };
  return { storage, inner, state };
}

async function setup() {
  const { storage, inner, state } = flakyStore();
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey: new Uint8Array(32).fill(7) }),
    clock: fakeClock(),
  });
  const ctx = capabilityContext(km);
  await ctx.ready();
  const other = createKeyManager({
    storage: inner,
    kms: localKms({ masterKey: new Uint8Array(32).fill(7) }),
  });
  state.writer = capabilityContext(other).storage;
  const { key } = await km.apiKeys.create({ name: 'k' });
  const record = (await inner.get(key.id)) as StoredRecord;
  return { km, ctx, inner, state, record };
}

describe('the one audited write path', () => {
  it('mutateRecord returns the mutation result and audits the change', async () => {
    const { km, ctx, inner, record } = await setup();
    const out = await mutateRecord(
      ctx,
      record.id,
      'api_key',
      (cur) => ({ next: { ...cur, tags: ['a'] }, result: cur.revision }),
      {
        audit: ({ after, result }) => ({
          type: 'key.updated',
          keyId: after.id,
          kind: after.kind,
          data: { result },
        }),
      },
    );
    expect(out).toMatchObject({ changed: true, result: record.revision });
    expect(out.record.revision).toBe(record.revision + 1);
    expect((await inner.get(record.id))?.tags).toEqual(['a']);
    const { items } = await inner.listAudit({ limit: 100, type: 'key.updated' });
    expect(items.at(-1)?.data).toEqual({ result: record.revision });
    await km.close();
  });

  it('re-runs the mutation on the fresh record after a lost race, returning the winning result', async () => {
    const { km, ctx, inner, state, record } = await setup();
    state.conflicts = 2;
    let runs = 0;
    const out = await mutateRecord(ctx, record.id, 'api_key', (cur) => {
      runs++;
      return { next: { ...cur, tags: [...cur.tags, 'mine'] }, result: cur.tags.length };
    });
    expect(runs).toBe(3);
    expect(out.result).toBe(2);
    expect((await inner.get(record.id))?.tags).toEqual(['other', 'other', 'mine']);
    await km.close();
  });

  it('undoes an update whose audit fails and rethrows ERR_AUDIT', async () => {
    const { km, ctx, inner, state, record } = await setup();
    state.failAudit = true;
    await expect(
      mutateRecord(ctx, record.id, 'api_key', (cur) => ({ next: { ...cur, tags: ['x'] }, result: null }), {
        audit: ({ after }) => ({ type: 'key.updated', keyId: after.id, kind: after.kind }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    const now = await inner.get(record.id);
    expect(now?.tags).toEqual(record.tags);
    expect(now?.revision).toBe(record.revision + 2);
    await km.close();
  });

  it('createRecords deletes what it created when the audit fails', async () => {
    const { km, ctx, inner, state, record } = await setup();
    state.failAudit = true;
    const copy: StoredRecord = { ...record, id: ctx.newId() };
    await expect(
      createRecords(ctx, [copy], { audit: { type: 'key.created', keyId: copy.id, kind: copy.kind } }),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    expect(await inner.get(copy.id)).toBeNull();
    await km.close();
  });

  it('deleteRecord re-creates the record when the audit fails, and returns null for nothing', async () => {
    const { km, ctx, inner, state, record } = await setup();
    state.failAudit = true;
    await expect(
      deleteRecord(ctx, () => inner.get(record.id), {
        audit: (r) => ({ type: 'key.deleted', keyId: r.id, kind: r.kind }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    expect(await inner.get(record.id)).toEqual(record);
    state.failAudit = false;
    const gone = await deleteRecord(ctx, () => inner.get(record.id), {
      audit: (r) => ({ type: 'key.deleted', keyId: r.id, kind: r.kind }),
    });
    expect(gone?.id).toBe(record.id);
    expect(await deleteRecord(ctx, () => inner.get(record.id), { audit: () => null })).toBeNull();
    await km.close();
  });
});
