/**
 * Cold start on the BUILT package (issue 16, goal ≤ 100 ms over bare node): a child `node` imports
 * `dist/`, creates a manager (memory storage, localKms), creates one API key (the token the first
 * verify needs) and verifies it, then exits. Its cost minus a bare `node -e ''` start is the
 * figure; the two alternate run after run and the median of each is taken. Printed both as wall
 * time and as the child's own CPU time (user + system, from process start; steadier on a loaded
 * machine), with the child's phases (import, createKeyManager, create, verify) each in wall time
 * (`performance.now()`) and in CPU time (`process.cpuUsage()` around each phase; "node start to
 * first line" is what node itself cost before the child's first statement, compare with bare).
 *
 *   npm run build && npm run bench -- cold-start
 *   COLD_START_RUNS=31 npm run bench -- cold-start
 *   COLD_START_DIST=/path/to/other/dist npm run bench -- cold-start   # a saved build to compare
 *
 * A saved build needs the package.json and lib/ of its commit beside it (DIST/../package.json:
 * its "imports" resolve `#noble-primitives`, to lib/ on Node) and a node_modules that Node finds
 * from there.
 *
 * dist/ is built first when it is missing or older than src/.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ensureDist, ROOT } from '../test/support/dist.js';

const RUNS = Number(process.env['COLD_START_RUNS'] ?? 21);
/** Another built copy to measure instead (e.g. a saved dist/ of an earlier commit). */
const DIST = resolve(process.env['COLD_START_DIST'] ?? join(ROOT, 'dist'));
const GOAL_MS = 100;

/** The child: every phase timed from process start (performance.now() is ms since time origin). */
const CHILD = `
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const t0 = performance.now();
const c0 = cpu();
const { createKeyManager } = await import(${JSON.stringify(join(DIST, 'index.js'))});
const { memoryStorage } = await import(${JSON.stringify(join(DIST, 'adapters/memory.js'))});
const { localKms } = await import(${JSON.stringify(join(DIST, 'kms/index.js'))});
const t1 = performance.now();
const c1 = cpu();
const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: ${JSON.stringify(randomBytes(32).toString('base64url'))} }) });
const t2 = performance.now();
const c2 = cpu();
const { token } = await km.apiKeys.create({ name: 'cold' });
const t3 = performance.now();
const c3 = cpu();
const result = await km.apiKeys.verify(token);
const t4 = performance.now();
const c4 = cpu();
if (!result.valid) throw new Error('verify failed');
process.stdout.write(JSON.stringify({ start: t0, import: t1 - t0, manager: t2 - t1, create: t3 - t2, verify: t4 - t3, cpu: c4, bootCpu: c0, importCpu: c1 - c0, managerCpu: c2 - c1, createCpu: c3 - c2, verifyCpu: c4 - c3 }));
process.exit(0);
`;
const BARE = `const c = process.cpuUsage(); process.stdout.write(JSON.stringify({ cpu: (c.user + c.system) / 1000 }));`;

interface Sample {
  wall: number;
  cpu: number;
  phases?:
    | Record<
        | 'start'
        | 'import'
        | 'manager'
        | 'create'
        | 'verify'
        | 'bootCpu'
        | 'importCpu'
        | 'managerCpu'
        | 'createCpu'
        | 'verifyCpu',
        number
      >
    | undefined;
}

/** package.json "imports" next to DIST (`#noble-primitives`), resolved as Node does: `node` first. */
function packageImport(spec: string): string | null {
  const pkg = JSON.parse(readFileSync(join(DIST, '..', 'package.json'), 'utf8')) as {
    imports?: Record<string, string | Record<string, string>>;
  };
  const target = pkg.imports?.[spec];
  const path = typeof target === 'string' ? target : (target?.['node'] ?? target?.['default']);
  return path === undefined ? null : join(DIST, '..', path);
}

/**
 * What the three imports load, read from the built files: the `dist/` files (static imports, the
 * chunks included, `#…` package imports resolved with the `node` condition) and the package
 * modules they import by name (none since noble left Node's default graph).
 */
