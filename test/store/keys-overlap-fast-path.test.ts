/**
 * keys.verify on the fast path (no record read, cached verifiers) when more than one version may
 * verify: a rotation overlap (current + previous) or a gradual rotation (pending + current). Every
 * accepted version is tried in the full path's order, each with its own constant-time compare;
 * a retired version, a previous one past its `retireAt`, and every version of a key that is not
 * usable (revoked, disabled, expired) are refused although their verifiers may still be cached.
 * Each verdict is also compared with the full path's (`options` given: no fast path).
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { registerSyncRead, syncReadOf } from '../../src/internal/sync-reads.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/index.js';
import { trustedStorage } from '../support/trusted-storage.js';

const data = new TextEncoder().encode('{"sub":"user-1"}');

/**
 * The memory adapter with its async reads counted. `get` keeps its synchronous twin (what the fast
 * path reads a remembered id through, without a promise); `findByName` (the full path's read by
 * name) has none, so every full-path verify counts one read and a fast-path verify counts 0.
 */
function countedMemory() {
  const inner = memoryStorage();
  const n = { reads: 0 };
  const get: StorageAdapter['get'] = async (id) => {
    n.reads++;
    return inner.get(id);
  };
  const findByName: StorageAdapter['findByName'] = async (name, where) => {
    n.reads++;
    return inner.findByName(name, where);
  };
  const peekGet = syncReadOf<[string]>(inner.get);
  if (peekGet === undefined) throw new Error('the memory adapter has no synchronous get');
  registerSyncRead(get, peekGet);
  return { storage: { ...inner, get, findByName } as StorageAdapter, n };
}

function setup() {
  const { storage, n } = countedMemory();
  const clock = fakeClock();
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey: generateMasterKey() }),
    clock,
    usage: false,
  });
  return { km, clock, n };
}

/** HMAC-SHA256 of `data` with version `version` of key `name` (exported), as node:crypto makes it. */
async function macWith(km: KeyManager, name: string, version: number): Promise<Uint8Array> {
  const jwk = (await km.keys.export(name, { version, includePrivate: true })) as unknown as { k: string };
  return new Uint8Array(
    nodeCrypto.createHmac('sha256', Buffer.from(jwk.k, 'base64url')).update(data).digest(),
  );
}

const flipped = (sig: Uint8Array): Uint8Array => {
  const out = sig.slice();
  out[out.length - 1] = (out[out.length - 1] as number) ^ 1;
  return out;
};

/**
 * The verdicts of `cases` on the fast path, asserting that no record was read for them and that
 * the full path (options given) gives the same verdicts.
 */
async function verdicts(
  h: ReturnType<typeof setup>,
  cases: [string, Uint8Array, Uint8Array?][],
): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  const before = h.n.reads;
  for (const [label, sig, body] of cases) out[label] = await h.km.keys.verify('k', body ?? data, sig);
  expect(h.n.reads - before, 'the fast path reads no record').toBe(0);
  for (const [label, sig, body] of cases) {
    expect(await h.km.keys.verify('k', body ?? data, sig, {}), `full path: ${label}`).toBe(out[label]);
  }
  return out;
}

/** Writes `edit(record)` as keywarden would (MAC'd through the manager's storage guard). */
async function rewrite(km: KeyManager, id: string, edit: (r: StoredRecord) => StoredRecord): Promise<void> {
  const trusted = trustedStorage(km);
  const r = (await trusted.get(id)) as StoredRecord;
  const next = edit(JSON.parse(JSON.stringify(r)) as StoredRecord);
  await trusted.update({ ...next, revision: r.revision + 1 }, { expectedRevision: r.revision });
}

/** A key rotated with a 1 h overlap: v1 previous (signed `s1`), v2 current (signed `s2`), both verifiers cached. */
async function overlapped(h: ReturnType<typeof setup>) {
  const { id } = await h.km.keys.create({ name: 'k', type: 'hmac' });
  const s1 = await h.km.keys.sign('k', data);
  await h.km.rotator.rotate({ key: 'k' }, { strategy: 'overlap', overlap: '1h' });
  const s2 = await h.km.keys.sign('k', data);
  expect(s2).not.toEqual(s1);
  // first calls: the record is read and checked, each version's verifier opened and cached
  expect(await h.km.keys.verify('k', data, s1)).toBe(true);
  expect(await h.km.keys.verify('k', data, s2)).toBe(true);
  return { id, s1, s2 };
}

