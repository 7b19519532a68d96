/**
 * Issue 13's overhead goal: `km.apiKeys.verify` with metrics and the security monitor on vs off,
 * in the same process. Every side verifies on the memory adapter through the 0.2 read path, so
 * every record read is checked against its integrity MAC (0.2 has no switch for it: it is on in
 * all three sides). The sides:
 *   - off:     no `metrics`, no `monitor`;
 *   - metrics: metrics recorded into a real OpenTelemetry SDK `MeterProvider` (its reader is not
 *              collected during the run, as in production between scrapes);
 *   - all:     metrics and the monitor with every rule on (`monitor: true`);
 *   - control: a second manager like `off`: its ratio to `off` (an A/A comparison) is the noise
 *              floor of the run.
 * The order of the sides rotates from round to round (a side run first in every round measured
 * up to 8% dearer than the same side run last).
 * Every call passes the caller's IP in its context (the monitor's network rules read it), cycling
 * over 1000 valid keys.
 *
 * Ratios come from interleaved rounds of CPU time (bench/interleave.ts: the process's user +
 * system time, median of the per-round ratios), which hold on a loaded shared machine; the load
 * average is printed with them. Goal (issue 13): all / off ≤ 1.15×. 151 rounds (about 3 s of CPU
 * per side) keep the A/A control within a few percent of 1 on a loaded machine; 41 did not.
 * `node --import tsx bench/metrics.bench.ts` (or `npm run bench -- metrics`); ROUNDS, BATCH tune it.
 */
import { loadavg } from 'node:os';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../src/manager/key-manager.js';
import { goal, interleave, us } from './interleave.js';

const ROUNDS = Number(process.env.ROUNDS ?? 151);
const BATCH = Number(process.env.BATCH ?? 500);
const KEYS = 1000;
/** The caller's address, as a middleware passes it (the monitor's network rules read it). */
const CONTEXT = { context: { ip: '198.51.100.23' } };

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({ readers: [reader] });

async function setup(metrics: boolean, monitor: boolean): Promise<{ km: KeyManager; tokens: string[] }> {
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
    ...(metrics && { metrics: { meterProvider: provider } }),
    ...(monitor && { monitor: true }),
  });
  const tokens: string[] = [];
  for (let i = 0; i < KEYS; i++) tokens.push((await km.apiKeys.create({ name: `bench-${i}` })).token);
  return { km, tokens };
}

const sides = {
  off: await setup(false, false),
  metrics: await setup(true, false),
  all: await setup(true, true),
  control: await setup(false, false),
};

const verify =
  ({ km, tokens }: { km: KeyManager; tokens: string[] }) =>
  async (i: number): Promise<void> => {
    const r = await km.apiKeys.verify(tokens[i % KEYS] as string, CONTEXT);
    if (!r.valid) throw new Error(`benchmark: verify failed (${r.code})`);
  };

const before = loadavg()[0] as number;
const r = await interleave(
  {
    off: verify(sides.off),
    metrics: verify(sides.metrics),
    all: verify(sides.all),
    control: verify(sides.control),
  },
  { rounds: ROUNDS, batch: BATCH, rotate: true },
);
const after = loadavg()[0] as number;

console.log(
  `verify (memory adapter, record MAC on in every side), ${ROUNDS} interleaved rounds × ${BATCH}, CPU time, load average ${before.toFixed(1)} -> ${after.toFixed(1)}`,
);
console.log(
  `  off ${us(r.ns.off as number)}/op, metrics ${us(r.ns.metrics as number)}/op (${r.ratio('metrics', 'off').toFixed(3)}x), metrics + monitor ${us(r.ns.all as number)}/op (${r.ratio('all', 'off').toFixed(3)}x); monitor alone (all / metrics) ${r.ratio('all', 'metrics').toFixed(3)}x; control (off again) ${r.ratio('control', 'off').toFixed(3)}x`,
);
goal('verify with metrics + monitor / without', r.ratio('all', 'off'), 1.15);

for (const s of Object.values(sides)) await s.km.close();
await provider.shutdown();
