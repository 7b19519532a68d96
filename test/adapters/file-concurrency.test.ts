/**
 * Two processes write to one file store at once: their own records, compare-and-swap increments of
 * one shared record, and audit events. Nothing may be lost and CAS must hold.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import type { AuditEvent } from '../../src/ports/storage.js';
import { chainProblem, crashRecord } from '../support/file-crash-model.js';

const COUNT = 60;
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((d) => rm(d, { recursive: true, force: true })));
});

function runWriter(dir: string, tag: string): Promise<{ out: string; err: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/file-writer-child.ts', 'concurrent', dir, tag, String(COUNT)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ out, err, code })));
}

describe('fileStorage shared by two processes', () => {
  it('loses nothing and keeps compare-and-swap', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kw-two-'));
    roots.push(root);
    const dir = join(root, 'store');
    const setup = fileStorage({ dir, create: true });
    await setup.create({ ...crashRecord('shared', 1, 0), data: { count: 0 } });
    await setup.close();

    const [a, b] = await Promise.all([runWriter(dir, 'A'), runWriter(dir, 'B')]);
    expect(a.out, a.err).toMatch(/^DONE /);
    expect(b.out, b.err).toMatch(/^DONE /);
    const conflicts =
      (JSON.parse(a.out.slice(5)) as { conflicts: number }).conflicts +
      (JSON.parse(b.out.slice(5)) as { conflicts: number }).conflicts;

    const s = fileStorage({ dir, create: true });
    const shared = await s.get('shared');
    expect(shared?.data['count']).toBe(2 * COUNT);
    expect(shared?.revision).toBe(2 * COUNT + 1);
    for (const tag of ['A', 'B']) {
      for (let i = 0; i < COUNT; i++) {
        expect(await s.get(`${tag}-${i}`)).toEqual(
          JSON.parse(JSON.stringify(crashRecord(`${tag}-${i}`, 1, i))),
        );
      }
    }
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.listAudit(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
      events.push(...page.items);
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(events).toHaveLength(2 * COUNT);
    expect(chainProblem(events)).toBeNull();
    await s.close();
    console.log(`two writers: ${2 * COUNT} CAS increments kept, ${conflicts} conflicts retried`);
  }, 120_000);
});
