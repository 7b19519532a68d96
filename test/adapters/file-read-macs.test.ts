/**
 * `readMacs` on the file adapter: one fresh read of the stored MACs, whoever wrote the records —
 * another adapter in this process, or another process appending to (or compacting) the same
 * directory. Agent access's call cache relies on it: a session revoked by another process sharing
 * the directory is refused on the very next call.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { NAMES } from '../../src/adapters/file/fsutil.js';
import { type FileStorage, fileStorage } from '../../src/adapters/file.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { makeRecord } from '../../src/testing/fixtures.js';
import { CHARGES, SECRET_VALUE, stripeTool } from '../access/helpers.js';

const dirs: string[] = [];
async function storeDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kw-macs-'));
  dirs.push(root);
  return join(root, 'store');
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs test/support/file-mac-child.ts in its own process; resolves once it printed DONE. */
function child(args: string[], env: Record<string, string> = {}): Promise<void> {
  const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/file-mac-child.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  p.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  p.stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  return new Promise((resolve, reject) =>
    p.on('exit', (code) =>
      code === 0 && out === 'DONE\n' ? resolve() : reject(new Error(`child ${code}: ${out} ${err}`)),
    ),
  );
}

const inode = async (path: string): Promise<number | null> =>
  (await stat(path).catch(() => null))?.ino ?? null;

describe('fileStorage readMacs', () => {
  it('refuses anything but an array of at most 100 ids with ERR_VALIDATION naming ids', async () => {
    const s = fileStorage({ dir: await storeDir(), create: true, fsync: false });
    for (const bad of [null, 'abc', { length: 1 }, Array.from({ length: 101 }, (_, i) => `id${i}`)]) {
      let got: unknown = null;
      try {
        await s.readMacs!(bad as never);
      } catch (e) {
        got = e;
      }
      expect(isKeywardenError(got) && got.code).toBe('ERR_VALIDATION');
      expect((got as Error).message).toContain('ids');
    }
    expect(await s.readMacs!(Array.from({ length: 100 }, (_, i) => `id${i}`))).toHaveLength(100);
    await s.close();
  });

  it('answers records kept as raw snapshot bytes (never parsed since opening) and ids of other types as null', async () => {
    const dir = await storeDir();
    const a = fileStorage({ dir, create: true, fsync: false, compactAfter: 1 });
    const withMac = makeRecord({ mac: 'mac-snapshot' });
    const plain = makeRecord();
    await a.create(withMac);
    await a.create(plain);
    await a.setMeta('k', 'v'); // compacts: both records now live in the snapshot only
    await a.close();
    const b = fileStorage({ dir, fsync: false });
    expect(await b.readMacs!([withMac.id, plain.id, 7 as never, withMac.id])).toStrictEqual([
      'mac-snapshot',
      null,
      null,
      'mac-snapshot',
    ]);
    await b.close();
  });

  it('a write through another adapter on the directory is visible to the next readMacs, across compactions', async () => {
    const dir = await storeDir();
    const a = fileStorage({ dir, create: true, fsync: false, compactAfter: 2 });
    const b = fileStorage({ dir, fsync: false });
    const r = makeRecord({ mac: 'mac-1' });
    await a.create(r);
    expect(await b.readMacs!([r.id])).toStrictEqual(['mac-1']);
    let rec = r;
    for (let i = 2; i <= 6; i++) {
      rec = { ...rec, mac: `mac-${i}`, revision: rec.revision + 1 };
      await a.update(rec, { expectedRevision: rec.revision - 1 });
      expect(await b.readMacs!([r.id])).toStrictEqual([`mac-${i}`]);
    }
    await a.delete(r.id);
    expect(await b.readMacs!([r.id])).toStrictEqual([null]);
    await a.close();
    await b.close();
  });

  it('a write by another process is visible to the next readMacs (append, compaction, delete)', async () => {
    const dir = await storeDir();
    const s = fileStorage({ dir, create: true, fsync: false });
    const r = makeRecord({ mac: 'mac-parent' });
    const other = makeRecord({ mac: 'mac-other' });
    await s.create(r);
    await s.create(other);
    expect(await s.readMacs!([r.id, other.id])).toStrictEqual(['mac-parent', 'mac-other']);

    await child(['set-mac', dir, r.id, 'mac-child-1']); // appended to the log this process has open
    expect(await s.readMacs!([r.id, other.id])).toStrictEqual(['mac-child-1', 'mac-other']);

    const logBefore = await inode(join(dir, NAMES.log));
    await child(['set-mac', dir, r.id, 'mac-child-2', 'COMPACT']); // the log is replaced
    expect(await inode(join(dir, NAMES.log))).not.toBe(logBefore);
    expect(await s.readMacs!([r.id, other.id])).toStrictEqual(['mac-child-2', 'mac-other']);

    await child(['delete', dir, other.id]);
    expect(await s.readMacs!([other.id, r.id])).toStrictEqual([null, 'mac-child-2']);
    // what get shows, readMacs shows
    expect((await s.get(r.id))?.mac).toBe('mac-child-2');
    await s.close();
  }, 60_000);
});

