import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { trustedStorage } from '../support/trusted-storage.js';
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

describe('doctor: an API key whose key.created event never committed', () => {
  it('is reported, and --repair revokes it (with a key.revoked event)', { timeout: T }, async () => {
    expect((await run(['keys', 'create', '--name', 'audited'])).code).toBe(0);
    expect((await run(['doctor'])).stdout).toMatch(/ok +audited API keys/);

    // what a process killed between the record write and the audit write leaves behind
    // (a record keywarden wrote: through a manager's guarded storage, so it carries its MAC)
    const km = createKeyManager({
      storage: fileStorage({ dir: join(dir, '.keywarden') }),
      kms: localKms({ masterKey: env.KEYWARDEN_MASTER_KEY }),
    });
    const storage = trustedStorage(km);
    const [existing] = (await storage.list({ limit: 10, kind: 'api_key' })).items;
    const orphanId = 'orphan000001';
    await storage.create({ ...existing!, id: orphanId, name: 'orphan' });
    await km.close();

    const report = await run(['doctor']);
    expect(report.code).toBe(EXIT.FAILED);
    expect(report.stdout).toMatch(
      /FAIL +audited API keys: 1 active API key\(s\) without a key.created event.*orphan000001/,
    );

    const repaired = await run(['doctor', '--repair']);
    expect(repaired.stdout).toMatch(/ok +audited API keys: revoked 1 API key\(s\).*orphan000001/);
    expect(repaired.code).toBe(0);
    const after = fileStorage({ dir: join(dir, '.keywarden') });
    expect((await after.get(orphanId))?.status).toBe('revoked');
    const events = (await after.listAudit({ limit: 100, keyId: orphanId })).items.map((e) => e.type);
    expect(events).toStrictEqual(['key.revoked']);
    await after.close?.();
    expect((await run(['doctor'])).code).toBe(0);
  });
});
