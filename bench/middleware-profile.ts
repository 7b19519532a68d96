/**
 * Where the server's time goes per request, bare handler vs `nodeMiddleware`: the servers of
 * bench/middleware.bench.ts in their own process, profiled with V8's CPU profiler while autocannon
 * (in this process) loads one side at a time, in interleaved rounds.
 *
 *   node --import tsx bench/middleware-profile.ts [rounds=3] [seconds=5] [top=30]
 *   node --import tsx bench/middleware-profile.ts <folder of an earlier run> [top=30]
 *
 * Each window's profile (`.cpuprofile`, open it in Chrome DevTools) is kept in a temporary folder
 * printed at the end. For each side it prints the server's CPU per request (`process.cpuUsage()`
 * over the window) split by area in proportion to the non-idle samples; the area of a sample is
 * decided by the innermost project frame on its stack:
 * - `verify`: a frame of src/ outside src/middleware (km.apiKeys.verify and what it calls, native
 *   HMAC included);
 * - `middleware`: a frame of src/middleware (header parsing, options, context, answer);
 * - `app handler`: a frame of bench/ (the response both sides write, and the `.then` of the gate);
 * - `GC`, and otherwise the runtime: `microtasks` (the promise job loop itself) and
 *   `node:http + event loop`;
 * - `system time`: the kernel's share (`process.cpuUsage().system`: the read and writev system
 *   calls, epoll, page faults), measured, not sampled.
 * The profiler samples wall time: on a loaded machine a process preempted inside a system call
 * (mostly `writev`, which wakes the load generator) is charged samples for time it did not run.
 * So samples in native `writev`/`read` frames are left out, and the other areas share the user
 * time in proportion to their samples. The profiler itself costs a few µs per request on both
 * sides, so compare areas, not totals, with bench/middleware.bench.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './server-process.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const again = process.argv[2] !== undefined && existsSync(process.argv[2]) ? process.argv[2] : undefined;
const [rounds = 3, seconds = 5, top = 30] = again
  ? [0, 0, Number(process.argv[3] ?? 30)]
  : process.argv.slice(2).map(Number);
const sides = ['bare', 'protected'] as const;
type Side = (typeof sides)[number];

async function load(url: string, headers: Record<string, string>, duration: number): Promise<number> {
  const specifier = 'autocannon'; // untyped package: import it by name, typed below
  const { default: autocannon } = (await import(specifier)) as {
    default: (o: Record<string, unknown>) => Promise<{ requests: { total: number }; non2xx: number }>;
  };
  const r = await autocannon({ url, headers, connections: 20, pipelining: 1, duration });
  if (r.non2xx > 0) throw new Error(`${url}: ${r.non2xx} non-2xx answers`);
  return r.requests.total;
}

/** The project-relative path of a profiled script (`src/...`, `bench/...`), or its URL. */
function where(url: string): string {
  const m = /\/(src|bench)\/(.*)$/.exec(url);
  return m && url.startsWith('file:') && !url.includes('/node_modules/') ? `${m[1]}/${m[2]}` : url;
}

/** Samples in a native system call frame: wall time, mostly spent preempted (see the header). */
const SYSCALL = '(system call)';

function areaOf(stack: ProfileNode[]): string {
  const leaf = stack[0]?.callFrame.functionName ?? '';
  if (leaf === '(garbage collector)') return 'GC';
  if (leaf === 'writev' || leaf === 'read' || leaf === 'writeUtf8String' || leaf === 'writeLatin1String') {
    return SYSCALL;
  }
  for (const n of stack) {
    const w = where(n.callFrame.url);
    if (w.startsWith('src/middleware/')) return 'middleware';
    if (w.startsWith('src/')) return 'verify';
    if (w.startsWith('bench/')) return 'app handler';
  }
  if (leaf === 'runMicrotasks') return 'microtasks';
  return 'node:http + event loop';
}