function staticGraph(): { files: number; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // static imports and re-exports only (`import … from "x"`, `import "x"`, `export … from "x"`)
    for (const m of code.matchAll(/^(?:(?:import|export)\s[^;'"]*?from\s*|import\s*)["']([^"']+)["'];?$/gm)) {
      const spec = m[1] as string;
      const mapped = spec.startsWith('#') ? packageImport(spec) : null;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else if (mapped !== null) visit(mapped);
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  for (const entry of ['index.js', 'adapters/memory.js', 'kms/index.js']) visit(join(DIST, entry));
  return { files: seen.size, packages: [...packages].sort() };
}
const graph = staticGraph();
/** The same package modules imported alone (what they cost at import, apart from keywarden's own code). */
const PACKAGES = `${graph.packages.map((p) => `await import(${JSON.stringify(p)});`).join('\n')}
const c = process.cpuUsage(); process.stdout.write(JSON.stringify({ cpu: (c.user + c.system) / 1000 }));`;

function runChild(code: string): Sample {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: DIST });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { cpu: number } & Record<string, number>;
  const { cpu, ...phases } = out;
  return { wall, cpu, phases: Object.keys(phases).length > 0 ? (phases as Sample['phases']) : undefined };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number) => `${x.toFixed(1)} ms`;

if (process.env['COLD_START_DIST'] === undefined) await ensureDist();
const bare: Sample[] = [];
const cold: Sample[] = [];
const pkgs: Sample[] = [];
runChild(BARE); // warm the file system cache for all three
runChild(CHILD);
runChild(PACKAGES);
for (let i = 0; i < RUNS; i++) {
  bare.push(runChild(BARE));
  cold.push(runChild(CHILD));
  pkgs.push(runChild(PACKAGES));
}
const wallDiff = median(cold.map((c, i) => c.wall - (bare[i] as Sample).wall));
const cpuDiff = median(cold.map((c, i) => c.cpu - (bare[i] as Sample).cpu));
const phase = (name: keyof NonNullable<Sample['phases']>) => median(cold.map((c) => c.phases?.[name] ?? 0));

console.log(
  `cold start, ${RUNS} interleaved runs, medians (${relative(ROOT, DIST) || DIST}, memory storage, localKms):`,
);
console.log(
  `  bare node -e '': ${ms(median(bare.map((b) => b.wall)))} wall, ${ms(median(bare.map((b) => b.cpu)))} CPU`,
);
console.log(
  `  keywarden:       ${ms(median(cold.map((c) => c.wall)))} wall, ${ms(median(cold.map((c) => c.cpu)))} CPU`,
);
console.log(
  `  phases, wall: import ${ms(phase('import'))}, createKeyManager ${ms(phase('manager'))}, apiKeys.create ${ms(phase('create'))}, first apiKeys.verify ${ms(phase('verify'))}`,
);
console.log(
  `  phases, CPU:  node start to first line ${ms(phase('bootCpu'))} (bare node: ${ms(median(bare.map((b) => b.cpu)))}), import ${ms(phase('importCpu'))}, createKeyManager ${ms(phase('managerCpu'))}, apiKeys.create ${ms(phase('createCpu'))}, first apiKeys.verify ${ms(phase('verifyCpu'))}`,
);
console.log(
  `  loaded by the imports: ${graph.files} dist/ files, ${graph.packages.length} package entry points (${graph.packages.join(', ') || 'none'}); those package modules alone: ${ms(median(pkgs.map((p, i) => p.cpu - (bare[i] as Sample).cpu)))} CPU over bare node`,
);
console.log(
  `  over bare node: ${ms(wallDiff)} wall (${(median(cold.map((c) => c.wall)) / median(bare.map((b) => b.wall))).toFixed(2)}x), ${ms(cpuDiff)} CPU`,
);
const withoutCreate = wallDiff - phase('create');
const cpuWithoutCreate = cpuDiff - phase('createCpu');
console.log(
  `cold start over bare node, import + createKeyManager + first verify (the create that makes its token left out): ${ms(cpuWithoutCreate)} CPU, ${ms(withoutCreate)} wall (goal <= ${GOAL_MS} ms; CPU is the figure on a loaded machine) ${cpuWithoutCreate <= GOAL_MS ? 'MET' : 'MISSED'}`,
);
