/**
 * `PATCH`, revoke, `DELETE` and rotate of `/api-keys/{id}` with `If-Match` are compare-and-swaps: a change that lands between the
 * ETag check and the write (here: another manager on the same store, injected right after the
 * route read the key) is answered 412 and is not overwritten.
 */
import { describe, expect, it } from 'vitest';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { call, racing } from './harness.js';

describe('If-Match on PATCH /api-keys/{id}', () => {
  it('refuses with 412 when the key changes between the ETag check and the write', async () => {
    const { km, api, admin, state, close } = await racing();
    const { key } = await km.apiKeys.create({ name: 'target', tags: ['original'] });

    const read = await call(api, 'GET', `/api-keys/${key.id}`, { token: admin });
    const etag = read.headers.get('etag');
    expect(etag).toBeTruthy();

    state.target = 'target';
    state.meanwhile = (other) => other.apiKeys.update(key.id, { tags: ['changed-meanwhile'] });
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
    await close();
  });
});

describe('If-Match on revoke, delete and rotate of an API key', () => {
  const cases: [string, string, (id: string) => string, unknown][] = [
    ['revoke', 'POST', (id) => `/api-keys/${id}/revoke`, { reason: 'leaked' }],
    ['delete', 'DELETE', (id) => `/api-keys/${id}`, undefined],
    ['rotate', 'POST', (id) => `/api-keys/${id}/rotate`, { strategy: 'immediate' }],
  ];

  for (const [name, method, path, body] of cases) {
    it(`${name}: 412 when the key changes between the ETag check and the write; nothing is done`, async () => {
      const { km, api, admin, state, close } = await racing();
      const { key } = await km.apiKeys.create({ name: 'target', tags: ['original'] });
      const etag = (await call(api, 'GET', `/api-keys/${key.id}`, { token: admin })).headers.get(
        'etag',
      ) as string;
      state.target = 'target';
      state.meanwhile = (other) => other.apiKeys.update(key.id, { tags: ['changed-meanwhile'] });
      const raced = await call(api, method, path(key.id), {
        token: admin,
        headers: { 'if-match': etag },
        ...(body === undefined ? {} : { body }),
      });
      expect([raced.status, raced.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
      const after = await km.apiKeys.get(key.id); // still there, not revoked, not rotated
      expect([after.status, after.version, after.tags]).toEqual([
        'active',
        key.version,
        ['changed-meanwhile'],
      ]);
      expect(raced.text).not.toMatch(/"token"/);

      const fresh = (await call(api, 'GET', `/api-keys/${key.id}`, { token: admin })).headers.get(
        'etag',
      ) as string;
      const ok = await call(api, method, path(key.id), {
        token: admin,
        headers: { 'if-match': fresh },
        ...(body === undefined ? {} : { body }),
      });
      expect(ok.status).toBe(name === 'delete' ? 204 : name === 'rotate' ? 201 : 200);
      if (name === 'delete')
        await expect(km.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      else if (name === 'revoke') expect((await km.apiKeys.get(key.id)).status).toBe('revoked');
      else expect((await km.apiKeys.get(key.id)).version).toBe(key.version + 1);
      await close();
    });
  }
});

describe('expectedRevision on apiKeys.revoke, apiKeys.delete and rotator.rotate', () => {
  it('a stale revision is ERR_CONFLICT and changes nothing; the read one lands', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'k' });
    const stale = key.revision;
    const changed = await km.apiKeys.update(key.id, { tags: ['moved'] });
    const conflict = { code: 'ERR_CONFLICT', field: 'expectedRevision' };
    await expect(km.apiKeys.revoke(key.id, { expectedRevision: stale })).rejects.toMatchObject(conflict);
    await expect(km.apiKeys.delete(key.id, { expectedRevision: stale })).rejects.toMatchObject(conflict);
    await expect(km.rotator.rotate(key.id, { expectedRevision: stale })).rejects.toMatchObject(conflict);
    const untouched = await km.apiKeys.get(key.id);
    expect([untouched.status, untouched.version, untouched.revision]).toEqual([
      'active',
      1,
      changed.revision,
    ]);
    await expect(km.apiKeys.revoke(key.id, { expectedRevision: 0 })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });

    const rotated = await km.rotator.rotate(key.id, {
      expectedRevision: changed.revision,
      strategy: 'immediate',
    });
    expect(rotated.version).toBe(2);
    const now = await km.apiKeys.get(key.id);
    expect((await km.apiKeys.revoke(key.id, { expectedRevision: now.revision })).status).toBe('revoked');
    const revoked = await km.apiKeys.get(key.id);
    await km.apiKeys.delete(key.id, { expectedRevision: revoked.revision, actor: 'alice' });
    await expect(km.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const deleted = await km.audit.list({ recordId: key.id, type: 'key.deleted' });
    expect(deleted.items.map((e) => e.actor)).toEqual(['alice']);
  });
});
