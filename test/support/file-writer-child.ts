/**
 * Child process for the file adapter's crash and concurrency tests.
 *
 *   crash DIR SLOT SEED        waits for a line on stdin, then writes forever on the records/meta of SLOT; prints `R` when open,
 *                              `I <op json>` before each write and `A` once it is acknowledged.
 *   concurrent DIR TAG COUNT   creates COUNT own records, CAS-increments the shared record
 *                              `shared` COUNT times, appends COUNT audit events; prints `DONE`.
 */
import { writeSync } from 'node:fs';
import { fileStorage } from '../../src/adapters/file.js';
import { isKeywardenError } from '../../src/errors.js';
import { type CrashOp, crashEvent, crashRecord } from './file-crash-model.js';

/** Writes a whole line to stdout synchronously (so a line is out before the next write starts). */
function say(line: string): void {
  const buf = Buffer.from(`${line}\n`, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EAGAIN') throw error;
    }
  }
}

/** A small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const RECORDS_PER_SLOT = 10;
export const META_PER_SLOT = 3;

/** Resolves at the first line on stdin (the parent pre-spawns children and starts them later). */
function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
  });
}

async function crash(dir: string, slot: string, seed: number): Promise<void> {
  const random = rng(seed);
  await waitForGo();
  // what is checked is every acknowledged write surviving SIGKILL, not how long a writer waits for
  // the lock: a sibling starved of CPU on a loaded CI machine (the whole suite runs beside this)
  // held it past the default 10 s twice, so the children wait up to a minute
  const s = fileStorage({ dir, create: true, compactAfter: 20, lockTimeout: 60_000 });
  await s.init();
  // Learn this slot's state from the store (an earlier child of the slot was killed mid-way).
  const revs = new Map<string, number>();
  const ids = Array.from({ length: RECORDS_PER_SLOT }, (_, j) => `s${slot}r${j}`);
  for (const id of ids) {
    const r = await s.get(id);
    if (r) revs.set(id, r.revision);
  }
  const metaKeys = Array.from({ length: META_PER_SLOT }, (_, j) => `s${slot}m${j}`);
  const metas = new Map<string, string | null>();
  for (const k of metaKeys) metas.set(k, await s.getMeta(k));
  say('R');
  let counter = 0;
  for (;;) {
    const x = random();
    const id = ids[Math.floor(random() * ids.length)] as string;
    const rev = revs.get(id);
    const v = Math.floor(random() * 4);
    let op: CrashOp;
    if (x < 0.15) {
      const n = 1 + Math.floor(random() * 3);
      op = { op: 'audit', ids: Array.from({ length: n }, () => `s${slot}-${process.pid}-${counter++}`) };
    } else if (x < 0.25) {
      const k = metaKeys[Math.floor(random() * metaKeys.length)] as string;
      op = { op: 'meta', k, val: `${process.pid}-${counter++}` };
    } else if (rev === undefined) {
      op = { op: 'create', id, v };
    } else if (x < 0.33) {
      op = { op: 'delete', id };
    } else {
      op = { op: 'update', id, rev: rev + 1, v };
    }
    say(`I ${JSON.stringify(op)}`);
    switch (op.op) {
      case 'create':
        await s.create(crashRecord(op.id, 1, op.v));
        revs.set(op.id, 1);
        break;
      case 'update':
        await s.update(crashRecord(op.id, op.rev, op.v), { expectedRevision: op.rev - 1 });
        revs.set(op.id, op.rev);
        break;
      case 'delete':
        await s.delete(op.id, { expectedRevision: rev as number });
        revs.delete(op.id);
        break;
      case 'audit':
        await s.appendAudit(op.ids.map(crashEvent));
        break;
      case 'meta':
        await s.setMeta(op.k, op.val, { expected: metas.get(op.k) ?? null });
        metas.set(op.k, op.val);
        break;
    }
    say('A');
  }
}

async function concurrent(dir: string, tag: string, count: number): Promise<void> {
  const s = fileStorage({ dir, create: true, compactAfter: 25 });
  let conflicts = 0;
  for (let i = 0; i < count; i++) {
    await s.create(crashRecord(`${tag}-${i}`, 1, i));
    for (;;) {
      const shared = await s.get('shared');
      if (!shared) throw new Error('shared record missing');
      const n = (shared.data['count'] as number) + 1;
      try {
        await s.update(
          { ...shared, revision: shared.revision + 1, data: { ...shared.data, count: n, [`last`]: tag } },
          { expectedRevision: shared.revision },
        );
        break;
      } catch (error) {
        if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
        conflicts++;
      }
    }
    await s.appendAudit([crashEvent(`${tag}-e${i}`)]);
  }
  await s.close();
  say(`DONE ${JSON.stringify({ conflicts })}`);
}

const [mode, dir, a, b] = process.argv.slice(2);
const main =
  mode === 'crash'
    ? crash(dir as string, a as string, Number(b))
    : concurrent(dir as string, a as string, Number(b));
main.catch((error: unknown) => {
  const code = isKeywardenError(error) ? error.code : 'unexpected';
  const cause = error instanceof Error && error.cause instanceof Error ? ` cause: ${error.cause.stack}` : '';
  say(
    `ERROR ${code} ${error instanceof Error ? error.message : String(error)}${cause}`.replace(/\n/g, ' | '),
  );
  process.exit(1);
});
