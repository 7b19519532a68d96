import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { fileStorage } from '../../src/adapters/file.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { runAccessScenario } from './scenario.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('agent access scenario', () => {
  it('memory storage', async () => {
    const { km, clock, storage } = createTestKeyManager({ storage: memoryStorage() });
    await runAccessScenario(km, clock, storage);
    await km.close();
  });

  it('memory storage, in a tenant', async () => {
    const { km, clock, storage } = createTestKeyManager({ storage: memoryStorage() });
    await runAccessScenario(km, clock, storage, 'acme');
    await km.close();
  });

  it('file storage (and the records survive a reopen)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kw-access-'));
    dirs.push(dir);
    const masterKey = generateMasterKey();
    const { km, clock, storage } = createTestKeyManager({
      storage: fileStorage({ dir, create: true }),
      kms: localKms({ masterKey }),
    });
    await runAccessScenario(km, clock, storage);
    await km.close();
    const reopened = createTestKeyManager({ storage: fileStorage({ dir }), kms: localKms({ masterKey }) });
    const access = agentAccess(reopened.km);
    expect((await access.sessions.list()).items.map((s) => s.status).sort()).toEqual([
      'exhausted',
      'revoked',
    ]);
    expect((await access.tools.get('stripe')).upstream.origin).toBe('https://api.stripe.com');
    await reopened.km.close();
  });
});
