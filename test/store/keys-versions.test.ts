import { describe, expect, it } from 'vitest';
import type { Jwk } from '../../src/crypto/jwk-types.js';
import { signWithJwk } from '../../src/crypto/signing.js';
import { utf8Encode } from '../../src/internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../../src/ports/storage.js';
import { newKeyVersion, openKeyJwk } from '../../src/store/keys.js';
import {
  outcomeCode as code,
  copyRecord,
  type Harness,
  makeHarness,
  storedByName,
} from '../support/store-context.js';

/**
 * Gives key `name` four versions: 1 retired, 2 previous (retireAt = now + 1h), 3 current, 4 pending,
 * using the exported material builder the rotator uses.
 */
async function fourVersions(
  h: Harness,
  name: string,
): Promise<{ record: StoredRecord; keys: Map<number, Jwk> }> {
  const storeId = (await h.inner.getMeta('store.id')) as string;
  const state = { storeId };
  const found = await storedByName(h.inner, 'key', name);
  const rec = copyRecord(found);
  const now = h.clock.now();
  const v1 = { ...(rec.versions[0] as StoredVersion), state: 'retired' as const, retiredAt: now };
  const v2 = await newKeyVersion({ kms: h.kms }, state, rec, { version: 2, state: 'previous', now });
  v2.retireAt = now + 3_600_000;
  const v3 = await newKeyVersion({ kms: h.kms }, state, rec, { version: 3, state: 'current', now });
  const v4 = await newKeyVersion({ kms: h.kms }, state, rec, { version: 4, state: 'pending', now });
  const next: StoredRecord = { ...rec, versions: [v1, v2, v3, v4], revision: rec.revision + 1 };
  await h.trusted.update(next, { expectedRevision: rec.revision });
  const keys = new Map<number, Jwk>();
  for (const v of next.versions) keys.set(v.version, await openKeyJwk({ kms: h.kms }, state, next, v));
  return { record: next, keys };
}

describe('km.keys: versions', () => {
  it('jwks publishes pending, current and previous (until retireAt), never retired', async () => {
    const h = makeHarness();
    await h.km.keys.create({ name: 'jwt', type: 'ed25519' });
    const { record } = await fourVersions(h, 'jwt');
    const kids = (v: number) => record.versions.find((x) => x.version === v)?.kid;
    const { keys } = await h.km.keys.jwks('jwt');
    expect(keys.map((k) => k.kid)).toEqual([kids(3), kids(4), kids(2)]);
    for (const k of keys) expect(k).toMatchObject({ alg: 'EdDSA', use: 'sig' });
    h.clock.advance('1h');
    expect((await h.km.keys.jwks('jwt')).keys.map((k) => k.kid)).toEqual([kids(3), kids(4)]);
    const info = await h.km.keys.info('jwt');
    expect(info.kid).toBe(kids(3));
    expect(info.versions.map((v) => v.state)).toEqual(['retired', 'previous', 'current', 'pending']);
  });

  it('sign uses the current version; verify accepts every accepted version only', async () => {
    const h = makeHarness();
    await h.km.keys.create({ name: 'k', type: 'ecdsa', algorithm: 'ES256' });
    const { keys } = await fourVersions(h, 'k');
    const data = utf8Encode('msg');
    const sig = await h.km.keys.sign('k', data);
    const { verifyWithJwk } = await import('../../src/crypto/signing.js');
    expect(await verifyWithJwk(keys.get(3) as Jwk, 'ES256', data, sig)).toBe(true);
    expect(await verifyWithJwk(keys.get(2) as Jwk, 'ES256', data, sig)).toBe(false);
    for (const [v, ok] of [
      [1, false],
      [2, true],
      [3, true],
      [4, true],
    ] as const) {
      const s = await signWithJwk(keys.get(v) as Jwk, 'ES256', data);
      expect(await h.km.keys.verify('k', data, s)).toBe(ok);
    }
    h.clock.advance('1h');
    expect(await h.km.keys.verify('k', data, await signWithJwk(keys.get(2) as Jwk, 'ES256', data))).toBe(
      false,
    );
  });

  it('hmac verify opens each accepted version', async () => {
    const h = makeHarness();
    await h.km.keys.create({ name: 'h', type: 'hmac', algorithm: 'HS512' });
    const { keys } = await fourVersions(h, 'h');
    const data = utf8Encode('body');
    expect(await h.km.keys.verify('h', data, await signWithJwk(keys.get(2) as Jwk, 'HS512', data))).toBe(
      true,
    );
    expect(await h.km.keys.verify('h', data, await signWithJwk(keys.get(1) as Jwk, 'HS512', data))).toBe(
      false,
    );
  });

  it('aes: ciphertexts of older accepted versions decrypt, retired ones do not', async () => {
    const h = makeHarness();
    await h.km.keys.create({ name: 'aes', type: 'aes' });
    const v1ct = await h.km.keys.encrypt('aes', 'from v1');
    await fourVersions(h, 'aes');
    expect(await code(h.km.keys.decrypt('aes', v1ct))).toBe('ERR_DECRYPT');
    const v3ct = await h.km.keys.encrypt('aes', 'from v3');
    // promote v4, v3 becomes previous
    const rec = copyRecord(await storedByName(h.inner, 'key', 'aes'));
    rec.versions = rec.versions.map((v) =>
      v.version === 3
        ? { ...v, state: 'previous', retireAt: null }
        : v.version === 4
          ? { ...v, state: 'current' }
          : v,
    );
    await h.trusted.update({ ...rec, revision: rec.revision + 1 }, { expectedRevision: rec.revision });
    expect(new TextDecoder().decode(await h.km.keys.decrypt('aes', v3ct))).toBe('from v3');
    const v4ct = await h.km.keys.encrypt('aes', 'from v4');
    expect(new TextDecoder().decode(await h.km.keys.decrypt('aes', v4ct))).toBe('from v4');
  });

  it('export of a given version, and of a destroyed one', async () => {
    const h = makeHarness();
    await h.km.keys.create({ name: 'k', type: 'ed25519' });
    const { record } = await fourVersions(h, 'k');
    const pub = await h.km.keys.export('k', { version: 2 });
    expect(pub.kid).toBe(record.versions[1]?.kid);
    const rec = copyRecord(record);
    rec.versions[1] = { ...(rec.versions[1] as StoredVersion), sealed: null, destroyedAt: h.clock.now() };
    await h.trusted.update({ ...rec, revision: rec.revision + 1 }, { expectedRevision: rec.revision });
    expect(await code(h.km.keys.export('k', { version: 2, includePrivate: true }))).toBe('ERR_INVALID_STATE');
    expect((await h.km.keys.export('k', { version: 2 })).kid).toBe(record.versions[1]?.kid);
  });
});
