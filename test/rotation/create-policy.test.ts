/**
 * Create-time rotation policies: `rotation` on `apiKeys.create` / `createMany`, `keys.create` and
 * `secrets.set` (set, replace, clear on an existing secret). Validation names `rotation.*` and
 * writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { snapshot } from '../support/store-context.js';
import { DAY } from './harness.js';

async function fieldOf(run: () => Promise<unknown>): Promise<string | undefined> {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
  return (error as { field?: string }).field;
}

describe('apiKeys.create({ rotation })', () => {
  it('is rotated by runDue at day 30 and not before', async () => {
    const { km, clock, storage } = createTestKeyManager({ defaults: { expiresIn: null } });
    const t0 = clock.now();
    const { token, key } = await km.apiKeys.create({ name: 'svc', rotation: { every: '30d' } });
    expect(await km.rotator.getPolicy(key.id)).toMatchObject({
      every: 30 * DAY,
      strategy: 'overlap',
      nextRotationAt: t0 + 30 * DAY,
    });
    expect((await storage.get(key.id))?.dueAt).toBe(t0 + 30 * DAY);
    const audit = (await km.audit.list({ keyId: key.id })).items.map((e) => e.type);
    expect(audit).toEqual(['key.created', 'rotation.policy_set']);

    clock.set(t0 + 30 * DAY - 1);
    expect((await km.rotator.runDue()).rotated).toEqual([]);
    expect((await km.apiKeys.get(key.id)).version).toBe(1);

    clock.set(t0 + 30 * DAY);
    const report = await km.rotator.runDue();
    expect(report.rotated.map((r) => r.id)).toEqual([key.id]);
    const fresh = report.rotated[0]?.token as string;
    expect((await km.apiKeys.get(key.id)).version).toBe(2);
    expect(await km.apiKeys.verify(fresh)).toMatchObject({ valid: true, version: 2 });
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: true, version: 1 }); // overlap 24h
  });

  it('createMany takes a policy per item; a bad one names its index and writes nothing', async () => {
    const { km, clock } = createTestKeyManager({ defaults: { expiresIn: null } });
    await km.ready();
    const [a, b] = await km.apiKeys.createMany([
      { name: 'a', rotation: { every: 'weekly', strategy: 'immediate' } },
      { name: 'b' },
    ]);
    expect(await km.rotator.getPolicy(a?.key.id as string)).toMatchObject({
      schedule: 'weekly',
      strategy: 'immediate',
      nextRotationAt: clock.now() + 7 * DAY,
    });
    expect(await km.rotator.getPolicy(b?.key.id as string)).toBeNull();

    const { km: km2, storage } = createTestKeyManager();
    await km2.ready();
    const before = await snapshot(storage);
    const field = await fieldOf(() =>
      km2.apiKeys.createMany([
        { name: 'ok', rotation: { every: '1d' } },
        { name: 'bad', rotation: { every: 'often' } },
      ]),
    );
    expect(field).toBe('1.rotation.every');
    expect(await snapshot(storage)).toBe(before);
  });

  it('rotation: null is no policy', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'k', rotation: null });
    expect(await km.rotator.getPolicy(key.id)).toBeNull();
  });
});

describe('keys.create({ rotation })', () => {
  it('is rotated by runDue at day 30 and not before', async () => {
    const { km, clock } = createTestKeyManager();
    const t0 = clock.now();
    const info = await km.keys.create({ name: 'jwt', type: 'ed25519', rotation: { every: '30d' } });
    clock.set(t0 + 29 * DAY);
    expect((await km.rotator.runDue()).rotated).toEqual([]);
    clock.set(t0 + 30 * DAY);
    expect((await km.rotator.runDue()).rotated.map((r) => r.id)).toEqual([info.id]);
    expect((await km.keys.info('jwt')).version).toBe(2);
  });

  it('a bad policy names options.rotation.* and writes nothing', async () => {
    const { km, storage } = createTestKeyManager();
    await km.ready();
    const before = await snapshot(storage);
    for (const [rotation, field] of [
      [{ every: 'soon' }, 'options.rotation.every'],
      [{ cron: '61 * * * *' }, 'options.rotation.cron'],
      [{ notifyBefore: 5 }, 'options.rotation.notifyBefore'],
      ['30d', 'options.rotation'],
    ] as const) {
      expect(
        await fieldOf(() => km.keys.create({ name: 'k', type: 'hmac', rotation: rotation as never })),
      ).toBe(field);
    }
    expect(await snapshot(storage)).toBe(before);
  });
});

describe('secrets.set({ rotation })', () => {
  it('a new secret with a policy is rotated by runDue at day 30 and not before', async () => {
    const { km, clock } = createTestKeyManager();
    const t0 = clock.now();
    const info = await km.secrets.set('S', 'v1', { rotation: { every: '30d' } });
    clock.set(t0 + 30 * DAY - 1);
    expect((await km.rotator.runDue()).rotated).toEqual([]);
    clock.set(t0 + 30 * DAY);
    expect((await km.rotator.runDue()).rotated.map((r) => r.id)).toEqual([info.id]);
    expect(await km.secrets.get('S')).not.toBe('v1');
  });

  it('on an existing secret: absent leaves the policy, an object replaces it, null clears it', async () => {
    const { km, clock } = createTestKeyManager();
    const t0 = clock.now();
    const { id } = await km.secrets.set('S', 'v1', { rotation: { every: '30d', notifyBefore: '1d' } });
    clock.advance('1d');
    await km.secrets.set('S', 'v2');
    expect(await km.rotator.getPolicy(id)).toMatchObject({ every: 30 * DAY, nextRotationAt: t0 + 30 * DAY });

    await km.secrets.set('S', 'v3', { rotation: { every: 'weekly' } });
    expect(await km.rotator.getPolicy(id)).toMatchObject({
      every: null,
      schedule: 'weekly',
      notifyBefore: null,
      nextRotationAt: clock.now() + 7 * DAY,
    });

    await km.secrets.set('S', 'v4', { rotation: null });
    expect(await km.rotator.getPolicy(id)).toBeNull();
    const types = (await km.audit.list({ keyId: id, limit: 100 })).items.map((e) => e.type);
    expect(types.filter((t) => t === 'rotation.policy_set')).toHaveLength(3); // create, replace, clear
    expect(await km.secrets.get('S')).toBe('v4');
  });

  it('a bad policy names options.rotation.* and writes nothing (new or existing secret)', async () => {
    const { km, storage } = createTestKeyManager();
    await km.secrets.set('S', 'v1');
    const before = await snapshot(storage);
    expect(await fieldOf(() => km.secrets.set('S', 'v2', { rotation: { every: 'sometimes' } }))).toBe(
      'options.rotation.every',
    );
    expect(await fieldOf(() => km.secrets.set('T', 'v', { rotation: { strategy: 'slow' as never } }))).toBe(
      'options.rotation.strategy',
    );
    expect(await snapshot(storage)).toBe(before);
  });
});
