/**
 * kill -9 test: child processes write continuously to one file store (creates, updates, deletes,
 * audit appends, metadata CAS, compactions every few dozen entries) and are SIGKILLed at random
 * moments, 4 at a time, at least 200 kills (`KW_CRASH_ROUNDS` rounds of 4, default 50). Each child is
 * killed after a random number of acknowledged writes (0-15) plus 0-20 ms, or, for a quarter of the
 * compaction attempts, while it compacts (spotted by its temporary snapshot appearing), or 15% of the time
 * while it opens the store. One directory is reused, so the store accumulates. After each round the
 * store is opened by a fresh adapter and checked exactly against every acknowledged write.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import type { AuditEvent, StoredRecord } from '../../src/ports/storage.js';
import { type CrashOp, chainProblem, crashEvent, crashRecord } from '../support/file-crash-model.js';

const ROUNDS = Number(process.env.KW_CRASH_ROUNDS ?? 50);
const CHILDREN = 4;
const RECORDS_PER_SLOT = 10;
const META_PER_SLOT = 3;

interface ChildRun {
  slot: string;
  acked: CrashOp[];
  pending: CrashOp | null;
  killed: boolean;
  error: string | null;
}

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * Spawns a child that waits for `start()` before it opens the store, so the next round's children
 * boot (node + tsx) while this round runs.
 */
interface Spawned {
  pid: number | undefined;
  start(): void;
  kill(): void;
  done: Promise<ChildRun>;
}

