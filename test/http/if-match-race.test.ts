/**
 * `PATCH /api-keys/{id}` with `If-Match` is a compare-and-swap: a change that lands between the
 * ETag check and the write (here: another manager on the same store, injected right after the
 * route read the key) is answered 412 and is not overwritten.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { managementApi } from '../../src/http/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { call } from './harness.js';

describe('If-Match on PATCH /api-keys/{id}', () => {
  it('refuses with 412 when the key changes between the ETag check and the write', async () => {
    const inner = memoryStorage();
    const masterKey = generateMasterKey();
    let arm: string | null = null;
    let other: ReturnType<typeof createTestKeyManager>['km'] | null = null;
    const storage: StorageAdapter = {
      ...inner,
      async get(id) {
        const record = await inner.get(id);
        if (arm !== null && id === arm && other !== null) {
          arm = null; // once: the concurrent writer's own read goes straight through
          await other.apiKeys.update(id, { tags: ['changed-meanwhile'] });
        }
        return record;
      },
    };
    const { km } = createTestKeyManager({ storage, kms: localKms({ masterKey }) });
    other = createTestKeyManager({ storage: inner, kms: localKms({ masterKey }) }).km;
    const api = managementApi(km);
    const admin = (await km.apiKeys.create({ name: 'admin', scopes: ['keywarden:admin'], ownerId: 'alice' }))
      .token;
    const { key } = await km.apiKeys.create({ name: 'target', tags: ['original'] });

    const read = await call(api, 'GET', `/api-keys/${key.id}`, { token: admin });
    const etag = read.headers.get('etag');
    expect(etag).toBeTruthy();

    arm = key.id;
    const patched = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: admin,
      headers: { 'if-match': etag as string },
      body: { tags: ['from-the-api'] },
    });
    expect([patched.status, patched.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
    expect((await km.apiKeys.get(key.id)).tags).toEqual(['changed-meanwhile']);

    // without the race, the same request with the fresh ETag lands
    const fresh = (await call(api, 'GET', `/api-keys/${key.id}`, { token: admin })).headers.get(
      'etag',
    ) as string;
    const ok = await call(api, 'PATCH', `/api-keys/${key.id}`, {
      token: admin,
      headers: { 'if-match': fresh },
      body: { tags: ['from-the-api'] },
    });
    expect(ok.status).toBe(200);
    expect((await km.apiKeys.get(key.id)).tags).toEqual(['from-the-api']);
    await km.close();
    await other.close();
  });
});
