import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { keyGenerator } from '../../src/crypto/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManagerOptions } from '../../src/manager/key-manager.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { allAudit, expectKw, wrapStorage } from './api-keys-helpers.js';

const kms = () => localKms({ masterKey: generateMasterKey() });

describe('createKeyManager options', () => {
  const bad: [string, unknown, string][] = [
    ['not an object', 'x', 'options'],
    ['null', null, 'options'],
    ['missing storage', { kms: kms() }, 'storage'],
    ['storage without methods', { storage: { get() {} }, kms: kms() }, 'storage'],
    ['missing kms', { storage: memoryStorage() }, 'kms'],
    ['kms without id', { storage: memoryStorage(), kms: { wrapKey() {}, unwrapKey() {} } }, 'kms'],
    ['bad notifier', { storage: memoryStorage(), kms: kms(), notifier: {} }, 'notifier'],
    ['bad clock', { storage: memoryStorage(), kms: kms(), clock: Date }, 'clock'],
    ['bad rate limiter', { storage: memoryStorage(), kms: kms(), rateLimiter: 5 }, 'rateLimiter'],
    [
      'bad verifications',
      { storage: memoryStorage(), kms: kms(), audit: { verifications: 'some' } },
      'audit.verifications',
    ],
    ['unknown audit option', { storage: memoryStorage(), kms: kms(), audit: { x: 1 } }, 'audit'],
    [
      'bad prefix',
      { storage: memoryStorage(), kms: kms(), defaults: { apiKeyPrefix: 'Bad' } },
      'defaults.apiKeyPrefix',
    ],
    [
      'bad expiresIn',
      { storage: memoryStorage(), kms: kms(), defaults: { expiresIn: '90 days' } },
      'defaults.expiresIn',
    ],
    ['unknown option', { storage: memoryStorage(), kms: kms(), masterKey: 'x' }, 'masterKey'],
  ];
  it.each(bad)('%s -> ERR_VALIDATION', async (_label, options, field) => {
    const e = await expectKw(async () => createKeyManager(options as KeyManagerOptions), 'ERR_VALIDATION');
    expect(e.field).toBe(field);
    expect(e.message).not.toContain('[object');
  });

  it('exposes the parts: generator, store, views, rewrap', async () => {
    const { km } = createTestKeyManager();
    expect(km.generator).toBe(keyGenerator);
    expect(km.store.apiKeys).toBe(km.apiKeys);
    expect(km.store.secrets).toBe(km.secrets);
    expect(km.store.keys).toBe(km.keys);
    expect(km.store.audit).toBe(km.audit);
    expect(Object.isFrozen(km)).toBe(true);
    const report = await km.rewrap();
    expect(report).toMatchObject({ records: 0, versions: 0, failed: [] });
  });
});

describe('ready()', () => {
  it('is lazy, creates the store id and pepper once, and audits store.initialized once', async () => {
    const inner = memoryStorage();
    let calls = 0;
    const storage = wrapStorage(inner, {
      getMeta: (k) => {
        calls++;
        return inner.getMeta(k);
      },
    });
    const masterKey = generateMasterKey();
    const km = createKeyManager({ storage, kms: localKms({ masterKey }) });
    expect(calls).toBe(0);
    await Promise.all([km.ready(), km.ready(), km.apiKeys.list()]);
    const id = await inner.getMeta('store.id');
    expect(id).toMatch(/^[0-9A-Za-z]{16}$/);
    const pepper = JSON.parse((await inner.getMeta('store.pepper')) as string);
    expect(pepper).toMatchObject({ kms: 'local' });
    const km2 = createKeyManager({ storage: inner, kms: localKms({ masterKey }) });
    await km2.ready();
    expect(await inner.getMeta('store.id')).toBe(id);
    const init = (await allAudit(inner)).filter((e) => e.type === 'store.initialized');
    expect(init).toHaveLength(1);
    // both managers hash with the same pepper: a key made by one verifies with the other
    const { token } = await km.apiKeys.create({ name: 'x' });
    expect((await km2.apiKeys.verify(token)).valid).toBe(true);
  });

  it('is race-safe: two managers initializing one empty store agree on id and pepper', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const a = createKeyManager({ storage, kms: localKms({ masterKey }) });
    const b = createKeyManager({ storage, kms: localKms({ masterKey }) });
    await Promise.all([a.ready(), b.ready()]);
    const { token } = await a.apiKeys.create({ name: 'x' });
    expect((await b.apiKeys.verify(token)).valid).toBe(true);
  });

  it('fails with ERR_MASTER_KEY_MISMATCH for another master key, and works with it in previousKeys', async () => {
    const storage = memoryStorage();
    const original = generateMasterKey();
    const km = createKeyManager({ storage, kms: localKms({ masterKey: original }) });
    const { token } = await km.apiKeys.create({ name: 'x' });
    const wrong = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    const e = await expectKw(() => wrong.ready(), 'ERR_MASTER_KEY_MISMATCH');
    expect(e.message).toMatch(/master key/);
    await expectKw(() => wrong.apiKeys.verify(token), 'ERR_MASTER_KEY_MISMATCH');
    const rotated = createKeyManager({
      storage,
      kms: localKms({ masterKey: generateMasterKey(), previousKeys: [original] }),
    });
    expect((await rotated.apiKeys.verify(token)).valid).toBe(true);
  });

  it('surfaces storage failures as ERR_STORAGE, and retries init on the next call', async () => {
    const inner = memoryStorage();
    let fail = true;
    const storage = wrapStorage(inner, {
      getMeta: async (k) => {
        if (fail) throw new Error('connection refused');
        return inner.getMeta(k);
      },
    });
    const { km } = createTestKeyManager({ storage });
    const e = await expectKw(() => km.ready(), 'ERR_STORAGE');
    expect((e.cause as Error).message).toBe('connection refused');
    fail = false;
    await km.ready();
  });
});

