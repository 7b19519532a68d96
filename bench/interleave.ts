/**
 * Ratios that hold on a loaded machine: run short batches of each contender in turn, round after
 * round, and take the median per-round cost of each (load drifts slowly; alternating batches see
 * the same load). The cost is the process's CPU time (user + system, all threads, so GC helpers
 * count), not wall time: on a shared machine wall time also counts the time other processes held
 * the core. Used by the benches that print a goal ratio.
 */

/** A contender: sync or async, called with the iteration number. */
export type Contender = (i: number) => unknown;

/** Median CPU nanoseconds per call of each contender, and the median per-round ratio to `base`. */
export interface Interleaved {
  ns: Record<string, number>;
  ratio(name: string, base: string): number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Runs every contender `batch` times per round for `rounds` rounds, in turn (after one warm-up
 * round), and returns median CPU ns/call and per-round ratios. `rotate`: each round starts one
 * contender later, so none always runs first (or right after another's garbage).
 */
export async function interleave(
  contenders: Record<string, Contender>,
  options: { rounds?: number; batch?: number; rotate?: boolean } = {},
): Promise<Interleaved> {
  const rounds = options.rounds ?? 31;
  const batch = options.batch ?? 200;
  const all = Object.keys(contenders);
  const per: Record<string, number[]> = Object.fromEntries(all.map((n) => [n, []]));
  let sink: unknown;
  for (let r = -1; r < rounds; r++) {
    const shift = options.rotate === true ? (r + 1) % all.length : 0;
    const names = [...all.slice(shift), ...all.slice(0, shift)];
    for (const name of names) {
      const fn = contenders[name] as Contender;
      const t = process.cpuUsage();
      for (let k = 0; k < batch; k++) {
        const out = fn((r + 1) * batch + k);
        sink = out instanceof Promise ? await out : out;
      }
      const used = process.cpuUsage(t);
      const ns = ((used.user + used.system) * 1000) / batch;
      if (r >= 0) (per[name] as number[]).push(ns);
    }
  }
  if (sink === Symbol.for('never')) console.log(sink);
  const ns = Object.fromEntries(all.map((n) => [n, median(per[n] as number[])]));
  return {
    ns,
    ratio(name, base) {
      const a = per[name] as number[];
      const b = per[base] as number[];
      return median(a.map((x, i) => x / (b[i] as number)));
    },
  };
}

/** `12.34 µs` */
export const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;

/** Prints a goal line: `label: 1.23x (goal <= 1.5x) MET|MISSED`. */
export function goal(label: string, ratio: number, max: number): void {
  console.log(`${label}: ${ratio.toFixed(2)}x (goal <= ${max}x) ${ratio <= max ? 'MET' : 'MISSED'}`);
}