describe('keys.verify fast path with several accepted versions', () => {
  it('during an overlap both versions verify without a record read; anything else is refused', async () => {
    const h = setup();
    const { s1, s2 } = await overlapped(h);
    expect(
      await verdicts(h, [
        ['current', s2],
        ['previous', s1],
        ['current, flipped', flipped(s2)],
        ['previous, flipped', flipped(s1)],
        ['previous, other data', s1, data.subarray(1)],
        ['short', s1.subarray(1)],
        ['zeros', new Uint8Array(32)],
      ]),
    ).toEqual({
      current: true,
      previous: true,
      'current, flipped': false,
      'previous, flipped': false,
      'previous, other data': false,
      short: false,
      zeros: false,
    });
    await h.km.close();
  });

  it('the previous version is refused from its retireAt on (its verifier still cached), the current one still verifies', async () => {
    const h = setup();
    const { s1, s2 } = await overlapped(h);
    h.clock.advance(3_599_999); // 1 ms before the end of the overlap
    for (const s of [s2, s1]) await h.km.keys.verify('k', data, s); // the opened-key cache's TTL ran out: reopen
    expect(await verdicts(h, [['previous', s1]])).toEqual({ previous: true });
    h.clock.advance(1); // retireAt reached: no longer accepted, before any runDue marks it retired
    expect(
      await verdicts(h, [
        ['previous', s1],
        ['current', s2],
      ]),
    ).toEqual({ previous: false, current: true });
    await h.km.close();
  });

  it('a retired version is refused although its retireAt is ahead and its verifier cached', async () => {
    const h = setup();
    const { id, s1, s2 } = await overlapped(h);
    await rewrite(h.km, id, (r) => ({
      ...r,
      versions: r.versions.map((v) =>
        v.version === 1 ? { ...v, state: 'retired', retiredAt: r.updatedAt } : v,
      ),
    }));
    expect(await h.km.keys.verify('k', data, s1)).toBe(false); // the new record object is read and checked once
    expect(
      await verdicts(h, [
        ['retired', s1],
        ['current', s2],
      ]),
    ).toEqual({ retired: false, current: true });
    await h.km.close();
  });

  for (const status of ['revoked', 'disabled'] as const) {
    it(`a ${status} key verifies no version`, async () => {
      const h = setup();
      const { id, s1, s2 } = await overlapped(h);
      await rewrite(h.km, id, (r) => ({ ...r, status }));
      expect(await h.km.keys.verify('k', data, s2)).toBe(false);
      expect(
        await verdicts(h, [
          ['previous', s1],
          ['current', s2],
        ]),
      ).toEqual({ previous: false, current: false });
      await h.km.close();
    });
  }

  it('an expired key verifies no version', async () => {
    const h = setup();
    await h.km.keys.create({ name: 'k', type: 'hmac', expiresIn: '2h' });
    const s1 = await h.km.keys.sign('k', data);
    await h.km.rotator.rotate({ key: 'k' }, { strategy: 'overlap', overlap: '1d' });
    const s2 = await h.km.keys.sign('k', data);
    for (const s of [s2, s1]) await h.km.keys.verify('k', data, s); // read once, verifiers cached
    expect(
      await verdicts(h, [
        ['previous', s1],
        ['current', s2],
      ]),
    ).toEqual({ previous: true, current: true });
    h.clock.advance('2h');
    expect(
      await verdicts(h, [
        ['previous', s1],
        ['current', s2],
      ]),
    ).toEqual({ previous: false, current: false });
    await h.km.close();
  });

  it('a gradual rotation: the pending version verifies (opened on first use, then cached) beside the current one', async () => {
    const h = setup();
    await h.km.keys.create({ name: 'k', type: 'hmac' });
    const s1 = await h.km.keys.sign('k', data);
    expect(await h.km.keys.verify('k', data, s1)).toBe(true);
    const rotated = await h.km.rotator.rotate({ key: 'k' }, { strategy: 'gradual' });
    expect(rotated.state).toBe('pending');
    const s2 = await macWith(h.km, 'k', rotated.version); // what a signer with the pending version makes
    expect(await h.km.keys.sign('k', data)).toEqual(s1); // the current version still signs
    expect(await h.km.keys.verify('k', data, s1)).toBe(true); // the new record object: read once
    // the pending version's verifier is not cached yet: opened on the fast path's second candidate
    expect(
      await verdicts(h, [
        ['pending', s2],
        ['current', s1],
        ['pending, flipped', flipped(s2)],
      ]),
    ).toEqual({
      pending: true,
      current: true,
      'pending, flipped': false,
    });
    await h.km.close();
  });

  it('three accepted versions (current, pending, previous): each verifies, a retired fourth does not', async () => {
    const h = setup();
    await h.km.keys.create({ name: 'k', type: 'hmac' });
    const s1 = await h.km.keys.sign('k', data);
    await h.km.rotator.rotate({ key: 'k' }, { strategy: 'overlap', overlap: '1d' });
    const s2 = await h.km.keys.sign('k', data);
    await h.km.rotator.rotate({ key: 'k' }, { strategy: 'overlap', overlap: '1d' }); // v1 retired, v2 previous
    const s3 = await h.km.keys.sign('k', data);
    const pending = await h.km.rotator.rotate({ key: 'k' }, { strategy: 'gradual' });
    const s4 = await macWith(h.km, 'k', pending.version);
    for (const s of [s1, s2, s3, s4]) await h.km.keys.verify('k', data, s); // read once, verifiers cached
    expect(
      await verdicts(h, [
        ['v1 retired', s1],
        ['v2 previous', s2],
        ['v3 current', s3],
        ['v4 pending', s4],
        ['v2, flipped', flipped(s2)],
      ]),
    ).toEqual({
      'v1 retired': false,
      'v2 previous': true,
      'v3 current': true,
      'v4 pending': true,
      'v2, flipped': false,
    });
    await h.km.close();
  });
});
