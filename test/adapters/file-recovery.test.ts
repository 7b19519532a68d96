/**
 * Hand-damaged files, permissions and locks: the documented recovery rules of the file adapter.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFile,
  chmod,
  copyFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { isKeywardenError, type KeywardenErrorCode } from '../../src/errors.js';
import { makeRecord } from '../../src/testing/fixtures.js';

const roots: string[] = [];
async function newStoreDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kw-recovery-'));
  roots.push(root);
  return join(root, 'store');
}
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

async function failure(
  run: Promise<unknown>,
): Promise<{ code: KeywardenErrorCode | 'none'; message: string }> {
  try {
    await run;
    return { code: 'none', message: '' };
  } catch (e) {
    if (!isKeywardenError(e)) throw e;
    return { code: e.code, message: e.message };
  }
}

/** A store with three records written through the log (no compaction). */
async function threeRecords(dir: string) {
  const s = fileStorage({ dir, create: true, fsync: false });
  const records = [makeRecord({ id: 'aaa' }), makeRecord({ id: 'bbb' }), makeRecord({ id: 'ccc' })];
  for (const r of records) await s.create(r);
  await s.close();
  return records;
}

describe('fileStorage recovery rules', () => {
  it('truncates a torn tail (a partial last entry) and keeps every earlier entry', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const log = join(dir, 'log');
    const size = (await stat(log)).size;
    await appendFile(log, '0123456789abcdef {"n":4,"op":"put","r":{"id":"ddd","na');
    const s = fileStorage({ dir, create: true });
    await s.init();
    expect((await s.list({ limit: 10 })).items.map((r) => r.id)).toEqual(['aaa', 'bbb', 'ccc']);
    expect((await stat(log)).size).toBe(size);
    await s.create(makeRecord({ id: 'eee' }));
    await s.close();
    const again = fileStorage({ dir, create: true });
    expect((await again.list({ limit: 10 })).items).toHaveLength(4);
    await again.close();
  });

  it('truncates a last entry whose checksum fails', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const log = join(dir, 'log');
    const text = await readFile(log, 'utf8');
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    // Flip one character inside the last entry's JSON (its checksum no longer matches).
    const damaged = `${text.slice(0, lastStart + 30)}${text[lastStart + 30] === 'x' ? 'y' : 'x'}${text.slice(lastStart + 31)}`;
    await writeFile(log, damaged);
    const s = fileStorage({ dir, create: true });
    expect((await s.list({ limit: 10 })).items.map((r) => r.id)).toEqual(['aaa', 'bbb']);
    expect((await stat(log)).size).toBe(lastStart);
    await s.close();
  });

  it('refuses a damaged entry followed by valid ones (ERR_STORAGE naming the log), changing nothing', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const log = join(dir, 'log');
    const text = await readFile(log, 'utf8');
    const lines = text.split('\n');
    lines[2] = lines[2]!.replace('"bbb"', '"bbx"'); // entry 2 of 3; entry 3 stays valid
    await writeFile(log, lines.join('\n'));
    const before = await readFile(log);
    const f = await failure(fileStorage({ dir, create: true }).init());
    expect(f.code).toBe('ERR_STORAGE');
    expect(f.message).toContain(log);
    expect(f.message).toMatch(/corrupt/);
    expect(await readFile(log)).toEqual(before);
  });

  it('refuses a damaged snapshot with ERR_STORAGE', async () => {
    const dir = await newStoreDir();
    const s = fileStorage({ dir, create: true, compactAfter: 2, fsync: false });
    for (let i = 0; i < 5; i++) await s.create(makeRecord({ id: `r${i}` }));
    await s.close();
    const snap = join(dir, 'snapshot');
    const bytes = await readFile(snap);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] as number) ^ 1;
    await writeFile(snap, bytes);
    const f = await failure(fileStorage({ dir, create: true }).init());
    expect(f.code).toBe('ERR_STORAGE');
    expect(f.message).toContain(snap);
  });

  it('recovers from a compaction cut between its two renames', async () => {
    const dir = await newStoreDir();
    const s = fileStorage({ dir, create: true, compactAfter: 3, fsync: false });
    await s.create(makeRecord({ id: 'r0' }));
    await s.create(makeRecord({ id: 'r1' }));
    const oldLog = join(dir, 'old-log');
    await copyFile(join(dir, 'log'), oldLog);
    await s.create(makeRecord({ id: 'r2' })); // third entry: compaction to generation 2
    await s.close();
    // Put back the generation-1 log, as if the process died after renaming the snapshot only.
    await copyFile(oldLog, join(dir, 'log'));
    await rm(oldLog);
    const t = fileStorage({ dir, create: true });
    expect((await t.list({ limit: 10 })).items.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    await t.create(makeRecord({ id: 'r3' }));
    await t.close();
    const u = fileStorage({ dir, create: true });
    expect((await u.list({ limit: 10 })).items.map((r) => r.id)).toEqual(['r0', 'r1', 'r2', 'r3']);
    await u.close();
  });
});

