/**
 * Storage contract, part 1: create, get, findByName, update, delete.
 * @internal
 * @module
 */
import { RECORD_KINDS } from '../ports/names.js';
import type { StoredRecord } from '../ports/storage.js';
import { makeComplexRecord, makeRecord } from './fixtures.js';
import { type ContractContext, jsonCopy } from './storage-contract-harness.js';

/** The next revision of `record`, with `changes` applied. */
function next(record: StoredRecord, changes: Partial<StoredRecord> = {}): StoredRecord {
  return { ...jsonCopy(record), revision: record.revision + 1, updatedAt: record.updatedAt + 1, ...changes };
}

/**
 * Registers the record tests.
 *
 * @example
 * ```ts
 * declare const options: StorageContractOptions;
 * describeRecordContract(createContractContext(options));
 * ```
 * @throws never
 */
export function describeRecordContract(ctx: ContractContext): void {
  const { test, expect, expectCode } = ctx;

  ctx.describe('records', () => {
    test('create then get round-trips a complex record exactly (JSON semantics)', async (s) => {
      const record = makeComplexRecord();
      await s.create(record);
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(record));
      const plain = makeRecord();
      await s.create(plain);
      expect(await s.get(plain.id)).toStrictEqual(jsonCopy(plain));
      // member names that are special in JavaScript are plain data in JSON
      const tricky = makeRecord({
        meta: JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":1}'),
      });
      await s.create(tricky);
      const got = await s.get(tricky.id);
      expect(got).toStrictEqual(jsonCopy(tricky));
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    test('readMacs (optional): the stored mac of each id in order, null when absent or without one, current after writes', async (s) => {
      if (s.readMacs === undefined) return; // optional: adapters without it are read in full
      const a = makeRecord({ mac: 'mac-a-1' });
      const b = makeRecord({ mac: 'mac-b-1' });
      const plain = makeRecord();
      await s.create(a);
      await s.create(b);
      await s.create(plain);
      expect(await s.readMacs([b.id, 'missing00000', a.id, plain.id, b.id])).toStrictEqual([
        'mac-b-1',
        null,
        'mac-a-1',
        null,
        'mac-b-1',
      ]);
      expect(await s.readMacs([])).toStrictEqual([]);
      await s.update(next(a, { mac: 'mac-a-2' }), { expectedRevision: 1 });
      await s.delete(b.id);
      expect(await s.readMacs([a.id, b.id])).toStrictEqual(['mac-a-2', null]);
    });

    test('get of a missing id returns null', async (s) => {
      expect(await s.get('missing00000')).toBeNull();
      await s.create(makeRecord());
      expect(await s.get('missing00000')).toBeNull();
    });

    test('create and update copy their input: later mutation by the caller changes nothing', async (s) => {
      const record = makeComplexRecord();
      const snapshot = jsonCopy(record);
      await s.create(record);
      record.name = 'mutated';
      record.tags.push('mutated');
      (record.meta['emoji🙂'] as { list: string[] }).list.push('mutated');
      record.versions[0]!.data['slot'] = 'mutated';
      record.versions.pop();
      expect(await s.get(snapshot.id)).toStrictEqual(snapshot);

      const updated = next(snapshot, { status: 'active' });
      const updatedSnapshot = jsonCopy(updated);
      await s.update(updated, { expectedRevision: 1 });
      updated.status = 'revoked';
      updated.data['type'] = 'mutated';
      updated.versions[1]!.state = 'retired';
      expect(await s.get(snapshot.id)).toStrictEqual(updatedSnapshot);
    });

    test('create with an existing id fails with ERR_ALREADY_EXISTS and leaves nothing behind', async (s) => {
      const where = { kind: 'secret', environment: 'default', tenantId: null } as const;
      const record = makeRecord({ kind: 'secret', name: 'first', uniqueName: true });
      await s.create(record);
      const clash = makeRecord({ id: record.id, kind: 'secret', name: 'second', uniqueName: true });
      await expectCode(s.create(clash), 'ERR_ALREADY_EXISTS');
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(record));
      expect(await s.findByName('second', where)).toBeNull();
      const nameClash = makeRecord({ kind: 'secret', name: 'first', uniqueName: true });
      await expectCode(s.create(nameClash), 'ERR_ALREADY_EXISTS');
      expect(await s.get(nameClash.id)).toBeNull();
      expect((await s.findByName('first', where))?.id).toBe(record.id);
      const second = makeRecord({ kind: 'secret', name: 'second', uniqueName: true });
      await s.create(second);
      expect((await s.findByName('second', where))?.id).toBe(second.id);
      expect((await s.list({ limit: 10 })).items).toHaveLength(2);
    });

    test('uniqueName records clash on (kind, tenantId, environment, name) only', async (s) => {
      const base = {
        kind: 'secret',
        uniqueName: true,
        tenantId: 't1',
        environment: 'prod',
        name: 'DB',
      } as const;
      const first = makeRecord(base);
      await s.create(first);
      await expectCode(s.create(makeRecord(base)), 'ERR_ALREADY_EXISTS');
      await s.create(makeRecord({ ...base, tenantId: 't2' }));
      await s.create(makeRecord({ ...base, tenantId: null }));
      await s.create(makeRecord({ ...base, environment: 'staging' }));
      await s.create(makeRecord({ ...base, kind: 'key' }));
      await s.create(makeRecord({ ...base, name: 'db' }));
      await s.create(makeRecord({ ...base, uniqueName: false }));
      await expectCode(s.create(makeRecord({ ...base, tenantId: null })), 'ERR_ALREADY_EXISTS');
      const found = await s.findByName('DB', { kind: 'secret', environment: 'prod', tenantId: 't1' });
      expect(found?.id).toBe(first.id);
    });

    test('stores, finds and filters records of every kind, access records included', async (s) => {
      const byKind = RECORD_KINDS.map((kind) => makeRecord({ kind, name: `kind-${kind}`, uniqueName: true }));
      for (const r of byKind) await s.create(r);
      for (const r of byKind) {
        expect(await s.get(r.id)).toStrictEqual(r);
        const found = await s.findByName(r.name, {
          kind: r.kind,
          environment: r.environment,
          tenantId: r.tenantId,
        });
        expect(found?.id).toBe(r.id);
        const listed = await s.list({ kind: r.kind, limit: 10 });
        expect(listed.items.map((x) => x.id)).toStrictEqual([r.id]);
      }
    });

    test('uniqueName: false records never clash', async (s) => {
      const a = makeRecord({ name: 'shared', uniqueName: false });
      const b = makeRecord({ name: 'shared', uniqueName: false });
      await s.create(a);
      await s.create(b);
      expect((await s.get(a.id))?.name).toBe('shared');
      expect((await s.get(b.id))?.name).toBe('shared');
    });

    test('findByName finds only uniqueName records and tells tenantId null from a tenant', async (s) => {
      const loose = makeRecord({ kind: 'secret', name: 'API', uniqueName: false });
      await s.create(loose);
      const where = { kind: 'secret', environment: 'default', tenantId: null } as const;
      expect(await s.findByName('API', where)).toBeNull();
      const noTenant = makeRecord({ kind: 'secret', name: 'API', uniqueName: true, tenantId: null });
      const tenant = makeRecord({ kind: 'secret', name: 'API', uniqueName: true, tenantId: 'acme' });
      await s.create(noTenant);
      await s.create(tenant);
      expect(await s.findByName('API', where)).toStrictEqual(jsonCopy(noTenant));
      expect((await s.findByName('API', { ...where, tenantId: 'acme' }))?.id).toBe(tenant.id);
      expect(await s.findByName('API', { ...where, tenantId: 'other' })).toBeNull();
      expect(await s.findByName('API', { ...where, environment: 'prod' })).toBeNull();
      expect(await s.findByName('API', { ...where, kind: 'key' })).toBeNull();
      expect(await s.findByName('api', where)).toBeNull();
    });

    test('update replaces the record when expectedRevision matches', async (s) => {
      const record = makeComplexRecord();
      await s.create(record);
      const v2 = next(record, { status: 'revoked', meta: { reason: 'leak' }, dueAt: null });
      await s.update(v2, { expectedRevision: 1 });
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(v2));
      const v3 = next(v2, { tags: [] });
      await s.update(v3, { expectedRevision: 2 });
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(v3));
    });

    test('update with a stale expectedRevision fails with ERR_CONFLICT and changes nothing', async (s) => {
      const record = makeRecord();
      await s.create(record);
      await s.update(next(record), { expectedRevision: 1 });
      const current = await s.get(record.id);
      await expectCode(s.update(next(record, { name: 'lost' }), { expectedRevision: 1 }), 'ERR_CONFLICT');
      await expectCode(
        s.update({ ...next(record, { name: 'future' }), revision: 9 }, { expectedRevision: 8 }),
        'ERR_CONFLICT',
      );
      expect(await s.get(record.id)).toStrictEqual(current);
    });

    test('update of a missing record fails with ERR_NOT_FOUND and creates nothing', async (s) => {
      const ghost = makeRecord({ revision: 2 });
      await expectCode(s.update(ghost, { expectedRevision: 1 }), 'ERR_NOT_FOUND');
      expect(await s.get(ghost.id)).toBeNull();
    });

    test('update requires record.revision === expectedRevision + 1 (ERR_VALIDATION)', async (s) => {
      const record = makeRecord();
      await s.create(record);
      for (const revision of [1, 3, 0]) {
        await expectCode(
          s.update({ ...record, revision, name: 'bad' }, { expectedRevision: 1 }),
          'ERR_VALIDATION',
        );
      }
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(record));
    });

    test('a rename follows in findByName; a rename into a clash is ERR_ALREADY_EXISTS', async (s) => {
      const where = { kind: 'key', environment: 'default', tenantId: null } as const;
      const a = makeRecord({ kind: 'key', name: 'alpha', uniqueName: true });
      const b = makeRecord({ kind: 'key', name: 'beta', uniqueName: true });
      await s.create(a);
      await s.create(b);
      const renamed = next(a, { name: 'gamma' });
      await s.update(renamed, { expectedRevision: 1 });
      expect(await s.findByName('alpha', where)).toBeNull();
      expect((await s.findByName('gamma', where))?.id).toBe(a.id);
      await s.create(makeRecord({ kind: 'key', name: 'alpha', uniqueName: true }));

      await expectCode(s.update(next(b, { name: 'gamma' }), { expectedRevision: 1 }), 'ERR_ALREADY_EXISTS');
      expect(await s.get(b.id)).toStrictEqual(jsonCopy(b));
      expect((await s.findByName('gamma', where))?.id).toBe(a.id);
      expect((await s.findByName('beta', where))?.id).toBe(b.id);

      const loose = makeRecord({ kind: 'key', name: 'gamma', uniqueName: false });
      await s.create(loose);
      await expectCode(
        s.update(next(loose, { uniqueName: true }), { expectedRevision: 1 }),
        'ERR_ALREADY_EXISTS',
      );
      await s.update(next(renamed, { uniqueName: false }), { expectedRevision: 2 });
      await s.update(next(loose, { uniqueName: true }), { expectedRevision: 1 });
      expect((await s.findByName('gamma', where))?.id).toBe(loose.id);
    });

    test('20 concurrent updates with the same expectedRevision: exactly one wins', async (s) => {
      const record = makeRecord();
      await s.create(record);
      const candidates = Array.from({ length: 20 }, (_, i) => next(record, { name: `writer-${i}` }));
      const results = await Promise.allSettled(candidates.map((c) => s.update(c, { expectedRevision: 1 })));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') ctx.expectSettledCode(r, 'ERR_CONFLICT');
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(candidates[winners[0] ?? 0]));
    });

    test('delete returns true once, then false; get returns null afterwards', async (s) => {
      const record = makeRecord();
      const other = makeRecord();
      await s.create(record);
      await s.create(other);
      expect(await s.delete(record.id)).toBe(true);
      expect(await s.get(record.id)).toBeNull();
      expect(await s.delete(record.id)).toBe(false);
      expect(await s.delete('missing00000', { expectedRevision: 1 })).toBe(false);
      expect(await s.get(other.id)).toStrictEqual(jsonCopy(other));
    });

    test('delete with a wrong expectedRevision fails with ERR_CONFLICT and keeps the record', async (s) => {
      const record = makeRecord();
      await s.create(record);
      await expectCode(s.delete(record.id, { expectedRevision: 2 }), 'ERR_CONFLICT');
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(record));
      expect(await s.delete(record.id, { expectedRevision: 1 })).toBe(true);
      expect(await s.get(record.id)).toBeNull();
    });

    test('delete frees the unique name; the id may be reused', async (s) => {
      const where = { kind: 'secret', environment: 'default', tenantId: 'acme' } as const;
      const record = makeRecord({ kind: 'secret', name: 'TOKEN', uniqueName: true, tenantId: 'acme' });
      await s.create(record);
      expect(await s.delete(record.id)).toBe(true);
      expect(await s.findByName('TOKEN', where)).toBeNull();
      const again = makeRecord({ kind: 'secret', name: 'TOKEN', uniqueName: true, tenantId: 'acme' });
      await s.create(again);
      expect((await s.findByName('TOKEN', where))?.id).toBe(again.id);
      const reused = makeRecord({ id: record.id });
      await s.create(reused);
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(reused));
    });
  });
}
