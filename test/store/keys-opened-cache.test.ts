/**
 * The opened-key cache behind keys.sign / keys.verify: the sealed key is opened (the KMS unwraps
 * its data key) once, not on every call; rotation, deletion, expiry, the TTL and close() all stop
 * the cached key from being used; `keyCache: false` opens on every call; bad options are refused.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createOpenedKeyCache } from '../../src/internal/opened-cache.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManagerOptions } from '../../src/manager/key-manager.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import { fakeClock } from '../../src/testing/index.js';

const data = new TextEncoder().encode('payload');

function countingKms(): { kms: KmsAdapter; unwraps: () => number } {
  const inner = localKms({ masterKey: generateMasterKey() });
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

async function setup(extra: Partial<KeyManagerOptions> = {}) {
  const { kms, unwraps } = countingKms();
  const clock = fakeClock();
  const km = createKeyManager({ storage: memoryStorage(), kms, clock, usage: false, ...extra });
  await km.ready();
  return { km, unwraps, clock };
}

describe('keys.sign and HMAC keys.verify open the sealed key once', () => {
  for (const type of ['ed25519', 'ecdsa', 'hmac', 'rsa'] as const) {
    it(`${type}: 20 signs and 20 verifies unwrap the data key once per use`, async () => {
      const { km, unwraps } = await setup();
      await km.keys.create({ name: 'k', type });
      const before = unwraps();
      const sigs: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) sigs.push(await km.keys.sign('k', data));
      for (const sig of sigs) expect(await km.keys.verify('k', data, sig)).toBe(true);
      expect(await km.keys.verify('k', data.subarray(1), sigs[0] as Uint8Array)).toBe(false);
      // signing opens once; an HMAC key's verifier holds the secret too and is opened once more;
      // an asymmetric verifier needs only the public JWK
      expect(unwraps() - before).toBe(type === 'hmac' ? 2 : 1);
      await km.close();
    });
  }

  it('keyCache: false opens the key on every call', async () => {
    const { km, unwraps } = await setup({ keyCache: false });
    await km.keys.create({ name: 'k', type: 'hmac' });
    const before = unwraps();
    const sig = await km.keys.sign('k', data);
    await km.keys.sign('k', data);
    expect(await km.keys.verify('k', data, sig)).toBe(true);
    expect(unwraps() - before).toBe(3);
    await km.close();
  });
});

describe('a cached key is never used past rotation, deletion, expiry, TTL or close', () => {
  it('after an immediate rotation the next signature is made by the new version only', async () => {
    const { km } = await setup();
    const key = await km.keys.create({ name: 'k', type: 'ed25519' });
    const old = await km.keys.sign('k', data);
    await km.rotator.rotate(key.id, { strategy: 'immediate' });
    const fresh = await km.keys.sign('k', data);
    expect(fresh).not.toEqual(old); // Ed25519 is deterministic: a different key signed
    const { keys } = await km.keys.jwks('k');
    expect(keys).toHaveLength(1);
    expect(await km.generator.verifyWithJwk(keys[0] as never, 'EdDSA', data, fresh)).toBe(true);
    expect(await km.generator.verifyWithJwk(keys[0] as never, 'EdDSA', data, old)).toBe(false);
    await km.close();
  });

  it('an HMAC key rotated by another manager sharing the store is not signed with by this one', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const a = createKeyManager({ storage, kms: localKms({ masterKey: masterKey.slice() }), usage: false });
    const b = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
    const key = await a.keys.create({ name: 'k', type: 'hmac' });
    const before = await a.keys.sign('k', data); // cached in a
    await b.rotator.rotate(key.id, { strategy: 'immediate' });
    const after = await a.keys.sign('k', data);
    expect(after).not.toEqual(before);
    expect(after).toEqual(await b.keys.sign('k', data));
    await a.close();
    await b.close();
  });

  it('a deleted key signs no more', async () => {
    const { km } = await setup();
    await km.keys.create({ name: 'k', type: 'hmac' });
    await km.keys.sign('k', data);
    await km.keys.delete('k');
    await expect(km.keys.sign('k', data)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await km.close();
  });

  it('an expired key signs no more', async () => {
    const { km, clock } = await setup();
    await km.keys.create({ name: 'k', type: 'hmac', expiresIn: '1h' });
    const sig = await km.keys.sign('k', data);
    clock.advance('2h');
    await expect(km.keys.sign('k', data)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(await km.keys.verify('k', data, sig)).toBe(false);
    await km.close();
  });

  it('past the TTL the key is opened again', async () => {
    const { km, unwraps, clock } = await setup({ keyCache: { ttl: '30s' } });
    await km.keys.create({ name: 'k', type: 'hmac' });
    const before = unwraps();
    await km.keys.sign('k', data);
    clock.advance('20s');
    await km.keys.sign('k', data);
    expect(unwraps() - before).toBe(1);
    clock.advance('11s');
    await km.keys.sign('k', data);
    expect(unwraps() - before).toBe(2);
    await km.close();
  });

  it('close() leaves nothing to sign with', async () => {
    const { km } = await setup();
    await km.keys.create({ name: 'k', type: 'hmac' });
    await km.keys.sign('k', data);
    await km.close();
    await expect(km.keys.sign('k', data)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('bad keyCache options are refused naming the field', () => {
    const { kms } = countingKms();
    const make = (keyCache: unknown) => () =>
      createKeyManager({ storage: memoryStorage(), kms, keyCache: keyCache as never });
    expect(make({ ttl: 'soon' })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'keyCache.ttl' }),
    );
    expect(make({ max: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'keyCache.max' }),
    );
    expect(make({ size: 3 })).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION' }));
    expect(make(true)).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION', field: 'keyCache' }));
  });
});

describe('createOpenedKeyCache', () => {
  const material = () => {
    const bytes = new Uint8Array([1, 2, 3]);
    return { bytes, destroy: () => bytes.fill(0) };
  };

  it('returns an entry only for the same fingerprint and destroys what it drops', () => {
    const cache = createOpenedKeyCache({ ttlMs: 1000, max: 2 });
    const a = material();
    cache.set('r1', 's', 'fp1', a, 0);
    expect(cache.get('r1', 's', 'fp1', 10)).toBe(a);
    expect(cache.get('r1', 's', 'fp2', 10)).toBeUndefined(); // another sealed value: dropped
    expect(a.bytes).toEqual(new Uint8Array(3));
    expect(cache.size).toBe(0);
  });

  it('keeps at most max entries, least recently used out first, and expires by age not use', () => {
    const cache = createOpenedKeyCache({ ttlMs: 1000, max: 2 });
    const [a, b, c] = [material(), material(), material()];
    cache.set('r1', 's', 'f', a, 0);
    cache.set('r2', 's', 'f', b, 0);
    expect(cache.get('r1', 's', 'f', 1)).toBe(a); // r1 is now the most recent
    cache.set('r3', 's', 'f', c, 2);
    expect(cache.size).toBe(2);
    expect(cache.get('r2', 's', 'f', 3)).toBeUndefined();
    expect(b.bytes).toEqual(new Uint8Array(3));
    expect(cache.get('r1', 's', 'f', 999)).toBe(a);
    expect(cache.get('r1', 's', 'f', 1000)).toBeUndefined(); // 1000 ms after it was opened
    expect(a.bytes).toEqual(new Uint8Array(3));
    cache.drop('r3');
    expect(c.bytes).toEqual(new Uint8Array(3));
    expect(cache.size).toBe(0);
  });

  it('with max 0 keeps nothing and destroys what it is given; clear() empties it', () => {
    const none = createOpenedKeyCache({ ttlMs: 1000, max: 0 });
    const a = material();
    none.set('r', 's', 'f', a, 0);
    expect(none.size).toBe(0);
    expect(a.bytes).toEqual(new Uint8Array(3));
    const cache = createOpenedKeyCache({ ttlMs: 1000, max: 5 });
    const b = material();
    cache.set('r', 's', 'f', b, 0);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(b.bytes).toEqual(new Uint8Array(3));
  });
});
