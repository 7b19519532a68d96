/**
 * The cost of metrics on the verify path: `km.apiKeys.verify` on the memory adapter without
 * metrics, with them recorded into a real OpenTelemetry SDK `MeterProvider` (a reader that is
 * not collected during the run, as in production between scrapes), and with metrics and the
 * security monitor (every rule on), in the same process; every call passes an IP in its context.
 * `node --import tsx bench/metrics.bench.ts` (or `npm run bench -- metrics`).
 *
 * Rounds alternate off/on batches of sequential verifications; each side reports its fastest
 * round (the least disturbed by other processes on a shared machine) and the median round.
 * Goal (issue 13): verify with metrics and the monitor ≤ 1.15× verify without.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../src/manager/key-manager.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
/** The caller's address, as a middleware passes it (the monitor's network rules read it). */
const CONTEXT = { context: { ip: '198.51.100.23' } };
const BATCH = Number(process.env.BATCH ?? 5000);

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });

async function setup(metrics: boolean, monitor = false): Promise<{ km: KeyManager; tokens: string[] }> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
    ...(metrics && { metrics: { meterProvider: provider } }),
    ...(monitor && { monitor: true }),
  });
  const tokens: string[] = [];
  for (let i = 0; i < 1000; i++) tokens.push((await km.apiKeys.create({ name: `bench-${i}` })).token);
  if (!(await km.apiKeys.verify(tokens[0] as string)).valid)
    throw new Error('benchmark setup: verify failed');
  return { km, tokens };
}

/** Nanoseconds per verification over one batch. */
async function batch(s: { km: KeyManager; tokens: string[] }): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) {
    const r = await s.km.apiKeys.verify(s.tokens[i % 1000] as string, CONTEXT);
    if (!r.valid) throw new Error('verify failed');
  }
  return Number(process.hrtime.bigint() - start) / BATCH;
}

const off = await setup(false);
const on = await setup(true);
const all = await setup(true, true);
await batch(off); // warm-up
await batch(on);
await batch(all);
const times = { off: [] as number[], on: [] as number[], all: [] as number[] };
const sides = [
  ['off', off],
  ['on', on],
  ['all', all],
] as const;
for (let r = 0; r < ROUNDS; r++) {
  // rotate which side goes first, so none always runs right after another's garbage
  for (let k = 0; k < 3; k++) {
    const [name, s] = sides[(r + k) % 3] as (typeof sides)[number];
    times[name].push(await batch(s));
  }
}
const min = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [label, f] of [
  ['fastest round', min],
  ['median round', median],
] as const) {
  const a = f(times.off);
  const b = f(times.on);
  const c = f(times.all);
  console.log(
    `${label}: verify off ${(a / 1000).toFixed(2)} µs/op, metrics ${(b / 1000).toFixed(2)} µs/op (${(b / a).toFixed(3)}x), metrics + monitor ${(c / 1000).toFixed(2)} µs/op (${(c / a).toFixed(3)}x) (goal <= 1.15x)`,
  );
}
await off.km.close();
await all.km.close();
await on.km.close();
await provider.shutdown();
