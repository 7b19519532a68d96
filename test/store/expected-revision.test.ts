/**
 * Read-modify-write across processes: with `expectedRevision`, two managers doing get → update on
 * one store lose nothing (every update either lands or fails with ERR_CONFLICT, never retried).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';

describe('expectedRevision', () => {
  it('two managers doing get → update with expectedRevision: no lost update', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const a = createKeyManager({ storage, kms: localKms({ masterKey }) });
    const b = createKeyManager({ storage, kms: localKms({ masterKey }) });
    const { key } = await a.apiKeys.create({ name: 'k', meta: { n: 0 } });
    let landed = 0;
    let conflicts = 0;
    const worker = async (km: typeof a, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const cur = await km.apiKeys.get(key.id);
        const n = (cur.meta['n'] as number) + 1;
        try {
          await km.apiKeys.update(key.id, { meta: { n } }, { expectedRevision: cur.revision });
          landed++;
        } catch (error) {
          if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
          expect(error.field).toBe('expectedRevision');
          conflicts++;
        }
      }
    };
    await Promise.all([worker(a, 60), worker(b, 60)]);
    const final = await a.apiKeys.get(key.id);
    expect(landed + conflicts).toBe(120);
    expect(final.meta['n']).toBe(landed); // every landed update counted once: none lost
    expect(final.revision).toBe(1 + landed);
    await a.close();
    await b.close();
  });

  it('a stale expectedRevision fails with ERR_CONFLICT and changes nothing; a bad one is ERR_VALIDATION', async () => {
    const storage = memoryStorage();
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    const { key } = await km.apiKeys.create({ name: 'k' });
    await km.apiKeys.update(key.id, { name: 'k2' }, { expectedRevision: key.revision });
    await expect(
      km.apiKeys.update(key.id, { name: 'k3' }, { expectedRevision: key.revision }),
    ).rejects.toMatchObject({ code: 'ERR_CONFLICT', field: 'expectedRevision' });
    expect((await km.apiKeys.get(key.id)).name).toBe('k2');
    await expect(
      km.apiKeys.update(key.id, { name: 'k3' }, { expectedRevision: 'one' as never }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    const policy = { every: '30d' } as const;
    const now = await km.apiKeys.get(key.id);
    await expect(
      km.rotator.setPolicy(key.id, policy, { expectedRevision: now.revision - 1 }),
    ).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await km.rotator.setPolicy(key.id, policy, { expectedRevision: now.revision });
    expect(await km.rotator.getPolicy(key.id)).not.toBeNull();
    await km.close();
  });
});
