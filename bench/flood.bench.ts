/**
 * A flood of `apiKeys.verify` failures over more than 10,000 distinct keys per minute against one
 * failure that writes its audit row (issue 16: ≤ 1.2×, the failure throttle's cost must not grow
 * with its table): `node --expose-gc --import tsx bench/flood.bench.ts` (or `npm run bench -- flood`).
 *
 * Two managers share one memory store, so both touch the same revoked records and append to the same
 * audit log; only their failure throttles differ. The flood's table is full (10,000 windows, every
 * call a key it does not hold, so every call writes its row and evicts the oldest window); the other
 * side's fake clock moves past every window before each call, so its table holds one entry.
 *
 * How it is costed, and why: CPU time of batches that alternate (ABBA), median of the per-round
 * ratios. Both sides grow the shared audit log by one row per call; with no control over collections
 * a scavenge or a major collection of that heap (tens of ms, on helper threads too) lands inside
 * whichever side's batch is running and decides that round (per-round ratios 0.5–2.3× between the
 * quartiles with `--plain`). Here a full collection runs before each batch, outside the timing, and
 * each batch ends with a young-generation collection inside its timing: each side pays for the
 * garbage and promotions it made itself, not for the other's (quartiles 0.9–1.15×). Both managers
 * first read every record once: a manager checks a record's MAC on its first read of that record
 * object, and the earlier version of this row (in verify.bench.ts) had the audited side pay that
 * check on every call, which hid the throttle's own cost. `--plain` costs batches without any
 * collection (as bench/interleave.ts does), to compare; `--aa` replaces the flood by a twin of the
 * other side (an A/A control of the method).
 */
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { fakeClock } from '../src/testing/index.js';
import { goal, us } from './interleave.js';

const FLOOD = 12_000;
const ROUNDS = Number(process.env.FLOOD_ROUNDS ?? 21);
const BATCH = Number(process.env.FLOOD_BATCH ?? 300);
const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major'; execution?: 'sync' }) => void }).gc;
const plain = process.argv.includes('--plain') || gc === undefined;
const aa = process.argv.includes('--aa');
if (gc === undefined) console.log('(no --expose-gc: batches costed without collections, as --plain)');

const storage = memoryStorage();
const master = generateMasterKey();
const floodKm = createKeyManager({ storage, kms: localKms({ masterKey: master.slice() }), usage: false });
const tokens: string[] = [];
for (let k = 0; k < FLOOD; k++) {
  const c = await floodKm.apiKeys.create({ name: `f${k}`, scopes: [] });
  await floodKm.apiKeys.revoke(c.key.id);
  tokens.push(c.token);
}
// the table full; and each manager checks a record's MAC the first time it reads that record
// object, then remembers it: both managers read every record once before the timing, else one
// side's first calls would pay record checks the other does not
for (const t of tokens) await floodKm.apiKeys.verify(t);
const clock = fakeClock();
const oneKm = createKeyManager({ storage, kms: localKms({ masterKey: master }), usage: false, clock });
for (const t of tokens) {
  clock.advance(61_000);
  await oneKm.apiKeys.verify(t);
}

let f = 0; // the table holds the last 10,000 keys read: every flood call is a key it does not hold
let o = 0;
const sides: Record<string, () => Promise<unknown>> = {
  'one failure, audit row written': () => {
    clock.advance(61_000); // every earlier window is over: this failure writes its row
    return oneKm.apiKeys.verify(tokens[o++ % FLOOD] as string);
  },
  'flood, > 10,000 distinct keys': () => floodKm.apiKeys.verify(tokens[f++ % FLOOD] as string),
};
if (aa) {
  // A/A control: the flood side is a second manager like the other one (its table nearly empty),
  // so the ratio shows what the method itself makes of two equal sides
  const clock2 = fakeClock();
  const twinKm = createKeyManager({
    storage,
    kms: localKms({ masterKey: master }),
    usage: false,
    clock: clock2,
  });
  for (const t of tokens) {
    clock2.advance(61_000);
    await twinKm.apiKeys.verify(t);
  }
  let a = 0;
  sides['flood, > 10,000 distinct keys'] = () => {
    clock2.advance(61_000);
    return twinKm.apiKeys.verify(tokens[a++ % FLOOD] as string);
  };
}
const names = Object.keys(sides);
const per: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
const lastSeq = async (): Promise<number> => {
  let seq = 0;
  for (;;) {
    const page = await storage.listAudit({ limit: 1000, afterSeq: seq });
    if (page.items.length === 0) return seq;
    seq = (page.items[page.items.length - 1] as { seq: number }).seq;
  }
};
const seqBefore = await lastSeq();
for (let r = -1; r < ROUNDS; r++) {
  const order = (r & 1) === 0 ? names : [...names].reverse();
  for (const name of order) {
    const fn = sides[name] as () => Promise<unknown>;
    if (!plain) gc?.({ type: 'major', execution: 'sync' });
    const t = process.cpuUsage();
    for (let k = 0; k < BATCH; k++) {
      const res = (await fn()) as { valid: boolean; code: string };
      if (res.valid || res.code !== 'REVOKED') throw new Error(`bench setup: ${res.code}`);
    }
    if (!plain) gc?.({ type: 'minor', execution: 'sync' });
    const used = process.cpuUsage(t);
    if (r >= 0) (per[name] as number[]).push(((used.user + used.system) * 1000) / BATCH);
  }
}
// every call of both sides wrote its row (the flood's keys are never in its table)
if ((await lastSeq()) - seqBefore !== 2 * (ROUNDS + 1) * BATCH) throw new Error('bench setup: rows missing');

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const q = (xs: number[], p: number): number => sorted(xs)[Math.floor((xs.length - 1) * p)] as number;
const [oneName, floodName] = names as [string, string];
const ratios = (per[floodName] as number[]).map((x, i) => x / ((per[oneName] as number[])[i] as number));
console.log(
  `failure with its audit row ${us(q(per[oneName] as number[], 0.5))}, in a flood ${us(q(per[floodName] as number[], 0.5))} ` +
    `(CPU per call, median of ${ROUNDS} rounds × ${BATCH}${plain ? ', no collections' : ''})`,
);
console.log(
  `per-round ratios: min ${q(ratios, 0).toFixed(2)}, p25 ${q(ratios, 0.25).toFixed(2)}, median ${q(ratios, 0.5).toFixed(2)}, p75 ${q(ratios, 0.75).toFixed(2)}, max ${q(ratios, 1).toFixed(2)}`,
);
if (process.env.FLOOD_DEBUG)
  for (const n of names) console.log(n, (per[n] as number[]).map((x) => (x / 1000).toFixed(1)).join(' '));
goal('failure flood / one audited failure', q(ratios, 0.5), 1.2);
await floodKm.close();
await oneKm.close();
