import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { utf8Encode } from '../../src/internal/bytes.js';
import { allAudit, makeHarness, snapshot } from '../support/store-context.js';

async function err(
  p: Promise<unknown>,
): Promise<{ code: string; field?: string | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isKeywardenError(e)) return { code: e.code, field: e.field, message: e.message };
    return { code: `untyped:${String(e)}`, message: String(e) };
  }
  return { code: 'ok', message: '' };
}

describe('km.secrets: set and get', () => {
  it('stores a value and returns it; info never holds it', async () => {
    const { km } = makeHarness();
    const info = await km.secrets.set('OPENAI_API_KEY', 'sk-test-123', { provider: 'openai', tags: ['ai'] });
    expect(info).toMatchObject({
      name: 'OPENAI_API_KEY',
      environment: 'default',
      tenantId: null,
      provider: 'openai',
      envVar: 'OPENAI_API_KEY',
      tags: ['ai'],
      version: 1,
      versionCount: 1,
      status: 'active',
    });
    expect(JSON.stringify(info)).not.toContain('sk-test-123');
    expect(await km.secrets.get('OPENAI_API_KEY')).toBe('sk-test-123');
  });

  it('accepts a UTF-8 Uint8Array and multi-byte text', async () => {
    const { km } = makeHarness();
    await km.secrets.set('bytes', utf8Encode('héllo ✓ 𝄞'));
    expect(await km.secrets.get('bytes')).toBe('héllo ✓ 𝄞');
    await km.secrets.set('max', 'x'.repeat(65_536));
    expect((await km.secrets.get('max')).length).toBe(65_536);
  });

  it('keeps environments and tenants apart', async () => {
    const { km } = makeHarness();
    await km.secrets.set('db', 'dev-pass');
    await km.secrets.set('db', 'prod-pass', { environment: 'production' });
    await km.secrets.set('db', 'tenant-pass', { environment: 'production', tenantId: 't1' });
    expect(await km.secrets.get('db')).toBe('dev-pass');
    expect(await km.secrets.get('db', { environment: 'production' })).toBe('prod-pass');
    expect(await km.secrets.get('db', { environment: 'production', tenantId: 't1' })).toBe('tenant-pass');
    expect((await err(km.secrets.get('db', { tenantId: 't2' }))).code).toBe('ERR_NOT_FOUND');
  });

  it('a second set makes a new current version and demotes the old ones', async () => {
    const { km } = makeHarness();
    await km.secrets.set('s', 'one');
    await km.secrets.set('s', 'two');
    const info = await km.secrets.set('s', 'three');
    expect(info.version).toBe(3);
    const versions = await km.secrets.versions('s');
    expect(versions.map((v) => [v.version, v.state, v.hasValue])).toEqual([
      [1, 'retired', true],
      [2, 'previous', true],
      [3, 'current', true],
    ]);
    expect(await km.secrets.get('s')).toBe('three');
    expect(await km.secrets.get('s', { version: 2 })).toBe('two');
    const retired = await err(km.secrets.get('s', { version: 1 }));
    expect(retired).toMatchObject({ code: 'ERR_INVALID_STATE', field: 'version' });
    expect((await err(km.secrets.get('s', { version: 9 }))).code).toBe('ERR_NOT_FOUND');
  });

  it('set keeps metadata it is not given and updates what it is given', async () => {
    const { km } = makeHarness();
    await km.secrets.set('s', 'one', { provider: 'p', envVar: 'MY_VAR', description: 'hi', meta: { a: 1 } });
    const info = await km.secrets.set('s', 'two', { tags: ['x'] });
    expect(info).toMatchObject({
      provider: 'p',
      envVar: 'MY_VAR',
      description: 'hi',
      meta: { a: 1 },
      tags: ['x'],
    });
    const cleared = await km.secrets.set('s', 'three', { provider: null, envVar: null });
    expect(cleared).toMatchObject({ provider: null, envVar: 'S' });
  });

  it('destroys values beyond the 10 newest versions, keeping metadata', async () => {
    const { km } = makeHarness();
    for (let i = 1; i <= 13; i++) await km.secrets.set('s', `value-${i}`);
    const versions = await km.secrets.versions('s');
    expect(versions).toHaveLength(13);
    expect(versions.filter((v) => !v.hasValue).map((v) => v.version)).toEqual([1, 2, 3]);
    expect(versions.find((v) => v.version === 1)?.destroyedAt).toBeTypeOf('number');
    const destroyed = await err(km.secrets.get('s', { version: 1 }));
    expect(destroyed.code).toBe('ERR_INVALID_STATE');
    expect(destroyed.message).toContain('destroyed');
    expect(await km.secrets.get('s', { version: 12 })).toBe('value-12');
  });

  it('refuses expired and future-expiry rules', async () => {
    const { km, clock } = makeHarness();
    await km.secrets.set('s', 'v', { expiresAt: clock.now() + 1000 });
    expect(await km.secrets.get('s')).toBe('v');
    clock.advance(1000);
    expect((await err(km.secrets.get('s'))).code).toBe('ERR_INVALID_STATE');
    const past = await err(km.secrets.set('t', 'v', { expiresAt: clock.now() - 1 }));
    expect(past).toMatchObject({ code: 'ERR_VALIDATION', field: 'options.expiresAt' });
    await km.secrets.set('s', 'v2', { expiresAt: null });
    expect(await km.secrets.get('s')).toBe('v2');
  });

  it('audits reads as secret.read and sets as secret.set, without values', async () => {
    const { km, inner } = makeHarness();
    await km.secrets.set('s', 'top-secret-value');
    await km.secrets.get('s');
    const events = await allAudit(inner);
    const types = events.map((e) => e.type);
    expect(types).toContain('secret.set');
    const read = events.find((e) => e.type === 'secret.read');
    expect(read).toMatchObject({ kind: 'secret', version: 1 });
    expect(JSON.stringify(events)).not.toContain('top-secret-value');
  });

  it('fails closed: when the audit write fails, get returns nothing', async () => {
    const { km, hooks } = makeHarness();
    await km.secrets.set('s', 'v');
    hooks.failAudit = true;
    expect((await err(km.secrets.get('s'))).code).toBe('ERR_AUDIT');
    hooks.failAudit = false;
    expect(await km.secrets.get('s')).toBe('v');
  });
});

