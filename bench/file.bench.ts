/**
 * The file adapter at 1,000 and 100,000 records: `node --import tsx bench/file.bench.ts`
 * (or `npm run bench -- file`).
 *
 * Goals (issue 4): one update at 100,000 records costs ≤ 2× one update at 1,000 records (the cost of
 * a write must not grow with the store), and opening a store of 100,000 records takes under 2 s.
 * Updates are measured with fsync on (the real cost: dominated by the disk's fdatasync) and off
 * (the CPU cost of the adapter itself, which is what could grow with the store).
 * Stores are seeded by writing a snapshot directly (creating 100,000 records one by one would
 * measure the seeding, not the adapter).
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { encodeLine, FORMAT } from '../src/adapters/file/format.js';
import { writeSnapshot } from '../src/adapters/file/snapshot.js';
import { StoreState } from '../src/adapters/file/state.js';
import { fileStorage } from '../src/adapters/file.js';
import type { StoredRecord } from '../src/ports/storage.js';
import { makeRecord } from '../src/testing/fixtures.js';
import { averages } from './stats.js';

const root = await mkdtemp(join(tmpdir(), 'kw-file-bench-'));

function benchRecord(i: number): StoredRecord {
  return makeRecord({
    id: `rec${String(i).padStart(9, '0')}`,
    name: `service key ${i}`,
    createdAt: 1_900_000_000_000 + i,
    ownerId: `user-${i % 977}`,
    tags: i % 2 ? ['odd', 'bench'] : ['bench'],
    data: { prefix: 'kw', start: 'kw_abcd', scopes: ['read:all', 'write:own'], remaining: null },
    meta: { team: 'platform', i },
  });
}

/** Seeds a store of `n` records as generation 1 (snapshot + empty log), like after a compaction. */
async function seed(n: number): Promise<{ dir: string; records: StoredRecord[]; bytes: number }> {
  const dir = join(root, `store-${n}`);
  const s = fileStorage({ dir, create: true });
  await s.init(); // creates the directory and a generation-1 log
  await s.close();
  const state = new StoreState();
  state.beginLoad();
  const records: StoredRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = benchRecord(i);
    records.push(r);
    state.put(JSON.parse(JSON.stringify(r)) as StoredRecord);
  }
  state.finishLoad();
  const snap = await open(join(dir, 'snapshot'), 'w', 0o600);
  const bytes = await writeSnapshot(snap, state, 1);
  await snap.close();
  const log = await open(join(dir, 'log'), 'w', 0o600);
  await log.write(encodeLine({ kw: 'keywarden-log', format: FORMAT, gen: 1 }));
  await log.close();
  return { dir, records, bytes };
}

const small = await seed(1_000);
const large = await seed(100_000);
console.log(
  `seeded: 1,000 records (${(small.bytes / 1e6).toFixed(1)} MB snapshot), ` +
    `100,000 records (${(large.bytes / 1e6).toFixed(1)} MB snapshot)`,
);

// Opening: measured by hand too, since it runs few times.
const opens: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const s = fileStorage({ dir: large.dir, create: true });
  await s.init();
  opens.push(performance.now() - t);
  await s.close();
}

/** Current revisions per store directory (both updaters of a store write the same records). */
const revisions = new Map<string, Map<string, number>>();

function updater(store: { dir: string; records: StoredRecord[] }, fsync: boolean) {
  const s = fileStorage({ dir: store.dir, create: true, fsync });
  const revs = revisions.get(store.dir) ?? new Map<string, number>();
  revisions.set(store.dir, revs);
  let k = 0;
  return async () => {
    const r = store.records[(k++ * 7919) % store.records.length] as StoredRecord;
    const rev = revs.get(r.id) ?? 1;
    await s.update({ ...r, revision: rev + 1, updatedAt: r.updatedAt + rev }, { expectedRevision: rev });
    revs.set(r.id, rev + 1);
  };
}

const CASES: [string, () => Promise<unknown>][] = [
  ['update @1k (fsync)', updater(small, true)],
  ['update @100k (fsync)', updater(large, true)],
  ['update @1k (no fsync)', updater(small, false)],
  ['update @100k (no fsync)', updater(large, false)],
];
summary(() => {
  for (const [name, fn] of CASES) bench(name, async () => do_not_optimize(await fn()));
});
const reader = fileStorage({ dir: large.dir, create: true });
await reader.init();
let g = 0;
bench('get @100k', async () => do_not_optimize(await reader.get(large.records[g++ % 100_000]!.id)));

const { benchmarks } = await run();
const avg = averages(benchmarks);
const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
for (const mode of ['fsync', 'no fsync']) {
  const a = avg(`update @1k (${mode})`);
  const b = avg(`update @100k (${mode})`);
  console.log(
    `update (${mode}): ${us(a)} at 1,000, ${us(b)} at 100,000: ratio ${(b / a).toFixed(2)} (goal <= 2)`,
  );
}
console.log(`open 100,000 records: ${opens.map((t) => `${t.toFixed(0)} ms`).join(', ')} (goal < 2000 ms)`);
await reader.close();
await rm(root, { recursive: true, force: true });
