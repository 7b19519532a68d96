import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/index.js';
import { trustedStorage } from '../support/trusted-storage.js';

const masterKey = new Uint8Array(32).fill(3);

function manager(storage: StorageAdapter) {
  return createKeyManager({ storage, kms: localKms({ masterKey }), clock: fakeClock() });
}

describe('km.check()', () => {
  it('reports every record read and every sealed value opened on a healthy store', async () => {
    const km = manager(memoryStorage());
    await km.apiKeys.create({ name: 'ci' });
    await km.secrets.set('A', 'one');
    await km.secrets.set('A', 'two');
    await km.keys.create({ name: 'sig', type: 'ed25519' });
    const report = await km.check();
    expect(report).toEqual({ ok: true, records: 3, sealed: 3, format: '0.2', problems: [] });
    await km.close();
  });

  it('names a sealed value that does not open, without its content', async () => {
    const storage = memoryStorage();
    const km = manager(storage);
    const info = await km.secrets.set('TOKEN', 'super-secret-value');
    const record = (await storage.get(info.id)) as StoredRecord;
    const v = record.versions[0]!;
    const ct = v.sealed!.ct;
    const flipped = (ct[0] === 'A' ? 'B' : 'A') + ct.slice(1);
    // written by keywarden itself (MAC'd): a value damaged before it was sealed, not by a store writer
    await trustedStorage(km).update(
      {
        ...record,
        revision: record.revision + 1,
        versions: [{ ...v, sealed: { ...v.sealed!, ct: flipped } }],
      },
      { expectedRevision: record.revision },
    );
    const report = await km.check();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { recordId: info.id, version: 1, reason: 'sealed', code: 'ERR_DECRYPT' },
    ]);
    expect(JSON.stringify(report)).not.toContain('super-secret-value');
    await km.close();
  });

  it('names a record that does not parse (an unknown kind is not skipped)', async () => {
    const inner = memoryStorage();
    const bogus = { id: 'AAAAAAAAAAAA', kind: 'token', versions: 'nope' };
    const storage: StorageAdapter = {
      ...inner,
      list: async (q) => {
        const page = await inner.list(q);
        return { ...page, items: [...page.items, bogus as unknown as StoredRecord] };
      },
    };
    const km = manager(storage);
    await km.apiKeys.create({ name: 'ci' });
    const report = await km.check();
    expect(report.records).toBe(2);
    expect(report.problems).toEqual([
      { recordId: 'AAAAAAAAAAAA', version: null, reason: 'unparsable', code: 'ERR_INTEGRITY' },
    ]);
    await km.close();
  });

  it('fails with ERR_MASTER_KEY_MISMATCH under another master key', async () => {
    const storage = memoryStorage();
    const km = manager(storage);
    await km.secrets.set('A', 'x');
    const other = createKeyManager({ storage, kms: localKms({ masterKey: new Uint8Array(32).fill(9) }) });
    await expect(other.check()).rejects.toMatchObject({ code: 'ERR_MASTER_KEY_MISMATCH' });
    await km.close();
  });
});
