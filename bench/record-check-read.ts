/**
 * Per-read cost of the record checks (shape + MAC) in the storage guard, on an adapter that returns
 * a fresh parsed copy on every read (what the Postgres and Supabase adapters do) and on the memory
 * and file adapters (deeply frozen shared objects); with credits, every verify also writes the record.
 * Not a unit test: run it by hand,
 * `npx tsx bench/record-check-read.ts`, before and after a change, on a quiet machine.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../src/adapters/file.js';
import { memoryStorage } from '../src/adapters/memory.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../src/ports/storage.js';

const N = Number(process.env['N'] ?? 20_000);

/** The memory adapter, but every read answers a fresh JSON copy, as a database driver does. */
function copying(inner: StorageAdapter): StorageAdapter {
  const copy = <T>(v: T): T => (v === null ? v : (JSON.parse(JSON.stringify(v)) as T));
  return {
    ...inner,
    get: async (id) => copy(await inner.get(id)),
    findByName: async (n, w) => copy(await inner.findByName(n, w)),
    list: async (q) => {
      const p = await inner.list(q);
      return { ...p, items: p.items.map((r: StoredRecord) => copy(r)) };
    },
  };
}

async function measure(label: string, storage: StorageAdapter, credits = false): Promise<void> {
  const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }), usage: false });
  const { token } = await km.apiKeys.create({
    name: 'bench',
    scopes: ['read', 'write'],
    meta: { team: 'x' },
    ...(credits ? { remaining: 1_000_000_000 } : {}),
  });
  await km.secrets.set('DB_URL', 'postgres://bench');
  for (let i = 0; i < 2000; i++) await km.apiKeys.verify(token); // warm up
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) await km.apiKeys.verify(token);
    runs.push(((performance.now() - t) * 1000) / N);
  }
  runs.sort((a, b) => a - b);
  const info: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < N / 4; i++) await km.secrets.info('DB_URL');
    info.push(((performance.now() - t) * 1000 * 4) / N);
  }
  info.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} apiKeys.verify ${runs[2]?.toFixed(2)} us (min ${runs[0]?.toFixed(2)})   secrets.info ${info[2]?.toFixed(2)} us (min ${info[0]?.toFixed(2)})`,
  );
  await km.close();
}

await measure('memory (frozen objects)', memoryStorage());
await measure('memory, a fresh copy per read', copying(memoryStorage()));
await measure('copies, credits (a write per verify)', copying(memoryStorage()), true);
const dir = await mkdtemp(join(tmpdir(), 'kw-bench-'));
try {
  await measure('file (frozen objects)', fileStorage({ dir, create: true, fsync: false }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
