/**
 * `expectedRevision` on secrets and signing keys (issue 10): `revision` on SecretInfo and KeyInfo;
 * `secrets.set`, `secrets.rollback`, `secrets.delete`, `keys.delete`, `rotator.rotate` and
 * `rotator.rollback` write only on the revision the caller read, else ERR_CONFLICT (field
 * `expectedRevision`) and nothing changes. Two managers doing info → set on one store lose nothing.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { allAudit } from '../support/store-context.js';

const stale = { code: 'ERR_CONFLICT', field: 'expectedRevision' };

function manager(): { km: KeyManager; storage: ReturnType<typeof memoryStorage> } {
  const storage = memoryStorage();
  return { km: createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) }), storage };
}

describe('expectedRevision on secrets', () => {
  it('SecretInfo carries the revision; set lands only on it', async () => {
    const { km, storage } = manager();
    const first = await km.secrets.set('DB_URL', 'v1');
    expect(first.revision).toBe(1);
    expect((await km.secrets.info('DB_URL')).revision).toBe(1);
    expect((await km.secrets.list()).items[0]?.revision).toBe(1);
    const second = await km.secrets.set('DB_URL', 'v2', { expectedRevision: 1 });
    expect(second.revision).toBe(2);
    const events = (await allAudit(storage)).length;
    await expect(km.secrets.set('DB_URL', 'v3', { expectedRevision: 1 })).rejects.toMatchObject(stale);
    expect(await km.secrets.get('DB_URL')).toBe('v2'); // nothing written ...
    expect((await km.secrets.info('DB_URL')).revision).toBe(2);
    expect((await allAudit(storage)).length).toBe(events + 1); // ... and only the read audited
    await km.close();
  });

  it('a conditional set of a secret that does not exist is ERR_CONFLICT and creates nothing', async () => {
    const { km } = manager();
    await expect(km.secrets.set('NEW', 'v', { expectedRevision: 1 })).rejects.toMatchObject(stale);
    await expect(km.secrets.info('NEW')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    // in another scope too: the revision is of the secret in the scope given
    await km.secrets.set('X', 'prod', { environment: 'production' });
    await expect(
      km.secrets.set('X', 'stg', { environment: 'staging', expectedRevision: 1 }),
    ).rejects.toMatchObject(stale);
    await km.close();
  });

  it('rollback and delete take it too', async () => {
    const { km } = manager();
    await km.secrets.set('K', 'a');
    const b = await km.secrets.set('K', 'b');
    await expect(km.secrets.rollback('K', { expectedRevision: b.revision - 1 })).rejects.toMatchObject(stale);
    expect(await km.secrets.get('K')).toBe('b');
    const rolled = await km.secrets.rollback('K', { expectedRevision: b.revision });
    expect(rolled.secret.revision).toBe(b.revision + 1);
    expect(await km.secrets.get('K')).toBe('a');
    await expect(km.secrets.delete('K', { expectedRevision: b.revision })).rejects.toMatchObject(stale);
    expect(await km.secrets.get('K')).toBe('a');
    expect(await km.secrets.delete('K', { expectedRevision: rolled.secret.revision })).toBe(true);
    expect(await km.secrets.delete('K', { expectedRevision: 1 })).toBe(false); // gone: nothing to delete
    await km.close();
  });

  it('bad values are ERR_VALIDATION naming the field, and write nothing', async () => {
    const { km } = manager();
    await km.secrets.set('K', 'a');
    for (const bad of [0, -1, 1.5, '1', null, Number.NaN, 2 ** 60]) {
      await expect(km.secrets.set('K', 'b', { expectedRevision: bad as never })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        field: 'options.expectedRevision',
      });
      await expect(km.secrets.delete('K', { expectedRevision: bad as never })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
      await expect(km.secrets.rollback('K', { expectedRevision: bad as never })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
    }
    expect(await km.secrets.get('K')).toBe('a');
    expect((await km.secrets.info('K')).revision).toBe(1);
    await km.close();
  });

  it('two managers doing info → set with expectedRevision: no lost update', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const a = createKeyManager({ storage, kms: localKms({ masterKey }) });
    const b = createKeyManager({ storage, kms: localKms({ masterKey }) });
    await a.secrets.set('COUNTER', '0');
    let landed = 0;
    let conflicts = 0;
    const worker = async (km: KeyManager, rounds: number) => {
      for (let i = 0; i < rounds; i++) {
        const info = await km.secrets.info('COUNTER');
        const n = Number(await km.secrets.get('COUNTER')) + 1;
        try {
          await km.secrets.set('COUNTER', String(n), { expectedRevision: info.revision });
          landed++;
        } catch (error) {
          if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
          conflicts++;
        }
      }
    };
    await Promise.all([worker(a, 40), worker(b, 40)]);
    expect(landed + conflicts).toBe(80);
    expect(conflicts).toBeGreaterThan(0); // the two did interleave
    expect(await a.secrets.get('COUNTER')).toBe(String(landed)); // none lost
    expect((await a.secrets.info('COUNTER')).revision).toBe(1 + landed);
    await a.close();
    await b.close();
  });
});

describe('expectedRevision on signing keys and rotation', () => {
  it('KeyInfo carries the revision; delete lands only on it', async () => {
    const { km } = manager();
    const key = await km.keys.create({ name: 'jwt', type: 'ed25519' });
    expect(key.revision).toBe(1);
    await km.rotator.rotate(key.id, { strategy: 'immediate' });
    const now = await km.keys.info('jwt');
    expect(now.revision).toBeGreaterThan(1);
    await expect(km.keys.delete('jwt', { expectedRevision: 1 })).rejects.toMatchObject(stale);
    expect((await km.keys.jwks('jwt')).keys.length).toBeGreaterThan(0);
    expect(await km.keys.delete('jwt', { expectedRevision: now.revision })).toBe(true);
    await km.close();
  });

  it('rotator.rotate and rotator.rollback take it for keys and secrets', async () => {
    const { km } = manager();
    const key = await km.keys.create({ name: 'sig', type: 'hmac' });
    await expect(
      km.rotator.rotate(key.id, { strategy: 'overlap', expectedRevision: 2 }),
    ).rejects.toMatchObject(stale);
    expect((await km.keys.info('sig')).version).toBe(1);
    const r = await km.rotator.rotate(key.id, { strategy: 'overlap', expectedRevision: 1 });
    expect(r.version).toBe(2);
    const after = await km.keys.info('sig');
    await expect(km.rotator.rollback(key.id, { expectedRevision: 1 })).rejects.toMatchObject(stale);
    expect((await km.keys.info('sig')).version).toBe(2);
    await km.rotator.rollback(key.id, { expectedRevision: after.revision });
    expect((await km.keys.info('sig')).version).toBe(1);

    const secret = await km.secrets.set('S', 'one');
    await expect(km.rotator.rotate(secret.id, { expectedRevision: 5 })).rejects.toMatchObject(stale);
    await km.rotator.rotate(secret.id, { strategy: 'immediate', expectedRevision: secret.revision });
    expect(await km.secrets.get('S')).not.toBe('one');
    await expect(km.rotator.rotate(secret.id, { expectedRevision: 'x' as never })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await km.close();
  });
});

describe('expectedRevision on API key revoke and delete', () => {
  it('a stale one is ERR_CONFLICT and changes nothing', async () => {
    const { km } = manager();
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    const updated = await km.apiKeys.update(key.id, { name: 'k2' });
    await expect(km.apiKeys.revoke(key.id, { expectedRevision: key.revision })).rejects.toMatchObject(stale);
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    const revoked = await km.apiKeys.revoke(key.id, { reason: 'leaked', expectedRevision: updated.revision });
    expect(revoked.status).toBe('revoked');
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    await expect(km.apiKeys.delete(key.id, { expectedRevision: updated.revision })).rejects.toMatchObject(
      stale,
    );
    expect((await km.apiKeys.get(key.id)).status).toBe('revoked');
    await expect(km.apiKeys.delete(key.id, { expectedRevision: 'x' as never })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await km.apiKeys.delete(key.id, { expectedRevision: revoked.revision, actor: 'ops' });
    await expect(km.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await km.close();
  });
});
