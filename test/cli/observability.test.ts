/**
 * `keywarden audit export` and `keywarden rotate report` through the real CLI. The history (a manual
 * rotation, a failed provider rotation, a key whose schedule is due) is made by a library script
 * whose clock is two days behind, never by waiting.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { AUDIT_CSV_COLUMNS, type RotationReport } from '../../src/observability/index.js';
import type { AuditEvent } from '../../src/ports/storage.js';
import { kw, oneLineError, runNode, tempDir, writeLibraryScript } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[]) => kw(args, { cwd: dir, env });
let ids: { stale: string; signer: string; down: string };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
  const script = await writeLibraryScript(
    dir,
    'seed.mts',
    `const { key } = await km.apiKeys.create({ name: 'stale, "quoted"', expiresIn: null });
await km.rotator.setPolicy(key.id, { every: '1d' });
const signer = await km.keys.create({ name: 'signer', type: 'ed25519' });
await km.rotator.rotate(signer.id, { strategy: 'immediate' });
km.rotator.registerProvider('down', { async create() { throw new Error('provider down'); } });
const down = await km.secrets.set('DOWN', 'v', { provider: 'down' });
await km.rotator.rotate(down.id).catch(() => undefined);
await km.close();
console.log(JSON.stringify({ stale: key.id, signer: signer.id, down: down.id }));
`,
    { prelude: 'const past = Date.now() - 2 * 86_400_000;', clock: '{ now: () => past }' },
  );
  const seeded = await runNode(script, [], { cwd: dir, env });
  if (seeded.code !== 0) throw new Error(seeded.stderr);
  ids = JSON.parse(seeded.stdout.trim()) as typeof ids;
}, T);
afterAll(() => cleanup());

describe('keywarden rotate report', () => {
  it('lists what rotated, failed and is due per kind, as JSON, and exits 1 on a failure', {
    timeout: T,
  }, async () => {
    const r = await run(['--json', 'rotate', 'report']);
    expect(r.code).toBe(EXIT.FAILED);
    const report = JSON.parse(r.stdout) as RotationReport;
    expect(report.byKind).toEqual({
      api_key: { rotated: 0, failed: 0, due: 1 },
      secret: { rotated: 0, failed: 1, due: 1 }, // the failed rotation's retry is due
      key: { rotated: 1, failed: 0, due: 0 },
    });
    expect(report.rotated).toEqual([
      expect.objectContaining({ id: ids.signer, kind: 'key', version: 2, previousVersion: 1, manual: true }),
    ]);
    expect(report.failed).toEqual([
      expect.objectContaining({ id: ids.down, kind: 'secret', code: 'ERR_ROTATION' }),
    ]);
    expect(report.due.map((d) => d.id).sort()).toEqual([ids.stale, ids.down].sort());
    expect(report.truncated).toBe(false);
  });

  it('prints a per-kind table and the three lists as text', { timeout: T }, async () => {
    const r = await run(['rotate', 'report']);
    expect(r.code).toBe(EXIT.FAILED);
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KIND\s+ROTATED\s+FAILED\s+DUE$/),
        expect.stringMatching(/^api_key\s+0\s+0\s+1$/),
        expect.stringMatching(/^secret\s+0\s+1\s+1$/),
        expect.stringMatching(/^key\s+1\s+0\s+0$/),
        'rotated:',
        'failed:',
        'due:',
      ]),
    );
    expect(r.stdout).toContain(ids.stale);
    expect(r.stdout).toContain('1 -> 2');
  });

  it('a window after the history has nothing rotated or failed (exit 0); bad flags are usage errors', {
    timeout: T,
  }, async () => {
    const r = await run(['--json', 'rotate', 'report', '--since', '1d']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RotationReport;
    expect(report.rotated).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.byKind.api_key.due).toBe(1);
    const bad = await run(['rotate', 'report', '--since', 'soon']);
    expect(bad.code).toBe(EXIT.USAGE);
    expect(oneLineError(bad.stderr)).toContain('--since');
  });

  it('leaves `rotate --due` as it was', { timeout: T }, async () => {
    const r = await run(['--json', 'rotate', '--due', '--dry-run']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { planned: { id: string }[] }).planned.map((p) => p.id)).toContain(
      ids.stale,
    );
  });
});

describe('keywarden audit export', () => {
  const listAll = async () =>
    JSON.parse((await run(['--json', 'audit', 'list', '--limit', '100000'])).stdout) as AuditEvent[];

  it('streams CSV to stdout: the fixed header and one record per event', { timeout: T }, async () => {
    const events = await listAll();
    const r = await run(['audit', 'export', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    // every record ends with CRLF; no field here holds a line break, so records are lines
    const records = r.stdout.split('\r\n').slice(1, -1);
    expect(records).toHaveLength(events.length);
    expect(records.map((l) => Number(l.split(',')[0]))).toEqual(events.map((e) => e.seq));
    expect(r.stderr).toBe('');
  });

  it('writes JSON Lines to --out atomically with mode 0600, filtered by --from/--to/--type', {
    timeout: T,
  }, async () => {
    const events = await listAll();
    const file = join(dir, 'audit.jsonl');
    const r = await run(['audit', 'export', '--format', 'jsonl', '--out', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as AuditEvent)).toEqual(events);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.partial'))).toEqual([]);

    const rotated = await run(['audit', 'export', '--format', 'jsonl', '--type', 'key.rotated']);
    expect(rotated.stdout.trimEnd().split('\n')).toHaveLength(1);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const none = await run(['audit', 'export', '--format', 'csv', '--from', future]);
    expect(none.stdout).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    const old = await run(['audit', 'export', '--format', 'jsonl', '--to', future]);
    expect(old.stdout.trimEnd().split('\n')).toHaveLength(events.length);
  });

  it('refuses a missing or unknown format and a bad date (exit 2), writing no file', {
    timeout: T,
  }, async () => {
    for (const args of [[], ['--format', 'xml'], ['--format', 'csv', '--from', 'yesterday']]) {
      const r = await run(['audit', 'export', ...args, '--out', join(dir, 'bad.csv')]);
      expect(r.code).toBe(EXIT.USAGE);
      expect(oneLineError(r.stderr)).toMatch(/--format|--from/);
    }
    expect((await readdir(dir)).filter((f) => f.startsWith('bad.csv') || f.endsWith('.partial'))).toEqual([]);
  });
});
