/**
 * `await using` on the manager: leaving the block closes storage and KMS, flushes usage, and
 * every later call is ERR_CLOSED; a throw inside the block still closes it.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import { expectKw, wrapStorage } from './api-keys-helpers.js';

function tracked() {
  const closed: string[] = [];
  const storage = wrapStorage(memoryStorage(), { close: async () => void closed.push('storage') });
  return { closed, storage };
}

describe('km[Symbol.asyncDispose]', () => {
  it('is the well-known symbol and closes the manager once, like close()', async () => {
    const { closed, storage } = tracked();
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    expect(typeof km[Symbol.asyncDispose]).toBe('function');
    await km[Symbol.asyncDispose]();
    await km.close();
    expect(closed).toEqual(['storage']);
    await expectKw(() => km.apiKeys.list(), 'ERR_CLOSED');
  });

  it('`await using` closes the manager when the block exits, flushing usage first', async () => {
    const { closed, storage } = tracked();
    let escaped: KeyManager | undefined;
    let keyId = '';
    {
      await using km = createKeyManager({
        storage,
        kms: localKms({ masterKey: generateMasterKey() }),
        usage: { flushInterval: 0 },
      });
      escaped = km;
      const { token, key } = await km.apiKeys.create({ name: 'ci' });
      keyId = key.id;
      expect((await km.apiKeys.verify(token)).valid).toBe(true);
      expect(closed).toEqual([]);
    }
    expect(closed).toEqual(['storage']);
    await expectKw(() => escaped!.apiKeys.get(keyId), 'ERR_CLOSED');
    // the use counted in memory reached storage on dispose
    const stored = await storage.get(keyId);
    expect(stored?.data['lastUsedAt']).toBeTypeOf('number');
    expect(stored?.versions[0]?.data).toMatchObject({ uses: 1 });
  });

  it('a throw inside the block still closes the manager, and the error is the one thrown', async () => {
    const { closed, storage } = tracked();
    const run = async () => {
      await using km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
      await km.ready();
      throw new Error('boom');
    };
    await expect(run()).rejects.toThrow('boom');
    expect(closed).toEqual(['storage']);
  });
});
