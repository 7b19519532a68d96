/**
 * Reading mitata results by name, shared by the benchmarks that print ratios.
 */
import type { run } from 'mitata';

type Benchmarks = Awaited<ReturnType<typeof run>>['benchmarks'];
type Stats = NonNullable<NonNullable<Benchmarks[number]['runs'][number]>['stats']>;

/**
 * The stats of the benchmark whose alias is `name`, or else the first whose alias starts with it.
 * Throws when none ran, so a renamed benchmark cannot print a ratio of nothing.
 */
export function statsOf(benchmarks: Benchmarks, name: string): Stats {
  const b = benchmarks.find((x) => x.alias === name) ?? benchmarks.find((x) => x.alias.startsWith(name));
  const s = b?.runs[0]?.stats;
  if (!s) throw new Error(`no stats for ${name}`);
  return s;
}

/** `avg(name)`: mean nanoseconds per iteration of the named benchmark (see {@link statsOf}). */
export function averages(benchmarks: Benchmarks): (name: string) => number {
  return (name) => statsOf(benchmarks, name).avg;
}
