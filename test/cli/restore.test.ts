/**
 * Disaster recovery in one command: `keywarden import --create backup.json` into a folder that does
 * not exist yet, under the backup's master key. And the ways it must refuse: no master key, another
 * master key, a folder that is not empty, `import` without `--create` into nothing.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { kw, oneLineError, tempDir } from './harness.js';

const T = 180_000;
let dir: string;
let cleanup: () => Promise<void>;
const masterKey = generateMasterKey();
const env = { KEYWARDEN_MASTER_KEY: masterKey };
const run = (args: string[], extra: Record<string, string> = env, input?: string) =>
  kw(args, { cwd: dir, env: extra, ...(input === undefined ? {} : { input }) });
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
let token = '';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  expect((await run(['init'])).code).toBe(0);
  expect((await run(['secrets', 'set', 'DB_PASSWORD'], env, 'hunter2-restore')).code).toBe(0);
  const created = await run(['--json', 'keys', 'create', '--name', 'ci']);
  token = (JSON.parse(created.stdout) as { token: string }).token;
  const exported = await run(['export', 'backup.json']);
  expect(exported.code).toBe(0);
}, T);
afterAll(() => cleanup());

describe('keywarden import --create', () => {
  it('restores into a folder that does not exist: secrets open and API keys verify as before', {
    timeout: T,
  }, async () => {
    const target = join(dir, 'restored', 'store');
    const r = await run(['--store', target, 'import', '--create', 'backup.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('imported: 2 created');
    const secret = await run(['--store', target, 'secrets', 'get', 'DB_PASSWORD']);
    expect(secret.code).toBe(0);
    expect(secret.stdout.trim()).toBe('hunter2-restore');
    expect((await run(['--store', target, 'keys', 'verify', token])).code).toBe(0);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    expect((await run(['--store', target, 'doctor'])).code).toBe(0);
  });

  it('without --create, a missing store is ERR_NO_STORE and nothing is created', { timeout: T }, async () => {
    const target = join(dir, 'plain-import');
    const r = await run(['--store', target, 'import', 'backup.json']);
    expect(r.code).toBe(EXIT.STORAGE);
    expect(oneLineError(r.stderr)).toMatch(/\(ERR_NO_STORE\)$/);
    expect(await exists(target)).toBe(false);
  });

  it('never mints a master key: without one it exits 4 and creates nothing', { timeout: T }, async () => {
    const target = join(dir, 'no-key');
    const r = await run(['--store', target, 'import', '--create', 'backup.json'], {});
    expect(r.code).toBe(EXIT.MASTER_KEY);
    expect(oneLineError(r.stderr)).toMatch(/\(ERR_NO_MASTER_KEY\)$/);
    expect(await exists(target)).toBe(false);
  });

  it('under another master key the sealed bundle is refused and the new store is removed again', {
    timeout: T,
  }, async () => {
    const target = join(dir, 'wrong-key');
    const r = await run(['--store', target, 'import', '--create', 'backup.json'], {
      KEYWARDEN_MASTER_KEY: generateMasterKey(),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain(masterKey);
    expect(await exists(target)).toBe(false);
  });

  it('refuses a folder that is not empty (exit 6) and leaves it untouched', { timeout: T }, async () => {
    const target = join(dir, 'occupied');
    await mkdir(target, { mode: 0o700 });
    await writeFile(join(target, 'notes.txt'), 'mine');
    const r = await run(['--store', target, 'import', '--create', 'backup.json']);
    expect(r.code).toBe(EXIT.CONFLICT);
    expect(await readdir(target)).toEqual(['notes.txt']);
    // and the existing store is never "created" over either
    const again = await run(['import', '--create', 'backup.json']);
    expect(again.code).toBe(EXIT.CONFLICT);
  });
});
