/**
 * The storage guard's cache of verified record text (for adapters that answer a fresh copy on every
 * read, as PostgreSQL and Supabase do): a record whose JSON text equals one that passed the shape
 * and MAC checks skips them; any edit, before or after it was cached, is checked again and
 * refused. Tested on a memory store that answers copies, as a database driver does, with the
 * attacker writing straight into the store between reads.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { VERIFIED_TEXTS } from '../../src/manager/store-context.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { code, tamper } from '../support/store-attack.js';

/** The memory adapter, answering a fresh parsed copy on every read; `swap` makes get(a) answer b. */
function copying(inner: StorageAdapter) {
  const copy = <T>(v: T): T => (v === null ? v : (JSON.parse(JSON.stringify(v)) as T));
  const swap = new Map<string, string>();
  const storage: StorageAdapter = {
    ...inner,
    get: async (id) => copy(await inner.get(swap.get(id) ?? id)),
    findByName: async (n, w) => copy(await inner.findByName(n, w)),
    list: async (q) => {
      const p = await inner.list(q);
      return { ...p, items: p.items.map((r: StoredRecord) => copy(r)) };
    },
  };
  return { storage, swap };
}

function setup() {
  const inner = memoryStorage();
  const { storage, swap } = copying(inner);
  const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }), usage: false });
  return { inner, km, swap };
}

describe('verified record text cache (adapters answering copies)', () => {
  it('an edit after the record was read and cached is refused on the next read', async () => {
    const { inner, km } = setup();
    const { token, key } = await km.apiKeys.create({ name: 'k', scopes: ['read'] });
    expect((await km.apiKeys.verify(token)).valid).toBe(true); // read, checked, cached
    expect((await km.apiKeys.verify(token)).valid).toBe(true); // a hit
    await tamper(inner, key.id, (r) => ({ ...r, data: { ...r.data, scopes: ['read', 'admin'] } }));
    expect(await code(km.apiKeys.verify(token))).toBe('ERR_INTEGRITY');
    expect(await code(km.apiKeys.get(key.id))).toBe('ERR_INTEGRITY');
    await km.close();
  });

  it('revoked, then un-revoked by an edit: never valid again; an un-MACed field edit still passes', async () => {
    const { inner, km } = setup();
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    await km.apiKeys.revoke(key.id); // the manager's own write: its text is known
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    await tamper(inner, key.id, (r) => ({ ...r, status: 'active' }));
    expect(await code(km.apiKeys.verify(token))).toBe('ERR_INTEGRITY');
    await tamper(inner, key.id, (r) => ({ ...r, status: 'revoked' })); // back to what was MAC'd
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    // dueAt is not MAC'd (docs/threat-model.md): a changed text is checked again and passes
    await tamper(inner, key.id, (r) => ({ ...r, dueAt: 1 }));
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    await km.close();
  });

  it('a row answering another record (an id swap) is refused even when that record is cached', async () => {
    const { km, swap } = setup();
    const a = await km.secrets.set('A', 'value-a');
    const b = await km.secrets.set('B', 'value-b');
    expect(await km.secrets.get('B')).toBe('value-b'); // B's text cached
    swap.set(a.id, b.id); // get(a.id) now answers B's record
    const rotated = await code(km.rotator.rotate(a.id, { strategy: 'immediate' }));
    expect(rotated).toBe('ERR_INTEGRITY');
    expect(await km.secrets.get('B')).toBe('value-b'); // B itself is untouched
    await km.close();
  });

  it(`stays correct past ${VERIFIED_TEXTS} records (least recently used dropped)`, {
    timeout: 120_000,
  }, async () => {
    const { inner, km } = setup();
    const ids: string[] = [];
    for (let i = 0; i < VERIFIED_TEXTS + 20; i++) {
      ids.push((await km.apiKeys.create({ name: `k${i}` })).key.id);
    }
    const all = async () => {
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = await km.apiKeys.list(cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
        n += page.items.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      return n;
    };
    expect(await all()).toBe(VERIFIED_TEXTS + 20); // every one read (and cached, the oldest dropped)
    const first = ids[0] as string;
    const last = ids[ids.length - 1] as string;
    await tamper(inner, first, (r) => ({ ...r, name: 'evil' }));
    await tamper(inner, last, (r) => ({ ...r, name: 'evil' }));
    expect(await code(km.apiKeys.get(first))).toBe('ERR_INTEGRITY');
    expect(await code(km.apiKeys.get(last))).toBe('ERR_INTEGRITY');
    expect(await code(all())).toBe('ERR_INTEGRITY');
    await km.close();
  });
});
