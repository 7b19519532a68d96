/**
 * The file store's marker, as an attacker who can write the store folder (but holds no key) would
 * test it: delete or replace the log, bring a log from another store or an older generation, drop
 * the marker, point the adapter at an empty folder. Each is refused with ERR_INTEGRITY (or
 * ERR_NOT_FOUND for "no store here"); nothing is recreated silently.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeLine, FORMAT } from '../../src/adapters/file/format.js';
import { fileStorage } from '../../src/adapters/file.js';
import { isKeywardenError, type KeywardenErrorCode } from '../../src/errors.js';
import { makeRecord } from '../../src/testing/fixtures.js';

const roots: string[] = [];
async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kw-integrity-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

async function codeOf(run: Promise<unknown>): Promise<KeywardenErrorCode | 'none'> {
  try {
    await run;
    return 'none';
  } catch (e) {
    if (!isKeywardenError(e)) throw e;
    return e.code;
  }
}

/** A store with `n` records; `compactAfter` 3 puts the first records in a snapshot. */
async function store(dir: string, n: number, compactAfter = 1000): Promise<string[]> {
  const s = fileStorage({ dir, create: true, compactAfter, fsync: false });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = makeRecord({ id: `rec${i}` });
    await s.create(r);
    ids.push(r.id);
  }
  await s.close();
  return ids;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('file store marker', () => {
  it('a new store has a marker, and every header names the store', async () => {
    const dir = join(await newRoot(), 'store');
    await store(dir, 4, 3);
    const marker = JSON.parse((await readFile(join(dir, 'store'), 'utf8')).slice(17));
    expect(marker).toMatchObject({ kw: 'keywarden-store', format: FORMAT });
    expect(marker.sid).toMatch(/^[0-9a-f]{32}$/);
    const logHeader = JSON.parse((await readFile(join(dir, 'log'), 'utf8')).split('\n')[0]!.slice(17));
    const snapHeader = JSON.parse((await readFile(join(dir, 'snapshot'), 'utf8')).split('\n')[0]!);
    expect(logHeader.sid).toBe(marker.sid);
    expect(snapHeader.sid).toBe(marker.sid);
    expect(snapHeader.lid).toBe(logHeader.lid);
    expect(snapHeader.prev).toBe(marker.lid1); // the first compaction compacted the first log
  });

  it('deleting the log next to a snapshot is ERR_INTEGRITY, and the log is not recreated', async () => {
    const dir = join(await newRoot(), 'store');
    await store(dir, 5, 3); // rec0-2 in the snapshot, rec3-4 only in the log
    await rm(join(dir, 'log'));
    for (const create of [false, true]) {
      const s = fileStorage({ dir, create });
      expect(await codeOf(s.get('rec0'))).toBe('ERR_INTEGRITY');
      expect(await codeOf(s.create(makeRecord()))).toBe('ERR_INTEGRITY');
      await s.close();
    }
    expect(await exists(join(dir, 'log'))).toBe(false);
  });

  it('deleting the only log (no snapshot yet) is ERR_INTEGRITY', async () => {
    const dir = join(await newRoot(), 'store');
    await store(dir, 2);
    await rm(join(dir, 'log'));
    const s = fileStorage({ dir, create: true });
    expect(await codeOf(s.list({ limit: 10 }))).toBe('ERR_INTEGRITY');
    await s.close();
  });

  it('a fresh log put in place of the real one (same store id, new log id) is ERR_INTEGRITY', async () => {
    const dir = join(await newRoot(), 'store');
    await store(dir, 5, 3);
    const header = JSON.parse((await readFile(join(dir, 'log'), 'utf8')).split('\n')[0]!.slice(17));
    const forged = { ...header, lid: 'f'.repeat(32) };
    await writeFile(join(dir, 'log'), encodeLine(forged), { mode: 0o600 });
    const s = fileStorage({ dir });
    expect(await codeOf(s.get('rec0'))).toBe('ERR_INTEGRITY');
    await s.close();
  });

  it("another store's log (or its marker) is ERR_INTEGRITY", async () => {
    const root = await newRoot();
    const a = join(root, 'a');
    const b = join(root, 'b');
    await store(a, 2);
    await store(b, 3);
    await copyFile(join(b, 'log'), join(a, 'log'));
    const s = fileStorage({ dir: a });
    expect(await codeOf(s.get('rec0'))).toBe('ERR_INTEGRITY');
    await s.close();
    // and the other way round: b's marker next to b's log is fine, a's marker is not
    await copyFile(join(a, 'store'), join(b, 'store'));
    const t = fileStorage({ dir: b });
    expect(await codeOf(t.get('rec0'))).toBe('ERR_INTEGRITY');
    await t.close();
  });

  it('a log two generations old is ERR_INTEGRITY (only the interrupted-compaction case is accepted)', async () => {
    const dir = join(await newRoot(), 'store');
    const s = fileStorage({ dir, create: true, compactAfter: 2, fsync: false });
    await s.create(makeRecord({ id: 'r0' }));
    const gen1 = join(await newRoot(), 'gen1-log');
    await copyFile(join(dir, 'log'), gen1);
    for (let i = 1; i < 6; i++) await s.create(makeRecord({ id: `r${i}` })); // two compactions
    await s.close();
    await copyFile(gen1, join(dir, 'log'));
    const t = fileStorage({ dir });
    expect(await codeOf(t.list({ limit: 10 }))).toBe('ERR_INTEGRITY');
    await t.close();
  });

  it('deleting the marker of a store that holds data is ERR_INTEGRITY, even with create: true', async () => {
    const dir = join(await newRoot(), 'store');
    await store(dir, 2);
    await rm(join(dir, 'store'));
    const s = fileStorage({ dir, create: true });
    expect(await codeOf(s.get('rec0'))).toBe('ERR_INTEGRITY');
    await s.close();
    expect(await exists(join(dir, 'store'))).toBe(false);
  });

  it('a log replaced under a running adapter is ERR_INTEGRITY at its next read', async () => {
    const root = await newRoot();
    const dir = join(root, 'store');
    await store(dir, 2);
    const s = fileStorage({ dir });
    expect((await s.get('rec1'))?.id).toBe('rec1');
    const other = join(root, 'other');
    await store(other, 1);
    await copyFile(join(other, 'log'), join(root, 'swap'));
    await rm(join(dir, 'log'));
    await copyFile(join(root, 'swap'), join(dir, 'log'));
    expect(await codeOf(s.get('rec1'))).toBe('ERR_INTEGRITY');
    await s.close();
  });

  it('without create, an empty or missing folder is ERR_NOT_FOUND and stays as it was', async () => {
    const root = await newRoot();
    const empty = join(root, 'empty');
    await mkdir(empty, { mode: 0o700 });
    const missing = join(root, 'missing');
    for (const dir of [empty, missing]) {
      const s = fileStorage({ dir });
      expect(await codeOf(s.init())).toBe('ERR_NOT_FOUND');
      expect(await codeOf(s.list({ limit: 1 }))).toBe('ERR_NOT_FOUND');
      expect(await codeOf(s.create(makeRecord()))).toBe('ERR_NOT_FOUND');
      await s.close();
    }
    expect(await readdir(empty)).toEqual([]);
    expect(await exists(missing)).toBe(false);
  });

  it('a store from before the marker opens, and its first write gives it a marker', async () => {
    const dir = join(await newRoot(), 'store');
    await mkdir(dir, { mode: 0o700 });
    const record = makeRecord({ id: 'legacy1' });
    const lines = [
      encodeLine({ kw: 'keywarden-log', format: FORMAT, gen: 1 }),
      encodeLine({ n: 1, op: 'put', r: record }),
    ];
    await writeFile(join(dir, 'log'), Buffer.concat(lines), { mode: 0o600 });
    const s = fileStorage({ dir });
    expect(await s.get('legacy1')).toStrictEqual(record);
    expect(await exists(join(dir, 'store'))).toBe(false); // reading changes nothing
    await s.create(makeRecord({ id: 'legacy2' }));
    await s.close();
    expect(await exists(join(dir, 'store'))).toBe(true);
    const t = fileStorage({ dir });
    expect((await t.list({ limit: 10 })).items.map((r) => r.id).sort()).toEqual(['legacy1', 'legacy2']);
    await t.close();
    // from now on it is protected like any other store
    await rm(join(dir, 'log'));
    expect(await codeOf(fileStorage({ dir }).get('legacy1'))).toBe('ERR_INTEGRITY');
  });
});
