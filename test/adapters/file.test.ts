import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileStorage, fileStorage } from '../../src/adapters/file.js';
import { isKeywardenError } from '../../src/errors.js';
import { makeAuditEvent, makeComplexRecord, makeRecord } from '../../src/testing/fixtures.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kw-file-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

testStorageAdapter({
  name: 'file',
  create: async () => fileStorage({ dir: join(await tempDir(), 'store'), create: true, compactAfter: 5 }),
  destroy: async (s) => rm((s as FileStorage).dir, { recursive: true, force: true }),
  describe,
  it,
  expect,
});

describe('fileStorage basics', () => {
  it('rejects bad options with ERR_VALIDATION', () => {
    for (const bad of [{}, { dir: '' }, { dir: 'x', lockTimeout: -1 }, { dir: 'x', compactAfter: 0 }]) {
      let code = 'none';
      try {
        fileStorage(bad as never);
      } catch (e) {
        code = isKeywardenError(e) ? e.code : 'other';
      }
      expect(code).toBe('ERR_VALIDATION');
    }
  });

  it('keeps everything across close and reopen, through compactions', async () => {
    const dir = join(await tempDir(), 'store');
    const a = fileStorage({ dir, create: true, compactAfter: 3 });
    const records = Array.from({ length: 20 }, (_, i) =>
      makeComplexRecord({ id: `rec${String(i).padStart(3, '0')}` }),
    );
    for (const r of records) await a.create(r);
    const r0 = records[0]!;
    await a.update({ ...r0, name: 'renamed', revision: 2 }, { expectedRevision: 1 });
    await a.delete(records[1]!.id);
    await a.appendAudit([makeAuditEvent(), makeAuditEvent()]);
    await a.setMeta('store.id', 'abc');
    await a.close();

    const b = fileStorage({ dir, create: true });
    expect((await b.get(r0.id))?.name).toBe('renamed');
    expect(await b.get(records[1]!.id)).toBeNull();
    expect(await b.get(records[5]!.id)).toEqual(JSON.parse(JSON.stringify(records[5])));
    expect((await b.listAudit({ limit: 10 })).items.map((e) => e.seq)).toEqual([1, 2]);
    expect(await b.getMeta('store.id')).toBe('abc');
    await b.close();

    // Compact again while most records were never read since opening (kept as raw snapshot bytes).
    const c = fileStorage({ dir, create: true, compactAfter: 1 });
    await c.setMeta('k', 'v');
    await c.setMeta('k', 'w');
    await c.close();
    const d = fileStorage({ dir, create: true });
    for (const r of records.slice(2)) expect(await d.get(r.id)).toEqual(JSON.parse(JSON.stringify(r)));
    expect((await d.list({ limit: 100 })).items).toHaveLength(19);
    expect(await d.getMeta('k')).toBe('w');
    await d.close();
  });

  it('two adapters on one directory see each other and keep CAS', async () => {
    const dir = join(await tempDir(), 'store');
    const a = fileStorage({ dir, create: true });
    const b = fileStorage({ dir, create: true });
    const r = makeRecord();
    await a.create(r);
    expect((await b.get(r.id))?.revision).toBe(1);
    await b.update({ ...r, revision: 2 }, { expectedRevision: 1 });
    let code = 'none';
    try {
      await a.update({ ...r, revision: 2 }, { expectedRevision: 1 });
    } catch (e) {
      code = isKeywardenError(e) ? e.code : 'other';
    }
    expect(code).toBe('ERR_CONFLICT');
    expect((await a.get(r.id))?.revision).toBe(2);
    await a.appendAudit([makeAuditEvent()]);
    await b.appendAudit([makeAuditEvent()]);
    const events = (await a.listAudit({ limit: 10 })).items;
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    await a.close();
    await b.close();
  });

  it('returns frozen records and copies inputs', async () => {
    const dir = join(await tempDir(), 'store');
    const s = fileStorage({ dir, create: true });
    const r = makeRecord();
    await s.create(r);
    r.name = 'changed';
    const got = await s.get(r.id);
    expect(got?.name).not.toBe('changed');
    expect(Object.isFrozen(got)).toBe(true);
    await s.close();
  });
});
