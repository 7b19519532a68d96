/**
 * `km.upgrade()` on a store written by keywarden 0.1: records without a MAC are accepted only while
 * the authenticated format marker says `0.1-pending`; the upgrade seals them (resumable, audited as
 * one `store.upgraded`), flips the marker to `0.2`, and from then on a record without a MAC is
 * ERR_INTEGRITY, also for a manager that was opened before the upgrade. The marker cannot be
 * deleted or forged into a downgrade.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { seedLegacyStore, toLegacyEnvelopes } from '../support/legacy-store.js';
import { allAudit, allRecords, delegateStorage } from '../support/store-context.js';
import { trustedStorage } from '../support/trusted-storage.js';

/** Removes the MAC of every record, as keywarden 0.1 wrote them (no `mac` field). */
async function stripMacs(storage: StorageAdapter): Promise<string[]> {
  const ids: string[] = [];
  for (const r of await allRecords(storage)) {
    const { mac: _mac, ...legacy } = r;
    await storage.update(
      { ...(legacy as StoredRecord), revision: r.revision + 1 },
      { expectedRevision: r.revision },
    );
    ids.push(r.id);
  }
  return ids;
}

async function legacyStore() {
  const storage = memoryStorage();
  const masterKey = generateMasterKey();
  const kms = localKms({ masterKey });
  const { storeId } = await seedLegacyStore(storage, kms, 3);
  // usage: false: a usage flush of a record stripped below would be refused (ERR_INTEGRITY) at close
  const km = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
  const { token, key } = await km.apiKeys.create({ name: 'legacy' });
  await km.secrets.set('DB_URL', 'postgres://legacy');
  await stripMacs(storage); // the records as 0.1 wrote them: no MAC ...
  await toLegacyEnvelopes(storage, kms, storeId); // ... and values in the 0.1 envelope format
  return { storage, masterKey, km, token, key, storeId, kms };
}

