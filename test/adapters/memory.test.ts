import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError, type KeywardenErrorCode } from '../../src/errors.js';
import type { StoredRecord } from '../../src/ports/storage.js';
import { makeAuditEvent, makeComplexRecord, makeRecord } from '../../src/testing/fixtures.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';
import { frozenGetter } from '../support/frozen-getter.js';

testStorageAdapter({ name: 'memory', create: async () => memoryStorage(), describe, it, expect });

async function codeOf(
  run: Promise<unknown>,
): Promise<{ code: KeywardenErrorCode | 'none'; field?: string; message?: string }> {
  try {
    await run;
    return { code: 'none' };
  } catch (e) {
    if (!isKeywardenError(e)) throw e;
    return e.field === undefined
      ? { code: e.code, message: e.message }
      : { code: e.code, field: e.field, message: e.message };
  }
}

describe('memoryStorage specifics', () => {
  it('is named memory and counts its records', async () => {
    const s = memoryStorage();
    expect(s.name).toBe('memory');
    expect(s.size).toBe(0);
    const r = makeRecord();
    await s.create(r);
    expect(s.size).toBe(1);
    await s.delete(r.id);
    expect(s.size).toBe(0);
  });

  it('returns deeply frozen records; mutating one throws and changes nothing', async () => {
    const s = memoryStorage();
    const r = makeComplexRecord();
    await s.create(r);
    const got = (await s.get(r.id)) as StoredRecord;
    expect(Object.isFrozen(got)).toBe(true);
    expect(Object.isFrozen(got.versions[0]?.sealed?.dek)).toBe(true);
    expect(() => {
      got.name = 'changed';
    }).toThrow(TypeError);
    expect(() => got.tags.push('x')).toThrow(TypeError);
    expect(() => {
      (got.versions[0] as { data: Record<string, unknown> }).data['slot'] = 'green';
    }).toThrow(TypeError);
    expect(() => {
      (got.data['nested'] as Record<string, unknown>)['deeper'] = null;
    }).toThrow(TypeError);
    expect(await s.get(r.id)).toStrictEqual(JSON.parse(JSON.stringify(r)));
  });

  it('reads return the stored object itself (no copy per read)', async () => {
    const s = memoryStorage();
    const r = makeRecord({ kind: 'secret', uniqueName: true, name: 'X', dueAt: 5 });
    await s.create(r);
    const got = await s.get(r.id);
    expect(await s.get(r.id)).toBe(got);
    expect(await s.findByName('X', { kind: 'secret', environment: 'default', tenantId: null })).toBe(got);
    expect((await s.list({ limit: 10 })).items[0]).toBe(got);
    expect((await s.dueForRotation(10, 10))[0]).toBe(got);
  });

  it('returns frozen audit events', async () => {
    const s = memoryStorage();
    await s.appendAudit([makeAuditEvent({ data: { a: [1] } })]);
    const [e] = (await s.listAudit({ limit: 1 })).items;
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(e?.data['a'])).toBe(true);
  });

  it('keeps one copy of a frozen data object given again; copies a mutable or getter-bearing one each time', async () => {
    const s = memoryStorage();
    const frozen = Object.freeze({ a: 'x', b: 1 });
    const mutable: Record<string, unknown> = { a: 'x' };
    const tricky = frozenGetter((n) => `read ${n}`);
    for (let i = 0; i < 2; i++) {
      await s.appendAudit([
        makeAuditEvent({ data: frozen }),
        makeAuditEvent({ data: mutable as never }),
        makeAuditEvent({ data: tricky as never }),
      ]);
      mutable['a'] = 'changed';
    }
    const rows = (await s.listAudit({ limit: 10 })).items;
    expect(rows[3]?.data).toBe(rows[0]?.data);
    expect(rows[0]?.data).not.toBe(frozen);
    expect(rows[0]?.data).toEqual({ a: 'x', b: 1 });
    expect(rows[1]?.data).toEqual({ a: 'x' });
    expect(rows[4]?.data).toEqual({ a: 'changed' });
    // copied each time: each row holds what its getter answered then
    expect(rows[5]?.data).not.toBe(rows[2]?.data);
    expect(rows[5]?.data['a']).not.toBe(rows[2]?.data['a']);
    expect(String(rows[2]?.data['a'])).toMatch(/^read \d+$/);
  });

  it('stores with JSON semantics: undefined members dropped, -0 becomes 0', async () => {
    const s = memoryStorage();
    const r = makeRecord({
      meta: { gone: undefined as unknown as null, zero: -0, list: [undefined as unknown as null] },
    });
    await s.create(r);
    expect((await s.get(r.id))?.meta).toStrictEqual({ zero: 0, list: [null] });
  });

  it('rejects records that are not plain JSON or miss indexed fields, naming the field, never the value', async () => {
    const s = memoryStorage();
    const secret = 'sk_live_DO_NOT_LEAK_0123456789';
    const bad: [Partial<StoredRecord> | Record<string, unknown>, string][] = [
      [{ kind: 'bogus' as StoredRecord['kind'] }, 'record.kind'],
      [{ status: secret as StoredRecord['status'] }, 'record.status'],
      [{ id: '' }, 'record.id'],
      [{ id: 42 as unknown as string }, 'record.id'],
      [{ revision: 1.5 }, 'record.revision'],
      [{ createdAt: Number.NaN }, 'record.createdAt'],
      [{ tenantId: undefined as unknown as null }, 'record.tenantId'],
      [{ tags: ['ok', 5 as unknown as string] }, 'record.tags'],
      [{ meta: { when: new Date() as unknown as string } }, 'record.meta.when'],
      [{ data: { secret, bad: Number.POSITIVE_INFINITY } }, 'record.data.bad'],
      [{ data: { fn: (() => secret) as unknown as string } }, 'record.data.fn'],
      [{ data: { n: 1n as unknown as number } }, 'record.data.n'],
      [{ versions: 'nope' as unknown as [] }, 'record.versions'],
    ];
    for (const [overrides, field] of bad) {
      const r = { ...makeRecord(), ...overrides } as StoredRecord;
      const result = await codeOf(s.create(r));
      expect(result).toMatchObject({ code: 'ERR_VALIDATION', field });
      expect(result.message).not.toContain(secret);
    }
    expect(await codeOf(s.create(null as unknown as StoredRecord))).toMatchObject({ code: 'ERR_VALIDATION' });
    expect(s.size).toBe(0);
  });

  it('update validates its options and input without touching the stored record', async () => {
    const s = memoryStorage();
    const r = makeRecord();
    await s.create(r);
    const before = await s.get(r.id);
    const noRevision = {} as { expectedRevision: number };
    expect(await codeOf(s.update({ ...r, revision: 2 }, noRevision))).toMatchObject({
      code: 'ERR_VALIDATION',
    });
    expect(
      await codeOf(
        s.update({ ...r, revision: 2, meta: { d: new Map() as unknown as null } }, { expectedRevision: 1 }),
      ),
    ).toMatchObject({ code: 'ERR_VALIDATION', field: 'record.meta.d' });
    expect(await s.get(r.id)).toBe(before);
  });

  it('appendAudit is all-or-nothing when an event is invalid', async () => {
    const s = memoryStorage();
    const bad = { ...makeAuditEvent(), at: Number.NaN };
    expect(await codeOf(s.appendAudit([makeAuditEvent(), bad]))).toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'events.1.at',
    });
    expect(await codeOf(s.appendAudit('x' as unknown as []))).toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'events',
    });
    expect((await s.listAudit({ limit: 10 })).items).toStrictEqual([]);
    await s.appendAudit([makeAuditEvent()]);
    expect((await s.listAudit({ limit: 10 })).items[0]?.seq).toBe(1);
  });

  it('close keeps the data (reopen in the same process) and instances are independent', async () => {
    const a = memoryStorage();
    const b = memoryStorage();
    const r = makeRecord();
    await a.create(r);
    await a.setMeta('k', 'v');
    await a.close();
    await a.init();
    expect((await a.get(r.id))?.id).toBe(r.id);
    expect(await a.getMeta('k')).toBe('v');
    expect(await b.get(r.id)).toBeNull();
    expect(await b.getMeta('k')).toBeNull();
  });

  it('setMeta rejects non-string keys and values', async () => {
    const s = memoryStorage();
    expect(await codeOf(s.setMeta('k', 5 as unknown as string))).toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'value',
    });
    expect(await codeOf(s.setMeta(null as unknown as string, 'v'))).toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'key',
    });
    expect(await s.getMeta('k')).toBeNull();
  });

  it('matches a simple model under random creates, updates, deletes and paged listing', async () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant('create' as const),
        time: fc.integer({ min: 0, max: 20 }),
        name: fc.integer({ min: 0, max: 4 }),
        unique: fc.boolean(),
      }),
      fc.record({
        t: fc.constant('update' as const),
        pick: fc.nat(),
        time: fc.integer({ min: 0, max: 20 }),
        name: fc.integer({ min: 0, max: 4 }),
      }),
      fc.record({ t: fc.constant('delete' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (ops, limit) => {
          const s = memoryStorage();
          const model = new Map<string, StoredRecord>();
          const uniqueTaken = (r: StoredRecord) =>
            r.uniqueName &&
            [...model.values()].some(
              (m) => m.id !== r.id && m.uniqueName && m.name === r.name && m.kind === r.kind,
            );
          for (const o of ops) {
            const ids = [...model.keys()];
            if (o.t === 'create') {
              const r = makeRecord({
                kind: 'key',
                createdAt: o.time,
                name: `n${o.name}`,
                uniqueName: o.unique,
              });
              const clash = uniqueTaken(r);
              expect((await codeOf(s.create(r))).code).toBe(clash ? 'ERR_ALREADY_EXISTS' : 'none');
              if (!clash) model.set(r.id, r);
            } else if (ids.length > 0) {
              const current = model.get(ids[o.pick % ids.length] as string) as StoredRecord;
              if (o.t === 'delete') {
                expect(await s.delete(current.id, { expectedRevision: current.revision })).toBe(true);
                model.delete(current.id);
              } else {
                const r = {
                  ...current,
                  revision: current.revision + 1,
                  createdAt: o.time,
                  name: `n${o.name}`,
                };
                const clash = uniqueTaken(r);
                expect((await codeOf(s.update(r, { expectedRevision: current.revision }))).code).toBe(
                  clash ? 'ERR_ALREADY_EXISTS' : 'none',
                );
                if (!clash) model.set(r.id, r);
              }
            }
          }
          const want = [...model.values()]
            .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
            .map((r) => r.id);
          const got: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await s.list(cursor === undefined ? { limit } : { limit, cursor });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            got.push(...page.items.map((r) => r.id));
            cursor = page.cursor;
          } while (cursor !== undefined);
          expect(got).toStrictEqual(want);
          expect(s.size).toBe(model.size);
          for (const r of model.values()) {
            if (!r.uniqueName) continue;
            const found = await s.findByName(r.name, { kind: 'key', environment: 'default', tenantId: null });
            expect(found?.id).toBe(r.id);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
