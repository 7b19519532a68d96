/**
 * Manual rotate and rollback for each strategy; show-once tokens; fail closed on audit failure.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { wrapStorage } from '../support/store-context.js';
import { DAY, harness } from './harness.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (isKeywardenError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('rotate', () => {
  it('returns the new API-key token as a hidden, show-once property', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    const result = await h.rotator.rotate(key.id);
    expect(typeof result.token).toBe('string');
    const { token } = result;
    expect(Object.keys(result)).toEqual(['version', 'state', 'previousVersion']);
    expect(JSON.stringify(result)).not.toContain(token as string);
    expect(inspect(result, { showHidden: true })).not.toContain(token as string);
    expect((await h.apiKeys.verify(token)).valid).toBe(true);
    const audit = JSON.stringify((await h.storage.listAudit({ limit: 1000 })).items);
    expect(audit).not.toContain(token as string);
    expect(JSON.stringify(h.events)).not.toContain(token as string);
  });

  it('immediate: the old token stops verifying at once', async () => {
    const h = harness();
    const { token: old, key } = await h.apiKeys.create({ name: 'k' });
    const { token, version, previousVersion, state } = await h.rotator.rotate(key.id, {
      strategy: 'immediate',
    });
    expect({ version, previousVersion, state }).toEqual({ version: 2, previousVersion: 1, state: 'current' });
    expect(await h.apiKeys.verify(old)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await h.apiKeys.verify(token)).toMatchObject({ valid: true, version: 2 });
    expect(h.ofType('version.retired').map((e) => e.version)).toEqual([1]);
    expect(h.ofType('key.rotated')[0]).toMatchObject({
      version: 2,
      previousVersion: 1,
      strategy: 'immediate',
    });
  });

  it('overlap (option override): the old token verifies until the overlap ends', async () => {
    const h = harness();
    const { token: old, key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.rotate(key.id, { overlap: '1h' });
    h.clock.advance('59m');
    expect((await h.apiKeys.verify(old)).valid).toBe(true);
    h.clock.advance('1m');
    expect((await h.apiKeys.verify(old)).valid).toBe(false);
    const report = await h.rotator.runDue();
    expect(report.retired).toEqual([{ id: key.id, version: 1 }]);
    expect((await h.storage.get(key.id))?.versions[0]?.retiredAt).toBe(h.clock.now());
  });

  it('gradual: the new token verifies while pending; a second rotate is refused; promotion then overlap', async () => {
    const h = harness();
    const { token: old, key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { strategy: 'gradual', promoteAfter: '2h', overlap: '3h' });
    const { token, state } = await h.rotator.rotate(key.id);
    expect(state).toBe('pending');
    expect((await h.apiKeys.verify(token)).valid).toBe(true);
    expect((await h.apiKeys.verify(old)).valid).toBe(true);
    expect((await h.apiKeys.get(key.id)).version).toBe(1);
    expect(await codeOf(h.rotator.rotate(key.id))).toBe('ERR_INVALID_STATE');
    h.clock.advance('2h');
    const report = await h.rotator.runDue();
    expect(report.promoted).toEqual([{ id: key.id, version: 2 }]);
    expect((await h.apiKeys.get(key.id)).version).toBe(2);
    h.clock.advance('3h');
    expect((await h.apiKeys.verify(old)).valid).toBe(false);
    expect((await h.apiKeys.verify(token)).valid).toBe(true);
  });

  it('gradual override: the overlap given to rotate applies at promotion (default 24h without a policy)', async () => {
    const h = harness();
    const { token: old, key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.rotate(key.id, { strategy: 'gradual' });
    h.clock.advance('1h');
    await h.rotator.runDue();
    h.clock.advance('23h59m');
    expect((await h.apiKeys.verify(old)).valid).toBe(true);
    h.clock.advance('1m');
    expect((await h.apiKeys.verify(old)).valid).toBe(false);
    const { token: t2, key: k2 } = await h.apiKeys.create({ name: 'k2' });
    await h.rotator.rotate(k2.id, { strategy: 'gradual', overlap: '5m' });
    h.clock.advance('1h');
    await h.rotator.runDue();
    h.clock.advance('5m');
    expect((await h.apiKeys.verify(t2)).valid).toBe(false);
  });

  it('gradual signing keys: the pending key is published in JWKS but not used to sign', async () => {
    const h = harness();
    const k = await h.keys.create({ name: 'jwt', type: 'ed25519' });
    await h.rotator.setPolicy(k.id, { strategy: 'gradual' });
    await h.rotator.rotate(k.id);
    const info = await h.keys.info('jwt');
    expect(info.version).toBe(1);
    const jwks = await h.keys.jwks('jwt');
    expect(jwks.keys.map((x) => x.kid).sort()).toEqual(info.versions.map((v) => v.kid).sort());
    const sig = await h.keys.sign('jwt', 'x');
    expect(await h.keys.verify('jwt', 'x', sig)).toBe(true);
    // only version 1 signed it
    await h.rotator.rollback(k.id); // discard the pending version
    expect((await h.keys.jwks('jwt')).keys.map((x) => x.kid)).toEqual([info.versions[0]?.kid]);
    expect(await h.keys.verify('jwt', 'x', sig)).toBe(true);
  });

  it('refuses inactive records and bad options, writing nothing', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    const before = await h.storage.get(key.id);
    const bad = await h.rotator.rotate(key.id, { strategy: 'sideways' as never }).catch((e: unknown) => e);
    expect((bad as { field?: string }).field).toBe('options.strategy');
    const bad2 = await h.rotator.rotate(key.id, { overlap: 'long' }).catch((e: unknown) => e);
    expect((bad2 as { field?: string }).field).toBe('options.overlap');
    expect(await h.storage.get(key.id)).toEqual(before);
    await h.apiKeys.revoke(key.id);
    expect(await codeOf(h.rotator.rotate(key.id))).toBe('ERR_INVALID_STATE');
    expect(await codeOf(h.rotator.rotate('AAAAAAAAAAAA'))).toBe('ERR_NOT_FOUND');
  });

  it('keeps material of the 10 newest versions and at most 100 entries (API keys and keys)', async () => {
    const h = harness();
    const { token: first, key } = await h.apiKeys.create({ name: 'k' });
    const tokens: string[] = [first];
    for (let i = 0; i < 120; i++)
      tokens.push((await h.rotator.rotate(key.id, { strategy: 'immediate' })).token as string);
    const record = await h.storage.get(key.id);
    expect(record?.versions).toHaveLength(100);
    expect(record?.versions[0]?.version).toBe(22);
    const withHash = record?.versions.filter((v) => v.hash !== null).map((v) => v.version);
    expect(withHash).toEqual(Array.from({ length: 10 }, (_, i) => 112 + i));
    expect(await h.apiKeys.verify(tokens[115] as string)).toMatchObject({ valid: false, code: 'EXPIRED' });
    expect(await h.apiKeys.verify(tokens[50] as string)).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    expect((await h.apiKeys.verify(tokens[120] as string)).valid).toBe(true);
    const k = await h.keys.create({ name: 'h', type: 'hmac' });
    for (let i = 0; i < 12; i++) await h.rotator.rotate(k.id, { strategy: 'immediate' });
    const kr = await h.storage.get(k.id);
    expect(kr?.versions.filter((v) => v.sealed !== null).map((v) => v.version)).toEqual(
      Array.from({ length: 10 }, (_, i) => 4 + i),
    );
  });

  it('manual rotation re-anchors the schedule', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { every: '30d' });
    h.clock.advance('10d');
    await h.rotator.rotate(key.id);
    expect((await h.rotator.getPolicy(key.id))?.nextRotationAt).toBe(h.clock.now() + 30 * DAY);
  });

  it('fails closed: when the audit write fails the rotation is undone and nothing is notified', async () => {
    const { storage, hooks } = wrapStorage(memoryStorage());
    const h = harness({ storage });
    const { token, key } = await h.apiKeys.create({ name: 'k' });
    const before = await storage.get(key.id);
    hooks.failAudit = true;
    expect(await codeOf(h.rotator.rotate(key.id, { strategy: 'immediate' }))).toBe('ERR_AUDIT');
    hooks.failAudit = false;
    const after = await storage.get(key.id);
    expect(after?.versions).toEqual(before?.versions);
    expect((await h.apiKeys.verify(token)).valid).toBe(true);
    expect(h.ofType('key.rotated')).toHaveLength(0);
  });
});

describe('rollback', () => {
  it('overlap: the previous version becomes current again; the rolled-from one overlaps', async () => {
    const h = harness();
    const info = await h.secrets.set('S', 'one');
    await h.rotator.setPolicy(info.id, { overlap: '1h' });
    await h.rotator.rotate(info.id);
    const two = await h.secrets.get('S');
    expect(two).not.toBe('one');
    expect(await h.rotator.rollback(info.id)).toEqual({ version: 1, fromVersion: 2 });
    expect(await h.secrets.get('S')).toBe('one');
    expect(await h.secrets.get('S', { version: 2 })).toBe(two);
    h.clock.advance('1h');
    await h.rotator.runDue();
    expect(await codeOf(h.secrets.get('S', { version: 2 }))).toBe('ERR_INVALID_STATE');
    expect(h.ofType('key.rolled_back')[0]).toMatchObject({ version: 1, fromVersion: 2 });
    expect((await h.storage.listAudit({ type: 'key.rolled_back', limit: 10 })).items).toHaveLength(1);
  });

  it('blue-green: two live versions at all times; rotation refreshes the idle slot; rollback swaps back', async () => {
    const h = harness();
    const { token: t1, key } = await h.apiKeys.create({ name: 'k' });
    await h.rotator.setPolicy(key.id, { strategy: 'blue-green' });
    const { token: t2 } = await h.rotator.rotate(key.id);
    h.clock.advance('400d');
    expect((await h.apiKeys.verify(t1)).valid).toBe(true);
    expect((await h.apiKeys.verify(t2)).valid).toBe(true);
    const slots = async () =>
      (await h.storage.get(key.id))?.versions.map((v) => [v.version, v.state, v.data['slot'] ?? null]);
    expect(await slots()).toEqual([
      [1, 'previous', 'blue'],
      [2, 'current', 'green'],
    ]);
    const { token: t3 } = await h.rotator.rotate(key.id);
    expect(await slots()).toEqual([
      [1, 'retired', 'blue'],
      [2, 'previous', 'green'],
      [3, 'current', 'blue'],
    ]);
    expect((await h.apiKeys.verify(t1)).valid).toBe(false);
    await h.rotator.rollback(key.id);
    expect(await slots()).toEqual([
      [1, 'retired', 'blue'],
      [2, 'current', 'green'],
      [3, 'previous', 'blue'],
    ]);
    expect((await h.apiKeys.verify(t2)).valid).toBe(true);
    expect((await h.apiKeys.verify(t3)).valid).toBe(true);
    expect((await h.apiKeys.get(key.id)).version).toBe(2);
  });

  it('refuses when there is nothing live to roll back to', async () => {
    const h = harness();
    const { key } = await h.apiKeys.create({ name: 'k' });
    expect(await codeOf(h.rotator.rollback(key.id))).toBe('ERR_INVALID_STATE');
    await h.rotator.rotate(key.id, { strategy: 'immediate' });
    expect(await codeOf(h.rotator.rollback(key.id))).toBe('ERR_INVALID_STATE');
    await h.rotator.rotate(key.id, { overlap: '1h' });
    h.clock.advance('2h');
    expect(await codeOf(h.rotator.rollback(key.id))).toBe('ERR_INVALID_STATE');
  });

  it('gradual before promotion: rollback discards the pending version', async () => {
    const h = harness();
    const { token: old, key } = await h.apiKeys.create({ name: 'k' });
    const { token } = await h.rotator.rotate(key.id, { strategy: 'gradual' });
    expect(await h.rotator.rollback(key.id)).toEqual({ version: 1, fromVersion: 2 });
    expect((await h.apiKeys.verify(token)).valid).toBe(false);
    expect((await h.apiKeys.verify(old)).valid).toBe(true);
    h.clock.advance('2h');
    expect((await h.rotator.runDue()).promoted).toEqual([]);
  });
});