describe('km.upgrade()', () => {
  it('a 0.1 store: MAC-less records work while pending; upgrade seals them and flips the marker', async () => {
    const { storage, masterKey, km, token, key } = await legacyStore();
    expect((await km.check()).format).toBe('0.1-pending');
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect(await km.secrets.get('DB_URL')).toBe('postgres://legacy');
    const other = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false }); // opened before the upgrade
    expect((await other.apiKeys.get(key.id)).name).toBe('legacy');

    const dry = await km.upgrade({ dryRun: true });
    expect(dry).toMatchObject({
      from: '0.1-pending',
      to: '0.1-pending',
      records: 2,
      upgraded: 2,
      resealed: 1,
      failed: [],
    });
    expect((await allRecords(storage)).every((r) => r.mac === undefined)).toBe(true); // dry run wrote nothing

    const seen: number[] = [];
    const report = await km.upgrade({ onProgress: (n) => seen.push(n) });
    expect(report).toMatchObject({
      from: '0.1-pending',
      to: '0.2',
      records: 2,
      upgraded: 2,
      resealed: 1,
      alreadySealed: 0,
    });
    expect(seen).toEqual([1, 2]);
    expect((await allRecords(storage)).every((r) => typeof r.mac === 'string')).toBe(true);
    const secret = (await allRecords(storage)).find((r) => r.kind === 'secret') as StoredRecord;
    expect(secret.versions.map((v) => v.sealed?.f)).toEqual([2]); // sealed again, labels bound
    expect(await km.secrets.get('DB_URL')).toBe('postgres://legacy');
    const upgraded = (await allAudit(storage)).filter((e) => e.type === 'store.upgraded');
    expect(upgraded).toHaveLength(1);
    expect(upgraded[0]?.data).toMatchObject({ records: 2, upgraded: 2, resealed: 1, to: '0.2' });
    expect((await km.audit.verify()).ok).toBe(true);
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect((await km.check()).format).toBe('0.2');

    // from now on a record without a MAC is refused, also by the manager opened before
    await stripMacs(storage);
    await expect(km.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await expect(other.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await expect(km.apiKeys.verify(token)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' }); // fail closed
    await km.close();
    await other.close();
  });

  it('is resumable: an aborted run leaves sealed records sealed and the next run finishes', async () => {
    const { storage, km } = await legacyStore();
    const controller = new AbortController();
    const first = await km.upgrade({
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(first).toMatchObject({ interrupted: true, upgraded: 1, to: '0.1-pending' });
    const second = await km.upgrade();
    expect(second).toMatchObject({ interrupted: false, upgraded: 1, alreadySealed: 1, to: '0.2' });
    expect((await allRecords(storage)).every((r) => typeof r.mac === 'string')).toBe(true);
    await km.close();
  });

  it('a record a store writer changed during the pending phase is sealed over only if its MAC holds', async () => {
    const { storage, km, key } = await legacyStore();
    const r = (await storage.get(key.id)) as StoredRecord;
    await storage.update(
      { ...r, mac: 'A'.repeat(43), revision: r.revision + 1 },
      { expectedRevision: r.revision },
    );
    const report = await km.upgrade();
    expect(report.failed).toEqual([key.id]);
    expect(report.to).toBe('0.1-pending'); // not flipped while a record fails
    await km.close();
  });

  it('deleting or forging the marker never downgrades a store opened by 0.2', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const km = createKeyManager({ storage, kms: localKms({ masterKey }) });
    const { key } = await km.apiKeys.create({ name: 'k' });
    await km.close();
    await stripMacs(storage);
    // the marker deleted (an adapter that no longer returns it) ...
    const deleted = delegateStorage(storage, {
      getMeta: async (k) => (k === 'store.format' ? null : storage.getMeta(k)),
      setMeta: async (k, v, o) => (k === 'store.format' ? undefined : storage.setMeta(k, v, o)),
    });
    const a = createKeyManager({ storage: deleted, kms: localKms({ masterKey }) });
    await expect(a.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    expect((await a.check()).format).toBe('missing');
    await expect(a.upgrade()).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await a.close();
    // ... or replaced by a forged "0.1-pending" marker
    const raw = (await storage.getMeta('store.format')) as string;
    await storage.setMeta('store.format', JSON.stringify({ format: '0.1-pending', mac: 'A'.repeat(43) }), {
      expected: raw,
    });
    const b = createKeyManager({ storage, kms: localKms({ masterKey }) });
    await expect(b.apiKeys.get(key.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    expect((await b.check()).format).toBe('invalid');
    await b.close();
  });
});

describe('km.upgrade() and the 0.1 envelope format', () => {
  it('a 0.1 value opens only while pending; after the upgrade a value put back in 0.1 format is ERR_DECRYPT', async () => {
    const { storage, km, kms, storeId } = await legacyStore();
    const before = (await allRecords(storage)).find((r) => r.kind === 'secret') as StoredRecord;
    expect(before.versions[0]?.sealed?.f).toBeUndefined();
    expect(await km.secrets.get('DB_URL')).toBe('postgres://legacy'); // pending: still readable
    await km.upgrade();
    // the 0.1 copy of the value put back, even under a valid MAC (a store writer cannot make one:
    // the test does, to reach the envelope), is refused once the store is 0.2
    await toLegacyEnvelopes(storage, kms, storeId);
    const trusted = trustedStorage(km);
    for (const r of await allRecords(storage)) {
      await trusted.update({ ...r, revision: r.revision + 1 }, { expectedRevision: r.revision });
    }
    await expect(km.secrets.get('DB_URL')).rejects.toMatchObject({ code: 'ERR_DECRYPT' });
    await km.close();
  });

  it('a 0.2 store holding 0.1 values (a 0.1 backup imported): reads refuse them, the upgrade seals them again', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const kms = localKms({ masterKey });
    const km = createKeyManager({ storage, kms, usage: false });
    await km.secrets.set('A', 'value-a');
    await km.keys.create({ name: 'sig', type: 'hmac' });
    const sig = await km.keys.sign('sig', 'data');
    const storeId = (await storage.getMeta('store.id')) as string;
    expect(await toLegacyEnvelopes(storage, kms, storeId)).toBe(2);
    // the records as an import writes them: MAC'd by this store (format 1 values inside)
    const trusted = trustedStorage(km);
    for (const r of await allRecords(storage)) {
      await trusted.update({ ...r, revision: r.revision + 1 }, { expectedRevision: r.revision });
    }
    expect((await km.check()).format).toBe('0.2');
    await expect(km.secrets.get('A')).rejects.toMatchObject({ code: 'ERR_DECRYPT' });
    await expect(km.keys.sign('sig', 'data')).rejects.toMatchObject({ code: 'ERR_DECRYPT' });
    const check = await km.check();
    expect(check.ok).toBe(false);
    expect(check.problems.filter((p) => p.reason === 'legacy-envelope')).toHaveLength(2);

    const report = await km.upgrade();
    expect(report).toMatchObject({ from: '0.2', to: '0.2', upgraded: 2, resealed: 2, failed: [] });
    expect(await km.secrets.get('A')).toBe('value-a');
    expect(Buffer.from(await km.keys.sign('sig', 'data'))).toEqual(Buffer.from(sig));
    expect((await allAudit(storage)).filter((e) => e.type === 'store.upgraded')).toHaveLength(1);
    expect((await km.check()).ok).toBe(true);
    expect(await km.upgrade()).toMatchObject({ upgraded: 0, resealed: 0, alreadySealed: 2 });
    await km.close();
  });

  it('a 0.1 value that does not open is reported, never sealed over', async () => {
    const { storage, km } = await legacyStore();
    const r = (await allRecords(storage)).find((x) => x.kind === 'secret') as StoredRecord;
    const v = r.versions[0] as StoredRecord['versions'][number];
    const broken = { ...v, sealed: { ...(v.sealed as NonNullable<typeof v.sealed>), ct: 'A'.repeat(40) } };
    await storage.update(
      { ...r, versions: [broken], revision: r.revision + 1 },
      { expectedRevision: r.revision },
    );
    const report = await km.upgrade();
    expect(report.failed).toEqual([r.id]);
    expect(report.to).toBe('0.1-pending');
    expect(((await storage.get(r.id)) as StoredRecord).versions[0]?.sealed?.ct).toBe('A'.repeat(40));
    await km.close();
  });

  it('a backup holding 0.1 values imports into a fresh store and into itself with every value in format 2', async () => {
    const masterKey = generateMasterKey();
    const storage = memoryStorage();
    const kms = localKms({ masterKey });
    const km = createKeyManager({ storage, kms, usage: false });
    await km.secrets.set('A', 'value-a', { tenantId: 't1', environment: 'production' });
    await km.keys.create({ name: 'sig', type: 'ed25519' });
    const storeId = (await storage.getMeta('store.id')) as string;
    await toLegacyEnvelopes(storage, kms, storeId);
    const trusted = trustedStorage(km);
    for (const r of await allRecords(storage)) {
      await trusted.update({ ...r, revision: r.revision + 1 }, { expectedRevision: r.revision });
    }
    const bundle = await km.backup.export();
    const formats = bundle.records.flatMap((r) => r.versions.map((v) => v.sealed?.f));
    expect(formats).toEqual([undefined, undefined]); // as 0.1 exported them

    // disaster recovery into an empty store (adopts the identity)
    const fresh = memoryStorage();
    const restored = createKeyManager({ storage: fresh, kms: localKms({ masterKey }), usage: false });
    await restored.backup.import(JSON.parse(JSON.stringify(bundle)));
    expect(await restored.secrets.get('A', { tenantId: 't1', environment: 'production' })).toBe('value-a');
    expect((await restored.keys.jwks('sig')).keys).toHaveLength(1);
    await restored.keys.sign('sig', 'data');
    expect((await allRecords(fresh)).flatMap((r) => r.versions.map((v) => v.sealed?.f))).toEqual([2, 2]);
    await restored.close();

    // into the same store (same store id), overwriting
    await km.backup.import(JSON.parse(JSON.stringify(bundle)), { onConflict: 'overwrite' });
    expect(await km.secrets.get('A', { tenantId: 't1', environment: 'production' })).toBe('value-a');
    expect((await allRecords(storage)).flatMap((r) => r.versions.map((v) => v.sealed?.f))).toEqual([2, 2]);
    await km.close();
  });
});