/** CPU µs per request by area, and self µs per request by function (`name file`). */
function analyse(file: string, requests: number) {
  const p = JSON.parse(readFileSync(`${file}.cpuprofile`, 'utf8')) as Profile;
  const cpu = JSON.parse(readFileSync(`${file}.cpu.json`, 'utf8')) as NodeJS.CpuUsage;
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map<number, number>();
  // a sample stands for the time until the next one
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const n of p.nodes) {
    const t = self.get(n.id) ?? 0;
    if (t === 0 || n.callFrame.functionName === '(idle)') continue;
    const stack: ProfileNode[] = [];
    for (let x: ProfileNode | undefined = n; x; x = parent.get(x.id)) stack.push(x);
    const area = areaOf(stack);
    if (area === SYSCALL) continue; // charged below with the measured system time
    busy += t;
    areas.set(area, (areas.get(area) ?? 0) + t);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)} [${area}]`;
    functions.set(fn, (functions.get(fn) ?? 0) + t);
  }
  const cpuPerRequest = (cpu.user + cpu.system) / requests;
  const userPerRequest = cpu.user / requests;
  const scale = (m: Map<string, number>) =>
    new Map([...m].map(([k, v]) => [k, (v / busy) * userPerRequest] as [string, number]));
  const scaled = scale(areas);
  scaled.set('system time', cpu.system / requests);
  return { cpuPerRequest, areas: scaled, functions: scale(functions) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Loads both sides in turn with the profiler on; returns the folder of the profiles. */
async function record(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-profile-'));
  const out = join(dir, 'window');
  const hook = fileURLToPath(new URL('./cpu-profile-hook.ts', import.meta.url));
  const bench = new URL('./middleware.bench.ts', import.meta.url).href;
  const server = await startServerProcess(bench, [], {
    nodeArgs: ['--import', hook],
    env: { KEYWARDEN_PROFILE_OUT: out },
  });
  const info = JSON.parse(server.ready) as Record<Side, number> & { token: string };
  const headers = { authorization: `Bearer ${info.token}` };
  const url = (side: Side) => `http://127.0.0.1:${info[side]}/invoices`;
  for (const side of sides) await load(url(side), headers, 2); // warm-up (JIT, connections)
  const windows: Array<{ side: Side; n: number; requests: number }> = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) {
      server.signal('SIGUSR2');
      const requests = await load(url(side), headers, seconds);
      server.signal('SIGUSR2');
      windows.push({ side, n: windows.length + 1, requests });
      writeFileSync(join(dir, 'windows.json'), JSON.stringify(windows));
      // wait until the server wrote this window's profile: two signals sent too close together
      // can arrive as one, and the windows would be out of step
      for (let waited = 0; !existsSync(`${out}.${windows.length}.cpu.json`); waited += 50) {
        if (waited > 60_000) throw new Error('the server wrote no profile');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  server.stop();
  return dir;
}

async function main(): Promise<void> {
  const dir = again ?? (await record());
  const out = join(dir, 'window');
  const windows = JSON.parse(readFileSync(join(dir, 'windows.json'), 'utf8')) as Array<{
    side: Side;
    n: number;
    requests: number;
  }>;
  const n = windows.length / 2;
  const results = windows.map((w) => ({ ...w, ...analyse(`${out}.${w.n}`, w.requests) }));
  const names = [...new Set(results.flatMap((r) => [...r.areas.keys()]))];
  const per = (side: Side, pick: (r: (typeof results)[number]) => number) =>
    median(results.filter((r) => r.side === side).map(pick));
  console.log(
    `server CPU µs per request by area (median of ${n} windows per side; user time split by samples, system time measured)\n`,
  );
  console.log(
    `${'area'.padEnd(24)} ${'bare'.padStart(8)} ${'protected'.padStart(10)} ${'extra'.padStart(8)}`,
  );
  const row = (label: string, pick: (r: (typeof results)[number]) => number) => {
    const b = per('bare', pick);
    const g = per('protected', pick);
    console.log(
      `${label.padEnd(24)} ${b.toFixed(2).padStart(8)} ${g.toFixed(2).padStart(10)} ${(g - b).toFixed(2).padStart(8)}`,
    );
  };
  for (const a of names.sort()) row(a, (r) => r.areas.get(a) ?? 0);
  row('total (cpuUsage)', (r) => r.cpuPerRequest);
  console.log(`\ntop functions, protected side (self CPU µs per request, median):`);
  const fns = new Set(results.filter((r) => r.side === 'protected').flatMap((r) => [...r.functions.keys()]));
  const ranked = [...fns]
    .map((f) => [f, per('protected', (r) => r.functions.get(f) ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [f, us] of ranked) console.log(`${us.toFixed(2).padStart(7)}  ${f}`);
  console.log(`\nprofiles: ${dir}`);
}

await main();