describe('km.secrets: info, list, versions, delete', () => {
  it('lists with filters and pagination', async () => {
    const { km, clock } = makeHarness();
    await km.secrets.set('a', '1', { tags: ['x'], provider: 'openai' });
    clock.advance(1);
    await km.secrets.set('b', '2', { tags: ['y'] });
    clock.advance(1);
    await km.secrets.set('c', '3', { environment: 'production', tags: ['x'] });
    expect((await km.secrets.list()).items.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect((await km.secrets.list({ environment: 'default' })).items.map((s) => s.name)).toEqual(['a', 'b']);
    expect((await km.secrets.list({ tag: 'x' })).items.map((s) => s.name)).toEqual(['a', 'c']);
    expect((await km.secrets.list({ provider: 'openai' })).items.map((s) => s.name)).toEqual(['a']);
    const page1 = await km.secrets.list({ limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.cursor).toBeTypeOf('string');
    const page2 = await km.secrets.list({ limit: 2, cursor: page1.cursor as string });
    expect(page2.items.map((s) => s.name)).toEqual(['c']);
    expect(page2.cursor).toBeUndefined();
  });

  it('info and versions of a missing secret are ERR_NOT_FOUND', async () => {
    const { km } = makeHarness();
    expect((await err(km.secrets.info('nope'))).code).toBe('ERR_NOT_FOUND');
    expect((await err(km.secrets.versions('nope'))).code).toBe('ERR_NOT_FOUND');
    expect((await err(km.secrets.get('nope'))).code).toBe('ERR_NOT_FOUND');
  });

  it('delete removes the secret and is audited; deleting again is false', async () => {
    const { km, inner } = makeHarness();
    await km.secrets.set('s', 'v');
    expect(await km.secrets.delete('s')).toBe(true);
    expect(await km.secrets.delete('s')).toBe(false);
    expect((await err(km.secrets.get('s'))).code).toBe('ERR_NOT_FOUND');
    expect((await allAudit(inner)).some((e) => e.type === 'secret.deleted')).toBe(true);
    await km.secrets.set('s', 'again');
    expect((await km.secrets.info('s')).version).toBe(1);
  });

  it('concurrent sets of one name make one record with distinct versions', async () => {
    const { km } = makeHarness();
    const values = Array.from({ length: 8 }, (_, i) => `v${i}`);
    await Promise.all(values.map((v) => km.secrets.set('race', v)));
    const versions = await km.secrets.versions('race');
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(versions.filter((v) => v.state === 'current')).toHaveLength(1);
    expect(values).toContain(await km.secrets.get('race'));
  });
});

describe('km.secrets: rollback', () => {
  it('without `to`, swaps current and previous', async () => {
    const { km } = makeHarness();
    await km.secrets.set('s', 'one');
    await km.secrets.set('s', 'two');
    const r = await km.secrets.rollback('s');
    expect(r).toMatchObject({ version: 1, fromVersion: 2 });
    expect(await km.secrets.get('s')).toBe('one');
    const states = (await km.secrets.versions('s')).map((v) => v.state);
    expect(states).toEqual(['current', 'previous']);
    await km.secrets.rollback('s');
    expect(await km.secrets.get('s')).toBe('two');
  });

  it('with `to`, makes that version current and retires the other previous', async () => {
    const { km } = makeHarness();
    for (const v of ['one', 'two', 'three']) await km.secrets.set('s', v);
    await km.secrets.rollback('s', { to: 1 });
    expect(await km.secrets.get('s')).toBe('one');
    expect((await km.secrets.versions('s')).map((v) => v.state)).toEqual(['current', 'retired', 'previous']);
  });

  it('refuses impossible rollbacks', async () => {
    const { km } = makeHarness();
    await km.secrets.set('s', 'one');
    expect((await err(km.secrets.rollback('s'))).code).toBe('ERR_INVALID_STATE');
    expect(await err(km.secrets.rollback('s', { to: 1 }))).toMatchObject({
      code: 'ERR_INVALID_STATE',
      field: 'options.to',
    });
    expect(await err(km.secrets.rollback('s', { to: 5 }))).toMatchObject({
      code: 'ERR_NOT_FOUND',
      field: 'options.to',
    });
    for (let i = 0; i < 12; i++) await km.secrets.set('s', `v${i}`);
    expect((await err(km.secrets.rollback('s', { to: 1 }))).message).toContain('destroyed');
  });
});

describe('km.secrets: toEnv', () => {
  it('exports current values keyed by env var, one audit event per secret', async () => {
    const { km, inner } = makeHarness();
    await km.secrets.set('openai-key', 'sk-1');
    await km.secrets.set('db', 'pw', { envVar: 'DATABASE_PASSWORD' });
    await km.secrets.set('9lives', 'cat');
    await km.secrets.set('prod-only', 'p', { environment: 'production' });
    await km.secrets.set('tenant', 't', { tenantId: 'acme' });
    const before = (await allAudit(inner)).length;
    const env = await km.secrets.toEnv();
    expect(env).toEqual({ OPENAI_KEY: 'sk-1', DATABASE_PASSWORD: 'pw', _9LIVES: 'cat' });
    const events = (await allAudit(inner)).slice(before);
    expect(events.map((e) => e.type)).toEqual(['secret.read', 'secret.read', 'secret.read']);
    expect(await km.secrets.toEnv({ environment: 'production' })).toEqual({ PROD_ONLY: 'p' });
    expect(await km.secrets.toEnv({ tenantId: 'acme' })).toEqual({ TENANT: 't' });
  });

  it('skips expired secrets and refuses env var collisions', async () => {
    const { km, clock } = makeHarness();
    await km.secrets.set('a', '1', { expiresAt: clock.now() + 10 });
    await km.secrets.set('b', '2');
    clock.advance(10);
    expect(await km.secrets.toEnv()).toEqual({ B: '2' });
    await km.secrets.set('b.x', '3', { envVar: 'B' });
    expect((await err(km.secrets.toEnv())).code).toBe('ERR_INVALID_STATE');
  });

  it('fails closed when the audit batch cannot be written', async () => {
    const { km, hooks } = makeHarness();
    await km.secrets.set('a', '1');
    hooks.failAudit = true;
    expect((await err(km.secrets.toEnv())).code).toBe('ERR_AUDIT');
  });
});

describe('km.secrets: notifications', () => {
  it('notifies key.created on the first set and key.rolled_back on rollback, never with a value', async () => {
    const { memoryStorage } = await import('../../src/adapters/memory.js');
    const { generateMasterKey, localKms } = await import('../../src/kms/index.js');
    const { createKeyManager } = await import('../../src/manager/key-manager.js');
    const events: { type: string; version?: number; fromVersion?: number }[] = [];
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
      notifier: { notify: async (e) => void events.push(e as never) },
    });
    await km.secrets.set('s', 'value-one');
    await km.secrets.set('s', 'value-two');
    await km.secrets.rollback('s');
    await new Promise((r) => setTimeout(r, 10));
    expect(events.map((e) => e.type)).toEqual(['key.created', 'key.rolled_back']);
    expect(events[1]).toMatchObject({ version: 1, fromVersion: 2 });
    expect(JSON.stringify(events)).not.toContain('value-');
  });
});

