/**
 * keys.sign / keys.verify without a promise hop (issue 16): a repeat call with a name of the
 * default scope finds the record by a remembered id, through the memory adapter's synchronous read,
 * and signs with the cached opened key. Everything that must apply on the very next call still
 * does: deletion and re-creation under the same name, rotation, expiry, a record written behind the
 * manager (checked by the storage guard first), other scopes, close().
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { fakeClock } from '../../src/testing/index.js';
import { code, tamper } from '../support/store-attack.js';

const data = new TextEncoder().encode('payload');

function setup() {
  const storage = memoryStorage();
  const clock = fakeClock();
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey: generateMasterKey() }),
    clock,
    usage: false,
  });
  return { km, storage, clock };
}

describe('keys.sign and keys.verify on the fast path', () => {
  for (const type of ['hmac', 'ed25519', 'ecdsa'] as const) {
    it(`${type}: repeat calls give what the full path gives, and bad input is refused the same way`, async () => {
      const { km } = setup();
      await km.keys.create({ name: 'k', type });
      const first = await km.keys.sign('k', data); // full path: remembers the name, opens the key
      const again = await km.keys.sign('k', data); // fast path
      if (type !== 'ecdsa') expect(again).toEqual(first); // HMAC and Ed25519 are deterministic
      expect(await km.keys.verify('k', data, first)).toBe(true);
      expect(await km.keys.verify('k', data, again)).toBe(true);
      expect(await km.keys.verify('k', data.subarray(1), again)).toBe(false);
      expect(await km.keys.verify('k', data, again.subarray(1))).toBe(false);
      expect(await km.keys.verify('k', data, 'not base64url!')).toBe(false);
      expect(await code(km.keys.sign('k', 42 as never))).toBe('ERR_VALIDATION');
      expect(await code(km.keys.verify('k', data, 42 as never))).toBe('ERR_VALIDATION');
      expect(await code(km.keys.verify('k', 42 as never, again))).toBe('ERR_VALIDATION');
      await km.close();
    });
  }

  it('a key deleted and created again under the same name: the new key signs', async () => {
    const { km } = setup();
    await km.keys.create({ name: 'k', type: 'hmac' });
    const old = await km.keys.sign('k', data);
    expect(await km.keys.verify('k', data, old)).toBe(true);
    await km.keys.delete('k');
    expect(await code(km.keys.sign('k', data))).toBe('ERR_NOT_FOUND');
    await km.keys.create({ name: 'k', type: 'hmac' });
    const fresh = await km.keys.sign('k', data);
    expect(fresh).not.toEqual(old);
    expect(await km.keys.verify('k', data, old)).toBe(false);
    expect(await km.keys.verify('k', data, fresh)).toBe(true);
    await km.close();
  });

  it('after a rotation the new version signs and both verify during the overlap', async () => {
    const { km } = setup();
    await km.keys.create({ name: 'k', type: 'hmac' });
    const v1 = await km.keys.sign('k', data);
    await km.keys.sign('k', data);
    await km.rotator.rotate({ key: 'k' });
    const v2 = await km.keys.sign('k', data);
    expect(v2).not.toEqual(v1);
    expect(await km.keys.sign('k', data)).toEqual(v2);
    expect(await km.keys.verify('k', data, v1)).toBe(true); // previous version, still accepted
    expect(await km.keys.verify('k', data, v2)).toBe(true);
    await km.close();
  });

  it('an expired key is refused on the next call', async () => {
    const { km, clock } = setup();
    await km.keys.create({ name: 'k', type: 'hmac', expiresIn: '1h' });
    const sig = await km.keys.sign('k', data);
    expect(await km.keys.verify('k', data, sig)).toBe(true);
    clock.advance('1h');
    expect(await code(km.keys.sign('k', data))).toBe('ERR_INVALID_STATE');
    expect(await km.keys.verify('k', data, sig)).toBe(false);
    await km.close();
  });

  it('a record written behind the manager is checked by the storage guard before use', async () => {
    const { km, storage } = setup();
    const { id } = await km.keys.create({ name: 'k', type: 'hmac' });
    const sig = await km.keys.sign('k', data);
    await tamper(storage, id, (r) => ({ ...r, expiresAt: null, status: 'active', tags: ['x'] }));
    expect(await code(km.keys.sign('k', data))).toBe('ERR_INTEGRITY');
    expect(await code(km.keys.verify('k', data, sig))).toBe('ERR_INTEGRITY');
    await km.close();
  });

  it('another environment is another key; after close() ERR_CLOSED', async () => {
    const { km } = setup();
    await km.keys.create({ name: 'k', type: 'hmac' });
    await km.keys.create({ name: 'k', type: 'hmac', environment: 'production' });
    const plain = await km.keys.sign('k', data);
    await km.keys.sign('k', data);
    const prod = await km.keys.sign('k', data, { environment: 'production' });
    expect(prod).not.toEqual(plain);
    expect(await km.keys.verify('k', data, prod)).toBe(false);
    expect(await km.keys.verify('k', data, prod, { environment: 'production' })).toBe(true);
    await km.close();
    expect(await code(km.keys.sign('k', data))).toBe('ERR_CLOSED');
    expect(await code(km.keys.verify('k', data, plain))).toBe('ERR_CLOSED');
  });
});
