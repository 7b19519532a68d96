/**
 * The Postgres adapter against a bare primary-key `select` with the same driver, in the same run:
 * `node --import tsx bench/postgres.bench.ts` (or `npm run bench -- postgres`).
 *
 * Starts an embedded PostgreSQL 17 (or uses `KEYWARDEN_BENCH_DATABASE_URL`), seeds 10,000 records,
 * then measures `storage.get`, `km.apiKeys.verify` and listing all 10,000 records. Goal: `get` and
 * `verify` at ≥ 0.8× the throughput of the bare select (both are one round trip).
 * To add a case, push a `[name, fn]` pair to `CASES`; ratios print for every case against `bare`.
 */
import { bench, do_not_optimize, run, summary } from 'mitata';
import postgres from 'postgres';
import { memoryStorage } from '../src/adapters/memory.js';
import { postgresStorage } from '../src/adapters/postgres.js';
import { cachedStorage } from '../src/cache/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import type { StoredRecord } from '../src/ports/storage.js';
import { makeRecord } from '../src/testing/fixtures.js';
import { type PgHarness, startPostgres } from '../test/support/pg-harness.js';
import { averages } from './stats.js';

const external = process.env['KEYWARDEN_BENCH_DATABASE_URL'];
const pg: PgHarness | null = external ? null : await startPostgres({ private: true });
const url = external ?? pg!.url;
const sql = postgres(url, { max: 4, onnotice: () => {} });
const schema = `kw_bench_${Date.now().toString(36)}`;
const storage = postgresStorage({ sql, schema });
await storage.init?.();

// 10,000 records, seeded through the adapter's own SQL function in batches.
const records: StoredRecord[] = Array.from({ length: 10_000 }, (_, i) =>
  makeRecord({ createdAt: 1_900_000_000_000 + i, tags: i % 2 ? ['odd'] : [], meta: { i } }),
);
for (let i = 0; i < records.length; i += 1000) {
  await sql.unsafe(`select "${schema}".keywarden_create(r) from json_array_elements($1::text::json) r`, [
    JSON.stringify(records.slice(i, i + 1000)),
  ]);
}

// API keys through the manager on the same database (another schema).
const km = createKeyManager({
  storage: postgresStorage({ sql, schema: `${schema}_km` }),
  kms: localKms({ masterKey: generateMasterKey() }),
});
const tokens: string[] = [];
for (let i = 0; i < 200; i++) tokens.push((await km.apiKeys.create({ name: `bench-${i}` })).token);
const check = await km.apiKeys.verify(tokens[0]!);
if (!check.valid) throw new Error('benchmark setup: verify failed');

// The same store behind the verification cache (5 s TTL = the revocation bound): warm after one pass.
const masterKey = generateMasterKey();
const kmCached = createKeyManager({
  storage: cachedStorage(postgresStorage({ sql, schema: `${schema}_cached` }), { ttl: '5s' }),
  kms: localKms({ masterKey }),
});
const cachedTokens: string[] = [];
for (let i = 0; i < 200; i++) cachedTokens.push((await kmCached.apiKeys.create({ name: `c-${i}` })).token);
for (const t of cachedTokens) if (!(await kmCached.apiKeys.verify(t)).valid) throw new Error('cached setup');
// The memory adapter, for the "warm Postgres ≤ 2× memory" comparison in the same run.
const kmMemory = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey }) });
const memoryTokens: string[] = [];
for (let i = 0; i < 200; i++) memoryTokens.push((await kmMemory.apiKeys.create({ name: `m-${i}` })).token);
let c = 0;
const nextCached = (): string => cachedTokens[c++ % cachedTokens.length]!;
const nextMemory = (): string => memoryTokens[c++ % memoryTokens.length]!;

let n = 0;
const nextId = (): string => records[n++ % records.length]!.id;
const nextToken = (): string => tokens[n++ % tokens.length]!;
const bareText = `select record from "${schema}".keywarden_records where id = $1::text`;

const listAll = async (): Promise<number> => {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    count += page.items.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return count;
};
if ((await listAll()) !== 10_000) throw new Error('benchmark setup: list is incomplete');

const CASES: [string, () => Promise<unknown>][] = [
  [
    'bare: select record by primary key (same driver)',
    async () => (await sql.unsafe(bareText, [nextId()]))[0],
  ],
  ['postgresStorage.get', () => storage.get(nextId())],
  ['km.apiKeys.verify (postgres)', () => km.apiKeys.verify(nextToken())],
  ['km.apiKeys.verify (postgres behind cachedStorage, warm)', () => kmCached.apiKeys.verify(nextCached())],
  ['km.apiKeys.verify (memory adapter)', () => kmMemory.apiKeys.verify(nextMemory())],
];

summary(() => {
  for (const [name, fn] of CASES) bench(name, async () => do_not_optimize(await fn()));
});
bench('postgresStorage.list: all 10,000 records (10 pages of 1000)', async () =>
  do_not_optimize(await listAll()),
);

const { benchmarks } = await run();
const avg = averages(benchmarks);
const base = avg('bare');
console.log(`\nbare select: ${(base / 1000).toFixed(1)} µs/op`);
for (const [name] of CASES.slice(1)) {
  const t = avg(name);
  console.log(
    `${name}: ${(t / 1000).toFixed(1)} µs/op, throughput ${(base / t).toFixed(2)}x of bare (goal >= 0.8x)`,
  );
}
console.log(`list 10,000: ${(avg('postgresStorage.list') / 1e6).toFixed(1)} ms`);
const warm = avg('km.apiKeys.verify (postgres behind');
const mem = avg('km.apiKeys.verify (memory');
console.log(`warm cached Postgres verify / memory verify: ${(warm / mem).toFixed(2)}x (goal <= 2x)`);

await Promise.all([km.close(), kmCached.close(), kmMemory.close()]);
await sql
  .unsafe(
    `drop schema "${schema}" cascade; drop schema "${schema}_km" cascade; drop schema "${schema}_cached" cascade`,
  )
  .simple();
await sql.end({ timeout: 5 });
await pg?.stop();
