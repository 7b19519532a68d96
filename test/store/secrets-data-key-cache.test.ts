/**
 * The data-key cache behind secrets.get (`keyCache`): the KMS unwraps a secret version's data key
 * once, later reads reuse it, and the value is still opened (AES-GCM with its associated data) from
 * the record read on every call. What this process or another manager sharing the store changes
 * (a new value, a rollback, a deletion, an expiry) applies to the very next read; the TTL, the
 * bound, `keyCache: false` and close() hold. Store-writer attacks on a warm cache are in
 * test/security/secret-data-key-cache.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createOpenedKeyCache } from '../../src/internal/opened-cache.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManagerOptions } from '../../src/manager/key-manager.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/index.js';

function countingKms(masterKey = generateMasterKey()): { kms: KmsAdapter; unwraps: () => number } {
  const inner = localKms({ masterKey });
  let n = 0;
  const kms = Object.create(inner, {
    unwrapKey: {
      value: (
        wrapped: Parameters<KmsAdapter['unwrapKey']>[0],
        ctx: Parameters<KmsAdapter['unwrapKey']>[1],
      ) => {
        n++;
        return inner.unwrapKey(wrapped, ctx);
      },
    },
  }) as KmsAdapter;
  return { kms, unwraps: () => n };
}

async function setup(extra: Partial<KeyManagerOptions> = {}, storage: StorageAdapter = memoryStorage()) {
  const masterKey = generateMasterKey();
  const { kms, unwraps } = countingKms(masterKey.slice());
  const clock = fakeClock();
  const km = createKeyManager({ storage, kms, clock, usage: false, ...extra });
  await km.ready();
  /** A second manager on the same store (another process), with its own caches. */
  const other = () => createKeyManager({ storage, kms: localKms({ masterKey }), clock, usage: false });
  return { km, unwraps, clock, other, storage };
}

describe('secrets.get unwraps a version data key once', () => {
  it('20 reads of one secret: one unwrap, the right value each time, every read audited', async () => {
    const { km, unwraps } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    const before = unwraps();
    for (let i = 0; i < 20; i++) expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    expect(unwraps() - before).toBe(1);
    const reads = await km.audit.list({ type: 'secret.read' });
    expect(reads.items).toHaveLength(20);
    expect((await km.audit.verify()).ok).toBe(true);
    await km.close();
  });

  it('keyCache: false unwraps on every read', async () => {
    const { km, unwraps } = await setup({ keyCache: false });
    await km.secrets.set('DB_URL', 'postgres://one');
    const before = unwraps();
    for (let i = 0; i < 5; i++) expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    expect(unwraps() - before).toBe(5);
    await km.close();
  });

  it('each version has its own entry; the bound is the keyCache max', async () => {
    const { km, unwraps } = await setup({ keyCache: { max: 2 } });
    await km.secrets.set('A', 'a1');
    await km.secrets.set('A', 'a2');
    await km.secrets.set('B', 'b1');
    const before = unwraps();
    expect(await km.secrets.get('A')).toBe('a2');
    expect(await km.secrets.get('A', { version: 1 })).toBe('a1');
    expect(await km.secrets.get('A')).toBe('a2');
    expect(await km.secrets.get('A', { version: 1 })).toBe('a1');
    expect(unwraps() - before).toBe(2);
    expect(await km.secrets.get('B')).toBe('b1'); // evicts A v2 (least recently used)
    expect(await km.secrets.get('A', { version: 1 })).toBe('a1');
    expect(unwraps() - before).toBe(3);
    expect(await km.secrets.get('A')).toBe('a2');
    expect(unwraps() - before).toBe(4);
    await km.close();
  });

  it('past the TTL the data key is unwrapped again', async () => {
    const { km, unwraps, clock } = await setup({ keyCache: { ttl: '30s' } });
    await km.secrets.set('DB_URL', 'postgres://one');
    const before = unwraps();
    await km.secrets.get('DB_URL');
    clock.advance('20s');
    await km.secrets.get('DB_URL');
    expect(unwraps() - before).toBe(1);
    clock.advance('11s');
    await km.secrets.get('DB_URL');
    expect(unwraps() - before).toBe(2);
    await km.close();
  });

  it('close() leaves nothing to read with', async () => {
    const { km } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    await km.secrets.get('DB_URL');
    await km.close();
    await expect(km.secrets.get('DB_URL')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});

describe('a warm cache never returns anything but the current value', () => {
  it('a new value set by another manager is read at once', async () => {
    const { km, other } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://one'); // cached here
    const b = other();
    await b.secrets.set('DB_URL', 'postgres://two');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://two');
    expect(await km.secrets.get('DB_URL', { version: 1 })).toBe('postgres://one'); // still readable as previous
    await b.secrets.set('DB_URL', 'postgres://three');
    await b.secrets.set('DB_URL', 'postgres://four'); // version 1 is retired now
    expect(await km.secrets.get('DB_URL')).toBe('postgres://four');
    await expect(km.secrets.get('DB_URL', { version: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
    });
    await b.close();
    await km.close();
  });

  it('a rollback by another manager is read at once', async () => {
    const { km, other } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    await km.secrets.set('DB_URL', 'postgres://two');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://two');
    const b = other();
    await b.secrets.rollback('DB_URL');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    await b.close();
    await km.close();
  });

  it('a secret deleted by another manager is not found, and one created again under its name reads the new value', async () => {
    const { km, other } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    const b = other();
    await b.secrets.delete('DB_URL');
    await expect(km.secrets.get('DB_URL')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await b.secrets.set('DB_URL', 'postgres://new');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://new');
    await b.close();
    await km.close();
  });

  it('a secret that expired (set by another manager) is refused', async () => {
    const { km, other, clock } = await setup();
    await km.secrets.set('DB_URL', 'postgres://one');
    expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    const b = other();
    await b.secrets.set('DB_URL', 'postgres://one', { expiresAt: clock.now() + 60_000 });
    expect(await km.secrets.get('DB_URL')).toBe('postgres://one');
    clock.advance('2m');
    await expect(km.secrets.get('DB_URL')).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await b.close();
    await km.close();
  });
});

describe('createOpenedKeyCache drops expired entries when it adds one', () => {
  it('destroys each entry once its TTL has passed, whatever the order of use', () => {
    const cache = createOpenedKeyCache({ ttlMs: 1000, max: 10 });
    const made: Uint8Array[] = [];
    const material = () => {
      const bytes = new Uint8Array([7]);
      made.push(bytes);
      return { destroy: () => bytes.fill(0) };
    };
    cache.set('a', 's', 'f', material(), 0);
    cache.set('b', 's', 'f', material(), 500);
    expect(cache.get('a', 's', 'f', 900)).toBeDefined(); // used: most recent now, expiry unchanged
    cache.set('c', 's', 'f', material(), 1200); // a expired at 1000
    expect(made.map((b) => b[0])).toEqual([0, 7, 7]);
    expect(cache.size).toBe(2);
    cache.set('d', 's', 'f', material(), 1400);
    expect(cache.size).toBe(3);
    cache.set('e', 's', 'f', material(), 1600); // b expired at 1500
    expect(made.map((b) => b[0])).toEqual([0, 0, 7, 7, 7]);
    expect(cache.size).toBe(3);
  });
});
