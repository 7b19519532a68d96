/**
 * A store writer puts a malformed record into the file store (a checksummed log line, as the
 * adapter itself would write it), then the public API and the CLI read it. Every path refuses it
 * with ERR_INTEGRITY naming the record id: never a raw TypeError, never doctor's "bug" exit 10.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLine } from '../../src/adapters/file/format.js';
import { fileStorage } from '../../src/adapters/file.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import type { StoredRecord } from '../../src/ports/storage.js';
import { kw, tempDir } from '../cli/harness.js';

const T = 120_000;
let dir: string;
let cleanup: () => Promise<void>;
const masterKey = generateMasterKey();
const storeDir = () => join(dir, '.keywarden');
const open = (): KeyManager =>
  createKeyManager({ storage: fileStorage({ dir: storeDir() }), kms: localKms({ masterKey }) });

/** The attack: append a `put` of `record` to the log, numbered like the adapter numbers them. */
async function writeRecord(record: unknown): Promise<void> {
  const log = await readFile(join(storeDir(), 'log'), 'utf8');
  const entries = log.trimEnd().split('\n').length - 1; // minus the header
  await appendFile(join(storeDir(), 'log'), encodeLine({ n: entries + 1, op: 'put', r: record }));
}

async function codeAndMessage(run: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run;
    return { code: 'none', message: '' };
  } catch (e) {
    if (!isKeywardenError(e)) return { code: `raw ${(e as Error).name}`, message: String(e) };
    return { code: e.code, message: e.message };
  }
}

let token = '';
let keyId = '';
let secretId = '';

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('kw-malformed-'));
  expect((await kw(['init'], { cwd: dir, env: { KEYWARDEN_MASTER_KEY: masterKey } })).code).toBe(0);
  const km = open();
  const created = await km.apiKeys.create({ name: 'victim' });
  token = created.token;
  keyId = created.key.id;
  secretId = (await km.secrets.set('DB_URL', 'postgres://secret')).id;
  await km.close();
}, T);
afterAll(() => cleanup());

describe('a malformed stored record', () => {
  const variants: [string, (r: StoredRecord) => unknown][] = [
    ['versions: null', (r) => ({ ...r, versions: null })],
    ['a version that is a string', (r) => ({ ...r, versions: ['v1'] })],
    ['status outside the union', (r) => ({ ...r, status: 'superuser' })],
    ['tags: a string', (r) => ({ ...r, tags: 'admin' })],
    ['version number -1', (r) => ({ ...r, versions: r.versions.map((v) => ({ ...v, version: -1 })) })],
    ['data: null', (r) => ({ ...r, data: null })],
  ];

  for (const [what, mutate] of variants) {
    it(`${what}: verify, get and list refuse it with ERR_INTEGRITY naming the id`, async () => {
      // read the stored form straight from a raw adapter (no manager in between)
      const raw = fileStorage({ dir: storeDir() });
      const stored = (await raw.get(keyId)) as StoredRecord;
      await raw.close();
      await writeRecord({ ...(mutate(stored) as object), revision: stored.revision });

      const km = open();
      for (const run of [
        km.apiKeys.verify(token),
        km.apiKeys.get(keyId),
        km.apiKeys.list(),
        km.apiKeys.revoke(keyId),
      ]) {
        const r = await codeAndMessage(run);
        expect(r.code).toBe('ERR_INTEGRITY');
        expect(r.message).toContain(keyId);
      }
      await km.close();
      await writeRecord(stored); // put the good record back for the next variant
      const fixed = open();
      expect((await fixed.apiKeys.verify(token)).valid).toBe(true);
      await fixed.close();
    });
  }

  it('a secret with versions: null is ERR_INTEGRITY on get, and the value is not returned', async () => {
    const raw = fileStorage({ dir: storeDir() });
    const stored = (await raw.get(secretId)) as StoredRecord;
    await raw.close();
    await writeRecord({ ...stored, versions: null });
    const km = open();
    const r = await codeAndMessage(km.secrets.get('DB_URL'));
    expect(r.code).toBe('ERR_INTEGRITY');
    expect(r.message).toContain(secretId);
    expect(r.message).not.toContain('postgres://secret');
    await km.close();
    await writeRecord(stored);
  });

  it('doctor names the record and exits 5 (storage), not 10 (a bug)', { timeout: T }, async () => {
    const raw = fileStorage({ dir: storeDir() });
    const stored = (await raw.get(keyId)) as StoredRecord;
    await raw.close();
    await writeRecord({ ...stored, versions: null });
    const doctor = await kw(['doctor'], { cwd: dir, env: { KEYWARDEN_MASTER_KEY: masterKey } });
    expect(doctor.code).toBe(EXIT.STORAGE);
    expect(doctor.stdout).toMatch(
      new RegExp(`FAIL .*stored record ${keyId} is malformed at versions .*\\(ERR_INTEGRITY\\)`),
    );
    const verify = await kw(['keys', 'verify', token], {
      cwd: dir,
      env: { KEYWARDEN_MASTER_KEY: masterKey },
    });
    expect(verify.code).toBe(EXIT.STORAGE);
    expect(verify.stderr).toContain('ERR_INTEGRITY');
    expect(verify.stderr).not.toContain('TypeError');
    await writeRecord(stored);
  });
});
