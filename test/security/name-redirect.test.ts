/**
 * A store writer without the master key points a name at another record: the adapter's
 * `findByName('A')` answers record B (intact, with its own valid MAC) — a redirected name index,
 * or a database row whose `name`, `environment` or `tenant_id` column was edited while its JSON
 * was left alone. keywarden must refuse (ERR_INTEGRITY), never return B's value, sign with B's key
 * or report B's metadata under the name asked for.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

type Where = Parameters<StorageAdapter['findByName']>[1];

/** A memory store whose name lookups can be redirected to another record by id. */
function redirectable() {
  const inner = memoryStorage();
  const redirects = new Map<string, string>(); // looked-up name -> id of the record answered
  const storage: StorageAdapter = {
    ...inner,
    async findByName(name: string, where: Where): Promise<StoredRecord | null> {
      const to = redirects.get(name);
      if (to !== undefined) return inner.get(to);
      return inner.findByName(name, where);
    },
  };
  const { km } = createTestKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
  return { km, redirects };
}

const INTEGRITY = { code: 'ERR_INTEGRITY', field: 'record' };

describe('a name redirected to another record by a store writer', () => {
  it('secrets: get, info, set and delete of A refuse record B; B is untouched', async () => {
    const { km, redirects } = redirectable();
    await km.secrets.set('PUBLIC_BANNER', 'hello');
    const b = await km.secrets.set('STRIPE_KEY', 'sk_live_the_real_one');
    redirects.set('PUBLIC_BANNER', b.id);

    await expect(km.secrets.get('PUBLIC_BANNER')).rejects.toMatchObject(INTEGRITY);
    await expect(km.secrets.info('PUBLIC_BANNER')).rejects.toMatchObject(INTEGRITY);
    await expect(km.secrets.set('PUBLIC_BANNER', 'overwritten')).rejects.toMatchObject(INTEGRITY);
    await expect(km.secrets.delete('PUBLIC_BANNER')).rejects.toMatchObject(INTEGRITY);
    const error = await km.secrets.get('PUBLIC_BANNER').catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toContain('sk_live');

    redirects.clear();
    expect(await km.secrets.get('STRIPE_KEY')).toBe('sk_live_the_real_one');
    expect((await km.secrets.info('STRIPE_KEY')).version).toBe(1);
    expect(await km.secrets.get('PUBLIC_BANNER')).toBe('hello');
    await km.close();
  });

  it('secrets: another environment or tenant of the same name is refused too', async () => {
    const { km, redirects } = redirectable();
    await km.secrets.set('DB_URL', 'postgres://staging', { environment: 'staging' });
    const prod = await km.secrets.set('DB_URL', 'postgres://production', { environment: 'production' });
    const other = await km.secrets.set('DB_URL', 'postgres://tenant-b', { tenantId: 'tenant-b' });
    redirects.set('DB_URL', prod.id);
    await expect(km.secrets.get('DB_URL', { environment: 'staging' })).rejects.toMatchObject(INTEGRITY);
    redirects.set('DB_URL', other.id);
    await expect(km.secrets.get('DB_URL', { tenantId: 'tenant-a' })).rejects.toMatchObject(INTEGRITY);
    await km.close();
  });

  it('signing keys: sign and jwks under name A refuse key B', async () => {
    const { km, redirects } = redirectable();
    await km.keys.create({ name: 'test-hooks', type: 'hmac' });
    const b = await km.keys.create({ name: 'prod-hooks', type: 'hmac' });
    redirects.set('test-hooks', b.id);
    const data = new TextEncoder().encode('payload');
    await expect(km.keys.sign('test-hooks', data)).rejects.toMatchObject(INTEGRITY);
    await expect(km.keys.info('test-hooks')).rejects.toMatchObject(INTEGRITY);
    redirects.clear();
    // the real key A still signs, and its signature does not verify under B
    const sig = await km.keys.sign('test-hooks', data);
    expect(await km.keys.verify('prod-hooks', data, sig)).toBe(false);
    await km.close();
  });
});
