/**
 * `secrets.get({ version })` follows the same acceptance rule as API keys, JWKS and key
 * verification (`acceptedVersions`): a previous version past its `retireAt` is refused like a
 * retired one, before any `runDue`. And `secrets.set` on a secret with a rotation policy gives the
 * demoted version `retireAt = now + policy.overlap`.
 */
import { describe, expect, it } from 'vitest';
import { KeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

const HOUR = 3_600_000;

async function errorOf(run: () => Promise<unknown>): Promise<KeywardenError> {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeywardenError);
  return error as KeywardenError;
}

describe('secrets.get({ version }) honours retireAt', () => {
  it('a previous version whose overlap ended is refused like a retired one, before runDue', async () => {
    const { km, clock } = createTestKeyManager();
    const { id } = await km.secrets.set('S', 'one', { rotation: { strategy: 'overlap', overlap: '1h' } });
    await km.rotator.rotate(id);
    expect(await km.secrets.get('S', { version: 1 })).toBe('one');

    clock.advance(HOUR - 1);
    expect(await km.secrets.get('S', { version: 1 })).toBe('one');

    clock.advance(1); // retireAt reached; no runDue yet: the version is still `previous` in storage
    expect((await km.secrets.versions('S')).find((v) => v.version === 1)?.state).toBe('previous');
    const early = await errorOf(() => km.secrets.get('S', { version: 1 }));

    await km.rotator.runDue();
    expect((await km.secrets.versions('S')).find((v) => v.version === 1)?.state).toBe('retired');
    const late = await errorOf(() => km.secrets.get('S', { version: 1 }));

    expect({ code: early.code, field: early.field, message: early.message }).toEqual({
      code: late.code,
      field: late.field,
      message: late.message,
    });
    expect(early.code).toBe('ERR_INVALID_STATE');
    expect(await km.secrets.get('S')).not.toBe('one'); // the current one reads as before
  });
});

describe('secrets.set with a rotation policy ends the demoted version after the overlap', () => {
  it('gives the old current retireAt = now + policy.overlap', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { id } = await km.secrets.set('S', 'one', { rotation: { overlap: '2h' } }); // manual-only policy
    clock.advance('1m');
    const setAt = clock.now();
    await km.secrets.set('S', 'two');
    const v1 = (await storage.get(id))?.versions.find((v) => v.version === 1);
    expect(v1).toMatchObject({ state: 'previous', retireAt: setAt + 2 * HOUR });

    clock.set(setAt + 2 * HOUR - 1);
    expect(await km.secrets.get('S', { version: 1 })).toBe('one');
    clock.set(setAt + 2 * HOUR);
    expect((await errorOf(() => km.secrets.get('S', { version: 1 }))).code).toBe('ERR_INVALID_STATE');
    // the rotator finds it through dueAt and retires it
    expect((await km.rotator.runDue()).retired).toEqual([{ id, version: 1 }]);
    expect(await km.secrets.get('S')).toBe('two');
  });

  it('uses the policy given on the same set call', async () => {
    const { km, storage } = createTestKeyManager();
    const { id } = await km.secrets.set('S', 'one');
    await km.secrets.set('S', 'two', { rotation: { overlap: '3h' } });
    const v1 = (await storage.get(id))?.versions.find((v) => v.version === 1);
    expect(v1?.retireAt).toBe((v1?.createdAt ?? 0) + 3 * HOUR);
  });

  it('without a policy keeps today’s behaviour: the previous version has no end', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const { id } = await km.secrets.set('S', 'one');
    await km.secrets.set('S', 'two');
    expect((await storage.get(id))?.versions.find((v) => v.version === 1)).toMatchObject({
      state: 'previous',
      retireAt: null,
    });
    clock.advance('365d');
    expect(await km.secrets.get('S', { version: 1 })).toBe('one');
  });
});
