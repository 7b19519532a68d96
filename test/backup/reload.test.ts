/**
 * `km.backup.import` into an empty store adopts the bundle's store id and pepper; the manager
 * reloads its cached store state, so the same `km` keeps working (no reopen needed).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';

function manager(storage: StorageAdapter, masterKey: string) {
  return createKeyManager({ storage, kms: localKms({ masterKey }), defaults: { expiresIn: null } });
}

async function seeded(masterKey: string) {
  const km = manager(memoryStorage(), masterKey);
  const { token } = await km.apiKeys.create({ name: 'billing', scopes: ['read'] });
  await km.secrets.set('OPENAI_API_KEY', 'sk-first');
  await km.secrets.set('OPENAI_API_KEY', 'sk-second');
  await km.keys.create({ name: 'jwt', type: 'ed25519' });
  const signature = await km.keys.sign('jwt', 'payload');
  return { km, token, signature };
}

describe('km.backup.import reloads the manager after adopting an identity', () => {
  it('sealed bundle into an empty store: the same km verifies, reads, and writes values that reopen', async () => {
    const masterKey = generateMasterKey();
    const source = await seeded(masterKey);
    const bundle = await source.km.backup.export();

    const storage = memoryStorage();
    const km = manager(storage, masterKey);
    await km.ready(); // store id and pepper of the empty store are cached now
    const report = await km.backup.import(bundle);
    expect(report).toMatchObject({ created: 3, adoptedIdentity: true, reopenRequired: false });

    // the same manager, without reopening
    expect(await km.apiKeys.verify(source.token, { scopes: ['read'] })).toMatchObject({ valid: true });
    expect(await km.secrets.get('OPENAI_API_KEY')).toBe('sk-second');
    expect(await km.secrets.get('OPENAI_API_KEY', { version: 1 })).toBe('sk-first');
    expect(await km.keys.verify('jwt', 'payload', source.signature)).toBe(true);
    await km.secrets.set('NEW_SECRET', 'written-after-import');
    const { token: newToken } = await km.apiKeys.create({ name: 'new' });
    expect((await km.apiKeys.verify(newToken)).valid).toBe(true);
    await km.close();

    const reopened = manager(storage, masterKey);
    expect(await reopened.secrets.get('NEW_SECRET')).toBe('written-after-import');
    expect((await reopened.apiKeys.verify(newToken)).valid).toBe(true);
    expect((await reopened.apiKeys.verify(source.token)).valid).toBe(true);
    expect(await reopened.audit.verify()).toMatchObject({ ok: true });
    await reopened.close();
  });

  it('plaintext bundle under another master key (adopts the pepper): the same km verifies its tokens', async () => {
    const source = await seeded(generateMasterKey());
    const bundle = await source.km.backup.export({ plaintext: true });
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const km = manager(storage, masterKey);
    await km.ready();
    const report = await km.backup.import(bundle);
    expect(report).toMatchObject({ adoptedPepper: true, reopenRequired: false });
    expect((await km.apiKeys.verify(source.token)).valid).toBe(true);
    const { token } = await km.apiKeys.create({ name: 'after' });
    await km.close();
    const reopened = manager(storage, masterKey);
    expect((await reopened.apiKeys.verify(token)).valid).toBe(true);
    expect((await reopened.apiKeys.verify(source.token)).valid).toBe(true);
    await reopened.close();
  });
});
