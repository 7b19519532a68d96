import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import type { StoredRecord } from '../../src/ports/storage.js';
import { kw, tempDir } from './harness.js';

const T = 120_000;
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[]) => kw(args, { cwd: dir, env });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  if ((await run(['init'])).code !== 0) throw new Error('init failed');
}, T);
afterAll(() => cleanup());

describe('CLI: integrity', () => {
  it('audit checkpoint --out, audit verify --checkpoint, upgrade --dry-run, doctor on a tampered record', {
    timeout: T,
  }, async () => {
    expect((await run(['keys', 'create', '--name', 'ci'])).code).toBe(0);
    const file = join(dir, 'checkpoint.json');
    expect((await run(['audit', 'checkpoint', '--out', file])).code).toBe(0);
    const checkpoint = JSON.parse(await readFile(file, 'utf8')) as { seq: number; signature: string };
    expect(checkpoint.seq).toBeGreaterThan(0);
    const verified = await run(['audit', 'verify', '--checkpoint', file]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/ok/);

    const dry = await run(['upgrade', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would seal 0 of 1 record\(s\); 1 already sealed/);

    const healthy = await run(['doctor']);
    expect(healthy.stdout).toMatch(/ok +store integrity: 1 records pass their MAC.*audit checkpoint/);

    // a store writer widens the key's scopes
    const storage = fileStorage({ dir: join(dir, '.keywarden') });
    const [r] = (await storage.list({ limit: 10, kind: 'api_key' })).items as StoredRecord[];
    await storage.update(
      { ...r!, data: { ...r!.data, scopes: ['admin'] }, revision: r!.revision + 1 },
      { expectedRevision: r!.revision },
    );
    await storage.close?.();
    const report = await run(['doctor']);
    expect(report.code).toBe(EXIT.FAILED);
    expect(report.stdout).toMatch(
      new RegExp(`FAIL +store integrity: 1 record\\(s\\) altered in the store: ${r!.id} \\(MAC fails\\)`),
    );
  });
});
