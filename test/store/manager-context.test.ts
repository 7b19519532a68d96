import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { toBase64Url, utf8Encode } from '../../src/internal/bytes.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import {
  createStoreContext,
  META_PEPPER,
  META_STORE_ID,
  pepperContext,
} from '../../src/manager/store-context.js';
import type { WrappedKey } from '../../src/ports/kms.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { allAudit, expectKw, wrapStorage } from './api-keys-helpers.js';

const options = { apiKeyPrefix: 'kw', expiresIn: null, verifications: 'failures' } as const;

function make(storage: StorageAdapter = memoryStorage(), masterKey = generateMasterKey()) {
  const kms = localKms({ masterKey });
  const clock = fakeClock();
  const ctx = createStoreContext({ storage, kms, clock, options, rateLimiter: memoryRateLimiter() });
  return { ctx, kms, storage, clock, masterKey };
}

describe('createStoreContext', () => {
  it('hashToken is HMAC-SHA256(pepper, token), base64url, for ASCII and non-ASCII input', async () => {
    const { ctx, kms, storage } = make();
    const state = await ctx.ready();
    const wrapped = JSON.parse((await storage.getMeta(META_PEPPER)) as string) as WrappedKey;
    const pepper = await kms.unwrapKey(wrapped, pepperContext(state.storeId));
    expect(state.storeId).toBe(await storage.getMeta(META_STORE_ID));
    for (const token of ['kw_abc', 'x'.repeat(300), 'héllo ✓', '']) {
      expect(state.hashToken(token)).toBe(toBase64Url(hmac(sha256, pepper, utf8Encode(token))));
      expect(state.hashToken(token)).toBe(state.hashToken(token));
    }
    expect(state.hashToken('a')).not.toBe(state.hashToken('b'));
  });

  it('audit() fills id, time and digest and appends in order', async () => {
    const { ctx, storage, clock } = make();
    await ctx.ready();
    clock.advance('1m');
    await ctx.audit([
      { type: 'key.updated', keyId: 'k1', kind: 'api_key', data: { n: 1 } },
      { type: 'key.deleted', keyId: 'k1', kind: 'api_key', actor: 'me', context: { ip: '::1' } },
    ]);
    const events = await allAudit(storage);
    expect(events.map((e) => e.type)).toEqual(['store.initialized', 'key.updated', 'key.deleted']);
    expect(events[1]).toMatchObject({
      at: clock.now(),
      version: null,
      tenantId: null,
      actor: null,
      data: { n: 1 },
    });
    expect(events[2]).toMatchObject({ actor: 'me', context: { ip: '::1' }, data: {} });
    expect(events[1]?.id).toMatch(/^[0-9A-Za-z]{16}$/);
    await ctx.audit([]);
    expect(await allAudit(storage)).toHaveLength(3);
  });

  it('re-reads the store id when another process created it first (setMeta conflict)', async () => {
    const inner = memoryStorage();
    await inner.setMeta(META_STORE_ID, 'existingStoreId00');
    let hidden = true;
    const storage = wrapStorage(inner, {
      getMeta: async (k) => {
        if (k === META_STORE_ID && hidden) {
          hidden = false;
          return null;
        }
        return inner.getMeta(k);
      },
    });
    const { ctx } = make(storage);
    expect((await ctx.ready()).storeId).toBe('existingStoreId00');
    expect((await allAudit(inner)).filter((e) => e.type === 'store.initialized')).toHaveLength(0);
  });

  it('a corrupt pepper is ERR_STORAGE; a pepper of another master key is ERR_MASTER_KEY_MISMATCH', async () => {
    const a = make();
    await a.ctx.ready();
    const b = make(a.storage);
    await expectKw(() => b.ctx.ready(), 'ERR_MASTER_KEY_MISMATCH');
    const corrupt = memoryStorage();
    await corrupt.setMeta(META_STORE_ID, 'someStoreId00000');
    await corrupt.setMeta(META_PEPPER, '{not json');
    await expectKw(() => make(corrupt).ctx.ready(), 'ERR_STORAGE');
    const tampered = memoryStorage();
    const t = make(tampered);
    await t.ctx.ready();
    const w = JSON.parse((await tampered.getMeta(META_PEPPER)) as string) as WrappedKey;
    const flipped = {
      ...w,
      data: `${w.data.slice(0, 10)}${w.data[10] === 'A' ? 'B' : 'A'}${w.data.slice(11)}`,
    };
    await tampered.setMeta(META_PEPPER, JSON.stringify(flipped));
    await expectKw(() => make(tampered, t.masterKey).ctx.ready(), 'ERR_MASTER_KEY_MISMATCH');
  });

  it('after close every call is ERR_CLOSED and the hash function stops working', async () => {
    const { ctx } = make();
    const state = await ctx.ready();
    await ctx.close();
    await ctx.close();
    expect(() => state.hashToken('x')).toThrow(/closed/);
    await expectKw(() => ctx.ready(), 'ERR_CLOSED');
    await expectKw(() => ctx.audit({ type: 'key.updated', keyId: null, kind: null }), 'ERR_CLOSED');
    expect(() => ctx.newId()).toThrow(/closed/);
    expect(() => ctx.duration('1d', 'x')).toThrow(/closed/);
    expect(ctx.closed).toBe(true);
  });

  it('newId and duration', async () => {
    const { ctx } = make();
    expect(ctx.newId()).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(ctx.duration('1h', 'f')).toBe(3_600_000);
    await expectKw(async () => ctx.duration('1 hour', 'rotation.every'), 'ERR_VALIDATION', 'rotation.every');
  });
});

describe('createStoreContext reload()', () => {
  it('drops the cached store id and pepper and loads the ones now in meta', async () => {
    const masterKey = generateMasterKey();
    const other = make(memoryStorage(), masterKey);
    const otherState = await other.ctx.ready();
    const { ctx, kms, storage } = make(memoryStorage(), masterKey);
    const before = await ctx.ready();
    const oldHash = before.hashToken('kw_token');
    // another store's identity moves in (what a backup import into an empty store does)
    await storage.setMeta(META_STORE_ID, otherState.storeId, { expected: before.storeId });
    await storage.setMeta(META_PEPPER, (await other.storage.getMeta(META_PEPPER)) as string, {
      expected: await storage.getMeta(META_PEPPER),
    });
    expect((await ctx.ready()).storeId).toBe(before.storeId); // cached until reloaded
    const after = await ctx.reload();
    expect(after.storeId).toBe(otherState.storeId);
    expect((await ctx.ready()).storeId).toBe(otherState.storeId);
    expect(after.hashToken('kw_token')).toBe(otherState.hashToken('kw_token'));
    expect(after.hashToken('kw_token')).not.toBe(oldHash);
    // the old pepper is gone: even a state handed out before the reload hashes with the new one
    expect(before.hashToken('kw_token')).toBe(after.hashToken('kw_token'));
    expect(kms.id).toBe('local');
    await ctx.close();
    await expectKw(() => ctx.reload(), 'ERR_CLOSED');
  });
});
