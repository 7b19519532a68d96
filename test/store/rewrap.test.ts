import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StoredRecord } from '../../src/ports/storage.js';
import {
  allAudit,
  allRecords,
  outcomeCode as code,
  copyRecord,
  makeHarness,
  storedByName,
} from '../support/store-context.js';

describe('km.rewrap', () => {
  it('moves every data key and the pepper to the new master key without touching ciphertexts', async () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const storage = memoryStorage();
    const old = createKeyManager({ storage, kms: localKms({ masterKey: a }) });
    await old.secrets.set('s1', 'value-1');
    await old.secrets.set('s1', 'value-1b');
    await old.secrets.set('s2', 'value-2', { environment: 'production' });
    await old.keys.create({ name: 'jwt', type: 'ed25519' });
    await old.keys.create({ name: 'mac', type: 'hmac' });
    const { token } = await old.apiKeys.create({ name: 'ci' });
    const sig = await old.keys.sign('jwt', 'payload');
    const macSig = await old.keys.sign('mac', 'payload');
    await old.close();
    const before = await allRecords(storage);

    const ring = localKms({ masterKey: b, previousKeys: [a] });
    const mid = createKeyManager({ storage, kms: ring });
    const report = await mid.rewrap();
    expect(report).toEqual({ records: 4, versions: 5, pepper: true, failed: [], interrupted: false });

    const after = await allRecords(storage);
    for (const rec of after) {
      const prev = before.find((r) => r.id === rec.id) as StoredRecord;
      for (const v of rec.versions) {
        if (v.sealed === null) continue;
        const pv = prev.versions.find((x) => x.version === v.version);
        expect(v.sealed.nonce).toBe(pv?.sealed?.nonce);
        expect(v.sealed.ct).toBe(pv?.sealed?.ct);
        expect(v.sealed.dek.data).not.toBe(pv?.sealed?.dek.data);
        expect(ring.needsRewrap(v.sealed.dek)).toBe(false);
      }
    }
    const audited = (await allAudit(storage)).filter((e) => e.type === 'kms.rewrapped');
    const summary = audited.filter((e) => e.keyId === null && 'records' in e.data);
    expect(summary).toHaveLength(1);
    expect(summary[0]?.data).toMatchObject({ records: 4, versions: 5, pepper: true, failed: 0 });
    // each rewrapped record and the pepper has its own event, written before the summary
    const perRecord = audited.filter((e) => e.keyId !== null);
    expect(perRecord.map((e) => e.keyId).sort()).toEqual(
      after
        .filter((r) => r.versions.some((v) => v.sealed))
        .map((r) => r.id)
        .sort(),
    );
    expect(perRecord.reduce((n, e) => n + (e.data['versions'] as number[]).length, 0)).toBe(5);
    expect(
      audited.filter((e) => e.keyId === null && e.data['pepper'] === true && !('records' in e.data)),
    ).toHaveLength(1);
    expect(audited.at(-1)).toBe(summary[0]);

    // idempotent
    expect(await mid.rewrap()).toEqual({
      records: 0,
      versions: 0,
      pepper: false,
      failed: [],
      interrupted: false,
    });
    await mid.close();

    const onlyB = createKeyManager({ storage, kms: localKms({ masterKey: b }) });
    await onlyB.ready();
    expect(await onlyB.secrets.get('s1')).toBe('value-1b');
    expect(await onlyB.secrets.get('s1', { version: 1 })).toBe('value-1');
    expect(await onlyB.secrets.get('s2', { environment: 'production' })).toBe('value-2');
    expect(await onlyB.keys.verify('jwt', 'payload', sig)).toBe(true);
    expect(await onlyB.keys.verify('mac', 'payload', macSig)).toBe(true);
    expect(await onlyB.keys.sign('mac', 'payload')).toEqual(macSig);
    expect((await onlyB.apiKeys.verify(token)).valid).toBe(true);

    const onlyA = createKeyManager({ storage, kms: localKms({ masterKey: a }) });
    expect(await code(onlyA.ready())).toBe('ERR_MASTER_KEY_MISMATCH');
  });

  it('does nothing when every key is current', async () => {
    const h = makeHarness();
    await h.km.secrets.set('s', 'v');
    expect(await h.km.rewrap()).toEqual({
      records: 0,
      versions: 0,
      pepper: false,
      failed: [],
      interrupted: false,
    });
  });

  it('reports a version whose data key cannot be unwrapped and leaves it unchanged', async () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const h = makeHarness({ masterKey: a });
    await h.km.secrets.set('good', 'g');
    await h.km.secrets.set('bad', 'b');
    const bad = copyRecord(await storedByName(h.inner, 'secret', 'bad'));
    const dek = bad.versions[0]?.sealed?.dek as { data: string };
    dek.data = (dek.data[0] === 'A' ? 'B' : 'A') + dek.data.slice(1);
    await h.trusted.update({ ...bad, revision: bad.revision + 1 }, { expectedRevision: bad.revision });
    const ring = makeHarness({ masterKey: b, previousKeys: [a], inner: h.inner });
    const report = await ring.km.rewrap();
    expect(report.records).toBe(1);
    expect(report.failed).toEqual([{ recordId: bad.id, version: 1, code: 'ERR_DECRYPT' }]);
    const still = (await h.inner.get(bad.id)) as StoredRecord;
    expect(still.versions[0]?.sealed?.dek.data).toBe(dek.data);
  });

  it('is safe to run concurrently with writes', async () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const h = makeHarness({ masterKey: a });
    for (let i = 0; i < 20; i++) await h.km.secrets.set(`s${i}`, `v${i}`);
    const ring = makeHarness({ masterKey: b, previousKeys: [a], inner: h.inner });
    await Promise.all([
      ring.km.rewrap(),
      ...Array.from({ length: 20 }, (_, i) => ring.km.secrets.set(`s${i}`, `w${i}`)),
    ]);
    await ring.km.rewrap();
    const onlyB = makeHarness({ masterKey: b, inner: h.inner });
    for (let i = 0; i < 20; i++) {
      expect(await onlyB.km.secrets.get(`s${i}`)).toBe(`w${i}`);
      expect(await onlyB.km.secrets.get(`s${i}`, { version: 1 })).toBe(`v${i}`);
    }
  });
});