function spawnChild(dir: string, slot: string, seed: number): Spawned {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/file-writer-child.ts', 'crash', dir, slot, String(seed)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const run: ChildRun = { slot, acked: [], pending: null, killed: false, error: null };
  let out = '';
  let err = '';
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) {
      run.killed = child.kill('SIGKILL');
    }
  };
  // The kill moment: after a random number (0..15) of acknowledged writes, a random 0-20 ms later,
  // so it lands anywhere in the next write (lock, append, fsync, compaction) whatever the machine's load.
  const killAfterAcks = Math.floor(Math.random() * 16);
  let acks = 0;
  let armed = false;
  const arm = (): void => {
    if (armed) return;
    armed = true;
    setTimeout(kill, Math.random() * 20);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    out += text;
    if (out.startsWith('R\n')) {
      for (const line of text.split('\n')) if (line === 'A') acks++;
      if (acks >= killAfterAcks) arm();
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const start = (): void => {
    child.stdin?.write('go\n');
    setTimeout(kill, 20_000).unref(); // a stalled child still dies
    // 15% of kills land while the child opens the store (repairs, stale locks); the rest while writing.
    if (Math.random() < 0.15) setTimeout(kill, Math.random() * 60);
  };
  const done = new Promise<ChildRun>((resolve) => {
    child.on('exit', () => {
      const lines = out.split('\n');
      lines.pop(); // an unterminated last line is not a report
      for (const line of lines) {
        if (line.startsWith('I ')) run.pending = JSON.parse(line.slice(2)) as CrashOp;
        else if (line === 'A' && run.pending) {
          run.acked.push(run.pending);
          run.pending = null;
        } else if (line.startsWith('ERROR')) run.error = line;
      }
      if (!run.killed && !run.error) run.error = `child exited by itself: ${err.slice(0, 500)}`;
      resolve(run);
    });
  });
  return { pid: child.pid, start, kill, done };
}

/** What the test knows is in the store. */
class Model {
  records = new Map<string, { rev: number; v: number }>();
  events = new Set<string>();
  meta = new Map<string, string>();

  apply(op: CrashOp): void {
    if (op.op === 'create') this.records.set(op.id, { rev: 1, v: op.v });
    else if (op.op === 'update') this.records.set(op.id, { rev: op.rev, v: op.v });
    else if (op.op === 'delete') this.records.delete(op.id);
    else if (op.op === 'audit') for (const id of op.ids) this.events.add(id);
    else this.meta.set(op.k, op.val);
  }

  expected(id: string): StoredRecord | null {
    const r = this.records.get(id);
    return r ? crashRecord(id, r.rev, r.v) : null;
  }
}

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

async function verify(dir: string, model: Model, runs: ChildRun[]): Promise<{ adopted: number }> {
  const s = fileStorage({ dir, create: true });
  await s.init();
  let adopted = 0;
  const pendings = runs.map((r) => r.pending).filter((p): p is CrashOp => p !== null);
  // Records: exactly the acknowledged state, or the state after the one write in flight.
  for (let slot = 0; slot < CHILDREN; slot++) {
    for (let j = 0; j < RECORDS_PER_SLOT; j++) {
      const id = `s${slot}r${j}`;
      const got = await s.get(id);
      const want = model.expected(id);
      if (JSON.stringify(copy(got)) === JSON.stringify(copy(want))) continue;
      const p = pendings.find((o) => 'id' in o && o.id === id);
      const alt = new Model();
      alt.records = new Map(model.records);
      if (p) alt.apply(p);
      expect(copy(got), `record ${id}`).toEqual(copy(alt.expected(id)));
      model.apply(p as CrashOp);
      adopted++;
    }
  }
  let all: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    all = all.concat(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  expect(all.map((r) => r.id).sort()).toEqual([...model.records.keys()].sort());

  // Audit: one valid chain holding every acknowledged event, plus at most the in-flight ones.
  let events: AuditEvent[] = [];
  cursor = undefined;
  do {
    const page = await s.listAudit(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    events = events.concat(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  expect(chainProblem(events)).toBeNull();
  const inStore = new Set(events.map((e) => e.id));
  for (const id of model.events) expect(inStore.has(id), `acknowledged event ${id}`).toBe(true);
  const pendingIds = new Set(pendings.flatMap((p) => (p.op === 'audit' ? p.ids : [])));
  for (const e of events) {
    if (!model.events.has(e.id)) {
      expect(pendingIds.has(e.id), `unknown event ${e.id}`).toBe(true);
      model.events.add(e.id);
      adopted++;
    }
    const { seq: _s, prevHash: _p, hash: _h, ...input } = e;
    expect(input).toEqual(crashEvent(e.id));
  }
  // Metadata.
  for (let slot = 0; slot < CHILDREN; slot++) {
    for (let j = 0; j < META_PER_SLOT; j++) {
      const k = `s${slot}m${j}`;
      const got = await s.getMeta(k);
      if (got === (model.meta.get(k) ?? null)) continue;
      const p = pendings.find((o) => o.op === 'meta' && o.k === k);
      expect(p && p.op === 'meta' ? p.val : undefined, `meta ${k}`).toBe(got);
      model.apply(p as CrashOp);
      adopted++;
    }
  }
  await s.close();
  return { adopted };
}

describe('fileStorage survives SIGKILL', () => {
  it(`keeps every acknowledged write through ${ROUNDS * CHILDREN} kills`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'kw-crash-'));
    roots.push(root);
    const dir = join(root, 'store');
    const model = new Model();
    let kills = 0;
    let acked = 0;
    let adopted = 0;
    const leftovers = new Set<string>();
    const spawnRound = (round: number) =>
      Array.from({ length: CHILDREN }, (_, slot) => spawnChild(dir, String(slot), round * 100 + slot + 1));
    // Two rounds boot ahead: booting node + tsx is most of the cost on a 2-core machine.
    const ahead = [spawnRound(0), ...(ROUNDS > 1 ? [spawnRound(1)] : [])];
    // A quarter of the compaction attempts are interrupted on purpose: when a compaction's temporary snapshot
    // appears, kill the process that owns it (its pid is in the name) somewhere in the compaction.
    await mkdir(dir, { mode: 0o700 });
    let byPid = new Map<number, Spawned>();
    let compactionKills = 0;
    const watcher = watch(dir, (_event, name) => {
      if (typeof name !== 'string' || !name.startsWith('snapshot.') || !name.endsWith('.tmp')) return;
      const owner = byPid.get(Number(name.split('.')[2]));
      if (owner && Math.random() < 0.25) {
        byPid.delete(Number(name.split('.')[2]));
        setTimeout(owner.kill, Math.random() * 3);
        compactionKills++;
      }
    });
    for (let round = 0; round < ROUNDS; round++) {
      const current = ahead.shift() as ReturnType<typeof spawnRound>;
      byPid = new Map(current.map((c) => [c.pid ?? -1, c]));
      for (const c of current) c.start();
      if (round + 2 < ROUNDS) ahead.push(spawnRound(round + 2));
      const runs = await Promise.all(current.map((c) => c.done));
      for (const r of runs) {
        expect(r.error, `round ${round} slot ${r.slot}`).toBeNull();
        if (r.killed) kills++;
        for (const op of r.acked) model.apply(op);
        acked += r.acked.length;
      }
      for (const n of await readdir(dir))
        if (n.startsWith('snapshot.') && n.endsWith('.tmp')) leftovers.add(n);
      adopted += (await verify(dir, model, runs)).adopted;
    }
    watcher.close();
    const header = (await readFile(join(dir, 'log'), 'utf8')).split('\n')[0] ?? '';
    const generation = (JSON.parse(header.slice(17)) as { gen: number }).gen;
    console.log(
      `file crash test: ${kills} kills, ${acked} acknowledged writes verified, ${adopted} in-flight writes ` +
        `found applied, ${generation - 1} compactions completed, ${compactionKills} kills aimed into a ` +
        `compaction (${leftovers.size} left a temporary snapshot behind)`,
    );
    expect(kills).toBeGreaterThanOrEqual(200);
    expect(generation).toBeGreaterThan(5);
  }, 240_000);
});