describe('fileStorage permissions', () => {
  it('creates the folder 0700 and files 0600 whatever the umask', async () => {
    const dir = await newStoreDir();
    const old = process.umask(0);
    try {
      const s = fileStorage({ dir, create: true, compactAfter: 1 });
      await s.create(makeRecord());
      await s.create(makeRecord());
      await s.close();
    } finally {
      process.umask(old);
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'log'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'snapshot'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a store open to group or others, naming the path, unless allowed', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    await chmod(dir, 0o755);
    let f = await failure(fileStorage({ dir, create: true }).init());
    expect(f.code).toBe('ERR_INSECURE_PERMISSIONS');
    expect(f.message).toContain(dir);
    await chmod(dir, 0o700);
    await chmod(join(dir, 'log'), 0o644);
    f = await failure(fileStorage({ dir, create: true }).get('aaa'));
    expect(f.code).toBe('ERR_INSECURE_PERMISSIONS');
    expect(f.message).toContain(join(dir, 'log'));
    const allowed = fileStorage({ dir, create: true, allowInsecurePermissions: true });
    expect((await allowed.get('aaa'))?.id).toBe('aaa');
    await allowed.close();
  });
});

describe('fileStorage write lock', () => {
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    return Number(r.stdout.toString());
  };

  it('breaks a lock left by a dead process', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const info = { pid: deadPid(), host: hostname(), at: Date.now(), token: 'dead' };
    await writeFile(join(dir, 'lock'), JSON.stringify(info), { mode: 0o600 });
    const s = fileStorage({ dir, create: true, lockTimeout: 2000 });
    await s.create(makeRecord({ id: 'after' }));
    expect((await s.get('after'))?.id).toBe('after');
    await expect(stat(join(dir, 'lock'))).rejects.toThrow();
    await s.close();
  });

  it('waits for a live holder and gives up with ERR_LOCKED', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const info = { pid: process.pid, host: hostname(), at: Date.now(), token: 'live' };
    await writeFile(join(dir, 'lock'), JSON.stringify(info), { mode: 0o600 });
    const s = fileStorage({ dir, create: true, lockTimeout: 150 });
    const f = await failure(s.create(makeRecord({ id: 'blocked' })));
    expect(f.code).toBe('ERR_LOCKED');
    expect(f.message).toContain(`pid ${process.pid}`);
    // Reads never need the lock.
    expect((await s.get('aaa'))?.id).toBe('aaa');
    await s.close();
  });

  it('a break guard left by a process killed while breaking does not block writers (it used to for 10 s)', async () => {
    // A writer SIGKILLed inside breakLock leaves `lock.break` behind, next to the stale lock it was
    // breaking. Its pid is dead, so the guard is abandoned at once, like a lock of a dead pid: it
    // used to be judged by age only (10 s, the default lockTimeout), so every writer waited it out.
    const dir = await newStoreDir();
    await threeRecords(dir);
    const pid = deadPid();
    const at = Date.now();
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid, host: hostname(), at, token: 'dead' }), {
      mode: 0o600,
    });
    await writeFile(join(dir, 'lock.break'), JSON.stringify({ pid, host: hostname(), at, token: 'g' }), {
      mode: 0o600,
    });
    const s = fileStorage({ dir, create: true, lockTimeout: 3000 });
    await s.create(makeRecord({ id: 'after-guard' }));
    expect((await s.get('after-guard'))?.id).toBe('after-guard');
    expect((await readdir(dir)).filter((n) => n.startsWith('lock'))).toStrictEqual([]);
    await s.close();
  });

  it('respects the break guard of a live process (the stale lock waits for it)', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const at = Date.now();
    await writeFile(
      join(dir, 'lock'),
      JSON.stringify({ pid: deadPid(), host: hostname(), at, token: 'dead' }),
    );
    const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const guard = { pid: live.pid, host: hostname(), at, token: 'live' };
      await writeFile(join(dir, 'lock.break'), JSON.stringify(guard), { mode: 0o600 });
      const s = fileStorage({ dir, create: true, lockTimeout: 300 });
      expect((await failure(s.create(makeRecord({ id: 'blocked' })))).code).toBe('ERR_LOCKED');
      expect(JSON.parse(await readFile(join(dir, 'lock.break'), 'utf8'))).toStrictEqual(guard);
      await s.close();
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('breaks a lock older than the staleness bound even if its pid is alive', async () => {
    const dir = await newStoreDir();
    await threeRecords(dir);
    const lock = join(dir, 'lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'elsewhere', at: 0, token: 'old' }));
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const s = fileStorage({ dir, create: true, lockTimeout: 2000 });
    await s.create(makeRecord({ id: 'after-old' }));
    await s.close();
  });
});
