/**
 * `km.rotator.runDue` over 10,000 API-key records of which 1,000 are due, on the memory adapter,
 * against one `km.apiKeys.create` measured in the same run:
 * `node --import tsx bench/rotation.bench.ts` (or `npm run bench -- rotation`).
 *
 * Each sample advances the fake clock one day, so the same 1,000 keys (policy `every: '1d'`) are
 * due again while the other 9,000 (policy `every: 'yearly'`) are not. A rotated record costs: the
 * CAS write, a fresh token and its keyed hash, the audit events and the notification.
 * Reported: time per rotated record, and its ratio to one `apiKeys.create`.
 */
import { bench, do_not_optimize, run, summary } from 'mitata';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { fakeClock } from '../src/testing/fake-clock.js';
import { averages } from './stats.js';

const TOTAL = 10_000;
const DUE = 1_000;

const clock = fakeClock();
const km = createKeyManager({
  storage: memoryStorage(),
  kms: localKms({ masterKey: generateMasterKey() }),
  clock,
  defaults: { expiresIn: null },
});

const ids: string[] = [];
for (let batch = 0; batch < TOTAL / 1000; batch++) {
  const created = await km.apiKeys.createMany(
    Array.from({ length: 1000 }, (_, i) => ({ name: `bench-${batch}-${i}` })),
  );
  for (const c of created) ids.push(c.key.id);
}
for (let i = 0; i < ids.length; i++) {
  await km.rotator.setPolicy(
    ids[i] as string,
    i < DUE ? { every: '1d', strategy: 'overlap', overlap: '1h' } : { every: 'yearly' },
  );
}

// sanity: exactly DUE records rotate per simulated day
clock.advance('1d');
const check = await km.rotator.runDue({ limit: TOTAL });
if (check.rotated.length !== DUE || check.failed.length !== 0) {
  throw new Error(`benchmark setup: rotated ${check.rotated.length}, failed ${check.failed.length}`);
}

let n = 0;
summary(() => {
  bench('km.apiKeys.create (memory)', async () =>
    do_not_optimize(await km.apiKeys.create({ name: `extra-${n++}`, expiresIn: '1000d' })),
  );
  bench(`km.rotator.runDue: ${TOTAL} records, ${DUE} due`, function* () {
    yield {
      [0]() {
        clock.advance('1d');
        return DUE;
      },
      async bench(expected: number) {
        const report = await km.rotator.runDue({ limit: TOTAL });
        if (report.rotated.length !== expected) throw new Error(`rotated ${report.rotated.length}`);
        do_not_optimize(report);
      },
    };
  });
});

const { benchmarks } = await run();
const avg = averages(benchmarks);
const create = avg('km.apiKeys.create');
const runDue = avg('km.rotator.runDue');
const perRecord = runDue / DUE;
console.log(`\napiKeys.create: ${(create / 1000).toFixed(2)} µs/op`);
console.log(`runDue: ${(runDue / 1e6).toFixed(2)} ms per run of ${DUE} rotations over ${TOTAL} records`);
console.log(
  `per rotated record: ${(perRecord / 1000).toFixed(2)} µs = ${(perRecord / create).toFixed(2)}× one apiKeys.create`,
);
