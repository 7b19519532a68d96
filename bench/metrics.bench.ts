/**
 * The cost of metrics on the verify path: `km.apiKeys.verify` on the memory adapter without
 * metrics, and with them recorded into a real OpenTelemetry SDK `MeterProvider` (a reader that is
 * not collected during the run, as in production between scrapes), in the same process.
 * `node --import tsx bench/metrics.bench.ts` (or `npm run bench -- metrics`).
 *
 * Rounds alternate off/on batches of sequential verifications; each side reports its fastest
 * round (the least disturbed by other processes on a shared machine) and the median round.
 * Goal (issue 13): verify with metrics ≤ 1.15× verify without.
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
const BATCH = Number(process.env.BATCH ?? 5000);

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });

async function setup(metrics: boolean): Promise<{ km: KeyManager; tokens: string[] }> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
    ...(metrics && { metrics: { meterProvider: provider } }),
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
    const r = await s.km.apiKeys.verify(s.tokens[i % 1000] as string);
    if (!r.valid) throw new Error('verify failed');
  }
  return Number(process.hrtime.bigint() - start) / BATCH;
}

const off = await setup(false);
const on = await setup(true);
await batch(off); // warm-up
await batch(on);
const times = { off: [] as number[], on: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  // alternate which side goes first, so neither always runs right after the other's garbage
  if (r % 2 === 0) {
    times.off.push(await batch(off));
    times.on.push(await batch(on));
  } else {
    times.on.push(await batch(on));
    times.off.push(await batch(off));
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
  console.log(
    `${label}: verify off ${(a / 1000).toFixed(2)} µs/op, on ${(b / 1000).toFixed(2)} µs/op, ratio ${(b / a).toFixed(3)}x (goal <= 1.15x)`,
  );
}
await off.km.close();
await on.km.close();
await provider.shutdown();