describe('close()', () => {
  it('closes storage, kms and rate limiter once; every later call is ERR_CLOSED', async () => {
    const closed: string[] = [];
    const inner = memoryStorage();
    const storage = wrapStorage(inner, { close: async () => void closed.push('storage') });
    const k = kms();
    const kmsClose = k.close.bind(k);
    const limiter = memoryRateLimiter();
    const rateLimiter: RateLimiter = {
      limit: (...args) => limiter.limit(...args),
      close: async () => void closed.push('rateLimiter'),
    };
    const km = createKeyManager({
      storage,
      kms: {
        ...k,
        id: k.id,
        wrapKey: k.wrapKey,
        unwrapKey: k.unwrapKey,
        close: async () => {
          closed.push('kms');
          await kmsClose();
        },
      },
      rateLimiter,
    });
    const { token, key } = await km.apiKeys.create({ name: 'c' });
    await Promise.all([km.close(), km.close()]);
    await km.close();
    expect(closed.sort()).toEqual(['kms', 'rateLimiter', 'storage']);
    await expectKw(() => km.ready(), 'ERR_CLOSED');
    await expectKw(() => km.apiKeys.verify(token), 'ERR_CLOSED');
    await expectKw(() => km.apiKeys.verify('garbage'), 'ERR_CLOSED');
    await expectKw(() => km.apiKeys.get(key.id), 'ERR_CLOSED');
    await expectKw(() => km.apiKeys.create({ name: 'x' }), 'ERR_CLOSED');
    await expectKw(() => km.apiKeys.list(), 'ERR_CLOSED');
    await expectKw(() => km.audit.verify(), 'ERR_CLOSED');
    await expectKw(() => km.audit.list(), 'ERR_CLOSED');
  });
});

describe('notifier', () => {
  it('a failing notifier never fails the operation', async () => {
    for (const notify of [
      async () => {
        throw new Error('webhook down');
      },
      () => {
        throw new Error('sync throw');
      },
    ]) {
      let calls = 0;
      const { km } = createTestKeyManager({
        notifier: {
          notify: ((...args: []) => {
            calls++;
            return (notify as (...a: []) => Promise<void>)(...args);
          }) as () => Promise<void>,
        },
      });
      const { key } = await km.apiKeys.create({ name: 'n' });
      expect((await km.apiKeys.revoke(key.id)).status).toBe('revoked');
      await new Promise((r) => setTimeout(r, 0));
      expect(calls).toBe(2);
      expect((await km.apiKeys.get(key.id)).status).toBe('revoked');
    }
  });
});

describe('verify and infrastructure failures', () => {
  it('throws ERR_STORAGE when storage fails (never a result)', async () => {
    const inner = memoryStorage();
    let fail = false;
    const storage = wrapStorage(inner, {
      get: async (id) => {
        if (fail) throw new TypeError('socket hang up');
        return inner.get(id);
      },
    });
    const { km } = createTestKeyManager({ storage });
    const { token } = await km.apiKeys.create({ name: 'i' });
    fail = true;
    await expectKw(() => km.apiKeys.verify(token), 'ERR_STORAGE');
  });
});

describe('createTestKeyManager', () => {
  it('wires a fake clock that drives the manager', async () => {
    const { km, clock } = createTestKeyManager({ now: Date.UTC(2031, 5, 1) });
    expect(clock.now()).toBe(Date.UTC(2031, 5, 1));
    const { key } = await km.apiKeys.create({ name: 't', expiresIn: '1d' });
    expect(key.createdAt).toBe(Date.UTC(2031, 5, 1));
    clock.advance('1d');
    expect((await km.apiKeys.get(key.id)).status).toBe('expired');
  });
});