/** A file adapter with its record and MAC reads counted. */
function counted(inner: FileStorage) {
  const n = { get: 0, findByName: 0, readMacs: 0 };
  const storage: StorageAdapter = {
    ...inner,
    get: (id) => {
      n.get++;
      return inner.get(id);
    },
    findByName: (name, where) => {
      n.findByName++;
      return inner.findByName(name, where);
    },
    readMacs: (ids) => {
      n.readMacs++;
      return inner.readMacs!(ids);
    },
  };
  return { storage, n };
}

describe('agent access call cache on the file adapter', () => {
  async function setup() {
    const dir = await storeDir();
    const masterKey = generateMasterKey();
    const a = counted(fileStorage({ dir, create: true, fsync: false }));
    const kmA = createKeyManager({ storage: a.storage, kms: localKms({ masterKey }) });
    const kmB = createKeyManager({
      storage: fileStorage({ dir, fsync: false }),
      kms: localKms({ masterKey }),
    });
    await kmA.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
    const access = agentAccess(kmA);
    await access.tools.register(stripeTool({ maxCalls: null, approval: 'auto' }));
    const req = await access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    const session = await access.sessions.open(req.id);
    const close = async () => {
      await kmA.close();
      await kmB.close();
    };
    return { dir, masterKey, n: a.n, access, kmB, token: session.token, sessionId: session.id, close };
  }

  const granted = (r: Awaited<ReturnType<ReturnType<typeof agentAccess>['authorize']>>): string => {
    if (!r.ok) throw new Error(`refused: ${r.code}`);
    return r.secret;
  };

  it('the second call of a session reads three MACs, no record', async () => {
    const h = await setup();
    expect(granted(await h.access.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    const before = { ...h.n };
    expect(granted(await h.access.authorize(h.token, CHARGES))).toBe(SECRET_VALUE);
    expect(h.n.get - before.get).toBe(0);
    expect(h.n.findByName - before.findByName).toBe(0);
    expect(h.n.readMacs - before.readMacs).toBe(1);
    await h.close();
  });

  it('a secret rotated through another adapter on the directory is injected on the next call', async () => {
    const h = await setup();
    granted(await h.access.authorize(h.token, CHARGES));
    granted(await h.access.authorize(h.token, CHARGES)); // from the cache
    await h.kmB.secrets.set('STRIPE_KEY', 'sk_test_rotated_elsewhere_000000', { environment: 'production' });
    expect(granted(await h.access.authorize(h.token, CHARGES))).toBe('sk_test_rotated_elsewhere_000000');
    await h.close();
  });

  it('a session revoked by another process is refused on the very next call', async () => {
    const h = await setup();
    granted(await h.access.authorize(h.token, CHARGES));
    granted(await h.access.authorize(h.token, CHARGES)); // from the cache
    await h.access.flush();
    await child(['revoke', h.dir, h.sessionId], { KW_TEST_MASTER_KEY: h.masterKey });
    expect(await h.access.authorize(h.token, CHARGES)).toMatchObject({
      ok: false,
      code: 'REVOKED',
      status: 401,
    });
    await h.close();
  }, 60_000);

  it('a record rewritten without the master key by another adapter is read again and its MAC check refuses it', async () => {
    const h = await setup();
    granted(await h.access.authorize(h.token, CHARGES));
    const raw = fileStorage({ dir: h.dir, fsync: false });
    const session = (await raw.get(h.sessionId)) as StoredRecord;
    const data = { ...(session.data as Record<string, unknown>), agentId: 'agent-evil' };
    await raw.update(
      { ...session, data: data as StoredRecord['data'], mac: 'forged', revision: session.revision + 1 },
      { expectedRevision: session.revision },
    );
    await raw.close();
    await expect(h.access.authorize(h.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await h.close();
  });
});