describe('km.secrets: infrastructure failures', () => {
  it('a KMS failure while sealing writes nothing; an audit failure on set is ERR_AUDIT', async () => {
    const { memoryStorage } = await import('../../src/adapters/memory.js');
    const { generateMasterKey, localKms } = await import('../../src/kms/index.js');
    const { createKeyManager } = await import('../../src/manager/key-manager.js');
    const { wrapStorage } = await import('../support/store-context.js');
    const real = localKms({ masterKey: generateMasterKey() });
    let failWrap = false;
    const kms = {
      id: 'local',
      wrapKey: async (dek: Uint8Array, c: Record<string, string>) => {
        if (failWrap && c['record'] !== undefined) throw new Error('kms down');
        return real.wrapKey(dek, c);
      },
      unwrapKey: (w: Parameters<typeof real.unwrapKey>[0], c: Record<string, string>) => real.unwrapKey(w, c),
    };
    const inner = memoryStorage();
    const { storage } = wrapStorage(inner);
    const km = createKeyManager({ storage, kms });
    await km.secrets.set('s', 'v1');
    const before = await snapshot(inner);
    failWrap = true;
    expect((await err(km.secrets.set('s', 'v2'))).code).toBe('ERR_KMS');
    expect((await err(km.secrets.set('t', 'v2'))).code).toBe('ERR_KMS');
    expect((await err(km.keys.create({ name: 'k', type: 'hmac' }))).code).toBe('ERR_KMS');
    expect(await snapshot(inner)).toBe(before);
    failWrap = false;
  });

  it('a mutation whose audit event cannot be written is undone (ERR_AUDIT, store unchanged)', async () => {
    const { km, inner, hooks } = makeHarness();
    await km.secrets.set('s', 'v1');
    await km.secrets.set('s', 'v2');
    await km.keys.create({ name: 'k', type: 'hmac' });
    const before = await snapshot(inner);
    hooks.failAudit = true;
    expect((await err(km.secrets.set('s', 'v3'))).code).toBe('ERR_AUDIT');
    expect((await err(km.secrets.set('new', 'v'))).code).toBe('ERR_AUDIT');
    expect((await err(km.secrets.rollback('s'))).code).toBe('ERR_AUDIT');
    expect((await err(km.secrets.delete('s'))).code).toBe('ERR_AUDIT');
    expect((await err(km.keys.create({ name: 'k2', type: 'hmac' }))).code).toBe('ERR_AUDIT');
    expect((await err(km.keys.delete('k'))).code).toBe('ERR_AUDIT');
    hooks.failAudit = false;
    const strip = (json: string) =>
      (JSON.parse(json) as { records: { revision: number; updatedAt: number; mac?: string }[] }).records.map(
        (r) => ({
          ...r,
          revision: 0,
          updatedAt: 0,
          mac: '', // a MAC over the record, revision and updatedAt included
        }),
      );
    expect(strip(await snapshot(inner))).toEqual(strip(before));
    expect(await km.secrets.get('s')).toBe('v2');
    expect((await km.secrets.versions('s')).map((v) => v.state)).toEqual(['previous', 'current']);
  });
});
